"""Streetlights: snapped from a lamp layer, or placed along lit streets (twin.maps.lamps).

The tiny map of conftest.py: Rantatie (primary, 120 m, lit), Koulukatu (residential, 90 m,
unlit), Puistotie (tertiary, 210 m, lit by default), Polku (footway, 60 m, lit).
"""

from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from twin._errors import MapDataError, MapWarning
from twin.maps import build_network, load_network


def _local(points) -> list[tuple[float, float]]:
    return [(round(x - 385_000, 6), round(y - 6_672_000, 6)) for x, y in shapely.get_coordinates(points)]


def _street_of(net, lamp) -> str:
    return net.edges.loc[lamp["edge_id"], "name"]


# --- snapping a map's lamps ----------------------------------------------------------------------------


def test_lamps_snap_to_the_nearest_street_at_their_offset(kit):
    net = build_network(kit.tiny_streets(), lamps=kit.tiny_lamps())
    lamps = net.lamps
    assert len(lamps) == 2 and lamps["source"].tolist() == ["map", "map"]
    first, second = (row for _, row in lamps.iterrows())
    # 5 m north of Rantatie, 30 m from A: on the A->B edge at 30 m.
    assert _street_of(net, first) == "Rantatie"
    assert net.edges.loc[first["edge_id"], "street_id"] == first["street_id"]
    assert first["offset_m"] == pytest.approx(30)
    # 3 m east of Koulukatu, 60 m from B: on the B->C edge at 60 m.
    assert _street_of(net, second) == "Koulukatu" and second["offset_m"] == pytest.approx(60)
    assert _local(lamps.geometry) == [(30, 0), (120, 60)]  # moved onto the street line
    # The lamp layer's power and technology where given, else the street's class (residential: 70 W HPS).
    assert lamps["power_w"].tolist() == [60.0, 70.0]
    assert lamps["technology"].tolist() == ["LED", "HPS"]
    assert lamps["lamp_id"].tolist() == [0, 1]


def test_the_lamp_stands_on_the_first_edge_of_its_street_not_on_both(kit):
    net = build_network(kit.tiny_streets(), lamps=kit.points(((60, 90 + 2), {}), ((0, 45), {})))
    assert len(net.lamps) == 2
    puistotie = net.edges[net.edges["name"] == "Puistotie"]
    assert set(net.lamps["edge_id"]) == {puistotie.index[0]}
    # Offsets run along that edge's line (A -> D -> C or C -> D -> A), and point to the lamp.
    for _, lamp in net.lamps.iterrows():
        on_line = shapely.line_interpolate_point(net.edges.loc[lamp["edge_id"], "geometry"], lamp["offset_m"])
        assert on_line.distance(lamp.geometry) < 1e-6
    assert sorted(_local(net.lamps.geometry)) == [(0, 45), (60, 90)]


def test_far_lamps_are_dropped_with_a_warning_that_counts_them(kit):
    lamps = pd.concat([kit.tiny_lamps(), kit.points(((60, 40), {}), ((300, 300), {}))], ignore_index=True)
    lamps = gpd.GeoDataFrame(lamps, geometry="geometry", crs=kit.crs)
    path = kit.write("far.gpkg", streets=kit.tiny_streets(), street_lamps=lamps)
    message = f"{re.escape(str(path))}: 2 of 4 lamps are more than 15 m from any street and were dropped; raise map.lamp_snap_m"
    with pytest.warns(MapWarning, match=message):
        net = load_network(path)
    assert len(net.lamps) == 2
    # (60, 40) is 40 m from Rantatie, its nearest street: a 45 m reach keeps it, at 60 m along.
    with pytest.warns(MapWarning, match="1 of 4 lamps are more than 45 m"):
        wide = load_network(path, lamp_snap_m=45)
    assert len(wide.lamps) == 3
    kept = wide.lamps.iloc[2]
    assert _street_of(wide, kept) == "Rantatie" and kept["offset_m"] == pytest.approx(60)


def test_lamp_power_and_technology_from_the_road_class_table(kit):
    lamps = kit.points(((30, 5), {"power_w": None, "technology": "led"}), ((123, 60), {"power_w": 0, "technology": ""}))
    net = build_network(kit.tiny_streets(), lamps=lamps, road_classes={"residential": {"lamp_power_w": 35, "lamp_technology": "LED"}})
    assert net.lamps["power_w"].tolist() == [150.0, 35.0]  # primary default; residential override (0 W is no value)
    assert net.lamps["technology"].tolist() == ["LED", "LED"]  # spelled any case; blank is no value


def test_lamps_in_another_crs_are_reprojected(kit):
    lamps = kit.tiny_lamps().to_crs("EPSG:3879")  # Helsinki's GK25 grid, streets in EPSG:3067
    net = build_network(kit.tiny_streets(), lamps=lamps)
    assert net.lamps["offset_m"].tolist() == pytest.approx([30, 60], abs=1e-3)
    assert net.lamps.crs == net.crs


def test_lamps_without_crs_share_the_streets_crs(kit):
    net = build_network(kit.tiny_streets(), lamps=kit.tiny_lamps().set_crs(None, allow_override=True))
    assert net.lamps["offset_m"].tolist() == pytest.approx([30, 60])


def test_an_empty_lamp_layer_means_no_lamps(kit):
    net = build_network(kit.tiny_streets(), lamps=kit.tiny_lamps().iloc[:0])
    assert len(net.lamps) == 0 and net.summary()["lamps"] == 0


def test_unknown_lamp_technology_is_refused_with_the_feature_named(kit):
    lamps = kit.tiny_lamps()
    lamps["technology"] = ["LED", "sodium"]
    path = kit.write("tech.gpkg", streets=kit.tiny_streets(), street_lamps=lamps)
    with pytest.raises(MapDataError) as error:
        load_network(path)
    assert str(error.value) == (
        f"{path}: lamp feature 2 has technology 'sodium', which is unknown; "
        "use one of LED, HPS or leave it empty for the road class default"
    )


def test_unknown_technology_of_a_far_lamp_is_refused_too(kit):
    lamps = kit.points(((30, 5), {"technology": "LED"}), ((500, 500), {"technology": "mercury"}))
    with pytest.raises(MapDataError, match="lamp feature 2 has technology 'mercury'"):
        build_network(kit.tiny_streets(), lamps=lamps)


def test_a_line_in_the_lamp_layer_is_refused(kit):
    lamps = gpd.GeoDataFrame(
        {"power_w": [60.0, 70.0]},
        geometry=[shapely.Point(385_030, 6_672_005), shapely.LineString([(385_000, 6_672_010), (385_010, 6_672_010)])],
        crs=kit.crs,
    )
    path = kit.write("lines.gpkg", streets=kit.tiny_streets(), street_lamps=lamps)
    with pytest.raises(MapDataError) as error:
        load_network(path)
    assert str(error.value) == f"{path}: lamp feature 2 is not a point; the lamp layer must hold one point per lamp"


# --- placing lamps along lit streets -------------------------------------------------------------------------


def test_lamps_are_placed_along_lit_streets_at_the_class_spacing(kit):
    net = build_network(kit.tiny_streets())
    lamps = net.lamps
    by_street = {name: lamps[[_street_of(net, lamp) == name for _, lamp in lamps.iterrows()]] for name in kit.lengths}
    # round(length / spacing): primary 120/40 = 3, tertiary 210/35 = 6, footway 60/30 = 2; Koulukatu is unlit.
    assert {name: len(frame) for name, frame in by_street.items()} == {"Rantatie": 3, "Koulukatu": 0, "Puistotie": 6, "Polku": 2}
    assert by_street["Rantatie"]["offset_m"].tolist() == pytest.approx([20, 60, 100])
    assert by_street["Puistotie"]["offset_m"].tolist() == pytest.approx([17.5, 52.5, 87.5, 122.5, 157.5, 192.5])
    assert by_street["Polku"]["offset_m"].tolist() == pytest.approx([15, 45])
    assert sorted(_local(by_street["Puistotie"].geometry)) == [(0, 17.5), (0, 52.5), (0, 87.5), (32.5, 90), (67.5, 90), (102.5, 90)]
    assert sorted(_local(by_street["Rantatie"].geometry)) == [(20, 0), (60, 0), (100, 0)]
    # Each street's lamps stand on one of its two edges: not doubled by the two directions.
    for frame in by_street.values():
        assert frame["edge_id"].nunique() <= 1
    assert lamps["power_w"].tolist() == [150.0] * 3 + [100.0] * 6 + [50.0] * 2
    assert set(lamps["technology"]) == {"HPS"} and set(lamps["source"]) == {"placed"}
    summary = net.summary()
    assert summary["lamps"] == 11 and summary["lamps_by_source"] == {"placed": 11}
    assert summary["lamp_power_kw"] == pytest.approx((3 * 150 + 6 * 100 + 2 * 50) / 1000)
    assert summary["lit_street_km"] == pytest.approx(0.39)


def test_class_overrides_change_lamp_spacing_power_and_technology(kit):
    overrides = {"primary": {"lamp_spacing_m": 60, "lamp_power_w": 90, "lamp_technology": "LED"}, "tertiary": {"lit_by_default": False}}
    net = build_network(kit.tiny_streets(), road_classes=overrides)
    rantatie = net.lamps[[_street_of(net, lamp) == "Rantatie" for _, lamp in net.lamps.iterrows()]]
    assert rantatie["offset_m"].tolist() == pytest.approx([30, 90])
    assert rantatie["power_w"].tolist() == [90.0, 90.0] and rantatie["technology"].tolist() == ["LED", "LED"]
    assert len(net.lamps) == 2 + 2  # Puistotie is now unlit; Polku keeps its 2


def test_a_street_shorter_than_half_a_spacing_gets_no_lamp(kit):
    net = build_network(kit.lines(([(0, 0), (14, 0)], {"highway": "residential"})), keep_largest_component=False)
    assert len(net.lamps) == 0  # round(14 / 30) = 0
    net = build_network(kit.lines(([(0, 0), (16, 0)], {"highway": "residential"})), keep_largest_component=False)
    assert net.lamps["offset_m"].tolist() == pytest.approx([8])  # round(16 / 30) = 1, in the middle


def test_place_lamps_off_gives_no_lamps(kit):
    assert len(build_network(kit.tiny_streets(), place_lamps=False).lamps) == 0


def test_a_map_with_lamps_gets_no_placed_lamps(kit):
    net = load_network(kit.write_tiny("gpkg"))
    assert net.lamps["source"].tolist() == ["map", "map"]
