"""Building blocks shared by the scenario models: config, path and share types, rule errors."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

__all__ = ["DAY_S", "MODEL_CONFIG", "FilePath", "Share", "check_crs", "rule"]

DAY_S = 86400.0

# allow_inf_nan=False: a NaN slips through every ge/le bound, so reject it outright.
MODEL_CONFIG = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _check_path_text(value: Any) -> Any:
    """Reject path strings that pathlib would accept but no file system can open."""
    if isinstance(value, str):
        if not value.strip():
            raise PydanticCustomError("empty_path", "the path is empty; give a file name")
        if "\x00" in value:
            raise PydanticCustomError("bad_path", "the path contains a NUL character")
    return value


FilePath = Annotated[Path, BeforeValidator(_check_path_text)]
Share = Annotated[float, Field(ge=0, le=1.0)]


def rule(message: str, *, at: str | None = None) -> PydanticCustomError:
    """An error from a cross-field rule; ``at`` names the key the message is about."""
    return PydanticCustomError("scenario_rule", message, {"at": at} if at else {})


def check_crs(value: str | None) -> str | None:
    """Refuse a coordinate system pyproj does not know (``None`` passes)."""
    if value is None:
        return value
    import pyproj  # deferred: pyproj is slow to import and only needed for this check

    try:
        with warnings.catch_warnings():
            # Old "+init=" strings warn but still work; the user gets them either way.
            warnings.simplefilter("ignore")
            pyproj.CRS.from_user_input(value)
    except pyproj.exceptions.CRSError:
        raise rule(f"{value!r} is not a coordinate system twin knows; use an EPSG code like EPSG:3067") from None
    return value
