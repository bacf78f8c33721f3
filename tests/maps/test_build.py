"""Building directed, checked, projected networks from street tables (twin.maps.build).

Numbers are worked out by hand on the tiny map drawn in conftest.py.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pyproj
import pandas as pd
import pytest
import shapely

from twin._errors import MapDataError, MapWarning
from twin.maps import build_network, load_network


def _car(edges):
    return edges[edges["allows_car"]]


def _xy(network, edge) -> list[tuple[float, float]]:
    return [(round(x - 385_000, 6), round(y - 6_672_000, 6)) for x, y in shapely.get_coordinates(edge.geometry)]


def _node_xy(network, position) -> tuple[float, float]:
    row = network.nodes.iloc[int(position)]
    return (round(row["x"] - 385_000, 6), round(row["y"] - 6_672_000, 6))


def _one_street(kit, tags, coords=((0, 0), (100, 0))):
    return build_network(kit.lines((list(coords), tags)), keep_largest_component=False)


# --- the tiny map -----------------------------------------------------------------------------------


def test_tiny_map_nodes_edges_and_lengths(kit, edges_of):
    net = build_network(kit.tiny_streets())
    assert (net.n_nodes, net.n_edges) == (4, 8)
    assert net.crs.to_epsg() == 3067
    # D (0, 90) is only a vertex of Puistotie's line, so it is no node.
    assert sorted(_node_xy(net, i) for i in range(4)) == [(0, 0), (120, 0), (120, 90), (180, 0)]
    for name, length in kit.lengths.items():
        assert edges_of(net, name)["length_m"].tolist() == pytest.approx([length] * 2)
    assert net.summary()["street_km"] == pytest.approx(0.48)
    assert net.summary()["edges_by_mode"] == {"car": 5, "bike": 5, "walk": 8}


def test_two_way_street_gives_two_edges_with_one_street_id_and_reversed_lines(kit, edges_of):
    net = build_network(kit.tiny_streets())
    forward, backward = (row for _, row in edges_of(net, "Rantatie").iterrows())
    assert forward["street_id"] == backward["street_id"]
    assert (forward["u"], forward["v"]) == (backward["v"], backward["u"])
    assert _xy(net, forward) == [(0, 0), (120, 0)]
    assert _xy(net, backward) == [(120, 0), (0, 0)]
    # Every edge's line starts at its u node and ends at its v node.
    for _, edge in net.edges.iterrows():
        coords = _xy(net, edge)
        assert (coords[0], coords[-1]) == (_node_xy(net, edge["u"]), _node_xy(net, edge["v"]))


def test_oneway_yes_gives_one_car_edge_along_the_line_and_walking_both_ways(kit, edges_of):
    net = build_network(kit.tiny_streets())
    koulukatu = edges_of(net, "Koulukatu")
    car = _car(koulukatu)
    assert len(car) == 1
    assert _xy(net, car.iloc[0]) == [(120, 0), (120, 90)]
    assert car.iloc[0]["allows_bike"]
    back = koulukatu[~koulukatu["allows_car"]].iloc[0]
    assert _xy(net, back) == [(120, 90), (120, 0)]
    assert (back["allows_car"], back["allows_bike"], back["allows_walk"]) == (False, False, True)


def test_oneway_minus_one_gives_one_edge_against_the_line(kit):
    net = _one_street(kit, {"highway": "residential", "oneway": "-1", "foot": "no"}, ((0, 0), (0, 50)))
    assert net.n_edges == 1
    assert _xy(net, net.edges.iloc[0]) == [(0, 50), (0, 0)]
    assert net.edges.iloc[0]["length_m"] == pytest.approx(50)


def test_motorway_is_one_way_without_a_tag_and_closed_to_walkers_and_bikes(kit):
    net = _one_street(kit, {"highway": "motorway"})
    assert net.n_edges == 1
    edge = net.edges.iloc[0]
    assert _xy(net, edge) == [(0, 0), (100, 0)]
    assert (edge["allows_car"], edge["allows_bike"], edge["allows_walk"]) == (True, False, False)
    assert edge["speed_mps"] == pytest.approx(100 / 3.6) and edge["lanes"] == 2 and edge["capacity_vph"] == 4000


def test_oneway_bicycle_no_lets_bikes_ride_both_ways(kit):
    net = _one_street(kit, {"highway": "residential", "oneway": "yes", "oneway:bicycle": "no"})
    modes = {tuple(_xy(net, e)): (e["allows_car"], e["allows_bike"], e["allows_walk"]) for _, e in net.edges.iterrows()}
    assert modes == {((0, 0), (100, 0)): (True, True, True), ((100, 0), (0, 0)): (False, True, True)}


@pytest.mark.parametrize(
    ("tags", "modes"),
    [
        ({"highway": "residential", "access": "no", "foot": "yes"}, (False, False, True)),
        ({"highway": "residential", "foot": "no"}, (True, True, False)),
        ({"highway": "footway"}, (False, False, True)),
        ({"highway": "footway", "bicycle": "yes"}, (False, True, True)),
    ],
)
def test_access_tags_choose_the_modes_of_both_directions(kit, tags, modes):
    net = _one_street(kit, tags)
    assert net.n_edges == 2
    assert {(e["allows_car"], e["allows_bike"], e["allows_walk"]) for _, e in net.edges.iterrows()} == {modes}


def test_a_private_street_is_left_out(kit):
    streets = kit.lines(
        ([(0, 0), (100, 0)], {"highway": "residential", "access": None}),
        ([(100, 0), (100, 80)], {"highway": "residential", "access": "private"}),
    )
    net = build_network(streets, keep_largest_component=False)
    assert net.n_edges == 2 and net.n_nodes == 2
    assert net.edges["length_m"].tolist() == pytest.approx([100, 100])


# --- attributes ---------------------------------------------------------------------------------------


def test_speeds_lanes_capacity_storage_and_freeflow_by_hand(kit, edges_of):
    net = build_network(kit.tiny_streets())
    expected = {  # speed km/h, lanes, capacity veh/h, storage veh, free-flow s, lit
        "Rantatie": (50, 2, 2 * 1500, 120 * 2 / 7.5, 120 / (50 / 3.6), True),  # lanes "4", two-way: 2 each way
        "Koulukatu": (30, 1, 1 * 600, 90 * 1 / 7.5, 90 / (30 / 3.6), False),
        "Puistotie": (40, 1, 1 * 600, 210 * 1 / 7.5, 210 / (40 / 3.6), True),  # all from the tertiary class
        "Polku": (15, 1, 600, 60 / 7.5, 60 / (15 / 3.6), True),
    }
    for name, (kmh, lanes, capacity, storage, freeflow, lit) in expected.items():
        edge = edges_of(net, name).iloc[0]
        assert edge["speed_mps"] == pytest.approx(kmh / 3.6), name
        assert edge["lanes"] == lanes, name
        assert edge["capacity_vph"] == pytest.approx(capacity), name
        assert edge["storage_veh"] == pytest.approx(storage), name
        assert edge["freeflow_s"] == pytest.approx(freeflow), name
        assert edge["lit"] == lit, name
    assert edges_of(net, "Rantatie").iloc[0]["freeflow_s"] == pytest.approx(8.64)
    assert edges_of(net, "Puistotie").iloc[0]["freeflow_s"] == pytest.approx(18.9)


@pytest.mark.parametrize(
    ("maxspeed", "kmh"),
    [("50", 50.0), ("30 mph", 48.28032), ("FI:urban", 50.0), ("none", 30.0), (None, 30.0), ("0", 30.0)],
)
def test_maxspeed_tag_or_class_default(kit, maxspeed, kmh):
    net = _one_street(kit, {"highway": "residential", "maxspeed": maxspeed})
    edge = net.edges.iloc[0]
    assert edge["speed_mps"] == pytest.approx(kmh / 3.6)
    assert edge["freeflow_s"] == pytest.approx(100 / (kmh / 3.6))


@pytest.mark.parametrize(
    ("tags", "lanes"),
    [
        ({"lanes": "4"}, 2),  # both directions: 2 each way
        ({"lanes": "3"}, 1),
        ({"lanes": "1"}, 1),  # a narrow two-way street still has a lane each way
        ({"lanes": "3", "oneway": "yes"}, 3),
        ({"lanes": "2;3", "oneway": "yes"}, 3),
        ({"lanes": None}, 1),  # residential default, per direction
    ],
)
def test_lanes_count_both_directions_of_a_two_way_street(kit, tags, lanes):
    net = _one_street(kit, {"highway": "residential", **tags})
    assert set(net.edges.loc[net.edges["allows_car"], "lanes"]) == {lanes}
    car = net.edges[net.edges["allows_car"]].iloc[0]
    assert car["capacity_vph"] == pytest.approx(lanes * 600)
    assert car["storage_veh"] == pytest.approx(100 * lanes / 7.5)


def test_vehicle_spacing_sets_storage(kit, edges_of):
    net = build_network(kit.tiny_streets(), vehicle_spacing_m=5.0)
    assert edges_of(net, "Rantatie")["storage_veh"].tolist() == pytest.approx([120 * 2 / 5] * 2)
    tiny = _one_street(kit, {"highway": "residential"}, ((0, 0), (3, 0)))
    assert tiny.edges["storage_veh"].tolist() == [1.0, 1.0]  # a stub still holds one vehicle


@pytest.mark.parametrize(("lit", "expected"), [("yes", True), ("no", False), (None, True), ("24/7", True), ("disused", False)])
def test_lit_tag_or_class_default(kit, lit, expected):
    assert _one_street(kit, {"highway": "residential", "lit": lit}).edges["lit"].tolist() == [expected] * 2


def test_unlit_paths_by_default(kit):
    assert _one_street(kit, {"highway": "track"}).edges["lit"].tolist() == [False, False]


def test_road_class_overrides_change_defaults_but_not_tags(kit, edges_of):
    net = build_network(
        kit.tiny_streets(),
        road_classes={"tertiary": {"speed_kmh": 30, "lanes": 2}, "residential": {"speed_kmh": 20}, "primary": {"capacity_vph_per_lane": 1000}},
    )
    puistotie = edges_of(net, "Puistotie").iloc[0]
    assert puistotie["speed_mps"] == pytest.approx(30 / 3.6)
    assert puistotie["freeflow_s"] == pytest.approx(210 / (30 / 3.6))  # 25.2 s
    assert puistotie["lanes"] == 2 and puistotie["capacity_vph"] == 1200
    assert edges_of(net, "Koulukatu").iloc[0]["speed_mps"] == pytest.approx(30 / 3.6)  # its maxspeed tag wins
    assert edges_of(net, "Rantatie").iloc[0]["capacity_vph"] == 2 * 1000


def test_numeric_and_boolean_tag_columns_read_like_osm_tags(kit, edges_of):
    """A city GIS stores oneway as 1/-1 (read back as floats when some are empty) and lit as booleans."""
    streets = kit.tiny_streets()
    streets["oneway"] = [np.nan, 1.0, np.nan, np.nan]
    streets["lit"] = [True, False, None, True]  # GeoPackage stores these as "True"/"False" text
    net = load_network(kit.write("gis.gpkg", streets=streets))
    assert len(_car(edges_of(net, "Koulukatu"))) == 1
    assert edges_of(net, "Koulukatu")["lit"].tolist() == [False, False]
    assert edges_of(net, "Puistotie")["lit"].tolist() == [True, True]  # no value: the class default
    streets["lit"] = streets["lit"].astype("boolean")  # ... and nullable booleans as 1/0 integers
    net = load_network(kit.write("gis2.gpkg", streets=streets))
    assert [edges_of(net, name)["lit"].iloc[0] for name in kit.lengths] == [True, False, True, True]


# --- edge tables from other models -------------------------------------------------------------------------


def _edge_table(kit, ids, **columns):
    a, b, c = ids
    rows = [  # u, v, line, length_m, speed_mps, lanes, capacity_vph
        (a, b, [(0, 0), (120, 0)], 130.0, 12.5, 2, 1800.0),
        (b, a, [(120, 0), (0, 0)], 130.0, 12.5, 2, 1800.0),
        (b, c, [(120, 0), (120, 90)], 90.0, 8.0, 1, 600.0),
        (c, a, [(120, 90), (0, 0)], 150.0, 10.0, 1, 700.0),
    ]
    frame = kit.lines(*[(line, {"u": u, "v": v, "length_m": length, "speed_mps": speed, "lanes": lanes, "capacity_vph": cap})
                        for u, v, line, length, speed, lanes, cap in rows])  # fmt: skip
    for name, values in columns.items():
        frame[name] = values
    return frame


def _node_layer(kit, ids):
    return kit.points(*[(xy, {"node_id": i}) for xy, i in zip([(0, 0), (120, 0), (120, 90)], ids)])


@pytest.mark.parametrize("ids", [("a", "b", "c"), (10, 20, 30)])
@pytest.mark.parametrize("with_nodes", [True, False])
def test_edge_tables_are_taken_as_they_are(kit, ids, with_nodes):
    table = _edge_table(kit, ids)
    net = build_network(table, nodes=_node_layer(kit, ids) if with_nodes else None)
    assert (net.n_nodes, net.n_edges) == (3, 4)
    edges = net.edges
    assert edges["length_m"].tolist() == [130.0, 130.0, 90.0, 150.0]  # the model's lengths, not the lines'
    assert edges["speed_mps"].tolist() == [12.5, 12.5, 8.0, 10.0]
    assert edges["lanes"].tolist() == [2, 2, 1, 1]
    assert edges["capacity_vph"].tolist() == [1800.0, 1800.0, 600.0, 700.0]
    assert edges["freeflow_s"].tolist() == pytest.approx([10.4, 10.4, 11.25, 15.0])
    assert edges["storage_veh"].tolist() == pytest.approx([130 * 2 / 7.5, 130 * 2 / 7.5, 12.0, 20.0])
    ids_of = net.nodes["node_id"].to_numpy()
    assert [(ids_of[u], ids_of[v]) for u, v in zip(edges["u"], edges["v"])] == [
        (ids[0], ids[1]), (ids[1], ids[0]), (ids[1], ids[2]), (ids[2], ids[0]),
    ]  # fmt: skip
    assert _node_xy(net, net.node_positions([ids[1]])[0]) == (120, 0)
    assert edges["street_id"].iloc[0] == edges["street_id"].iloc[1]
    assert edges["street_id"].nunique() == 3
    assert edges["allows_car"].all() and edges["road_class"].eq("unclassified").all()


def test_edge_table_ids_as_text_match_integer_node_ids(kit):
    table = _edge_table(kit, ("10", "20", "30"))
    net = build_network(table, nodes=_node_layer(kit, (10, 20, 30)))
    assert net.n_edges == 4 and sorted(net.nodes["node_id"]) == ["10", "20", "30"]


def test_edge_table_mode_flags_and_classes_are_kept(kit):
    table = _edge_table(kit, ("a", "b", "c"), road_class=["primary", "primary", "footway", "footway"],
                        allows_car=[True, True, False, False], lit=[True, True, False, False])  # fmt: skip
    net = build_network(table, keep_largest_component=False)
    assert net.edges["allows_car"].tolist() == [True, True, False, False]
    assert net.edges["allows_bike"].tolist() == [True, True, False, False]  # footway class: no bikes
    assert net.edges["lit"].tolist() == [True, True, False, False]
    assert net.edges["road_class"].tolist() == ["primary", "primary", "footway", "footway"]


def test_edge_table_parallel_edges_are_separate_streets(kit):
    table = _edge_table(kit, ("a", "b", "c"))
    # A second a->b edge (a parallel carriageway) with a different length.
    extra = table.iloc[[0]].assign(length_m=135.0)
    table = type(table)(pd.concat([table, extra], ignore_index=True), geometry="geometry", crs=table.crs)
    net = build_network(table, keep_largest_component=False)
    street = net.edges["street_id"].to_numpy()
    lengths = net.edges["length_m"].tolist()
    assert lengths == [130.0, 130.0, 90.0, 150.0, 135.0]
    assert street[0] == street[1]  # a->b and b->a: one two-way street
    assert len(set(street)) == 4  # the parallel a->b edge is a street of its own


def test_edge_table_mode_flags_read_text_and_refuse_nonsense(kit):
    table = _edge_table(kit, ("a", "b", "c"), allows_car=["True", "true", "False", "0"])
    net = build_network(table, keep_largest_component=False)
    assert net.edges["allows_car"].tolist() == [True, True, False, False]
    bad = _edge_table(kit, ("a", "b", "c"), allows_car=["yes", "maybe", "no", "no"])
    with pytest.raises(MapDataError, match=r"feature 2 has allows_car = 'maybe'; write true or false"):
        build_network(bad, keep_largest_component=False)


def test_saved_network_loads_back_unchanged(kit, edges_of):
    from twin.maps import save_network

    net = build_network(kit.tiny_streets(), lamps=kit.tiny_lamps())
    path = kit.folder / "saved.gpkg"
    save_network(net, path)
    back = load_network(path)
    assert (back.n_nodes, back.n_edges, len(back.lamps)) == (net.n_nodes, net.n_edges, len(net.lamps))
    for column in ("length_m", "speed_mps", "lanes", "capacity_vph", "storage_veh", "freeflow_s"):
        assert back.edges[column].tolist() == pytest.approx(net.edges[column].tolist()), column
    for column in ("lit", "allows_car", "allows_bike", "allows_walk", "road_class", "name"):
        assert back.edges[column].tolist() == net.edges[column].tolist(), column
    assert back.lamps["power_w"].tolist() == net.lamps["power_w"].tolist()
    assert back.lamps["offset_m"].tolist() == pytest.approx(net.lamps["offset_m"].tolist())


# --- raw lines without node ids ------------------------------------------------------------------------------


def test_lines_sharing_a_middle_vertex_are_split_into_four_streets(kit):
    cross = kit.lines(
        ([(0, 0), (50, 0), (100, 0)], {"highway": "residential"}),
        ([(50, -50), (50, 0), (50, 50)], {"highway": "residential"}),
    )
    net = build_network(cross)
    assert (net.n_nodes, net.n_edges, net.edges["street_id"].nunique()) == (5, 8, 4)
    assert net.edges["length_m"].tolist() == pytest.approx([50.0] * 8)
    centre = net.node_positions(net.nodes.index[(net.nodes["x"] == 385_050) & (net.nodes["y"] == 6_672_000)])
    assert len(centre) == 1
    assert (net.edges["u"] == centre[0]).sum() == 4 and (net.edges["v"] == centre[0]).sum() == 4


def test_lines_that_merely_cross_are_not_connected(kit):
    cross = kit.lines(([(0, 0), (100, 0)], {"highway": "residential"}), ([(50, -50), (50, 50)], {"highway": "residential"}))
    apart = build_network(cross, keep_largest_component=False)
    assert (apart.n_nodes, apart.n_edges, apart.edges["street_id"].nunique()) == (4, 4, 2)
    with pytest.warns(MapWarning, match="dropped 2 of 4 nodes and 2 of 4 edges"):
        kept = build_network(cross)
    assert (kept.n_nodes, kept.n_edges) == (2, 2)


def test_multi_part_lines_are_their_parts(kit):
    multi = gpd.GeoDataFrame(
        {"highway": ["residential"]},
        geometry=[shapely.MultiLineString([[(385_000, 6_672_000), (385_050, 6_672_000)], [(385_050, 6_672_000), (385_050, 6_672_040)]])],
        crs="EPSG:3067",
    )
    net = build_network(multi)
    assert (net.n_nodes, net.n_edges) == (3, 4)
    assert sorted(net.edges["length_m"].round(6).unique()) == [40.0, 50.0]


def test_a_closed_loop_line_becomes_a_street_from_its_node_to_itself(kit):
    loop = kit.lines(
        ([(0, 0), (50, 0)], {"highway": "residential"}),
        ([(50, 0), (80, 0), (80, 30), (50, 0)], {"highway": "residential", "junction": "roundabout"}),
    )
    net = build_network(loop)
    roundabout = net.edges[net.edges["street_id"] == 1]
    assert (roundabout["u"] == roundabout["v"]).all()
    car = _car(roundabout)  # one-way for cars (junction=roundabout), walkable both ways
    assert len(car) == 1 and len(roundabout) == 2
    assert _xy(net, car.iloc[0]) == [(50, 0), (80, 0), (80, 30), (50, 0)]
    assert car.iloc[0]["length_m"] == pytest.approx(30 + 30 + np.hypot(30, 30))


# --- projection ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lon", "lat", "epsg", "metres"),
    [(24.94, 60.17, 32635, 1113.9), (-3.7, 40.4, 32630, 1110.0), (151.2, -33.87, 32756, 1109.1)],
)
def test_degrees_are_projected_to_the_utm_zone(kit, lon, lat, epsg, metres):
    line = kit.lines(([(lon, lat), (lon, lat + 0.01)], {"highway": "residential"}), crs="EPSG:4326", shift=False)
    net = build_network(line, keep_largest_component=False)
    assert net.crs.to_epsg() == epsg
    assert net.edges["length_m"].iloc[0] == pytest.approx(metres, abs=0.5)
    geodesic = pyproj.Geod(ellps="WGS84").inv(lon, lat, lon, lat + 0.01)[2]
    assert net.edges["length_m"].iloc[0] == pytest.approx(geodesic, rel=1e-3)
    lon_c, lat_c = net.centre_lonlat()
    assert (lon_c, lat_c) == pytest.approx((lon, lat + 0.005), abs=1e-6)


def test_tiny_map_in_degrees_keeps_its_lengths(kit, edges_of):
    net = build_network(kit.tiny_streets().to_crs("EPSG:4326"), lamps=kit.tiny_lamps().to_crs("EPSG:4326"))
    assert net.crs.to_epsg() == 32635
    for name, length in kit.lengths.items():  # EPSG:3067 is UTM zone 35 on ETRS89: lengths agree to a cm
        assert edges_of(net, name)["length_m"].iloc[0] == pytest.approx(length, abs=0.01)
    assert net.lamps["offset_m"].tolist() == pytest.approx([30, 60], abs=0.01)


def test_feet_are_projected_to_metres(kit):
    ft = kit.lines(([(1_000_000, 200_000), (1_001_000, 200_000)], {"highway": "residential"}), crs="EPSG:2263", shift=False)
    net = build_network(ft, keep_largest_component=False)
    assert net.crs.to_epsg() == 32618
    assert net.edges["length_m"].iloc[0] == pytest.approx(304.8, rel=1e-3)


def test_a_map_without_crs_is_refused_unless_crs_is_given(kit, edges_of):
    path = kit.write("nocrs.shp", kit.tiny_streets().set_crs(None, allow_override=True))
    assert not path.with_suffix(".prj").exists()
    with pytest.raises(MapDataError) as error:
        load_network(path)
    message = str(error.value)
    assert message.startswith(f"{path}: ") and "no coordinate reference system" in message and "set map.crs" in message
    net = load_network(path, crs="EPSG:3067")
    assert net.crs.to_epsg() == 3067 and net.n_edges == 8
    assert edges_of(net, "Puistotie")["length_m"].iloc[0] == pytest.approx(210)


def test_given_crs_applies_to_lamps_without_crs_too(kit):
    streets = kit.tiny_streets().to_crs("EPSG:4326").set_crs(None, allow_override=True)
    lamps = kit.tiny_lamps().to_crs("EPSG:4326").set_crs(None, allow_override=True)
    net = build_network(streets, lamps=lamps, crs="EPSG:4326")
    assert net.crs.to_epsg() == 32635
    assert net.lamps["offset_m"].tolist() == pytest.approx([30, 60], abs=0.01)


def test_node_layer_in_another_crs_is_reprojected(kit):
    table = _edge_table(kit, ("a", "b", "c"))
    nodes = _node_layer(kit, ("a", "b", "c")).to_crs("EPSG:3879")  # Helsinki's own GK25 grid
    net = build_network(table, nodes=nodes)
    assert net.crs.to_epsg() == 3067
    assert _node_xy(net, net.node_positions(["b"])[0]) == pytest.approx((120, 0), abs=1e-3)


# --- connectivity repair -------------------------------------------------------------------------------------


def test_only_the_largest_strongly_connected_part_is_kept(kit, edges_of):
    streets = kit.tiny_streets()
    extra = kit.lines(
        ([(500, 500), (560, 500)], {"highway": "residential", "name": "Saari"}),  # island: 2 nodes, 2 edges
        ([(120, 90), (120, 150)], {"highway": "residential", "name": "Umpikuja", "oneway": "yes"}),  # cars can't return
        ([(180, 0), (240, 0)], {"highway": "motorway_link", "name": "Ramppi"}),  # one-way, car only, dead end
    )
    both = gpd.GeoDataFrame(gpd.pd.concat([streets, extra], ignore_index=True), crs=streets.crs)
    # 4 + 2 + 1 + 1 = 8 nodes; 8 + 2 + 2 + 1 = 13 edges. Dropped: the island (2 nodes, 2 edges) and
    # the ramp (1 node, 1 edge). The dead end stays for walking but is closed to cars and bikes.
    message = re.escape(
        "kept the largest strongly connected part of the street network: dropped 3 of 8 nodes and 3 of 13 edges; "
        "closed edges cut off from the rest for a mode (1 car, 1 bike)"
    )
    with pytest.warns(MapWarning, match=message):
        net = build_network(both, source="town.gpkg")
    assert (net.n_nodes, net.n_edges) == (5, 10)
    assert edges_of(net, "Saari").empty and edges_of(net, "Ramppi").empty
    dead_end = edges_of(net, "Umpikuja")
    assert len(dead_end) == 2 and not dead_end["allows_car"].any() and not dead_end["allows_bike"].any()
    assert dead_end["allows_walk"].all()
    # u and v are renumbered to the kept nodes.
    assert net.edges[["u", "v"]].to_numpy().max() == net.n_nodes - 1
    for mode in ("car", "bike", "walk"):
        assert net.graph(mode).n_nodes == 5


def test_keep_largest_component_off_keeps_everything_quietly(kit):
    streets = kit.tiny_streets()
    island = kit.lines(([(500, 500), (560, 500)], {"highway": "residential"}))
    both = gpd.GeoDataFrame(gpd.pd.concat([streets, island], ignore_index=True), crs=streets.crs)
    net = build_network(both, keep_largest_component=False)
    assert (net.n_nodes, net.n_edges) == (6, 10)


def test_a_network_of_one_way_dead_ends_is_refused(kit):
    chain = kit.lines(([(0, 0), (100, 0)], {"highway": "motorway"}), ([(100, 0), (200, 0)], {"highway": "motorway"}))
    with pytest.raises(MapDataError, match=r"^town\.gpkg: no part of the street network can be travelled both ways.*oneway tags.*keep_largest_component"):
        build_network(chain, source="town.gpkg")


def test_road_class_override_for_a_class_the_map_lacks_warns_with_a_suggestion(kit):
    with pytest.warns(MapWarning, match=r"map.road_classes.residental: no street in the map has this class.*"
                                        r"did you mean 'residential'\?"):
        build_network(kit.tiny_streets(), road_classes={"residental": {"speed_kmh": 20}})


def test_map_crs_rescues_a_geojson_of_metres_read_as_degrees(kit, edges_of):
    metres = kit.tiny_streets()
    mislabelled = metres.set_crs("EPSG:4326", allow_override=True)
    net = build_network(mislabelled, crs=kit.crs)
    assert net.edges["length_m"].sum() == pytest.approx(build_network(metres).edges["length_m"].sum())


def test_map_crs_that_contradicts_a_plausible_file_crs_is_ignored_with_a_warning(kit):
    with pytest.warns(MapWarning, match=r"map.crs EPSG:3879 is ignored because the file says its CRS is EPSG:3067"):
        net = build_network(kit.tiny_streets(), crs="EPSG:3879")
    assert net.crs.to_epsg() == 3067
