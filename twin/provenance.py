"""What a run writes beside its results so it can be trusted and repeated.

``scenario.resolved.yaml`` holds the scenario with every default filled in (and the time
zone taken from the map where the file named none); ``meta.json`` the seed, the map's
source and SHA-256, and the versions of twin, Python and the packages that shape results.
"""

from __future__ import annotations

import datetime as dt
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from twin.maps.network import StreetNetwork

__all__ = ["RESULT_PACKAGES", "package_versions", "resolved_scenario", "run_metadata", "write_provenance"]

RESULT_PACKAGES = (
    "twin", "mesa", "numpy", "scipy", "pandas", "geopandas", "shapely", "pyogrio", "pyproj",
    "pyarrow", "pydantic", "pyyaml", "timezonefinder", "astral", "numba",
)  # fmt: skip
"""Packages whose version can change a run's numbers."""


def package_versions() -> dict[str, str]:
    """Installed versions of :data:`RESULT_PACKAGES` (``"missing"`` if one is not installed)."""
    versions = {}
    for name in RESULT_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


def resolved_scenario(scenario: Any, network: StreetNetwork) -> Any:
    """The scenario with the map's time zone filled in where the file named none."""
    if scenario.timezone is None:
        return scenario.model_copy(update={"timezone": network.timezone()})
    return scenario


def run_metadata(*, scenario: Any, network: StreetNetwork, wall_time_s: float) -> dict[str, Any]:
    """The facts ``meta.json`` records about one run."""
    return {
        "scenario": scenario.name,
        "seed": scenario.seed,
        # The centre is where the sun is computed (dark hours), for readers without the map.
        "map": {"source": network.source, "sha256": network.source_hash, "attribution": network.attribution,
                "centre_lonlat": [round(value, 6) for value in network.centre_lonlat()]},
        "versions": {"python": sys.version.split()[0], **package_versions()},
        "platform": platform.platform(),
        "finished_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "wall_time_s": round(wall_time_s, 3),
    }


def write_provenance(folder: Path, *, scenario: Any, network: StreetNetwork, wall_time_s: float,
                     extra: dict[str, Any] | None = None) -> None:
    """Write ``scenario.resolved.yaml`` and ``meta.json`` (with ``extra`` facts) into ``folder``."""
    import json

    resolved = resolved_scenario(scenario, network)
    text = yaml.safe_dump(resolved.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
    (folder / "scenario.resolved.yaml").write_text(text, encoding="utf-8")
    meta = run_metadata(scenario=resolved, network=network, wall_time_s=wall_time_s) | (extra or {})
    (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
