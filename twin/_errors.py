"""Errors a user can fix.

Every error twin raises for bad input is a :class:`TwinError`. Its message is one line that
names the file, the key or feature, what is wrong and what to do. The command line prints
that line and exits with code 2, without a traceback.
"""

from __future__ import annotations

__all__ = ["TwinError", "ScenarioError", "MapDataError", "MapWarning"]


class TwinError(Exception):
    """Base class of errors caused by the user's input, not by a bug in twin."""


class ScenarioError(TwinError, ValueError):
    """A scenario file, or an override of one, is invalid."""


class MapDataError(TwinError, ValueError):
    """A street map file is missing, unreadable or holds data twin cannot use."""


class MapWarning(UserWarning):
    """A map was usable but twin changed it: dropped disconnected parts, far-away lamps, ..."""
