"""Reading and writing street maps: GeoPackage, GeoJSON, Shapefile, GeoParquet, OSM PBF.

:func:`load_network` reads a file into a :class:`StreetNetwork`; :func:`import_map` converts
any readable source (an ``.osm.pbf`` extract, say) into a GeoPackage with ``streets``,
``nodes`` and ``street_lamps`` layers; :func:`save_network` writes a built network so that
other tools (QGIS, another model) and twin itself can read it back unchanged.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from twin._errors import MapDataError
from twin.maps.build import FEATURE_COLUMN, build_network
from twin.maps.network import StreetNetwork

__all__ = ["MapLayers", "read_map_layers", "load_network", "import_map", "save_network", "file_hash"]

STREET_LAYERS = ("streets", "edges", "roads", "lines")
LAMP_LAYERS = ("street_lamps", "lamps", "streetlights")
NODE_LAYERS = ("nodes",)
_SUFFIXES = {
    ".gpkg": "GeoPackage", ".geojson": "GeoJSON", ".json": "GeoJSON", ".shp": "Shapefile",
    ".parquet": "GeoParquet", ".geoparquet": "GeoParquet", ".pbf": "OSM PBF",
}  # fmt: skip
OSM_ATTRIBUTION = "Map data © OpenStreetMap contributors, ODbL"
_OSM_TAGS = (
    "highway", "name", "oneway", "maxspeed", "lanes", "lit", "access", "motor_vehicle", "motorcar",
    "bicycle", "foot", "junction", "oneway:bicycle", "service",
)  # fmt: skip


@dataclass(frozen=True)
class MapLayers:
    """The raw layers of a map file, before any checking or building."""

    streets: gpd.GeoDataFrame
    nodes: gpd.GeoDataFrame | None
    lamps: gpd.GeoDataFrame | None
    source: str


def file_hash(path: Path) -> str:
    """SHA-256 of a map file (for a shapefile, of its .shp, .shx, .dbf and .prj together)."""
    digest = hashlib.sha256()
    parts = [path.with_suffix(s) for s in (".shp", ".shx", ".dbf", ".prj")] if path.suffix == ".shp" else [path]
    for part in parts:
        if part.exists():
            with part.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        known = ", ".join(sorted(set(_SUFFIXES)))
        raise MapDataError(f"{path}: unknown map format {suffix or '(no suffix)'!r}; use one of {known}")
    return _SUFFIXES[suffix]


def _read(path: Path, layer: str | None = None) -> gpd.GeoDataFrame:
    try:
        if path.suffix.lower() in (".parquet", ".geoparquet"):
            return gpd.read_parquet(path)
        return gpd.read_file(path, layer=layer, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError, ValueError) as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise MapDataError(f"{path}: cannot read the map ({detail}); check that the file is a valid map") from None


def _pick(layers: list[str], wanted: str | None, defaults: tuple[str, ...], path: Path, key: str) -> str | None:
    if wanted is not None:
        if wanted not in layers:
            raise MapDataError(f"{path}: has no layer {wanted!r} ({key}); its layers are {', '.join(layers)}")
        return wanted
    return next((name for name in defaults if name in layers), None)


def read_map_layers(
    path: str | os.PathLike,
    *,
    layer: str | None = None,
    lamps_layer: str | None = None,
    nodes_layer: str | None = None,
) -> MapLayers:
    """Read the street, node and lamp layers of a map file without changing them.

    Parameters
    ----------
    path
        A ``.gpkg``, ``.geojson``, ``.shp``, ``.parquet`` or ``.osm.pbf`` file.
    layer, lamps_layer, nodes_layer
        Layer names in a multi-layer file. By default streets come from ``streets``,
        ``edges``, ``roads`` or the only line layer; lamps from ``street_lamps`` or
        ``lamps``; nodes from ``nodes``. In a one-layer file, points tagged
        ``highway=street_lamp`` are the lamps.

    Raises
    ------
    MapDataError
        If the file is missing, unreadable, of an unknown format, or lacks a named layer.
    """
    path = Path(path)
    kind = _format_of(path)
    if not path.exists():
        raise MapDataError(f"{path}: file not found; check map.file (relative paths start at the scenario's folder)")
    if kind == "OSM PBF":
        return _read_osm_pbf(path)
    if kind == "GeoPackage":
        try:
            listing = pyogrio.list_layers(path)
        except pyogrio.errors.DataSourceError as error:
            raise MapDataError(f"{path}: cannot read the map ({str(error).splitlines()[0]}); is it a GeoPackage?") from None
        names = [str(name) for name in listing[:, 0]]
        street_name = _pick(names, layer, STREET_LAYERS, path, "map.layer")
        if street_name is None:
            lines = [str(n) for n, g in listing if g and "LINE" in str(g).upper()]
            if len(lines) != 1:
                raise MapDataError(f"{path}: cannot tell which layer holds the streets; set map.layer to one of {', '.join(names)}")
            street_name = lines[0]
        lamp_name = _pick(names, lamps_layer, LAMP_LAYERS, path, "map.lamps_layer")
        node_name = _pick(names, nodes_layer, NODE_LAYERS, path, "map.nodes_layer")
        return MapLayers(
            streets=_read(path, street_name),
            nodes=_read(path, node_name) if node_name else None,
            lamps=_read(path, lamp_name) if lamp_name else None,
            source=str(path),
        )
    frame = _read(path)
    if kind == "Shapefile":
        # dBase cuts column names to 10 characters and GDAL turns ':' into '_' on writing;
        # give OSM tag columns their names back ("oneway_bic" is "oneway:bicycle").
        shortened = {name[:10]: tag for tag in _OSM_TAGS for name in (tag, tag.replace(":", "_")) if len(name) > 10}
        frame = frame.rename(columns={k: v for k, v in shortened.items() if k in frame.columns and v not in frame.columns})
    lamps = None
    if "highway" in frame.columns and len(frame):
        is_lamp = (frame["highway"] == "street_lamp").to_numpy() & (
            shapely.get_type_id(frame.geometry.array) == shapely.GeometryType.POINT
        )
        if is_lamp.any():
            # Number the streets as features of the file before the lamps are taken out.
            frame = frame.assign(**{FEATURE_COLUMN: np.arange(1, len(frame) + 1)})
            lamps, frame = frame[is_lamp].reset_index(drop=True), frame[~is_lamp].reset_index(drop=True)
            lamps = lamps.drop(columns=FEATURE_COLUMN)
    return MapLayers(streets=frame, nodes=None, lamps=lamps, source=str(path))


def _read_osm_pbf(path: Path) -> MapLayers:
    try:
        from pyrosm import OSM
    except ImportError:
        raise MapDataError(f"{path}: reading .osm.pbf needs pyrosm; install it with: pip install 'twin[osm]'") from None
    try:
        osm = OSM(str(path))  # checks the file's header
        nodes, edges = osm.get_network(network_type="all", nodes=True, extra_attributes=["junction", "oneway:bicycle"])
    except Exception as error:  # pyrosm raises bare exceptions for broken files
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise MapDataError(f"{path}: cannot read the OSM extract ({detail}); check the file") from None
    if edges is None or len(edges) == 0:
        raise MapDataError(f"{path}: the OSM extract holds no streets; use an extract that covers a town")
    keep = [c for c in ("id", "u", "v", *_OSM_TAGS) if c in edges.columns]
    streets = edges[keep].rename(columns={"id": "osm_id"})
    streets = gpd.GeoDataFrame(streets, geometry=edges.geometry.array, crs=edges.crs)
    node_layer = gpd.GeoDataFrame({"node_id": nodes["id"].to_numpy()}, geometry=nodes.geometry.array, crs=nodes.crs)
    with warnings.catch_warnings():
        # An extract without mapped lamps is normal: lamps are then placed along lit streets.
        warnings.filterwarnings("ignore", message="Could not find any OSM data", category=UserWarning)
        lamps = osm.get_data_by_custom_criteria(
            custom_filter={"highway": ["street_lamp"]}, filter_type="keep",
            keep_nodes=True, keep_ways=False, keep_relations=False,
        )  # fmt: skip
    if lamps is not None and len(lamps):
        lamps = gpd.GeoDataFrame({"osm_id": lamps["id"].to_numpy()}, geometry=lamps.geometry.array, crs=lamps.crs)
    else:
        lamps = None
    return MapLayers(streets=streets.reset_index(drop=True), nodes=node_layer, lamps=lamps, source=str(path))


def load_network(
    path: str | os.PathLike,
    *,
    layer: str | None = None,
    lamps_layer: str | None = None,
    nodes_layer: str | None = None,
    crs: str | pyproj.CRS | None = None,
    road_classes: Mapping[str, Mapping[str, object]] | None = None,
    vehicle_spacing_m: float = 7.5,
    keep_largest_component: bool = True,
    lamp_snap_m: float = 15.0,
) -> StreetNetwork:
    """Load a street map file into a :class:`StreetNetwork`.

    Parameters are those of :func:`read_map_layers` and :func:`twin.maps.build_network`.

    Examples
    --------
    >>> from twin.maps import load_network
    >>> city = load_network("maps/helsinki.gpkg")  # doctest: +SKIP
    >>> city.summary()["lamps"]  # doctest: +SKIP
    586
    """
    layers = read_map_layers(path, layer=layer, lamps_layer=lamps_layer, nodes_layer=nodes_layer)
    network = build_network(
        layers.streets, nodes=layers.nodes, lamps=layers.lamps, crs=crs, road_classes=road_classes,
        vehicle_spacing_m=vehicle_spacing_m, keep_largest_component=keep_largest_component,
        lamp_snap_m=lamp_snap_m, source=layers.source, source_hash=file_hash(Path(path)),
    )  # fmt: skip
    from_osm = Path(path).suffix.lower() == ".pbf" or "osm_id" in layers.streets.columns
    return replace(network, attribution=OSM_ATTRIBUTION) if from_osm else network


def _write_gpkg_atomically(out: Path, layers: Mapping[str, gpd.GeoDataFrame]) -> None:
    """Write layers to a temporary GeoPackage beside ``out``, then rename it into place."""
    if out.suffix.lower() != ".gpkg":
        raise MapDataError(f"{out}: the output must be a .gpkg file")
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(suffix=".gpkg", prefix=f".{out.stem}-", dir=out.parent)
    os.close(handle)
    os.unlink(temporary)  # GDAL refuses to open an empty file as a GeoPackage
    try:
        for name, frame in layers.items():
            if frame is not None and len(frame):
                frame.to_file(temporary, layer=name, driver="GPKG", engine="pyogrio")
        os.replace(temporary, out)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def import_map(
    source: str | os.PathLike,
    out: str | os.PathLike,
    *,
    layer: str | None = None,
    lamps_layer: str | None = None,
    nodes_layer: str | None = None,
) -> MapLayers:
    """Convert a map (e.g. an ``.osm.pbf`` extract) into a GeoPackage twin loads quickly.

    The streets keep their tags and CRS, so the file stays a faithful copy of the source;
    layers are named ``streets``, ``nodes`` and ``street_lamps``. The source is checked as
    :func:`load_network` would check it first, and the output appears only once complete.

    Raises
    ------
    MapDataError
        If the source cannot be read or would not load as a network.
    """
    layers = read_map_layers(source, layer=layer, lamps_layer=lamps_layer, nodes_layer=nodes_layer)
    # Never write a map twin cannot load: build it once, with the same checks and warnings.
    build_network(layers.streets, nodes=layers.nodes, lamps=layers.lamps, source=layers.source)
    streets = layers.streets.drop(columns=FEATURE_COLUMN, errors="ignore")
    for column in streets.columns:
        # GeoPackage has no list or dict columns; OSM tag lists are kept as text.
        if streets[column].dtype == object and column != streets.geometry.name:
            streets[column] = streets[column].map(lambda v: v if v is None or isinstance(v, (str, int, float)) else str(v))
    _write_gpkg_atomically(Path(out), {"streets": streets, "nodes": layers.nodes, "street_lamps": layers.lamps})
    return layers


def save_network(network: StreetNetwork, out: str | os.PathLike) -> None:
    """Write a built network as a GeoPackage of directed ``streets``, ``nodes`` and ``street_lamps``.

    The streets layer carries ``u``, ``v``, ``length_m``, ``speed_mps``, ``lanes`` and
    ``capacity_vph``, so :func:`load_network` takes it back as it is.
    """
    edges = network.edges.drop(columns=["street_id", "freeflow_s", "storage_veh"]).copy()
    ids = network.nodes["node_id"].to_numpy()
    edges["u"], edges["v"] = ids[edges["u"].to_numpy()], ids[edges["v"].to_numpy()]
    edges.insert(0, "edge_id", pd.RangeIndex(len(edges)))
    nodes = network.nodes[["node_id", "geometry"]]
    lamps = network.lamps[["lamp_id", "power_w", "technology", "source", "geometry"]]
    _write_gpkg_atomically(Path(out), {"streets": edges, "nodes": nodes, "street_lamps": lamps})
