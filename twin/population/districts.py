"""Which district each resident lives in: their home node inside a file of named polygons.

The districts are the scenario's ``outputs.districts`` file (names in
``outputs.district_column``), or else the ``districts`` layer of the map file when it has
one (as for an intervention's ``area: {district: ...}``, see :mod:`twin.scenario.area`).
A home node belongs to the polygon that contains it or has it on its boundary; a node in
none of them (the districts need not cover the map) is in :data:`OUTSIDE`, and where
polygons overlap the first in the file wins. All nodes are placed at once with one
spatial join (GeoPandas ``sjoin``).

District names become parts of dotted KPI names (``equity.district.<name>.<measure>``), so a
dot in a name is written as ``_``.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from twin._errors import ScenarioError
from twin.scenario.area import DISTRICTS_LAYER

if TYPE_CHECKING:
    from twin.maps.network import StreetNetwork
    from twin.scenario import Scenario

__all__ = ["OUTSIDE", "district_names", "districts_source", "home_districts"]

OUTSIDE = "outside"
"""The group of homes in no district of the file."""


def districts_source(scenario: Scenario, network: StreetNetwork) -> tuple[Path, str | None] | None:
    """The districts file and layer a scenario splits residents by, or ``None`` for none.

    ``outputs.districts`` when given; else the map file's ``districts`` layer when the map is
    a file that has one.
    """
    if scenario.outputs.districts is not None:
        return Path(scenario.outputs.districts), None
    source = str(network.source)
    if source.startswith("synthetic:") or not os.path.isfile(source):
        return None
    import pyogrio
    import pyogrio.errors

    try:
        layers = {str(name) for name in pyogrio.list_layers(source)[:, 0]}
    except pyogrio.errors.DataSourceError:
        return None
    return (Path(source), DISTRICTS_LAYER) if DISTRICTS_LAYER in layers else None


def home_districts(network: StreetNetwork, nodes: np.ndarray, *, path: str | os.PathLike, layer: str | None = None,
                   column: str = "name") -> np.ndarray:  # fmt: skip
    """The district name of each node (object array aligned with ``nodes``).

    Parameters
    ----------
    network
        The street network (its nodes' coordinates and CRS).
    nodes
        Node positions, e.g. the residents' ``home_node``.
    path, layer
        The file of district polygons and, for a multi-layer file, the layer.
    column
        The column holding the district names.

    Raises
    ------
    ScenarioError
        The file cannot be read, has no coordinate system, or lacks ``column``.
    """
    import geopandas as gpd
    import pyogrio
    import pyogrio.errors

    where = "outputs.districts"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. GDAL notes about unknown GeoJSON members
            frame = pyogrio.read_dataframe(path, layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.GeometryError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ScenarioError(f"{where}: cannot read {path} ({reason}); give a GeoJSON or GeoPackage file of "
                            "named polygons") from None  # fmt: skip
    if column not in frame.columns:
        columns = ", ".join(str(c) for c in frame.columns if c != frame.geometry.name)
        raise ScenarioError(f"{where}: {path} has no column {column!r} with district names; set "
                            f"outputs.district_column to one of {columns}")  # fmt: skip
    if frame.crs is None:
        raise ScenarioError(f"{where}: {path} has no coordinate system; save it with one (e.g. EPSG:4326)")
    names = district_names(frame[column].astype("string").fillna(OUTSIDE).to_numpy(dtype=object))
    polygons = gpd.GeoDataFrame({"district": names}, geometry=frame.geometry.values, crs=frame.crs).to_crs(network.crs)
    nodes = np.asarray(nodes, dtype=np.int64)
    unique, index = np.unique(nodes, return_inverse=True)
    xy = network.nodes[["x", "y"]].to_numpy(dtype=float)[unique]
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=network.crs)
    joined = gpd.sjoin(points, polygons, how="left", predicate="intersects")
    # Where polygons overlap a point joins twice: the first polygon of the file wins.
    joined = joined.sort_values("index_right", kind="stable")
    first = joined[~joined.index.duplicated(keep="first")].sort_index()
    found = first["district"].to_numpy(dtype=object)
    found[first["index_right"].isna().to_numpy()] = OUTSIDE
    return found[index]


def district_names(names: np.ndarray) -> np.ndarray:
    """Names usable in dotted KPI names: stripped, a dot written as ``_``."""
    return np.array([str(n).strip().replace(".", "_") or OUTSIDE for n in names], dtype=object)
