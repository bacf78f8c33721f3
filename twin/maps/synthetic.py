"""Synthetic towns: street networks drawn from a few numbers.

Tests, tutorials and what-if studies need networks whose every length and speed is known by
hand. :func:`grid_town` draws a Manhattan lattice with arterial lines, :func:`radial_town`
a ring-and-spoke town. Both place the town in the UTM zone of a real latitude and longitude,
so sunset, sunrise and map tiles are those of a real place, and both go through
:func:`twin.maps.build.build_network` like any map file, so lamps, capacities and
free-flow times follow the same rules.

Their keyword arguments are the fields of a scenario's ``map.synthetic`` section.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Mapping

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from twin.maps.build import build_network
from twin.maps.network import StreetNetwork

__all__ = ["grid_town", "radial_town", "utm_crs"]

_ARC_STEP_RAD = math.radians(2.0)
"""Largest angle between two vertices of a ring arc: the polyline is then shorter than the
true arc by less than (2 deg in rad)^2 / 24, about 0.005 %."""


def grid_town(
    *,
    rows: int = 10,
    cols: int = 10,
    block_m: float = 120.0,
    arterial_every: int = 4,
    local_speed_kmh: float = 30.0,
    arterial_speed_kmh: float = 50.0,
    local_lanes: int = 1,
    arterial_lanes: int = 2,
    origin_lat: float = 60.17,
    origin_lon: float = 24.94,
    lit: bool = True,
    road_classes: Mapping[str, Mapping[str, object]] | None = None,
    vehicle_spacing_m: float = 7.5,
) -> StreetNetwork:
    """Build a lattice town of ``rows`` x ``cols`` intersections ``block_m`` apart.

    Row ``i`` and column ``j`` lines whose index is a multiple of ``arterial_every`` (the
    south and west edges, then every ``arterial_every``-th line) are arterials
    (``highway=secondary``); all other streets are ``residential``. Every street is two-way
    and runs from one intersection to the next.

    Parameters
    ----------
    rows, cols
        Number of intersections north-south and west-east.
    block_m
        Distance between neighbouring intersections.
    arterial_every
        Spacing of arterial lines in blocks; 0 for none.
    local_speed_kmh, arterial_speed_kmh
        Speed limits of residential streets and arterials.
    local_lanes, arterial_lanes
        Lanes per direction.
    origin_lat, origin_lon
        Where the south-west corner (node ``"r0c0"``) lies; the town is drawn in the UTM
        zone of this point.
    lit
        Whether the streets are lit (lamps are then placed at the road class spacing).
    road_classes
        Overrides of the road class defaults (speeds from the parameters above still win).
    vehicle_spacing_m
        Road length one queued vehicle takes, for storage capacities.

    Returns
    -------
    StreetNetwork
        Nodes with ids ``"r<row>c<col>"`` in row-major order from the south-west, and
        ``source="synthetic:grid"``.
    """
    params = {
        "rows": _count(rows, "rows", 1), "cols": _count(cols, "cols", 1),
        "block_m": _positive(block_m, "block_m"),
        "arterial_every": _count(arterial_every, "arterial_every", 0),
        "local_speed_kmh": _positive(local_speed_kmh, "local_speed_kmh"),
        "arterial_speed_kmh": _positive(arterial_speed_kmh, "arterial_speed_kmh"),
        "local_lanes": _count(local_lanes, "local_lanes", 1),
        "arterial_lanes": _count(arterial_lanes, "arterial_lanes", 1),
        "origin_lat": float(origin_lat), "origin_lon": float(origin_lon), "lit": bool(lit),
    }  # fmt: skip
    rows, cols, every = params["rows"], params["cols"], params["arterial_every"]
    if rows * cols < 2:
        raise ValueError("`rows` x `cols` must be at least 2 for a town to have a street; raise one of them")
    crs, x0, y0 = _origin(params["origin_lat"], params["origin_lon"])

    r, c = np.divmod(np.arange(rows * cols), cols)
    ids = np.char.add(np.char.add("r", r.astype(str)), np.char.add("c", c.astype(str))).astype(object)
    x, y = x0 + c * params["block_m"], y0 + r * params["block_m"]
    node = np.arange(rows * cols).reshape(rows, cols)
    # West-east streets along each row line, then south-north streets along each column line.
    u = np.concatenate([node[:, :-1].ravel(), node[:-1, :].ravel()])
    v = np.concatenate([node[:, 1:].ravel(), node[1:, :].ravel()])
    along_row = np.arange(u.size) < rows * (cols - 1)
    line = np.where(along_row, r[u], c[u])
    arterial = (line % every == 0) if every else np.zeros(u.size, dtype=bool)
    name = np.where(along_row, "Row ", "Column ").astype(object) + line.astype(str).astype(object)
    streets = _streets(
        x, y, u, v, ids, crs,
        highway=np.where(arterial, "secondary", "residential"),
        speed_kmh=np.where(arterial, params["arterial_speed_kmh"], params["local_speed_kmh"]),
        lanes=np.where(arterial, params["arterial_lanes"], params["local_lanes"]),
        name=name + np.where(arterial, " Avenue", " Street").astype(object),
        lit=params["lit"],
    )  # fmt: skip
    return _build(streets, x, y, ids, crs, "grid", params, road_classes=road_classes,
                  vehicle_spacing_m=vehicle_spacing_m)


def radial_town(
    *,
    rings: int = 5,
    spokes: int = 8,
    ring_spacing_m: float = 250.0,
    ring_speed_kmh: float = 30.0,
    spoke_speed_kmh: float = 50.0,
    ring_lanes: int = 1,
    spoke_lanes: int = 2,
    origin_lat: float = 60.17,
    origin_lon: float = 24.94,
    lit: bool = True,
    road_classes: Mapping[str, Mapping[str, object]] | None = None,
    vehicle_spacing_m: float = 7.5,
) -> StreetNetwork:
    """Build a town of straight spokes from a centre through concentric ring roads.

    Spoke ``k`` leaves the centre at ``k * 360 / spokes`` degrees counter-clockwise from
    east; ring ``i`` (1 to ``rings``) has radius ``i * ring_spacing_m``. Spokes are
    ``highway=primary``, rings ``residential``, each ring segment an arc between two
    neighbouring spokes, drawn with a vertex at least every 2 degrees so its length is
    within 0.01 % of the true arc. All streets are two-way.

    Parameters
    ----------
    rings
        Number of ring roads.
    spokes
        Number of radial streets (at least 3).
    ring_spacing_m
        Distance between neighbouring rings, and from the centre to the first ring.
    ring_speed_kmh, spoke_speed_kmh
        Speed limits of ring roads and spokes.
    ring_lanes, spoke_lanes
        Lanes per direction.
    origin_lat, origin_lon
        Where the centre (node ``"centre"``) lies; the town is drawn in its UTM zone.
    lit
        Whether the streets are lit.
    road_classes
        Overrides of the road class defaults (speeds from the parameters above still win).
    vehicle_spacing_m
        Road length one queued vehicle takes, for storage capacities.

    Returns
    -------
    StreetNetwork
        Nodes ``"centre"`` and ``"r<ring>s<spoke>"``, and ``source="synthetic:radial"``.
    """
    params = {
        "rings": _count(rings, "rings", 1), "spokes": _count(spokes, "spokes", 3),
        "ring_spacing_m": _positive(ring_spacing_m, "ring_spacing_m"),
        "ring_speed_kmh": _positive(ring_speed_kmh, "ring_speed_kmh"),
        "spoke_speed_kmh": _positive(spoke_speed_kmh, "spoke_speed_kmh"),
        "ring_lanes": _count(ring_lanes, "ring_lanes", 1),
        "spoke_lanes": _count(spoke_lanes, "spoke_lanes", 1),
        "origin_lat": float(origin_lat), "origin_lon": float(origin_lon), "lit": bool(lit),
    }  # fmt: skip
    rings, spokes, spacing = params["rings"], params["spokes"], params["ring_spacing_m"]
    crs, x0, y0 = _origin(params["origin_lat"], params["origin_lon"])

    ring, spoke = np.divmod(np.arange(rings * spokes), spokes)
    ring += 1
    ids = np.concatenate([["centre"], [f"r{i}s{k}" for i, k in zip(ring, spoke)]]).astype(object)
    radius = np.concatenate([[0.0], ring * spacing])
    angle = np.concatenate([[0.0], spoke * 2 * math.pi / spokes])
    x, y = x0 + radius * np.cos(angle), y0 + radius * np.sin(angle)
    node = 1 + np.arange(rings * spokes).reshape(rings, spokes)  # node 0 is the centre

    inner = np.vstack([np.zeros((1, spokes), dtype=np.int64), node[:-1]])
    spoke_u, spoke_v = inner.ravel(), node.ravel()
    ring_u, ring_v = node.ravel(), np.roll(node, -1, axis=1).ravel()
    is_ring = np.r_[np.zeros(spoke_u.size, bool), np.ones(ring_u.size, bool)]
    u, v = np.concatenate([spoke_u, ring_u]), np.concatenate([spoke_v, ring_v])

    step = 2 * math.pi / spokes
    n_vertices = max(2, math.ceil(step / _ARC_STEP_RAD)) + 1
    t = np.linspace(0.0, step, n_vertices)
    arc_angle = angle[ring_u][:, None] + t  # increasing angle: counter-clockwise
    arc_radius = radius[ring_u][:, None]
    arcs = np.stack([x0 + arc_radius * np.cos(arc_angle), y0 + arc_radius * np.sin(arc_angle)], axis=-1)
    # The ends are the nodes' own coordinates, so the lines meet their nodes exactly.
    arcs[:, 0] = np.c_[x[ring_u], y[ring_u]]
    arcs[:, -1] = np.c_[x[ring_v], y[ring_v]]
    spoke_lines = np.stack([np.c_[x[spoke_u], y[spoke_u]], np.c_[x[spoke_v], y[spoke_v]]], axis=1)
    geometry = np.concatenate([shapely.linestrings(spoke_lines), shapely.linestrings(arcs)])

    street_ring = np.concatenate([ring.reshape(rings, spokes).ravel(), ring])
    street_spoke = np.concatenate([spoke, spoke])
    name = np.where(
        is_ring,
        np.char.add("Ring ", street_ring.astype(str)),
        np.char.add("Spoke ", street_spoke.astype(str)),
    ).astype(object)
    streets = _streets(
        x, y, u, v, ids, crs,
        highway=np.where(is_ring, "residential", "primary"),
        speed_kmh=np.where(is_ring, params["ring_speed_kmh"], params["spoke_speed_kmh"]),
        lanes=np.where(is_ring, params["ring_lanes"], params["spoke_lanes"]),
        name=name, lit=params["lit"], geometry=geometry,
    )  # fmt: skip
    return _build(streets, x, y, ids, crs, "radial", params, road_classes=road_classes,
                  vehicle_spacing_m=vehicle_spacing_m)


def utm_crs(lat: float, lon: float) -> pyproj.CRS:
    """Return the WGS 84 UTM zone CRS of a point (EPSG 326xx north, 327xx south).

    Raises
    ------
    ValueError
        If the point lies outside the UTM latitudes (80 S to 84 N) or is not a coordinate.
    """
    if not (-80.0 <= lat <= 84.0) or not (-180.0 <= lon <= 180.0):
        raise ValueError(
            f"`origin_lat`, `origin_lon` = {lat}, {lon} is outside UTM coverage; give a latitude "
            "from -80 to 84 and a longitude from -180 to 180 in degrees"
        )
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def _origin(lat: float, lon: float) -> tuple[pyproj.CRS, float, float]:
    crs = utm_crs(lat, lon)
    x0, y0 = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    return crs, float(x0), float(y0)


def _streets(x, y, u, v, ids, crs, *, highway, speed_kmh, lanes, name, lit, geometry=None) -> gpd.GeoDataFrame:
    """Two-way street segments with OSM-style tags, from node ``u`` to node ``v``."""
    if geometry is None:
        geometry = shapely.linestrings(np.stack([np.c_[x[u], y[u]], np.c_[x[v], y[v]]], axis=1))
    return gpd.GeoDataFrame(
        {
            "u": ids[u], "v": ids[v], "highway": np.asarray(highway, dtype=object),
            "oneway": None, "lanes": 2 * np.asarray(lanes, dtype=np.int64),  # OSM counts both ways
            "maxspeed": np.asarray(speed_kmh, dtype=float), "lit": "yes" if lit else "no",
            "name": np.asarray(name, dtype=object),
        },  # fmt: skip
        geometry=gpd.GeoSeries(geometry, crs=crs),
    )


def _build(streets, x, y, ids, crs, kind: str, params: dict, *, road_classes, vehicle_spacing_m) -> StreetNetwork:
    nodes = gpd.GeoDataFrame({"node_id": ids}, geometry=gpd.GeoSeries(shapely.points(x, y), crs=crs))
    return build_network(
        streets,
        nodes=nodes,
        road_classes=road_classes,
        vehicle_spacing_m=vehicle_spacing_m,
        source=f"synthetic:{kind}",
        source_hash=hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest(),
    )


def _count(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or int(value) != value or value < minimum:
        raise ValueError(f"`{name}` must be a whole number of at least {minimum}, not {value!r}")
    return int(value)


def _positive(value, name: str) -> float:
    value = float(value)
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"`{name}` must be a positive number, not {value!r}")
    return value
