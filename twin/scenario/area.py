"""Where an intervention acts: a box, a polygon, a file of polygons, a named district, road classes.

An :class:`Area` is the ``area:`` section of an intervention in a scenario::

    area: {bbox: [24.936, 60.166, 24.944, 60.171]}             # lon/lat degrees
    area: {polygon: [[385600, 6672300], [386100, 6672300], [385900, 6672800]], crs: EPSG:32635}
    area: {file: old-town.geojson}                             # union of its polygons
    area: {district: Kamppi, districts: ../maps/helsinki-districts.geojson}
    area: {road_classes: [primary, secondary]}                 # every street of these classes
    area: {district: Kluuvi, districts: ..., road_classes: [residential]}

What is inside
--------------
- An **edge** is inside when the point halfway along its line lies inside the area or on its
  boundary, and, if ``road_classes`` is given, its road class is one of them. The two
  directions of a street share one line, so a street is wholly in or wholly out.
- A **street** is inside when its edges are.
- A **lamp** is inside when its street is: lamps follow their street, so a lighting zone and
  a retrofit of the same area pick the same lamps, and ``road_classes`` applies to lamps too.
- A **node** is inside when its point lies inside the area or on its boundary. A cordon
  (road pricing per entry) is made of the edges from a node outside to a node inside.

Coordinates of ``bbox`` and ``polygon`` are longitude and latitude in degrees unless ``crs``
says otherwise; files carry their own coordinate system. Everything is compared in the
map's projected CRS, with one vectorised test for all edges, lamps or nodes at once.

An area that selects nothing on the map is almost always given in the wrong coordinate
system or with swapped coordinates, so it is an error that shows the map's bounds in the
area's coordinate system.
"""

from __future__ import annotations

import difflib
import math
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, Field, PrivateAttr, field_validator, model_validator

from twin._errors import ScenarioError
from twin.scenario._fields import MODEL_CONFIG, FilePath, check_crs, rule

if TYPE_CHECKING:
    import geopandas as gpd
    import pyproj
    import shapely

    from twin.maps.network import StreetNetwork

__all__ = ["Area", "DEFAULT_CRS", "DISTRICTS_LAYER"]

#: Coordinate system of ``bbox`` and ``polygon`` when an area gives no ``crs``.
DEFAULT_CRS = "EPSG:4326"

#: Layer of the map file read for a ``district`` when the area names no ``districts`` file.
DISTRICTS_LAYER = "districts"

_KINDS = ("bbox", "polygon", "file", "district")


def _is_geographic(crs: str) -> bool:
    import pyproj

    return pyproj.CRS.from_user_input(crs).is_geographic


def _fmt(value: float) -> str:
    """A coordinate in an error message: degrees to about 0.1 m, metres to 0.1 m."""
    return f"{value:.8g}" if abs(value) < 1000 else f"{value:.1f}"


class Area(BaseModel):
    """The part of the city an intervention acts on.

    Give exactly one of ``bbox``, ``polygon``, ``file`` and ``district``, optionally
    narrowed by ``road_classes``; or ``road_classes`` alone for every street of those
    classes. The membership rules are in this module.
    """

    model_config = MODEL_CONFIG

    bbox: list[float] | None = Field(
        None,
        description="[min x, min y, max x, max y] = [west, south, east, north], in the area's "
        "crs (longitude and latitude in degrees by default)",
    )
    polygon: list[list[float]] | None = Field(
        None,
        description="corners [[x, y], ...] in order around the edge, in the area's crs "
        "(longitude and latitude in degrees by default)",
    )
    file: FilePath | None = Field(
        None,
        description="GeoJSON or GeoPackage file of polygons, relative to the scenario file; the "
        "area is their union",
    )
    district: str | None = Field(
        None, min_length=1, description="the name of a district in the districts file"
    )
    districts: FilePath | None = Field(
        None,
        description="file of named district polygons, relative to the scenario file (by "
        "default the layer 'districts' of the map file)",
    )
    layer: str | None = Field(
        None, min_length=1, description="layer of the file or districts file to read"
    )
    name_column: str | None = Field(
        None, min_length=1, description="column of the districts file holding the names (default: name)"
    )
    road_classes: list[str] | None = Field(
        None,
        min_length=1,
        description="only streets of these road classes (OSM highway values such as primary, "
        "residential); alone: every street of these classes",
    )
    crs: str | None = Field(
        None,
        description="coordinate system of bbox and polygon (default EPSG:4326: longitude, "
        "latitude) or of a file that has none, e.g. EPSG:3067",
    )

    # (shape in the map's CRS, the area's own CRS) by (map CRS, map source): files are read
    # and shapes projected once per map.
    _shapes: dict[tuple[str, str], tuple[Any, Any]] = PrivateAttr(default_factory=dict)

    # ------------------------------------------------------------------ validation

    @field_validator("crs")
    @classmethod
    def _known_crs(cls, value: str | None) -> str | None:
        return check_crs(value)

    @field_validator("bbox")
    @classmethod
    def _four_numbers(cls, value: list[float] | None) -> list[float] | None:
        if value is None:
            return value
        if len(value) != 4:
            raise rule(
                f"give 4 numbers [min x, min y, max x, max y] (west, south, east, north), "
                f"not {len(value)}"
            )
        minx, miny, maxx, maxy = value
        if not (minx < maxx and miny < maxy):
            raise rule(
                f"{value} is not [min x, min y, max x, max y]: each min must be below its max; "
                "write the west, south, east, north edges in that order"
            )
        return value

    @field_validator("polygon")
    @classmethod
    def _corners(cls, value: list[list[float]] | None) -> list[list[float]] | None:
        if value is None:
            return value
        for index, point in enumerate(value):
            if len(point) != 2:
                raise rule(f"corner {index} has {len(point)} numbers; write each corner as [x, y]")
        if len({tuple(point) for point in value}) < 3:
            raise rule("needs at least 3 different corners [[x, y], [x, y], [x, y], ...]")
        import shapely

        shape = shapely.Polygon(value)
        if not shape.is_valid:
            reason = shapely.is_valid_reason(shape)
            raise rule(
                f"is not a valid polygon ({reason}); list the corners in order around the "
                "edge so that the sides do not cross"
            )
        return value

    @field_validator("road_classes")
    @classmethod
    def _class_names(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(not name.strip() for name in value):
            raise rule("a road class is empty; give OSM highway values such as primary")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Area:
        given = [kind for kind in _KINDS if getattr(self, kind) is not None]
        if len(given) > 1:
            raise rule(
                f"gives {' and '.join(given)}; an area is one of bbox, polygon, file or "
                "district: keep one"
            )
        if not given and self.road_classes is None:
            raise rule(
                "is empty; give one of bbox, polygon, file or district, or road_classes alone "
                "(e.g. area: {bbox: [west, south, east, north]})"
            )
        if self.layer is not None and self.file is None and self.district is None:
            raise rule("only applies to a file or district; remove it", at="layer")
        for key in ("districts", "name_column"):
            if getattr(self, key) is not None and self.district is None:
                raise rule("only applies to a district; remove it or add district: NAME", at=key)
        coords = self._coordinates()
        if coords is not None and _is_geographic(self.crs or DEFAULT_CRS):
            lon_ok = bool(np.all(np.abs(coords[:, 0]) <= 180))
            lat_ok = bool(np.all(np.abs(coords[:, 1]) <= 90))
            if not (lon_ok and lat_ok):
                crs = self.crs or f"{DEFAULT_CRS} (the default)"
                kind = "bbox" if self.bbox is not None else "polygon"
                raise rule(
                    f"numbers like {_fmt(float(np.abs(coords).max()))} are not degrees of "
                    f"longitude and latitude, which crs {crs} expects; set crs: to the "
                    "coordinate system of these numbers (e.g. the map's own, which "
                    "`twin maps info` shows)",
                    at=kind,
                )
        return self

    def _coordinates(self) -> np.ndarray | None:
        """The numbers of ``bbox`` or ``polygon`` as (x, y) rows, or ``None``."""
        if self.bbox is not None:
            minx, miny, maxx, maxy = self.bbox
            return np.array([[minx, miny], [maxx, maxy]], dtype=float)
        if self.polygon is not None:
            return np.asarray(self.polygon, dtype=float)
        return None

    # --------------------------------------------------------------------- shapes

    @property
    def has_boundary(self) -> bool:
        """Whether the area has an outline (not ``road_classes`` alone)."""
        return any(getattr(self, kind) is not None for kind in _KINDS)

    def describe(self) -> str:
        """A short description for messages, e.g. ``"district 'Kamppi'"``."""
        if self.bbox is not None:
            text = f"bbox [{', '.join(_fmt(v) for v in self.bbox)}]"
        elif self.polygon is not None:
            text = f"polygon of {len(self.polygon)} corners"
        elif self.file is not None:
            text = f"file {self.file}"
        elif self.district is not None:
            text = f"district {self.district!r}"
        else:
            text = "streets"
        if self.road_classes is not None:
            text += f" of class {', '.join(self.road_classes)}"
        return text

    def shape(self, network: StreetNetwork, *, where: str = "area") -> shapely.Geometry | None:
        """The area's outline in the map's CRS, or ``None`` for ``road_classes`` alone.

        Parameters
        ----------
        network
            The map; its CRS is the target, and for a ``district`` without ``districts``
            its source file holds the districts layer.
        where
            Names the area in error messages (scenario, intervention, key).

        Raises
        ------
        ScenarioError
            A file cannot be read, has no usable polygons, or a district is not in it.
        """
        if not self.has_boundary:
            return None
        return self._resolved(network, where=where)[0]

    def _resolved(self, network: StreetNetwork, *, where: str) -> tuple[shapely.Geometry, pyproj.CRS]:
        """The outline in the map's CRS and the coordinate system it was given in."""
        key = (network.crs.to_string(), network.source)
        if key not in self._shapes:
            import shapely

            shape, crs = self._source_shape(network, where=where)
            shape = _to_crs(shape, crs, network.crs)
            shapely.prepare(shape)
            self._shapes[key] = (shape, crs)
        return self._shapes[key]

    def _source_shape(self, network: StreetNetwork, *, where: str) -> tuple[shapely.Geometry, pyproj.CRS]:
        """The outline in its own coordinate system, and that system."""
        import pyproj
        import shapely

        if self.bbox is not None:
            return shapely.box(*self.bbox), pyproj.CRS.from_user_input(self.crs or DEFAULT_CRS)
        if self.polygon is not None:
            return shapely.Polygon(self.polygon), pyproj.CRS.from_user_input(self.crs or DEFAULT_CRS)
        if self.file is not None:
            frame = _read_layer(self.file, layer=self.layer, where=f"{where}.file")
            return _polygons(frame, crs=self.crs, where=f"{where}.file", path=self.file)
        return self._district_shape(network, where=where)

    def _district_shape(self, network: StreetNetwork, *, where: str) -> tuple[shapely.Geometry, pyproj.CRS]:
        if self.districts is not None:
            path, layer, key = self.districts, self.layer, "districts"
        else:
            source = Path(network.source)
            if network.source.startswith("synthetic:") or not source.is_file():
                raise ScenarioError(
                    f"{where}.district: the map ({network.source}) has no districts layer; give "
                    "districts: a file of named district polygons"
                )
            path, layer, key = source, self.layer or DISTRICTS_LAYER, "districts"
        frame = _read_layer(path, layer=layer, where=f"{where}.{key}")
        column = self.name_column or "name"
        if column not in frame.columns:
            columns = [str(c) for c in frame.columns if c != frame.geometry.name]
            close = difflib.get_close_matches(column, columns, n=1)
            hint = f"did you mean {close[0]!r}?" if close else "columns: " + ", ".join(columns)
            raise ScenarioError(
                f"{where}.name_column: {path} has no column {column!r} with district names; "
                f"set name_column: ({hint})"
            )
        names = frame[column].astype("string")
        wanted = self.district
        match = (names == wanted).fillna(False).to_numpy(dtype=bool)
        if not match.any():
            match = (names.str.casefold() == wanted.casefold()).fillna(False).to_numpy(dtype=bool)
        if not match.any():
            known = sorted({str(n) for n in names.dropna()})
            close = difflib.get_close_matches(wanted, known, n=3, cutoff=0.5)
            hint = (
                "did you mean " + " or ".join(repr(c) for c in close) + "?"
                if close
                else "districts: " + ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
            )
            raise ScenarioError(f"{where}.district: no district {wanted!r} in {path}; {hint}")
        return _polygons(frame[match], crs=self.crs, where=f"{where}.{key}", path=path)

    # ---------------------------------------------------------------- membership

    def edges_inside(self, network: StreetNetwork, *, where: str = "area") -> np.ndarray:
        """Which edges are inside: ``bool`` array aligned with ``network.edges``.

        Raises
        ------
        ScenarioError
            The area selects no edge of the map (see the module notes), or names a road
            class that neither the map nor twin's road class table knows.
        """
        edges = network.edges
        inside = np.ones(len(edges), dtype=bool)
        shape = self.shape(network, where=where)
        if shape is not None:
            import shapely

            mid = shapely.line_interpolate_point(edges.geometry.values, 0.5, normalized=True)
            xy = shapely.get_coordinates(mid)
            inside = shapely.intersects_xy(shape, xy[:, 0], xy[:, 1])
            if not inside.any():
                raise ScenarioError(self._nothing_selected(network, shape, where=where))
        if self.road_classes is not None:
            classes = edges["road_class"].astype("string")
            self._check_classes(set(classes.dropna()), where=where)
            of_class = classes.isin(self.road_classes).fillna(False).to_numpy(dtype=bool)
            if not (inside & of_class).any():
                found = sorted(set(classes[inside].dropna()))
                around = "in the area" if shape is not None else "on the map"
                raise ScenarioError(
                    f"{where}.road_classes: no street of class {', '.join(self.road_classes)} "
                    f"{around}; classes {around}: {', '.join(found)}"
                )
            inside &= of_class
        return inside

    def streets_inside(self, network: StreetNetwork, *, where: str = "area") -> np.ndarray:
        """Sorted ``int64`` ids of the streets inside (``network.edges["street_id"]``)."""
        ids = network.edges["street_id"].to_numpy(dtype=np.int64)
        return np.unique(ids[self.edges_inside(network, where=where)])

    def lamps_inside(self, network: StreetNetwork, *, where: str = "area") -> np.ndarray:
        """Which lamps are inside (those on streets inside): ``bool`` array aligned with
        ``network.lamps``."""
        streets = self.streets_inside(network, where=where)
        return np.isin(network.lamps["street_id"].to_numpy(dtype=np.int64), streets)

    def nodes_inside(self, network: StreetNetwork, *, where: str = "area") -> np.ndarray:
        """Which nodes lie inside the outline: ``bool`` array aligned with ``network.nodes``.

        ``road_classes`` does not apply to nodes. For ``road_classes`` alone, the nodes at
        either end of an edge inside.
        """
        shape = self.shape(network, where=where)
        if shape is None:
            edges = self.edges_inside(network, where=where)
            inside = np.zeros(network.n_nodes, dtype=bool)
            inside[network.edges["u"].to_numpy()[edges]] = True
            inside[network.edges["v"].to_numpy()[edges]] = True
            return inside
        import shapely

        inside = shapely.intersects_xy(
            shape, network.nodes["x"].to_numpy(dtype=float), network.nodes["y"].to_numpy(dtype=float)
        )
        if not inside.any():
            raise ScenarioError(self._nothing_selected(network, shape, where=where, what="node"))
        return inside

    # ------------------------------------------------------------------ messages

    def _check_classes(self, on_map: set[str], *, where: str) -> None:
        from twin.maps.road_classes import ROAD_CLASSES

        known = on_map | set(ROAD_CLASSES)
        for name in self.road_classes or ():
            if name not in known:
                close = difflib.get_close_matches(name, sorted(known), n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise ScenarioError(
                    f"{where}.road_classes: {name!r} is not a road class; {hint}classes on the "
                    f"map: {', '.join(sorted(on_map))}"
                )

    def _nothing_selected(
        self, network: StreetNetwork, shape: shapely.Geometry, *, where: str, what: str = "street"
    ) -> str:
        import pyproj
        import shapely

        crs = self._resolved(network, where=where)[1]
        map_box = network.edges.total_bounds
        to_area = pyproj.Transformer.from_crs(network.crs, crs, always_xy=True)
        minx, miny, maxx, maxy = to_area.transform_bounds(*map_box)
        span = f"x {_fmt(minx)} to {_fmt(maxx)}, y {_fmt(miny)} to {_fmt(maxy)}"
        text = (
            f"{where}: the {self.describe()} selects no {what} of the map, which spans {span} "
            f"in {crs.to_string()}; "
        )
        coords = self._coordinates()
        if shapely.intersects(shape, shapely.box(*map_box)):
            part = "point" if what == "node" else "midpoint"
            return text + f"no {what} {part} lies inside it: enlarge the area"
        if coords is not None:
            swapped = shapely.box(*coords[:, ::-1].min(axis=0), *coords[:, ::-1].max(axis=0))
            if shapely.intersects(swapped, shapely.box(minx, miny, maxx, maxy)):
                return text + "x and y look swapped: write longitude (east) before latitude (north)"
            if not crs.is_geographic and bool(np.all(np.abs(coords) <= 180)):
                return text + (
                    f"the numbers look like degrees: remove crs: {self.crs} (the default "
                    f"{DEFAULT_CRS} is longitude, latitude)"
                )
        return text + "check the coordinates and the crs: of the area"


# ----------------------------------------------------------------------- files


def _read_layer(path: Path, *, layer: str | None, where: str) -> gpd.GeoDataFrame:
    """One layer of a vector file, or a one-line ScenarioError saying why it cannot be read."""
    import pyogrio
    import pyogrio.errors

    path = Path(path)
    if not os.path.isfile(path):
        raise ScenarioError(
            f"{where}: {path} does not exist; relative paths start from the scenario's folder"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. GDAL notes about unknown GeoJSON members
            return pyogrio.read_dataframe(path, layer=layer)
    except pyogrio.errors.DataLayerError:
        try:
            layers = ", ".join(str(name) for name in pyogrio.list_layers(path)[:, 0])
        except pyogrio.errors.DataSourceError:
            layers = "none"
        raise ScenarioError(
            f"{where}: {path} has no layer {layer!r}; set layer: to one of {layers}"
        ) from None
    except (pyogrio.errors.DataSourceError, pyogrio.errors.GeometryError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ScenarioError(
            f"{where}: cannot read {path} ({reason}); give a GeoJSON or GeoPackage file of polygons"
        ) from None


def _polygons(
    frame: gpd.GeoDataFrame, *, crs: str | None, where: str, path: Path
) -> tuple[shapely.Geometry, pyproj.CRS]:
    """The union of a frame's polygons and their CRS; broken features are errors."""
    import pyproj
    import shapely

    if frame.crs is None:
        if crs is None:
            raise ScenarioError(
                f"{where}: {path} has no coordinate system; set crs: to the one its numbers "
                "are in, e.g. EPSG:3067"
            )
        own = pyproj.CRS.from_user_input(crs)
    else:
        own = pyproj.CRS.from_user_input(frame.crs)
        if crs is not None and not own.equals(pyproj.CRS.from_user_input(crs)):
            raise ScenarioError(
                f"{where}: {path} is in {own.to_string()}, not in crs {crs}; remove crs: (a "
                "file's own coordinate system is used)"
            )
    geoms = np.asarray(frame.geometry.values, dtype=object)
    labels = frame.index.to_numpy()
    if len(geoms) == 0:
        raise ScenarioError(f"{where}: {path} has no features; give a file of polygons")
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        raise ScenarioError(
            f"{where}: {path}: feature {labels[np.argmax(missing)]} has no geometry; remove it "
            "or draw its outline"
        )
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))  # Polygon, MultiPolygon
    if not polygonal.all():
        bad = int(np.argmax(~polygonal))
        raise ScenarioError(
            f"{where}: {path}: feature {labels[bad]} is a {geoms[bad].geom_type}, "
            "not a polygon; keep only Polygon and MultiPolygon features (or pick their layer)"
        )
    valid = shapely.is_valid(geoms)
    if not valid.all():
        bad = int(np.argmax(~valid))
        raise ScenarioError(
            f"{where}: {path}: feature {labels[bad]} is not a valid polygon "
            f"({shapely.is_valid_reason(geoms[bad])}); repair it (QGIS: Fix geometries, or "
            "shapely.make_valid) so that its outline does not cross itself"
        )
    return shapely.union_all(geoms), own


def _to_crs(shape: shapely.Geometry, source: pyproj.CRS, target: pyproj.CRS) -> shapely.Geometry:
    """Project a shape, adding vertices first so straight sides stay close to the true curve."""
    import pyproj
    import shapely

    if source.equals(target):
        return shape
    minx, miny, maxx, maxy = shape.bounds
    step = math.hypot(maxx - minx, maxy - miny) / 200 or 1.0
    shape = shapely.segmentize(shape, step)
    transformer = pyproj.Transformer.from_crs(source, target, always_xy=True)
    return shapely.transform(shape, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))
