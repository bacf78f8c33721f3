"""Reading OpenStreetMap tags into street attributes.

Tag values arrive as strings in every spelling mappers use (``"50"``, ``"30 mph"``,
``"FI:urban"``, ``"2;3"``, ``"yes"``, ``"-1"``). Each parser maps the few distinct values of a
column once, so a city-sized table costs no per-row Python.
"""

from __future__ import annotations

import re
from typing import Callable

import numpy as np
import pandas as pd

from twin.maps.road_classes import FALLBACK_CLASS, RoadClass, class_values

__all__ = ["column", "road_classes_of", "maxspeed_kmh", "lanes_total", "lit_flags", "mode_flags"]

_MPH = 1.609344
_URBAN_KMH = 50.0  # implicit national urban limits ("FI:urban", "DE:urban", ...)
_LIVING_KMH = 20.0  # "DE:living_street" (walking pace), as the living_street class
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_TRUE = {"yes", "true", "1"}
_REVERSE = {"-1", "reverse"}
_NO_ACCESS = {"no", "private", "use_sidepath"}  # use_sidepath: ride on the separate path, not here
_ALLOWED = {"yes", "designated", "permissive", "destination"}
# "true"/"false" and "1"/"0": boolean columns of a city's GIS, as GeoPackage and shapefiles store them.
_LIT_YES = {"yes", "24/7", "automatic", "limited", "interval", "sunset-sunrise", "dusk-dawn", "true", "1"}
_LIT_NO = {"no", "disused", "false", "0"}


def _tag_text(value: object) -> str | None:
    # Boolean and number columns (a city's GIS, a GeoPackage integer column with gaps read as
    # floats) are spelled as OSM spells them: True -> "yes", 1.0 -> "1", -1.0 -> "-1".
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)
    return str(value).strip().lower() or None


def column(frame: pd.DataFrame, name: str) -> pd.Series:
    """Return a column as lower-case stripped strings, or all-missing if the column is absent.

    Booleans become ``"yes"``/``"no"`` and whole numbers lose their ``.0``, so a ``oneway``
    column of 1/-1 or a ``lit`` column of True/False reads like the OSM tag.
    """
    if name not in frame.columns:
        return pd.Series(None, index=frame.index, dtype=object)
    # A tag column has few distinct values: normalise each once (a performance choice).
    codes, uniques = pd.factorize(frame[name].astype(object), use_na_sentinel=True)
    normalised = np.array([_tag_text(value) for value in uniques] + [None], dtype=object)
    return pd.Series(normalised[codes], index=frame.index, dtype=object)


def _map_unique(values: pd.Series, parse: Callable[[str], object]) -> pd.Series:
    uniques = {value: parse(value) for value in values.dropna().unique()}
    return values.map(uniques)


def road_classes_of(highway: pd.Series, table: dict[str, RoadClass]) -> pd.Series:
    """Return the road class of each street: its ``highway`` value, or the fallback class.

    ``highway`` lists such as ``"['residential', 'service']"`` keep their first value.
    """
    first = highway.map(lambda v: re.split(r"[;,\]'\"\[ ]+", v.strip("[]'\" "))[0] if isinstance(v, str) else None)
    return first.where(first.isin(list(table)), FALLBACK_CLASS)


def _parse_speed(text: str) -> float:
    if ":" in text and "living_street" in text:
        return _LIVING_KMH
    if ":" in text and any(zone in text for zone in ("urban", "zone")):
        number = _NUMBER.search(text)
        return float(number.group()) if number and "zone" in text else _URBAN_KMH
    number = _NUMBER.search(text)
    if number is None:
        return np.nan  # "none", "walk", "signals": no usable limit
    speed = float(number.group())
    if speed <= 0:
        return np.nan  # "0" is a mapping error, not a closed street: use the class speed
    return speed * _MPH if "mph" in text else speed


def maxspeed_kmh(maxspeed: pd.Series) -> pd.Series:
    """Parse ``maxspeed`` tags into km/h (NaN where missing, zero or not a number)."""
    return _map_unique(maxspeed, _parse_speed).astype(float)


def _parse_lanes(text: str) -> float:
    numbers = [float(n) for n in _NUMBER.findall(text)]
    return max(numbers) if numbers else np.nan


def lanes_total(lanes: pd.Series) -> pd.Series:
    """Parse ``lanes`` tags (total lanes, both directions) into numbers (NaN where missing)."""
    return _map_unique(lanes, _parse_lanes).astype(float)


def lit_flags(lit: pd.Series, default: pd.Series) -> np.ndarray:
    """Return whether each street is lit: its ``lit`` tag, else the class default."""
    yes = lit.isin(_LIT_YES).to_numpy()
    no = lit.isin(_LIT_NO).to_numpy()
    return np.where(yes, True, np.where(no, False, default.to_numpy(dtype=bool)))


def mode_flags(frame: pd.DataFrame, classes: pd.Series, table: dict[str, RoadClass]) -> dict[str, np.ndarray]:
    """Decide which modes may use each street in each direction of its geometry.

    Returns
    -------
    dict
        Boolean arrays ``car_fwd``, ``car_bwd``, ``bike_fwd``, ``bike_bwd``, ``walk``
        (walking is allowed both ways wherever it is allowed).
    """
    def class_flag(attr: str) -> np.ndarray:
        return np.array(class_values(classes, table, attr), dtype=bool)  # a writable copy

    car, bike, walk, class_oneway = (class_flag(a) for a in ("car", "bike", "walk", "oneway"))
    class_car = car.copy()

    access = column(frame, "access")
    closed = access.isin(_NO_ACCESS).to_numpy()
    car &= ~closed
    for tag in ("motor_vehicle", "motorcar"):
        value = column(frame, tag)
        car &= ~value.isin(_NO_ACCESS).to_numpy()
        car |= value.isin(_ALLOWED).to_numpy() & class_car
    for flags, tag in ((bike, "bicycle"), (walk, "foot")):
        value = column(frame, tag)
        flags &= ~(closed | value.isin(_NO_ACCESS).to_numpy())
        flags |= value.isin(_ALLOWED).to_numpy()

    oneway = column(frame, "oneway")
    forward_only = np.array(oneway.isin(_TRUE), dtype=bool)
    backward_only = oneway.isin(_REVERSE).to_numpy()
    implied = oneway.isna().to_numpy() & (class_oneway | column(frame, "junction").isin({"roundabout", "circular"}).to_numpy())
    forward_only |= implied
    bike_both_ways = column(frame, "oneway:bicycle").isin({"no"}).to_numpy()
    return {
        "car_fwd": car & ~backward_only,
        "car_bwd": car & ~forward_only,
        "bike_fwd": bike & (~backward_only | bike_both_ways),
        "bike_bwd": bike & (~forward_only | bike_both_ways),
        "walk": walk,
    }
