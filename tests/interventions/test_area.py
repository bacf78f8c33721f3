"""Areas: which edges, streets, lamps and nodes of the grid town (see conftest) lie inside."""

from __future__ import annotations

import dataclasses
import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pydantic import ValidationError

from twin._errors import MapWarning, ScenarioError
from twin.interventions import Area

ROOT = Path(__file__).resolve().parents[2]
WHERE = "tiny: interventions: x: area"

# The block between r0c0 and r1c1, 10 m larger on every side: streets 0 and 3 (rows), 9 and
# 10 (columns) have their midpoints inside; nodes r0c0, r0c1, r1c0, r1c1.
BLOCK = (-10.0, -10.0, 110.0, 110.0)
BLOCK_STREETS = {0, 3, 9, 10}


def write_polygons(path: Path, shapes, *, crs, **columns) -> Path:
    frame = gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries(shapes, crs=crs))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyogrio notes a missing crs when crs is None
        frame.to_file(path, engine="pyogrio")
    return path


# ------------------------------------------------------------------ bbox, polygon


def test_bbox_in_map_crs_selects_exactly_one_street(town, grid):
    area = Area(**grid.box(-1, -1, 101, 1))  # only the midpoint (50, 0) of street 0
    inside = area.edges_inside(town)
    assert inside.dtype == bool and inside.shape == (town.n_edges,)
    assert inside.sum() == 2 and grid.streets(inside) == {0}
    assert area.streets_inside(town).tolist() == [0]
    assert area.streets_inside(town).dtype == np.int64
    assert set(np.flatnonzero(area.nodes_inside(town))) == {grid.node(0, 0), grid.node(0, 1)}


def test_bbox_in_degrees_by_default(town, grid):
    area = Area(bbox=grid.lonlat(-10, -10, 110, 110))
    assert area.crs is None
    assert set(area.streets_inside(town).tolist()) == BLOCK_STREETS


def test_boundary_counts_as_inside(town, grid):
    # Street 0's midpoint lies exactly on the east side of this box.
    assert grid.streets(Area(**grid.box(0, -1, 50, 1)).edges_inside(town)) == {0}


def test_inline_polygon_in_degrees(town, grid):
    corners = grid.lonlat(-10, -10, 110, -10, 110, 110, -10, 110)
    area = Area(polygon=[corners[i : i + 2] for i in range(0, 8, 2)])
    assert set(area.streets_inside(town).tolist()) == BLOCK_STREETS
    assert set(np.flatnonzero(area.nodes_inside(town))) == {grid.node(0, 0), grid.node(0, 1), grid.node(1, 0), grid.node(1, 1)}


def test_triangle_selects_by_midpoints(town, grid):
    x0, y0 = grid.origin
    # The long side from (160, -1) to (-1, 110) passes (150, 5.9), (100, 40.4), (50, 74.8) and
    # (0, 109.3): the midpoints of streets 0 (50, 0), 1 (150, 0) and 9 (0, 50) are inside,
    # those of streets 10 (100, 50) and 3 (50, 100) are not.
    area = Area(polygon=[[x0 - 1, y0 - 1], [x0 + 160, y0 - 1], [x0 - 1, y0 + 110]], crs=grid.crs)
    assert set(area.streets_inside(town).tolist()) == {0, 1, 9}


# ------------------------------------------------------------------------ files


def test_polygon_file_is_the_union_of_its_polygons(town, grid, tmp_path):
    # Two boxes in another projected CRS (EPSG:3067, Finland): the first block and the
    # midpoint of street 16 (r1c3-r2c3, at (300, 150)).
    shapes = gpd.GeoSeries(
        [grid.polygon(*BLOCK), grid.polygon(290, 140, 310, 160)], crs=town.crs
    ).to_crs("EPSG:3067")
    path = write_polygons(tmp_path / "zone.geojson", shapes.values, crs="EPSG:3067", name=["a", "b"])
    assert set(Area(file=path).streets_inside(town).tolist()) == BLOCK_STREETS | {16}


def test_geopackage_layer(town, grid, tmp_path):
    path = tmp_path / "zones.gpkg"
    for layer, box in (("west", BLOCK), ("east", (290, 140, 310, 160))):
        frame = gpd.GeoDataFrame(geometry=[grid.polygon(*box)], crs=town.crs)
        frame.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
    assert Area(file=path, layer="east").streets_inside(town).tolist() == [16]
    with pytest.raises(ScenarioError, match=r"has no layer 'north'; set layer: to one of west, east"):
        Area(file=path, layer="north").edges_inside(town, where=WHERE)


def test_file_without_crs_needs_crs(town, grid, tmp_path):
    path = write_polygons(tmp_path / "zone.gpkg", [grid.polygon(*BLOCK)], crs=None)
    with pytest.raises(ScenarioError, match=rf"^{WHERE}.file: .*zone.gpkg has no coordinate system; set crs:"):
        Area(file=path).edges_inside(town, where=WHERE)
    assert set(Area(file=path, crs=town.crs.to_string()).streets_inside(town).tolist()) == BLOCK_STREETS


def test_file_crs_and_another_crs_key_conflict(town, grid, tmp_path):
    path = write_polygons(tmp_path / "zone.geojson", [grid.polygon(*BLOCK)], crs=town.crs)
    with pytest.raises(ScenarioError, match=r"zone.geojson is in EPSG:32635, not in crs EPSG:3067; remove crs:"):
        Area(file=path, crs="EPSG:3067").edges_inside(town, where=WHERE)


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        (shapely.LineString([(0, 0), (1, 1)]), r"feature 0 is a LineString, not a polygon"),
        (shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)]), r"feature 0 is not a valid polygon \(Self-intersection"),
    ],
)
def test_broken_file_features_are_one_line_errors(town, tmp_path, shape, message):
    path = write_polygons(tmp_path / "bad.geojson", [shape], crs="EPSG:4326")
    with pytest.raises(ScenarioError, match=rf"^{WHERE}.file: .*bad.geojson: {message}") as caught:
        Area(file=path).edges_inside(town, where=WHERE)
    assert "\n" not in str(caught.value)


def test_missing_and_unreadable_files(town, tmp_path):
    with pytest.raises(ScenarioError, match=r"nope.geojson does not exist"):
        Area(file=tmp_path / "nope.geojson").edges_inside(town, where=WHERE)
    (tmp_path / "junk.geojson").write_text("not json", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"cannot read .*junk.geojson"):
        Area(file=tmp_path / "junk.geojson").edges_inside(town, where=WHERE)


# -------------------------------------------------------------------- districts


@pytest.fixture
def districts(town, grid, tmp_path) -> Path:
    return write_polygons(
        tmp_path / "districts.geojson",
        [grid.polygon(*BLOCK), grid.polygon(290, 140, 310, 160)],
        crs=town.crs, name=["Old Town", "Harbour"], kunta=["A", "B"],
    )  # fmt: skip


def test_district_by_name(town, districts):
    assert set(Area(district="Old Town", districts=districts).streets_inside(town).tolist()) == BLOCK_STREETS
    assert Area(district="harbour", districts=districts).streets_inside(town).tolist() == [16]


def test_unknown_district_suggests_close_names(town, districts):
    with pytest.raises(ScenarioError, match=rf"^{WHERE}.district: no district 'Old Twn' in .*; did you mean 'Old Town'\?$"):
        Area(district="Old Twn", districts=districts).edges_inside(town, where=WHERE)
    with pytest.raises(ScenarioError, match=r"no district 'Zzz' in .*; districts: Harbour, Old Town$"):
        Area(district="Zzz", districts=districts).edges_inside(town, where=WHERE)


def test_district_name_column(town, districts):
    assert Area(district="B", districts=districts, name_column="kunta").streets_inside(town).tolist() == [16]
    with pytest.raises(ScenarioError, match=r"name_column: .* has no column 'kuntaa' .*did you mean 'kunta'\?"):
        Area(district="B", districts=districts, name_column="kuntaa").edges_inside(town, where=WHERE)


def test_district_default_is_the_maps_districts_layer(town, grid, tmp_path):
    with pytest.raises(ScenarioError, match=r"district: the map \(synthetic:grid\) has no districts layer; give districts:"):
        Area(district="Old Town").edges_inside(town, where=WHERE)
    path = tmp_path / "map.gpkg"
    frame = gpd.GeoDataFrame({"name": ["Old Town"]}, geometry=[grid.polygon(*BLOCK)], crs=town.crs)
    frame.to_file(path, layer="districts", driver="GPKG", engine="pyogrio")
    mapped = dataclasses.replace(town, source=str(path))
    assert set(Area(district="Old Town").streets_inside(mapped).tolist()) == BLOCK_STREETS


# ------------------------------------------------------------------ road classes


def test_road_classes_narrow_an_area(town, grid):
    area = Area(**grid.box(*BLOCK), road_classes=["secondary"])
    assert set(area.streets_inside(town).tolist()) == {0, 9}
    # Nodes are the outline's, whatever the classes.
    assert area.nodes_inside(town).sum() == 4


def test_road_classes_alone_select_every_street_of_those_classes(town, grid):
    area = Area(road_classes=["residential"])
    assert set(area.streets_inside(town).tolist()) == {3, 4, 5, 10, 12, 14, 16}
    # Nodes at the ends of those streets: all but r0c0, r0c2, r2c0 and r2c2.
    assert set(np.flatnonzero(~area.nodes_inside(town))) == {grid.node(0, 0), grid.node(0, 2), grid.node(2, 0), grid.node(2, 2)}


def test_unknown_road_class_suggests_the_closest(town):
    with pytest.raises(ScenarioError, match=r"road_classes: 'residental' is not a road class; did you mean 'residential'\?"):
        Area(road_classes=["residental"]).edges_inside(town, where=WHERE)


def test_known_class_absent_from_the_area(town, grid):
    with pytest.raises(ScenarioError, match=r"no street of class primary in the area; classes in the area: residential, secondary"):
        Area(**grid.box(*BLOCK), road_classes=["primary"]).edges_inside(town, where=WHERE)


# ------------------------------------------------------------------------ lamps


def test_lamps_follow_their_street(grid):
    # Lamp 2 stands on street 9 but 20 m west of the box: it is inside because its street is.
    # Lamp 1 is on street 1, outside.
    network = grid.with_lamps([(0, 70.0, "HPS"), (1, 70.0, "HPS"), (9, 70.0, "HPS")])
    moved = network.lamps.copy()
    moved.loc[2, "geometry"] = shapely.Point(grid.origin[0] - 20, grid.origin[1] + 50)
    network = dataclasses.replace(network, lamps=moved)
    area = Area(**grid.box(-1, -1, 99, 51))
    assert area.streets_inside(network).tolist() == [0, 9]
    assert area.lamps_inside(network).tolist() == [True, False, True]


# ----------------------------------------------------------- mistakes and errors


def test_metres_given_as_degrees_is_a_validation_error(grid):
    x0, y0 = grid.origin
    with pytest.raises(ValidationError, match=r"numbers like 6672\d+\.\d are not degrees .* set crs: to the coordinate system"):
        Area(bbox=[x0, y0, x0 + 100, y0 + 100])


def test_nothing_selected_names_the_area_and_the_map_bounds(town):
    with pytest.raises(ScenarioError) as caught:
        Area(bbox=[10.0, 50.0, 10.1, 50.1]).edges_inside(town, where=WHERE)
    message = str(caught.value)
    assert message.startswith(f"{WHERE}: the bbox [10, 50, 10.1, 50.1] selects no street of the map, ")
    assert re.search(r"which spans x 24\.939\d+ to 24\.945\d+, y 60\.17\d* to 60\.171\d+ in EPSG:4326; "
                     r"check the coordinates and the crs: of the area$", message)


def test_swapped_longitude_and_latitude_are_spotted(town, grid):
    lon1, lat1, lon2, lat2 = grid.lonlat(0, 0, 300, 200)
    with pytest.raises(ScenarioError, match=r"x and y look swapped: write longitude \(east\) before latitude"):
        Area(bbox=[lat1, lon1, lat2, lon2]).edges_inside(town, where=WHERE)


def test_degrees_with_a_projected_crs_are_spotted(town):
    with pytest.raises(ScenarioError, match=r"the numbers look like degrees: remove crs: EPSG:32635"):
        Area(bbox=[24.94, 60.17, 24.95, 60.18], crs="EPSG:32635").edges_inside(town, where=WHERE)


def test_an_area_between_streets_says_to_enlarge_it(town, grid):
    with pytest.raises(ScenarioError, match=r"selects no street .*no street midpoint lies inside it: enlarge the area"):
        Area(**grid.box(10, 10, 20, 20)).edges_inside(town, where=WHERE)


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"bbox": [1, 2, 3]}, "give 4 numbers"),
        ({"bbox": [3, 2, 1, 4]}, "each min must be below its max"),
        ({"polygon": [[0, 0], [1, 1]]}, "at least 3 different corners"),
        ({"polygon": [[0, 0], [2, 2], [2, 0], [0, 2]]}, r"not a valid polygon \(Self-intersection"),
        ({"polygon": [[0, 0, 1], [2, 2], [2, 0]]}, "corner 0 has 3 numbers"),
        ({}, "is empty; give one of bbox, polygon, file or district"),
        ({"bbox": [0, 0, 1, 1], "district": "A"}, "gives bbox and district; .* keep one"),
        ({"bbox": [0, 0, 1, 1], "layer": "x"}, "only applies to a file or district"),
        ({"bbox": [0, 0, 1, 1], "name_column": "x"}, "only applies to a district"),
        ({"bbox": [0, 0, 1, 1], "crs": "EPSG:99999"}, "not a coordinate system twin knows"),
        ({"road_classes": []}, "at least 1 item"),
    ],
)
def test_invalid_areas(keys, message):
    with pytest.raises(ValidationError, match=message):
        Area(**keys)


# ------------------------------------------------------------ the bundled districts


@pytest.fixture(scope="module")
def helsinki():
    from twin.maps import load_network

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MapWarning)
        return load_network(ROOT / "maps" / "helsinki.gpkg", lamp_snap_m=25)


def test_bundled_districts_lie_on_the_bundled_map_without_overlap(helsinki):
    path = ROOT / "maps" / "helsinki-districts.geojson"
    frame = gpd.read_file(path, engine="pyogrio")
    assert (frame["boundary"] == "approximate").all()
    assert {"Kamppi", "Kluuvi", "Kaartinkaupunki", "Kruununhaka", "Punavuori"} <= set(frame["name"])
    count = np.zeros(helsinki.n_edges, dtype=int)
    for name in frame["name"]:
        inside = Area(district=name, districts=path).edges_inside(helsinki)
        assert inside.sum() > 10, name
        count += inside
    assert count.max() == 1  # a street belongs to one district at most
    assert count.mean() > 0.9  # and they cover nearly the whole map
