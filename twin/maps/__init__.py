"""Street maps: loading, checking, synthetic towns, streetlights and routing.

The public entry points are :func:`load_network` (a map file), :func:`grid_town` and
:func:`radial_town` (synthetic towns), :func:`build_network` (a street table already in
memory) and :func:`network_from_spec` (the ``map`` section of a scenario).
"""

from __future__ import annotations

from twin.maps.build import build_network
from twin.maps.io import import_map, load_network, read_map_layers, save_network
from twin.maps.network import MODES, CSRGraph, StreetNetwork
from twin.maps.road_classes import ROAD_CLASSES, RoadClass, road_class_table
from twin.maps.routing import Routes, route
from twin.maps.spec import network_from_spec
from twin.maps.synthetic import grid_town, radial_town

__all__ = [
    "MODES", "CSRGraph", "StreetNetwork", "RoadClass", "ROAD_CLASSES", "road_class_table",
    "build_network", "load_network", "read_map_layers", "import_map", "save_network",
    "network_from_spec", "grid_town", "radial_town", "route", "Routes",
]  # fmt: skip
