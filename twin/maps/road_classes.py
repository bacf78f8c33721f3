"""Default street attributes by road class (OSM ``highway`` value).

OpenStreetMap leaves most ways without ``maxspeed``, ``lanes`` or ``lit`` tags, and exports
from other models carry no lamps at all. The gaps are filled from :data:`ROAD_CLASSES`, a
table a scenario can override class by class (``map.road_classes``).

Sources of the defaults
-----------------------
- Lanes and capacity per lane follow MATSim's ``OsmNetworkReader`` defaults (motorway 2,000
  veh/h/lane, primary 1,500, secondary 1,000, tertiary and below 600, living street 300).
- Speeds are urban speed limits: 50 km/h is the general urban limit in most of Europe
  (Finland, Germany, France ...), 30 km/h zones are common on residential streets, 20 km/h
  on living streets (Finnish *pihakatu*: walking pace, modelled as 20).
- Lamp spacing follows the usual design rule of 3 to 4 times the mounting height
  (EN 13201 design practice): 10-12 m poles on main roads (~40 m apart), 8 m on collectors
  (~35 m), 5-6 m in residential streets and paths (~25-30 m).
- Lamp power is a typical high-pressure sodium (HPS) rating for that pole height: 250 W on
  motorways, 150 W on primary, 100 W on secondary/tertiary, 70 W residential, 50 W paths.
  LED retrofits of these draw roughly half (see the ``led_retrofit`` intervention). These are
  typical catalogue values, not measurements: override them with a city's inventory.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Literal, Mapping

import numpy as np
import pandas as pd

__all__ = ["RoadClass", "ROAD_CLASSES", "FALLBACK_CLASS", "road_class_table", "class_values"]


@dataclass(frozen=True, slots=True)
class RoadClass:
    """Defaults for one road class.

    Attributes
    ----------
    speed_kmh
        Speed used where the map has no ``maxspeed``.
    lanes
        Lanes per direction on a two-way street, or in total on a one-way street.
    capacity_vph_per_lane
        Flow capacity of one lane in vehicles per hour.
    lamp_spacing_m
        Distance between placed lamps along a lit street.
    lamp_power_w
        Rated power of one lamp.
    lamp_technology
        ``"HPS"`` (high-pressure sodium) or ``"LED"``.
    car, bike, walk
        Whether the mode may use the class unless the way's own tags say otherwise.
    oneway
        Whether the class is one-way for cars by default (motorways).
    lit_by_default
        Whether a way without a ``lit`` tag is taken as lit.
    """

    speed_kmh: float
    lanes: int
    capacity_vph_per_lane: float
    lamp_spacing_m: float
    lamp_power_w: float
    lamp_technology: Literal["HPS", "LED"] = "HPS"
    car: bool = True
    bike: bool = True
    walk: bool = True
    oneway: bool = False
    lit_by_default: bool = True


def _motor(speed: float, lanes: int, cap: float, spacing: float, power: float, **kw) -> RoadClass:
    return RoadClass(speed, lanes, cap, spacing, power, **kw)


def _path(spacing: float = 30.0, power: float = 50.0, **kw) -> RoadClass:
    # Speeds on paths are nominal: cars may not use them and people walk or cycle at their own pace.
    return RoadClass(15.0, 1, 600.0, spacing, power, car=False, **kw)


ROAD_CLASSES: Mapping[str, RoadClass] = MappingProxyType(
    {
        "motorway": _motor(100, 2, 2000, 45, 250, bike=False, walk=False, oneway=True),
        "motorway_link": _motor(60, 1, 1500, 40, 250, bike=False, walk=False, oneway=True),
        "trunk": _motor(70, 2, 2000, 45, 250, bike=False, walk=False),
        "trunk_link": _motor(50, 1, 1500, 40, 150, bike=False, walk=False),
        "primary": _motor(50, 2, 1500, 40, 150),
        "primary_link": _motor(40, 1, 1500, 40, 150),
        "secondary": _motor(50, 1, 1000, 35, 100),
        "secondary_link": _motor(40, 1, 1000, 35, 100),
        "tertiary": _motor(40, 1, 600, 35, 100),
        "tertiary_link": _motor(40, 1, 600, 35, 100),
        "unclassified": _motor(40, 1, 600, 30, 70),
        "residential": _motor(30, 1, 600, 30, 70),
        "living_street": _motor(20, 1, 300, 25, 50),
        "service": _motor(20, 1, 300, 30, 50),
        "road": _motor(40, 1, 600, 30, 70),
        "busway": _motor(40, 1, 600, 35, 100, car=False),
        "pedestrian": _path(25, 50),
        "footway": _path(30, 50, bike=False),
        "steps": _path(20, 50, bike=False),
        "corridor": _path(20, 50, bike=False),
        "cycleway": _path(30, 50),
        "path": _path(30, 50, lit_by_default=False),
        "bridleway": _path(30, 50, bike=False, lit_by_default=False),
        "track": _path(30, 50, lit_by_default=False),
        "trail": _path(30, 50, lit_by_default=False),
        "elevator": _path(20, 50, bike=False),
    }
)
"""The default table, keyed by OSM ``highway`` value."""

FALLBACK_CLASS = "unclassified"
"""Class used for a street whose road class is missing or not in the table."""


def road_class_table(
    overrides: Mapping[str, Mapping[str, object]] | None = None,
) -> dict[str, RoadClass]:
    """Return the road class table with a scenario's overrides applied.

    Parameters
    ----------
    overrides
        Mapping of road class to the fields to change, e.g.
        ``{"residential": {"speed_kmh": 20, "lamp_power_w": 35}}``. A class not in the
        default table is added, starting from the fallback class.

    Returns
    -------
    dict[str, RoadClass]
        A new table; the default table is never changed.
    """
    table = dict(ROAD_CLASSES)
    for name, fields in (overrides or {}).items():
        given = {key: value for key, value in fields.items() if value is not None}
        table[name] = replace(table.get(name, ROAD_CLASSES[FALLBACK_CLASS]), **given)
    return table


def class_values(classes: pd.Series, table: Mapping[str, RoadClass], attr: str) -> np.ndarray:
    """Return one attribute of the road class table for each street, by its class.

    Parameters
    ----------
    classes
        Road class of each street (every value a key of ``table``).
    table
        The road class table, e.g. from :func:`road_class_table`.
    attr
        A :class:`RoadClass` field, e.g. ``"lamp_power_w"``.
    """
    return classes.map({name: getattr(rc, attr) for name, rc in table.items()}).to_numpy()
