"""Build a :class:`StreetNetwork` from street lines, checking them on the way.

Three kinds of street table are accepted, recognised by their columns:

1. **Directed edge tables** with ``u``, ``v``, ``length_m``, ``speed_mps``, ``lanes`` and
   ``capacity_vph`` (exports from other traffic models): taken as they are, one row per
   direction.
2. **Street segments with node ids** ``u`` and ``v`` and OSM tags (``highway``, ``oneway``,
   ``maxspeed``, ``lanes``, ``lit``, access tags), as pyrosm and OSMnx write them.
3. **Plain street lines** with OSM tags and no node ids (an OSM export through GDAL, a
   shapefile from a city's GIS): lines are split where they share a vertex, as OSM ways
   meet at shared nodes, and nodes are made from the split points.

Tables 2 and 3 become directed edges by their ``oneway`` tags: a two-way street gives two
edges with the same ``street_id``. Missing speeds, lanes and capacities come from the road
class table (:mod:`twin.maps.road_classes`).
"""

from __future__ import annotations

import difflib
import warnings
from typing import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from twin._errors import MapDataError, MapWarning
from twin.maps import _tags
from twin.maps.lamps import place_lamps_along, snap_lamps
from twin.maps.network import EDGE_COLUMNS, MODES, NODE_COLUMNS, StreetNetwork
from twin.maps.road_classes import ROAD_CLASSES, RoadClass, class_values, road_class_table

__all__ = ["build_network", "to_metric_crs"]

DIRECTED_COLUMNS = ("u", "v", "length_m", "speed_mps", "lanes", "capacity_vph")
_VERTEX_TOLERANCE_M = 0.01  # vertices closer than this are the same street node
_ENDS_MEET_TOLERANCE_M = 1.0  # how far an edge may start from its node's position
_ID_COLUMNS = ("edge_id", "osm_id", "osmid", "id")


def build_network(
    streets: gpd.GeoDataFrame,
    *,
    nodes: gpd.GeoDataFrame | None = None,
    lamps: gpd.GeoDataFrame | None = None,
    crs: str | pyproj.CRS | None = None,
    road_classes: Mapping[str, Mapping[str, object]] | None = None,
    vehicle_spacing_m: float = 7.5,
    keep_largest_component: bool = True,
    lamp_snap_m: float = 15.0,
    place_lamps: bool = True,
    source: str = "<memory>",
    source_hash: str = "",
) -> StreetNetwork:
    """Turn a street table into a checked, directed, projected :class:`StreetNetwork`.

    Parameters
    ----------
    streets
        Street lines; see the module docstring for the three accepted kinds.
    nodes
        Optional node points with an id column (``node_id``, ``osmid`` or ``id``) matching
        the streets' ``u`` and ``v``. Without it, nodes are made from the line ends.
    lamps
        Optional streetlight points, snapped to their nearest street within
        ``lamp_snap_m``. Without them, lamps are placed along lit streets.
    crs
        CRS to assume when the data has none; a map with no CRS and no ``crs`` is refused.
    road_classes
        Overrides of the road class defaults, by class.
    vehicle_spacing_m
        Road length one queued vehicle takes; storage capacity is length x lanes / spacing.
    keep_largest_component
        Keep only the largest strongly connected part (per mode), warning what was dropped.
    lamp_snap_m
        Largest distance from a lamp to the street it is snapped to.
    place_lamps
        Place lamps along lit streets when ``lamps`` is None.
    source, source_hash
        Where the data came from (used in every error message) and its hash.

    Raises
    ------
    MapDataError
        For empty tables, geometries that are not valid lines, zero or negative lengths,
        edges whose ends do not meet their nodes, or a missing CRS; and when no street is
        left: all closed by access tags, or no part of the network can be travelled both ways.
    """
    table = road_class_table(road_classes)
    streets = _checked_lines(streets, source=source)
    streets = _declared_crs(streets, crs=crs, source=source)
    data_crs = streets.crs if streets.crs is not None else crs
    streets = to_metric_crs(streets, crs=crs, source=source)
    if nodes is not None:
        nodes = _in_crs_of(nodes, streets.crs, assumed=data_crs)
    if all(name in streets.columns for name in DIRECTED_COLUMNS):
        edges, node_frame = _directed_table(streets, nodes, table, source=source)
    else:
        if {"u", "v"} <= set(streets.columns):
            segments, node_frame = _segments_with_ids(streets, nodes, source=source)
        else:
            segments, node_frame = _split_at_shared_vertices(streets, source=source)
        edges = _directed_from_tags(segments, table, source=source)
    if len(edges) == 0:
        raise MapDataError(
            f"{source}: no street may be used by car, by bike or on foot (access tags close them all); "
            "check the access, foot and bicycle tags"
        )
    edges["storage_veh"] = np.maximum(1.0, edges["length_m"] * edges["lanes"] / vehicle_spacing_m)
    edges["freeflow_s"] = edges["length_m"] / edges["speed_mps"]
    edges, node_frame = _drop_disconnected(edges, node_frame, keep_largest=keep_largest_component, source=source)
    _warn_unused_road_classes(road_classes or {}, set(edges["road_class"]), source=source)

    edge_gdf = gpd.GeoDataFrame(edges[list(EDGE_COLUMNS)], geometry="geometry", crs=streets.crs)
    node_gdf = gpd.GeoDataFrame(
        {"node_id": node_frame["node_id"].to_numpy(), "x": node_frame["x"].to_numpy(), "y": node_frame["y"].to_numpy()},
        geometry=shapely.points(node_frame["x"].to_numpy(), node_frame["y"].to_numpy()),
        crs=streets.crs,
    )[list(NODE_COLUMNS)]
    if lamps is not None:
        lamp_gdf = snap_lamps(_in_crs_of(lamps, streets.crs, assumed=data_crs), edge_gdf, table,
                              max_distance_m=lamp_snap_m, source=source)  # fmt: skip
    else:
        lamp_gdf = place_lamps_along(edge_gdf if place_lamps else edge_gdf.iloc[:0], table)
    return StreetNetwork(nodes=node_gdf, edges=edge_gdf, lamps=lamp_gdf, source=source, source_hash=source_hash)


FEATURE_COLUMN = "_feature"
"""Column holding each row's 1-based feature number in the source file, kept through lamp
removal, multi-part splitting and segmenting so that errors point at the file's own feature."""


def _warn_unused_road_classes(overrides: Mapping[str, object], used: set[str], *, source: str) -> None:
    """Say so when map.road_classes names a class no street has: almost always a typo."""
    for name in overrides:
        if name not in used:
            close = difflib.get_close_matches(name, sorted(used | set(ROAD_CLASSES)), n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"the map's classes are {', '.join(sorted(used))}"
            warnings.warn(
                f"{source}: map.road_classes.{name}: no street in the map has this class, so the override "
                f"changes nothing; {hint}",
                MapWarning,
                stacklevel=3,
            )


def _feature_name(frame: pd.DataFrame, row: int) -> str:
    number = int(frame[FEATURE_COLUMN].iloc[row]) if FEATURE_COLUMN in frame.columns else row + 1
    for name in _ID_COLUMNS:
        if name in frame.columns and pd.notna(frame[name].iloc[row]):
            value = _plain(frame[name].iloc[row])
            # An id column with gaps is read as floats: show 4236349, not 4236349.0.
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            return f"feature {number} ({name}={value})"
    return f"feature {number}"


def _checked_lines(streets: gpd.GeoDataFrame, *, source: str) -> gpd.GeoDataFrame:
    if len(streets) == 0:
        raise MapDataError(f"{source}: the street layer is empty; choose the layer with streets (map.layer)")
    if FEATURE_COLUMN not in streets.columns:
        streets = streets.assign(**{FEATURE_COLUMN: np.arange(1, len(streets) + 1)})
    geoms = streets.geometry.array
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        row = int(np.argmax(missing))
        raise MapDataError(f"{source}: {_feature_name(streets, row)} has no geometry; delete it or draw its line")
    kinds = shapely.get_type_id(geoms)
    multi = kinds == shapely.GeometryType.MULTILINESTRING
    if multi.any():
        # A multi-part street is its parts; shapefiles often store streets this way.
        streets = streets.explode(index_parts=False, ignore_index=True)
        geoms = streets.geometry.array
        kinds = shapely.get_type_id(geoms)
    not_line = kinds != shapely.GeometryType.LINESTRING
    if not_line.any():
        row = int(np.argmax(not_line))
        kind = shapely.get_type_id(geoms[row])
        raise MapDataError(
            f"{source}: {_feature_name(streets, row)} is a {shapely.GeometryType(kind).name.title()}, not a line; "
            "keep only street lines in this layer, or name the street layer with map.layer"
        )
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        row = int(np.argmax(invalid))
        reason = shapely.is_valid_reason(geoms[row])
        raise MapDataError(f"{source}: {_feature_name(streets, row)} is not a valid line ({reason}); fix or delete it")
    return streets.reset_index(drop=True)


def _in_degree_range(frame: gpd.GeoDataFrame) -> bool:
    minx, miny, maxx, maxy = frame.total_bounds
    return bool(-180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90)


def _declared_crs(frame: gpd.GeoDataFrame, *, crs: str | pyproj.CRS | None, source: str) -> gpd.GeoDataFrame:
    """Settle a file's own CRS against the one a scenario names (``map.crs``).

    The scenario's CRS wins where the file's cannot be right: numbers far outside degrees
    in a file read as WGS 84 (GDAL reads any GeoJSON without a ``crs`` member so). Where
    both are plausible and differ, the file's own CRS is kept and a warning says so.
    """
    if frame.crs is None or crs is None or len(frame) == 0:
        return frame
    named = pyproj.CRS.from_user_input(crs)
    if named == frame.crs:
        return frame
    if frame.crs.is_geographic and not _in_degree_range(frame):
        return frame.set_crs(named, allow_override=True)
    warnings.warn(
        f"{source}: map.crs {named.to_string()} is ignored because the file says its CRS is "
        f"{frame.crs.to_string()}; remove map.crs, or fix the file's CRS if it is wrong",
        MapWarning,
        stacklevel=3,
    )
    return frame


def to_metric_crs(frame: gpd.GeoDataFrame, *, crs: str | pyproj.CRS | None, source: str) -> gpd.GeoDataFrame:
    """Return the frame in a projected metric CRS.

    A frame without a CRS takes ``crs`` or is refused; one in degrees (or in feet) is
    projected to its UTM zone.
    """
    if frame.crs is None:
        if crs is None:
            raise MapDataError(
                f"{source}: the map has no coordinate reference system; set map.crs in the scenario "
                "(e.g. EPSG:3067 for Finland) or save the file with its CRS"
            )
        frame = frame.set_crs(crs)
    units = {axis.unit_name for axis in frame.crs.axis_info}
    if frame.crs.is_projected and units <= {"metre", "meter"}:
        return frame
    if len(frame) == 0:
        return frame.to_crs("EPSG:3857")
    minx, miny, maxx, maxy = frame.total_bounds
    if frame.crs.is_geographic and not _in_degree_range(frame):
        # GDAL reads a GeoJSON without a "crs" member as WGS 84 whatever its numbers are.
        x, y = (minx, miny) if abs(minx) > 180 or abs(miny) > 90 else (maxx, maxy)
        raise MapDataError(
            f"{source}: the coordinates ({x:.10g}, {y:.10g}) are not longitude and latitude, yet the map's CRS "
            f"is {frame.crs.to_string()} (degrees); save the file with its real CRS (a GeoJSON without a "
            "'crs' member is read as WGS 84), e.g. as a GeoPackage, or name it in map.crs"
        )
    try:
        utm = frame.estimate_utm_crs()
    except RuntimeError:
        raise MapDataError(
            f"{source}: no UTM zone fits the map's extent in {frame.crs.to_string()}; check the map's CRS"
        ) from None
    return frame.to_crs(utm)


def _in_crs_of(frame: gpd.GeoDataFrame, target: pyproj.CRS, *, assumed) -> gpd.GeoDataFrame:
    """Return a node or lamp layer in the streets' CRS; a layer without a CRS is taken to share
    the CRS the streets came in (their own, or ``crs`` given for them)."""
    if frame.crs is None:
        frame = frame.set_crs(assumed)
    return frame if frame.crs == target else frame.to_crs(target)


def _plain(value: object) -> object:
    """A numpy scalar as the Python value it holds, so messages read ``5``, not ``np.int64(5)``."""
    return value.item() if isinstance(value, np.generic) else value


def _checked_lengths(length_m: np.ndarray, frame: pd.DataFrame, *, source: str, column: str = "length") -> None:
    bad = ~(length_m > 0)
    if bad.any():
        row = int(np.argmax(bad))
        raise MapDataError(
            f"{source}: {_feature_name(frame, row)} has {column} {length_m[row]:g} m; "
            "every street must be longer than zero: delete it or fix its geometry"
        )


def _node_frame(ids: np.ndarray, x: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"node_id": ids, "x": x, "y": y})


def _common_ids(*arrays: np.ndarray) -> list[np.ndarray]:
    """Give node id arrays one dtype: integers stay integers, anything else becomes text."""
    if all(np.issubdtype(np.asarray(a).dtype, np.integer) for a in arrays):
        return [np.asarray(a, dtype=np.int64) for a in arrays]
    if all(pd.api.types.is_numeric_dtype(np.asarray(a)) for a in arrays):
        as_float = [np.asarray(a, dtype=float) for a in arrays]
        if all(np.isfinite(a).all() and (a == np.round(a)).all() for a in as_float):
            return [a.astype(np.int64) for a in as_float]
    return [np.asarray(pd.Series(a).astype(str), dtype=object) for a in arrays]


def _nodes_for(streets: gpd.GeoDataFrame, nodes: gpd.GeoDataFrame | None, *, source: str):
    """Return (u positions, v positions, node frame), checking that edge ends meet their nodes."""
    starts = shapely.get_coordinates(shapely.get_point(streets.geometry.array, 0))
    ends = shapely.get_coordinates(shapely.get_point(streets.geometry.array, -1))
    if nodes is not None:
        id_column = next((c for c in ("node_id", "osmid", "id") if c in nodes.columns), None)
        if id_column is None:
            raise MapDataError(f"{source}: the node layer has no id column; name it node_id, osmid or id")
        u, v, node_ids = _common_ids(streets["u"].to_numpy(), streets["v"].to_numpy(), nodes[id_column].to_numpy())
        index = pd.Index(node_ids)
        if not index.is_unique:
            dup = _plain(index[index.duplicated()][0])
            raise MapDataError(f"{source}: node id {dup!r} appears twice in the node layer; node ids must be unique")
        xy = shapely.get_coordinates(nodes.geometry.array)
        frame = _node_frame(node_ids, xy[:, 0], xy[:, 1])
        u_pos, v_pos = index.get_indexer(u), index.get_indexer(v)
        missing = (u_pos < 0) | (v_pos < 0)
        if missing.any():
            row = int(np.argmax(missing))
            raise MapDataError(
                f"{source}: {_feature_name(streets, row)} ends at node {_plain((u if u_pos[row] < 0 else v)[row])!r}, "
                "which is not in the node layer; add the node or fix u/v"
            )
    else:
        u, v = _common_ids(streets["u"].to_numpy(), streets["v"].to_numpy())
        index = pd.Index(np.concatenate([u, v])).unique()
        u_pos, v_pos = index.get_indexer(u), index.get_indexer(v)
        # Each node takes the position of the first edge that names it (as u or v), so a wrongly
        # drawn edge is blamed, not the edges before it; all others are checked below.
        order = np.argsort(np.r_[np.arange(len(u)), np.arange(len(u))], kind="stable")  # u0, v0, u1, v1, ...
        named, first = np.unique(np.r_[u_pos, v_pos][order], return_index=True)
        xy = np.full((len(index), 2), np.nan)
        xy[named] = np.concatenate([starts, ends])[order][first]
        frame = _node_frame(np.asarray(index), xy[:, 0], xy[:, 1])
    node_xy = frame[["x", "y"]].to_numpy()
    gap = np.maximum(np.hypot(*(starts - node_xy[u_pos]).T), np.hypot(*(ends - node_xy[v_pos]).T))
    apart = ~(gap <= _ENDS_MEET_TOLERANCE_M)
    if apart.any():
        row = int(np.argmax(apart))
        raise MapDataError(
            f"{source}: {_feature_name(streets, row)} from node {_plain(u[row])!r} to {_plain(v[row])!r} does not meet its nodes "
            f"(an end is {gap[row]:.1f} m away); its line must start at u and end at v: fix the geometry or u/v"
        )
    return u_pos, v_pos, frame


def _segments_with_ids(streets, nodes, *, source: str):
    u_pos, v_pos, frame = _nodes_for(streets, nodes, source=source)
    segments = streets.drop(columns=["u", "v"]).assign(u=u_pos, v=v_pos)
    _checked_lengths(segments.geometry.length.to_numpy(), streets, source=source)
    return segments, frame


def _split_at_shared_vertices(streets: gpd.GeoDataFrame, *, source: str):
    """Split lines at every vertex another line shares, and number the split points as nodes."""
    coords, line = shapely.get_coordinates(streets.geometry.array, return_index=True)
    keys = np.round(coords / _VERTEX_TOLERANCE_M).astype(np.int64)
    same_line = np.r_[False, line[1:] == line[:-1]]
    repeated = same_line & np.r_[False, (keys[1:] == keys[:-1]).all(axis=1)]
    coords, line, keys = coords[~repeated], line[~repeated], keys[~repeated]
    # A line whose vertices all fall on one point would vanish into its neighbour's segment.
    collapsed = np.bincount(line, minlength=len(streets)) < 2
    if collapsed.any():
        row = int(np.argmax(collapsed))
        raise MapDataError(
            f"{source}: {_feature_name(streets, row)} is {streets.geometry.iloc[row].length:.3g} m long, shorter than "
            f"{_VERTEX_TOLERANCE_M * 100:g} cm; every street must be longer: delete it or fix its geometry"
        )
    _, vertex = np.unique(keys, axis=0, return_inverse=True)
    vertex = vertex.reshape(-1)
    pairs = np.unique(np.stack([vertex, line], axis=1), axis=0)
    shared = np.bincount(pairs[:, 0], minlength=vertex.max() + 1) > 1

    first = np.r_[True, line[1:] != line[:-1]]
    last = np.r_[line[1:] != line[:-1], True]
    split = first | last | shared[vertex]
    starts = split & ~last
    # An interior split vertex ends one segment and starts the next, so it is written twice.
    copies = 1 + (split & ~first & ~last)
    segment_of = np.repeat(np.cumsum(starts) - 1, copies)
    first_copy = (np.cumsum(copies) - copies)[copies == 2]
    segment_of[first_copy] -= 1
    geoms = shapely.linestrings(np.repeat(coords, copies, axis=0), indices=segment_of)

    start_vertex = vertex[starts]
    end_vertex = vertex[split & ~first]
    used, node_pos = np.unique(np.concatenate([start_vertex, end_vertex]), return_inverse=True)
    u_pos, v_pos = node_pos[: len(start_vertex)], node_pos[len(start_vertex):]
    first_coord = np.zeros((vertex.max() + 1, 2))
    first_coord[vertex] = coords
    frame = _node_frame(np.arange(len(used), dtype=np.int64), first_coord[used, 0], first_coord[used, 1])
    segments = streets.iloc[line[starts]].reset_index(drop=True)
    segments = segments.set_geometry(gpd.GeoSeries(geoms, crs=streets.crs)).assign(u=u_pos, v=v_pos)
    return segments, frame


def _directed_from_tags(segments: gpd.GeoDataFrame, table: dict[str, RoadClass], *, source: str) -> pd.DataFrame:
    """Make one directed edge per permitted direction of each street segment."""
    highway = _tags.column(segments, "highway" if "highway" in segments.columns else "road_class")
    classes = _tags.road_classes_of(highway, table)
    rc = {attr: pd.Series(class_values(classes, table, attr), index=segments.index) for attr in
          ("speed_kmh", "lanes", "capacity_vph_per_lane", "lit_by_default")}  # fmt: skip
    speed_kmh = _tags.maxspeed_kmh(_tags.column(segments, "maxspeed")).fillna(rc["speed_kmh"]).to_numpy(float)
    total_lanes = _tags.lanes_total(_tags.column(segments, "lanes")).to_numpy(float)
    flags = _tags.mode_flags(segments, classes, table)
    two_way_car = flags["car_fwd"] & flags["car_bwd"]
    # A lanes tag counts both directions of a two-way street; the class default is per direction.
    lanes = np.where(np.isnan(total_lanes), rc["lanes"].to_numpy(float),
                     np.where(two_way_car, np.maximum(1, total_lanes // 2), np.maximum(1, total_lanes)))  # fmt: skip
    n = len(segments)
    base = pd.DataFrame({
        "street_id": np.arange(n, dtype=np.int64),
        "road_class": classes.to_numpy(dtype=object),
        "name": segments["name"].astype(object).to_numpy() if "name" in segments.columns else np.full(n, None),
        "length_m": segments.geometry.length.to_numpy(),
        "speed_mps": speed_kmh / 3.6,
        "lanes": lanes,
        "capacity_vph": lanes * rc["capacity_vph_per_lane"].to_numpy(float),
        "lit": _tags.lit_flags(_tags.column(segments, "lit"), rc["lit_by_default"]),
        "allows_walk": flags["walk"],
        "u": segments["u"].to_numpy(),
        "v": segments["v"].to_numpy(),
        "geometry": segments.geometry.array,
    })  # fmt: skip
    _checked_lengths(base["length_m"].to_numpy(), segments, source=source)
    forward = base.assign(allows_car=flags["car_fwd"], allows_bike=flags["bike_fwd"])
    backward = base.assign(
        allows_car=flags["car_bwd"], allows_bike=flags["bike_bwd"], u=base["v"], v=base["u"],
        geometry=shapely.reverse(base["geometry"].to_numpy()),
    )  # fmt: skip
    edges = pd.concat([forward, backward], ignore_index=True)
    usable = edges[["allows_car", "allows_bike", "allows_walk"]].any(axis=1)
    edges = edges[usable].sort_values(["street_id", "u"], kind="stable").reset_index(drop=True)
    edges["lanes"] = edges["lanes"].astype(np.int64)
    return edges


def _directed_table(streets, nodes, table: dict[str, RoadClass], *, source: str):
    """Take an edge table from another model as it is, after checking its numbers."""
    for column in ("length_m", "speed_mps", "lanes", "capacity_vph"):
        values = pd.to_numeric(streets[column], errors="coerce").to_numpy(float)
        bad = ~(values > 0)
        if bad.any():
            row = int(np.argmax(bad))
            raise MapDataError(
                f"{source}: {_feature_name(streets, row)} has {column} = {_plain(streets[column].iloc[row])!r}; "
                f"{column} must be a number above zero: fix or delete the edge"
            )
    u_pos, v_pos, frame = _nodes_for(streets, nodes, source=source)
    highway = _tags.column(streets, "road_class" if "road_class" in streets.columns else "highway")
    classes = _tags.road_classes_of(highway, table)

    def default(attr: str) -> np.ndarray:
        return class_values(classes, table, attr).astype(bool)

    def flag(column: str, fallback: np.ndarray) -> np.ndarray:
        if column not in streets.columns:
            return fallback
        text = _tags.column(streets, column)
        yes, no = text.isin({"yes", "true", "1"}).to_numpy(), text.isin({"no", "false", "0"}).to_numpy()
        unreadable = text.notna().to_numpy() & ~(yes | no)
        if unreadable.any():
            row = int(np.argmax(unreadable))
            raise MapDataError(
                f"{source}: {_feature_name(streets, row)} has {column} = {streets[column].iloc[row]!r}; "
                "write true or false (or leave it empty for the road class default)"
            )
        return np.where(yes, True, np.where(no, False, fallback))

    # The two directions of a street share a street_id. Parallel edges between the same two
    # nodes are paired in order (the k-th u->v edge with the k-th v->u edge), not merged.
    low, high = np.minimum(u_pos, v_pos).astype(np.int64), np.maximum(u_pos, v_pos).astype(np.int64)
    rank = pd.DataFrame({"low": low, "high": high, "forward": u_pos <= v_pos}).groupby(
        ["low", "high", "forward"]).cumcount().to_numpy()  # fmt: skip
    pair = pd.MultiIndex.from_arrays([low, high, rank])
    edges = pd.DataFrame({
        "u": u_pos, "v": v_pos,
        "street_id": pd.factorize(pair)[0].astype(np.int64),
        "road_class": classes.to_numpy(dtype=object),
        "name": streets["name"].astype(object).to_numpy() if "name" in streets.columns else None,
        "length_m": streets["length_m"].to_numpy(float),
        "speed_mps": streets["speed_mps"].to_numpy(float),
        "lanes": np.maximum(1, np.round(streets["lanes"].to_numpy(float))).astype(np.int64),
        "capacity_vph": streets["capacity_vph"].to_numpy(float),
        "lit": _tags.lit_flags(_tags.column(streets, "lit").replace({"true": "yes", "false": "no"}),
                               pd.Series(default("lit_by_default"))),
        "allows_car": flag("allows_car", np.ones(len(streets), dtype=bool)),
        "allows_bike": flag("allows_bike", default("bike")),
        "allows_walk": flag("allows_walk", default("walk")),
        "geometry": streets.geometry.array,
    })  # fmt: skip
    return edges, frame


def _largest_strong_part(u: np.ndarray, v: np.ndarray, n_nodes: int) -> np.ndarray:
    """Return a boolean mask of the nodes in the largest strongly connected component."""
    if len(u) == 0:
        return np.zeros(n_nodes, dtype=bool)
    adjacency = coo_matrix((np.ones(len(u)), (u, v)), shape=(n_nodes, n_nodes)).tocsr()
    _, labels = connected_components(adjacency, directed=True, connection="strong")
    touched = np.zeros(n_nodes, dtype=bool)
    touched[u] = touched[v] = True
    counts = np.bincount(labels[touched])
    return labels == np.argmax(counts)


def _drop_disconnected(edges: pd.DataFrame, nodes: pd.DataFrame, *, keep_largest: bool, source: str):
    n_nodes, n_edges = len(nodes), len(edges)
    u, v = edges["u"].to_numpy(), edges["v"].to_numpy()
    if keep_largest:
        inside = _largest_strong_part(u, v, n_nodes)
        keep = inside[u] & inside[v]
        closed = {}
        for mode in MODES:
            allowed = edges[f"allows_{mode}"].to_numpy() & keep
            mode_inside = _largest_strong_part(u[allowed], v[allowed], n_nodes)
            outside = allowed & ~(mode_inside[u] & mode_inside[v])
            closed[mode] = int(outside.sum())
            edges[f"allows_{mode}"] = allowed & ~outside
        keep &= edges[["allows_car", "allows_bike", "allows_walk"]].to_numpy().any(axis=1)
        edges = edges[keep]
        if len(edges) == 0:
            raise MapDataError(
                f"{source}: no part of the street network can be travelled both ways (every street is a one-way "
                "dead end); check the oneway tags, or set map.keep_largest_component: false"
            )
    used = np.zeros(n_nodes, dtype=bool)
    used[edges["u"].to_numpy()] = used[edges["v"].to_numpy()] = True
    if keep_largest and (not used.all() or len(edges) < n_edges or any(closed.values())):
        per_mode = ", ".join(f"{count} {mode}" for mode, count in closed.items() if count)
        warnings.warn(
            f"{source}: kept the largest strongly connected part of the street network: dropped "
            f"{n_nodes - int(used.sum())} of {n_nodes} nodes and {n_edges - len(edges)} of {n_edges} edges"
            + (f"; closed edges cut off from the rest for a mode ({per_mode})" if per_mode else ""),
            MapWarning,
            stacklevel=3,
        )
    new_position = np.cumsum(used) - 1
    edges = edges.assign(u=new_position[edges["u"].to_numpy()], v=new_position[edges["v"].to_numpy()])
    return edges.reset_index(drop=True), nodes[used].reset_index(drop=True)
