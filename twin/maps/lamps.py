"""Streetlights: snapped from a map's own lamp layer, or placed along lit streets.

A lamp belongs to a street, not to one direction of it: it stands on the first directed
edge of its street (``edge_id``) at ``offset_m`` along that edge's line, and ``street_id``
names the street so both directions see it.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from twin._errors import MapDataError, MapWarning
from twin.maps.network import LAMP_COLUMNS
from twin.maps.road_classes import RoadClass, class_values

__all__ = ["snap_lamps", "place_lamps_along"]

_TECHNOLOGIES = ("LED", "HPS")


def _street_edges(edges: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One edge per street: the first of its directions."""
    return edges[~edges["street_id"].duplicated()]


def _lamp_frame(edge_ids, street_ids, offsets, power_w, technology, source, geometry, crs) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {
            "lamp_id": np.arange(len(edge_ids), dtype=np.int64),
            "edge_id": np.asarray(edge_ids, dtype=np.int64),
            "street_id": np.asarray(street_ids, dtype=np.int64),
            "offset_m": np.asarray(offsets, dtype=float),
            "power_w": np.asarray(power_w, dtype=float),
            "technology": np.asarray(technology, dtype=object),
            "source": np.asarray(source, dtype=object),
        },
        geometry=gpd.GeoSeries(geometry, crs=crs),
    )
    return frame[list(LAMP_COLUMNS)]


def snap_lamps(
    lamps: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame,
    table: dict[str, RoadClass],
    *,
    max_distance_m: float,
    source: str,
) -> gpd.GeoDataFrame:
    """Snap lamp points to their nearest street within ``max_distance_m``.

    Lamps farther than that from any street are dropped with a :class:`MapWarning` that
    counts them. Power and technology come from the lamp layer's ``power_w`` and
    ``technology`` columns where given, else from the street's road class.

    Raises
    ------
    MapDataError
        If a lamp is not a point or has no geometry, or a technology is not LED or HPS.
    """
    geoms = lamps.geometry.array
    kinds = shapely.get_type_id(geoms)
    bad = shapely.is_missing(geoms) | (kinds != shapely.GeometryType.POINT) | shapely.is_empty(geoms)
    if bad.any():
        row = int(np.argmax(bad))
        raise MapDataError(
            f"{source}: lamp feature {row + 1} is not a point; the lamp layer must hold one point per lamp"
        )
    given_tech = None
    if "technology" in lamps.columns:
        # Blank cells (shapefiles, spreadsheets) are missing values, not a technology.
        text = lamps["technology"].astype(object).map(lambda t: None if pd.isna(t) else str(t).strip().upper() or None)
        unknown = text.notna().to_numpy() & ~text.isin(_TECHNOLOGIES).to_numpy()
        if unknown.any():
            row = int(np.argmax(unknown))
            raise MapDataError(
                f"{source}: lamp feature {row + 1} has technology {lamps['technology'].iloc[row]!r}, which is unknown; "
                f"use one of {', '.join(_TECHNOLOGIES)} or leave it empty for the road class default"
            )
        given_tech = text.to_numpy(dtype=object)
    streets = _street_edges(edges)
    tree = shapely.STRtree(streets.geometry.array)
    lamp_rows, street_rows = tree.query_nearest(geoms, max_distance=max_distance_m, all_matches=False)
    far = len(lamps) - len(np.unique(lamp_rows))
    if far:
        warnings.warn(
            f"{source}: {far} of {len(lamps)} lamps are more than {max_distance_m:g} m from any street and were "
            "dropped; raise map.lamp_snap_m to keep them",
            MapWarning,
            stacklevel=3,
        )
    chosen = streets.iloc[street_rows]
    points = geoms[lamp_rows]
    offsets = shapely.line_locate_point(chosen.geometry.array, points)
    snapped = shapely.line_interpolate_point(chosen.geometry.array, offsets)
    power = class_values(chosen["road_class"], table, "lamp_power_w").astype(float)
    technology = class_values(chosen["road_class"], table, "lamp_technology").astype(object)
    if "power_w" in lamps.columns:
        given = pd.to_numeric(lamps["power_w"], errors="coerce").to_numpy(float)[lamp_rows]
        power = np.where(given > 0, given, power)
    if given_tech is not None:
        chosen_tech = given_tech[lamp_rows]
        technology = np.where(pd.isna(chosen_tech), technology, chosen_tech)
    return _lamp_frame(
        chosen.index.to_numpy(), chosen["street_id"], offsets, power, technology,
        np.full(len(lamp_rows), "map", dtype=object), snapped, edges.crs,
    )  # fmt: skip


def place_lamps_along(edges: gpd.GeoDataFrame, table: dict[str, RoadClass]) -> gpd.GeoDataFrame:
    """Place lamps evenly along every lit street at its road class spacing.

    A street of length L and class spacing s gets ``round(L / s)`` lamps at the middles of
    equal stretches, so the lamp count of a city is its lit length over the spacing, with
    streets shorter than half a spacing left to the lamps of their neighbours.
    """
    streets = _street_edges(edges[edges["lit"].to_numpy(dtype=bool)])
    spacing = class_values(streets["road_class"], table, "lamp_spacing_m").astype(float)
    length = streets["length_m"].to_numpy(float)
    count = np.round(length / spacing).astype(np.int64)
    street_of = np.repeat(np.arange(len(streets)), count)
    # k-th lamp of a street with n lamps sits at (k + 1/2) / n of its length.
    rank = np.arange(street_of.size) - np.repeat(np.cumsum(count) - count, count)
    offsets = (rank + 0.5) * length[street_of] / np.maximum(count[street_of], 1)
    chosen = streets.iloc[street_of]
    points = shapely.line_interpolate_point(chosen.geometry.array, offsets)
    return _lamp_frame(
        chosen.index.to_numpy(), chosen["street_id"], offsets,
        class_values(chosen["road_class"], table, "lamp_power_w"),
        class_values(chosen["road_class"], table, "lamp_technology"),
        np.full(street_of.size, "placed", dtype=object), points, edges.crs,
    )  # fmt: skip
