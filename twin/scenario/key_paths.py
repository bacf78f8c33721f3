"""Key paths into scenario data: where a validated model holds file paths, and reading or setting a path.

Relative file paths in a scenario (a map, an area's file, a GTFS feed) are made absolute
against the scenario's folder; the loader and the intervention registry find them the same
way.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

__all__ = ["file_paths", "get_at", "set_at"]


def file_paths(model: BaseModel, parts: tuple[Any, ...] = ()) -> list[tuple[list[Any], Path]]:
    """Key paths and values of every path in a validated model, nested models included."""
    found: list[tuple[list[Any], Path]] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        here = (*parts, name)
        if isinstance(value, Path):
            found.append((list(here), value))
        elif isinstance(value, BaseModel):
            found.extend(file_paths(value, here))
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                if isinstance(item, Path):
                    found.append(([*here, index], item))
                elif isinstance(item, BaseModel):
                    found.extend(file_paths(item, (*here, index)))
    return found


def get_at(data: Any, parts: Sequence[Any]) -> Any:
    """The value at a key path in plain data (dicts and lists), or ``None`` if it is not there."""
    for part in parts:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def set_at(data: Any, parts: Sequence[Any], value: Any) -> None:
    """Set the value at a key path in plain data (dicts and lists) that exists up to its last key."""
    for part in parts[:-1]:
        data = data[part]
    data[parts[-1]] = value
