"""Reading map files: every format, the bundled Helsinki map, OSM extracts and bad files (twin.maps.io)."""

from __future__ import annotations

import hashlib
import re
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from twin._errors import MapDataError, MapWarning
from twin.maps import import_map, load_network, read_map_layers

FORMATS = ("gpkg", "geojson", "shp", "parquet")
COMPARED = ("u", "v", "street_id", "road_class", "name", "length_m", "speed_mps", "lanes", "capacity_vph",
            "storage_veh", "freeflow_s", "lit", "allows_car", "allows_bike", "allows_walk")  # fmt: skip


def _one_strong_part(net, mode: str) -> bool:
    """Whether a mode's edges join all the nodes they touch into one strongly connected part."""
    graph = net.graph(mode)
    matrix = coo_matrix((np.ones(graph.n_edges), (graph.tails, graph.heads)), shape=(graph.n_nodes, graph.n_nodes))
    _, labels = connected_components(matrix, directed=True, connection="strong")
    touched = np.unique(np.r_[graph.tails, graph.heads])
    return len(np.unique(labels[touched])) == 1


# --- the same tiny map in every format --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_loads_to_the_same_network(kit, fmt, edges_of):
    path = kit.write_tiny(fmt)
    net = load_network(path)
    assert (net.n_nodes, net.n_edges) == (4, 8)
    assert net.crs.to_epsg() == 3067
    for name, length in kit.lengths.items():
        assert edges_of(net, name)["length_m"].tolist() == pytest.approx([length] * 2), name
    reference = load_network(kit.write_tiny("gpkg"))
    pd.testing.assert_frame_equal(pd.DataFrame(net.edges[list(COMPARED)]), pd.DataFrame(reference.edges[list(COMPARED)]))
    assert net.edges.geometry.geom_equals_exact(reference.edges.geometry, 1e-6).all()
    assert net.source == str(path) and len(net.source_hash) == 64
    if fmt == "shp":  # a shapefile has no lamp layer: lamps are placed along lit streets
        assert len(net.lamps) == 11 and set(net.lamps["source"]) == {"placed"}
    else:
        assert net.lamps["source"].tolist() == ["map", "map"]
        assert net.lamps["offset_m"].tolist() == pytest.approx([30, 60])
        assert net.lamps["power_w"].tolist() == [60.0, 70.0]


def test_one_layer_files_keep_street_lamp_points_apart(kit):
    layers = read_map_layers(kit.write_tiny("geojson"))
    assert len(layers.streets) == 4 and layers.nodes is None
    assert len(layers.lamps) == 2 and set(layers.lamps["highway"]) == {"street_lamp"}
    assert set(shapely.get_type_id(layers.streets.geometry.array)) == {1}  # LineString


def test_geojson_in_degrees_is_projected(kit, edges_of):
    streets = kit.tiny_streets().to_crs("EPSG:4326")
    lamps = kit.tiny_lamps().assign(highway="street_lamp").to_crs("EPSG:4326")
    path = kit.write("wgs84.geojson", gpd.GeoDataFrame(pd.concat([streets, lamps], ignore_index=True), crs="EPSG:4326"))
    net = load_network(path)
    assert net.crs.to_epsg() == 32635
    assert edges_of(net, "Puistotie")["length_m"].iloc[0] == pytest.approx(210, abs=0.01)
    assert net.lamps["offset_m"].tolist() == pytest.approx([30, 60], abs=0.01)


def test_source_hash_is_the_sha256_of_the_file_and_of_all_shapefile_parts(kit):
    gpkg = kit.write_tiny("gpkg")
    assert load_network(gpkg).source_hash == hashlib.sha256(gpkg.read_bytes()).hexdigest()
    shp = kit.write_tiny("shp")
    parts = b"".join(shp.with_suffix(s).read_bytes() for s in (".shp", ".shx", ".dbf", ".prj"))
    assert load_network(shp).source_hash == hashlib.sha256(parts).hexdigest()


def test_named_layers_are_read(kit):
    path = kit.write("named.gpkg", mystreets=kit.tiny_streets(), mylamps=kit.tiny_lamps(), other=kit.tiny_streets().iloc[:1])
    net = load_network(path, layer="mystreets", lamps_layer="mylamps")
    assert net.n_edges == 8 and len(net.lamps) == 2


def test_the_only_line_layer_is_the_street_layer(kit):
    path = kit.write("only.gpkg", ways=kit.tiny_streets(), poles=kit.tiny_lamps())
    layers = read_map_layers(path)
    assert len(layers.streets) == 4 and layers.lamps is None  # "poles" is not a known lamp layer name


# --- OpenStreetMap extracts ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def test_pbf():
    pyrosm = pytest.importorskip("pyrosm")
    path = Path(pyrosm.get_data("test_pbf"))
    with pytest.warns(MapWarning, match="kept the largest strongly connected part"):
        network = load_network(path)
    return path, network


def test_osm_pbf_loads(test_pbf):
    path, net = test_pbf
    assert path.name.endswith(".osm.pbf")
    summary = net.summary()
    assert net.crs.to_epsg() == 32635  # Kouvola, 26.9 E
    assert 1000 < net.n_nodes < 2000 and 2000 < net.n_edges < 4000
    assert 40 < summary["street_km"] < 80
    assert summary["centre_lonlat"] == pytest.approx([26.95, 60.53], abs=0.01)
    assert net.nodes["node_id"].dtype == np.int64 and net.nodes["node_id"].is_unique  # OSM node ids
    assert summary["lamps_by_source"] == {"placed": summary["lamps"]}  # the extract maps no lamps
    assert "OpenStreetMap" in net.attribution
    for mode in ("car", "bike", "walk"):
        assert _one_strong_part(net, mode), mode


def test_osm_pbf_imported_to_a_geopackage_loads_to_the_same_network(test_pbf, tmp_path):
    path, net = test_pbf
    out = tmp_path / "imported.gpkg"
    with pytest.warns(MapWarning, match="kept the largest strongly connected part"):  # import checks the map
        layers = import_map(path, out)
    assert sorted(str(n) for n in __import__("pyogrio").list_layers(out)[:, 0]) == ["nodes", "streets"]
    assert len(layers.streets) > 0
    with pytest.warns(MapWarning, match="kept the largest strongly connected part"):
        back = load_network(out)
    assert (back.n_nodes, back.n_edges, len(back.lamps)) == (net.n_nodes, net.n_edges, len(net.lamps))
    pd.testing.assert_frame_equal(pd.DataFrame(back.edges[list(COMPARED)]), pd.DataFrame(net.edges[list(COMPARED)]))
    assert back.nodes["node_id"].tolist() == net.nodes["node_id"].tolist()
    assert back.edges.geometry.geom_equals_exact(net.edges.geometry, 1e-6).all()


def test_osm_pbf_without_pyrosm_says_how_to_install_it(tmp_path, monkeypatch):
    path = tmp_path / "town.osm.pbf"
    path.write_bytes(b"\x00" * 64)
    monkeypatch.setitem(sys.modules, "pyrosm", None)  # makes "from pyrosm import OSM" fail
    with pytest.raises(MapDataError) as error:
        load_network(path)
    assert str(error.value) == f"{path}: reading .osm.pbf needs pyrosm; install it with: pip install 'twin[osm]'"


def test_a_broken_osm_pbf_is_a_map_error(tmp_path):
    pytest.importorskip("pyrosm")
    path = tmp_path / "broken.osm.pbf"
    path.write_bytes(np.random.default_rng(1).bytes(4096))
    with pytest.raises(MapDataError, match=rf"^{re.escape(str(path))}: cannot read the OSM extract \(.*\); check the file$"):
        load_network(path)


# --- the bundled Helsinki centre ---------------------------------------------------------------------------------


def test_helsinki_file_holds_586_lamps():
    layers = read_map_layers(Path(__file__).resolve().parents[2] / "maps" / "helsinki.gpkg")
    assert len(layers.lamps) == 586
    assert len(layers.streets) == 7158 and len(layers.nodes) == 6067
    assert layers.streets.crs.to_epsg() == 4326


def test_helsinki_loads_in_utm_with_the_expected_warnings(helsinki):
    net, messages = helsinki
    assert net.crs.to_epsg() == 32635 and net.crs.axis_info[0].unit_name == "metre"
    assert len(messages) == 2
    assert re.search(r"kept the largest strongly connected part of the street network: dropped \d+ of 6067 nodes", messages[0])
    assert re.search(r": \d+ of 586 lamps are more than 15 m from any street and were dropped", messages[1])
    dropped = int(re.search(r"dropped (\d+) of 6067 nodes", messages[0]).group(1))
    far = int(re.search(r"(\d+) of 586 lamps", messages[1]).group(1))
    assert net.n_nodes == 6067 - dropped and 0 < dropped < 600  # a few cut-off courtyards and stairs
    assert len(net.lamps) == 586 - far and 0 < far < 100


def test_helsinki_summary_is_plausible(helsinki):
    net, _ = helsinki
    summary = net.summary()
    assert 80 < summary["street_km"] < 100  # about 1 x 1.7 km of dense city centre
    assert summary["lit_street_km"] <= summary["street_km"]
    minx, miny, maxx, maxy = summary["bounds"]
    assert 800 < maxx - minx < 1500 and 1400 < maxy - miny < 2000
    assert summary["centre_lonlat"] == pytest.approx([24.944, 60.172], abs=0.005)
    assert summary["lamps_by_source"] == {"map": summary["lamps"]}
    assert 20 < summary["lamp_power_kw"] < 60
    assert summary["edges_by_mode"]["walk"] > summary["edges_by_mode"]["bike"] > summary["edges_by_mode"]["car"] > 1000
    assert {"primary", "secondary", "residential", "footway"} <= set(summary["street_km_by_class"])
    assert "OpenStreetMap" in summary["attribution"]
    speeds = net.edges.loc[net.edges["allows_car"], "speed_mps"] * 3.6
    assert speeds.between(5, 50).all()  # city centre limits (5 km/h in some courtyards)
    assert (net.edges["length_m"] > 0).all() and (net.edges["freeflow_s"] > 0).all()
    for mode in ("car", "bike", "walk"):
        assert _one_strong_part(net, mode), mode


# --- bad files -------------------------------------------------------------------------------------------------


def _one_line(message: str) -> str:
    assert "\n" not in message
    return message


def _load_error(path, **kwargs) -> str:
    with pytest.raises(MapDataError) as error:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MapWarning)
            load_network(path, **kwargs)
    message = _one_line(str(error.value))
    assert message.startswith(f"{path}: "), message
    return message


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.gpkg"
    assert _load_error(path) == f"{path}: file not found; check map.file (relative paths start at the scenario's folder)"


def test_unknown_suffix(kit):
    path = kit.folder / "streets.txt"
    path.write_text("x")
    message = _load_error(path)
    assert message.startswith(f"{path}: unknown map format '.txt'; use one of ")
    assert ".gpkg" in message and ".geojson" in message and ".shp" in message and ".pbf" in message


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".parquet", ".shp"])
def test_corrupted_file(kit, suffix):
    path = kit.folder / f"broken{suffix}"
    path.write_bytes(np.random.default_rng(7).bytes(2048))
    assert re.search(r": cannot read the map \(.+\); (check that the file is a valid map|is it a GeoPackage\?)$", _load_error(path))


def test_empty_street_layer(kit):
    path = kit.folder / "empty.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}')
    assert _load_error(path) == f"{path}: the street layer is empty; choose the layer with streets (map.layer)"
    gpkg = kit.write("empty.gpkg", streets=kit.tiny_streets().iloc[:0], street_lamps=kit.tiny_lamps())
    assert _load_error(gpkg).endswith("the street layer is empty; choose the layer with streets (map.layer)")


def test_named_layer_missing_lists_the_layers(kit):
    path = kit.write_tiny("gpkg")
    assert _load_error(path, layer="roads") == f"{path}: has no layer 'roads' (map.layer); its layers are streets, street_lamps"
    assert "(map.lamps_layer); its layers are streets, street_lamps" in _load_error(path, lamps_layer="poles")


def test_ambiguous_street_layers(kit):
    path = kit.write("two.gpkg", a=kit.tiny_streets(), b=kit.tiny_streets())
    assert _load_error(path) == f"{path}: cannot tell which layer holds the streets; set map.layer to one of a, b"


def _with_feature(kit, geometry, **tags) -> gpd.GeoDataFrame:
    streets = kit.tiny_streets()
    extra = gpd.GeoDataFrame(pd.DataFrame([tags]), geometry=[geometry], crs=kit.crs)
    return gpd.GeoDataFrame(pd.concat([streets, extra], ignore_index=True), geometry="geometry", crs=kit.crs)


@pytest.mark.parametrize(
    ("geometry", "expected"),
    [
        (shapely.Point(385_050, 6_672_050), "feature 5 (osm_id=99) is a Point, not a line; keep only street lines in this layer, or name the street layer with map.layer"),
        (shapely.box(385_000, 6_672_000, 385_010, 6_672_010), "feature 5 (osm_id=99) is a Polygon, not a line"),
        (shapely.LineString([(385_050, 6_672_050), (385_050, 6_672_050)]), "feature 5 (osm_id=99) is not a valid line (Too few points"),
        (None, "feature 5 (osm_id=99) has no geometry; delete it or draw its line"),
    ],
)
def test_features_that_are_not_street_lines(kit, geometry, expected):
    path = kit.write("bad.geojson", _with_feature(kit, geometry, highway="residential", osm_id=99))
    assert _load_error(path).startswith(f"{path}: {expected}")


def test_a_line_shorter_than_a_centimetre(kit):
    path = kit.write("short.gpkg", streets=_with_feature(kit, shapely.LineString([(385_000, 6_672_000), (385_000.004, 6_672_000)]), highway="service"))
    assert _load_error(path) == f"{path}: feature 5 is 0.004 m long, shorter than 1 cm; every street must be longer: delete it or fix its geometry"


def _table(kit, **changes) -> gpd.GeoDataFrame:
    rows = [("a", "b", [(0, 0), (120, 0)]), ("b", "a", [(120, 0), (0, 0)])]
    frame = kit.lines(*[(line, {"edge_id": i + 1, "u": u, "v": v, "length_m": 120.0, "speed_mps": 10.0, "lanes": 1, "capacity_vph": 600.0})
                        for i, (u, v, line) in enumerate(rows)])  # fmt: skip
    for column, value in changes.items():
        frame.loc[1, column] = value
    return frame


def _nodes(kit, ids=("a", "b")) -> gpd.GeoDataFrame:
    return kit.points(*[(xy, {"node_id": i}) for xy, i in zip([(0, 0), (120, 0), (60, 60)], ids)])


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"length_m": 0.0}, "feature 2 (edge_id=2) has length_m = 0.0; length_m must be a number above zero: fix or delete the edge"),
        ({"speed_mps": -5.0}, "feature 2 (edge_id=2) has speed_mps = -5.0; speed_mps must be a number above zero: fix or delete the edge"),
        ({"speed_mps": 0.0}, "feature 2 (edge_id=2) has speed_mps = 0.0; speed_mps must be a number above zero"),
        ({"lanes": 0}, "feature 2 (edge_id=2) has lanes = 0; lanes must be a number above zero"),
        ({"capacity_vph": None}, "feature 2 (edge_id=2) has capacity_vph = nan; capacity_vph must be a number above zero"),
    ],
)
def test_edge_table_numbers_must_be_above_zero(kit, changes, expected):
    path = kit.write("model.gpkg", streets=_table(kit, **changes))
    assert _load_error(path).startswith(f"{path}: {expected}")


def test_edge_line_must_start_at_its_u_node(kit):
    table = _table(kit)
    table.loc[1, "geometry"] = shapely.LineString([(385_000, 6_672_000), (385_120, 6_672_000)])  # b -> a drawn a -> b
    path = kit.write("model.gpkg", streets=table, nodes=_nodes(kit))
    assert _load_error(path) == (
        f"{path}: feature 2 (edge_id=2) from node 'b' to 'a' does not meet its nodes (an end is 120.0 m away); "
        "its line must start at u and end at v: fix the geometry or u/v"
    )
    path = kit.write("model2.gpkg", streets=table)  # without a node layer the ends must agree among edges
    assert "feature 2 (edge_id=2) from node 'b' to 'a' does not meet its nodes (an end is 120.0 m away)" in _load_error(path)


def test_edge_end_missing_from_the_node_layer(kit):
    path = kit.write("model.gpkg", streets=_table(kit, v="z"), nodes=_nodes(kit))
    assert _load_error(path) == f"{path}: feature 2 (edge_id=2) ends at node 'z', which is not in the node layer; add the node or fix u/v"


def test_duplicate_node_ids(kit):
    table = _table(kit).assign(u=[1, 2], v=[2, 1])
    path = kit.write("model.gpkg", streets=table, nodes=_nodes(kit, ids=(1, 2, 1)))
    assert _load_error(path) == f"{path}: node id 1 appears twice in the node layer; node ids must be unique"


def test_node_layer_without_id_column(kit):
    path = kit.write("model.gpkg", streets=_table(kit), nodes=_nodes(kit).rename(columns={"node_id": "name"}))
    assert _load_error(path) == f"{path}: the node layer has no id column; name it node_id, osmid or id"


def test_streets_closed_to_everyone(kit):
    streets = kit.tiny_streets().assign(access="no")
    path = kit.write("closed.gpkg", streets=streets)
    assert _load_error(path).startswith(f"{path}: no street may be used by car, by bike or on foot")


def test_import_map_writes_only_complete_geopackages(kit):
    out = kit.folder / "out" / "town.gpkg"
    with pytest.raises(MapDataError, match="file not found"):
        import_map(kit.folder / "missing.gpkg", out)
    assert not out.exists()
    with pytest.raises(MapDataError, match=r"town\.geojson: the output must be a \.gpkg file"):
        import_map(kit.write_tiny("gpkg"), kit.folder / "town.geojson")
    layers = import_map(kit.write_tiny("geojson"), out)
    assert out.exists() and len(layers.streets) == 4
    assert [p.name for p in out.parent.iterdir()] == ["town.gpkg"]  # no temporary files left
    assert load_network(out).n_edges == 8


def test_shapefile_gets_its_truncated_osm_tag_names_back(kit):
    # dBase keeps 10 characters and GDAL launders ':': "oneway:bicycle" is stored as "oneway_bic".
    streets = kit.lines(([(0, 0), (100, 0)], {"highway": "residential", "oneway": "yes", "oneway:bicycle": "no"}),
                        ([(100, 0), (100, 100)], {"highway": "residential", "oneway": None, "oneway:bicycle": None}),
                        ([(100, 100), (0, 0)], {"highway": "residential", "oneway": None, "oneway:bicycle": None}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # geopandas and GDAL both warn that names are shortened
        path = kit.write("bike.shp", streets)
    assert "oneway_bic" in gpd.read_file(path).columns
    net = load_network(path)
    first = net.edges[net.edges["street_id"] == net.edges["street_id"].iloc[0]]
    assert first["allows_car"].sum() == 1 and first["allows_bike"].sum() == 2


def test_metres_in_a_file_read_as_degrees_are_a_map_error(kit):
    # A GeoJSON without a "crs" member is read as WGS 84, so metric coordinates arrive "in degrees".
    path = kit.folder / "metres.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"highway": '
                    '"residential"}, "geometry": {"type": "LineString", "coordinates": [[385000, 6672000], '
                    '[385100, 6672000]]}}]}')  # fmt: skip
    message = _load_error(path)
    assert message.startswith(f"{path}: the coordinates (385000, 6672000) are not longitude and latitude")
    assert "EPSG:4326" in message and "save the file with its real CRS" in message


def test_import_of_an_empty_street_layer_is_a_map_error(kit):
    path = kit.folder / "empty.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}')
    out = kit.folder / "out" / "empty.gpkg"
    with pytest.raises(MapDataError) as caught:
        import_map(path, out)
    assert str(caught.value) == f"{path}: the street layer is empty; choose the layer with streets (map.layer)"
    assert not out.exists()


def test_feature_numbers_in_errors_count_the_files_own_features(kit):
    # Two lamps come first in the file, then a street, then a polygon: the polygon is feature 4.
    rows = [
        {"highway": "street_lamp", "geometry": shapely.Point(kit.x0, kit.y0)},
        {"highway": "street_lamp", "geometry": shapely.Point(kit.x0 + 5, kit.y0)},
        {"highway": "residential", "geometry": shapely.LineString([(kit.x0, kit.y0), (kit.x0 + 100, kit.y0)])},
        {"highway": "residential", "geometry": shapely.box(kit.x0, kit.y0, kit.x0 + 10, kit.y0 + 10)},
    ]
    path = kit.write("mixed.geojson", gpd.GeoDataFrame(rows, geometry="geometry", crs=kit.crs))
    with pytest.raises(MapDataError, match=r"feature 4 is a Polygon, not a line"):
        load_network(path)


def test_feature_numbers_survive_multi_part_lines(kit):
    multi = shapely.MultiLineString([[(0, 0), (10, 0)], [(10, 0), (20, 0)], [(20, 0), (30, 0)]])
    rows = [
        {"highway": "residential", "geometry": shapely.affinity.translate(multi, kit.x0, kit.y0)},
        {"highway": "residential", "geometry": shapely.Point(kit.x0, kit.y0)},
    ]
    path = kit.write("multi.geojson", gpd.GeoDataFrame(rows, geometry="geometry", crs=kit.crs))
    with pytest.raises(MapDataError, match=r"feature 2 is a Point, not a line"):
        load_network(path)


def test_import_refuses_a_map_that_would_not_load(kit, tmp_path):
    rows = [{"highway": "residential", "geometry": shapely.box(kit.x0, kit.y0, kit.x0 + 10, kit.y0 + 10)}]
    source = kit.write("poly.geojson", gpd.GeoDataFrame(rows, geometry="geometry", crs=kit.crs))
    out = tmp_path / "never.gpkg"
    with pytest.raises(MapDataError, match=r"feature 1 is a Polygon, not a line"):
        import_map(source, out)
    assert not out.exists() and not list(tmp_path.glob(".never*"))
