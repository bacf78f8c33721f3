"""Tests of twin.maps.synthetic: counts, classes, lengths and lamps against hand formulas."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pyproj
import pytest

from twin.maps.road_classes import ROAD_CLASSES
from twin.maps.synthetic import grid_town, radial_town, utm_crs


def _streets(network):
    return network.edges.drop_duplicates("street_id")


@pytest.mark.parametrize(("rows", "cols", "every"), [(3, 4, 2), (4, 3, 0), (1, 2, 1), (5, 5, 4)])
def test_grid_counts_lengths_and_classes(rows, cols, every):
    block = 100.0
    net = grid_town(rows=rows, cols=cols, block_m=block, arterial_every=every, arterial_lanes=3)
    assert net.n_nodes == rows * cols
    assert net.n_edges == 2 * (rows * (cols - 1) + cols * (rows - 1))
    assert net.edges["allows_car"].all()

    streets = _streets(net)
    assert streets["length_m"].sum() == pytest.approx(block * (rows * (cols - 1) + cols * (rows - 1)))
    n_art_rows = math.ceil(rows / every) if every else 0
    n_art_cols = math.ceil(cols / every) if every else 0
    arterial_m = block * (n_art_rows * (cols - 1) + n_art_cols * (rows - 1))
    assert streets.loc[streets["road_class"] == "secondary", "length_m"].sum() == pytest.approx(arterial_m)

    # Each edge by hand: a west-east street on row line i (or south-north on column line j)
    # is an arterial when i (or j) is a multiple of `every`.
    ids = net.nodes["node_id"].to_numpy()
    r_u, c_u = zip(*(map(int, s[1:].split("c")) for s in ids[net.edges["u"]]))
    r_v, c_v = zip(*(map(int, s[1:].split("c")) for s in ids[net.edges["v"]]))
    r_u, c_u, r_v, c_v = map(np.array, (r_u, c_u, r_v, c_v))
    assert (np.abs(r_u - r_v) + np.abs(c_u - c_v) == 1).all()
    line = np.where(r_u == r_v, r_u, c_u)
    arterial = (line % every == 0) if every else np.zeros(len(line), bool)
    np.testing.assert_array_equal(net.edges["road_class"], np.where(arterial, "secondary", "residential"))
    np.testing.assert_allclose(net.edges["speed_mps"], np.where(arterial, 50.0, 30.0) / 3.6)
    np.testing.assert_array_equal(net.edges["lanes"], np.where(arterial, 3, 1))


def test_grid_node_ids_sit_on_the_lattice_from_the_origin():
    net = grid_town(rows=3, cols=4, block_m=80.0, origin_lat=48.85, origin_lon=2.35)
    x0, y0 = pyproj.Transformer.from_crs("EPSG:4326", net.crs, always_xy=True).transform(2.35, 48.85)
    nodes = net.nodes.set_index("node_id")
    assert nodes.loc["r0c0", "x"] == pytest.approx(x0) and nodes.loc["r0c0", "y"] == pytest.approx(y0)
    assert nodes.loc["r2c3", "x"] == pytest.approx(x0 + 3 * 80.0)
    assert nodes.loc["r2c3", "y"] == pytest.approx(y0 + 2 * 80.0)
    assert net.node_positions(["r1c2"]).tolist() == [1 * 4 + 2]


@pytest.mark.parametrize(
    ("lat", "lon", "epsg"), [(60.17, 24.94, 32635), (-33.92, 18.42, 32734), (40.7, -74.0, 32618)]
)
def test_crs_is_the_utm_zone_in_metres(lat, lon, epsg):
    net = grid_town(rows=2, cols=2, origin_lat=lat, origin_lon=lon)
    assert net.crs.to_epsg() == epsg
    assert net.crs.is_projected and {a.unit_name for a in net.crs.axis_info} == {"metre"}
    # Independently: the zone pyproj's database gives for the point.
    aoi = pyproj.aoi.AreaOfInterest(lon, lat, lon, lat)
    found = pyproj.database.query_utm_crs_info(datum_name="WGS 84", area_of_interest=aoi)
    assert epsg in {int(info.code) for info in found}
    assert utm_crs(lat, lon).to_epsg() == epsg


def test_lamps_follow_the_class_spacing():
    net = grid_town(rows=6, cols=6, block_m=150.0, arterial_every=3)
    streets = _streets(net)
    lamps = net.lamps.merge(streets[["street_id", "road_class"]], on="street_id")
    for road_class in ("residential", "secondary"):
        of_class = streets[streets["road_class"] == road_class]
        expected = of_class["length_m"].sum() / ROAD_CLASSES[road_class].lamp_spacing_m
        count = int((lamps["road_class"] == road_class).sum())
        assert abs(count - expected) <= 0.5 * len(of_class), road_class
    assert (net.lamps["power_w"] > 0).all()
    dark = grid_town(rows=3, cols=3, lit=False)
    assert len(dark.lamps) == 0 and not dark.edges["lit"].any()


@pytest.mark.parametrize(("rings", "spokes"), [(3, 6), (2, 3)])
def test_radial_counts_and_ring_lengths(rings, spokes):
    spacing = 200.0
    net = radial_town(rings=rings, spokes=spokes, ring_spacing_m=spacing, spoke_lanes=3)
    assert net.n_nodes == 1 + rings * spokes
    assert net.n_edges == 2 * 2 * rings * spokes
    streets = _streets(net)
    spoke_streets = streets[streets["road_class"] == "primary"]
    assert len(spoke_streets) == rings * spokes
    np.testing.assert_allclose(spoke_streets["length_m"], spacing)
    assert (net.edges.loc[net.edges["road_class"] == "primary", "lanes"] == 3).all()
    ring_streets = streets[streets["road_class"] == "residential"]
    for i in range(1, rings + 1):
        ring_m = ring_streets.loc[ring_streets["name"] == f"Ring {i}", "length_m"].sum()
        assert ring_m == pytest.approx(2 * math.pi * i * spacing, rel=0.01)
        assert ring_m == pytest.approx(2 * math.pi * i * spacing, rel=1e-4)
    centre = net.nodes.set_index("node_id").loc["centre"]
    x0, y0 = pyproj.Transformer.from_crs("EPSG:4326", net.crs, always_xy=True).transform(24.94, 60.17)
    assert (centre["x"], centre["y"]) == pytest.approx((x0, y0))


def test_source_and_hash_identify_the_parameters():
    a = grid_town(rows=2, cols=3)
    assert a.source == "synthetic:grid"
    assert grid_town(rows=2, cols=3, block_m=120).source_hash == a.source_hash
    assert grid_town(rows=2, cols=3, block_m=121.0).source_hash != a.source_hash
    r = radial_town(rings=1, spokes=4)
    assert r.source == "synthetic:radial" and len(r.source_hash) == 64


def test_parameter_names_match_the_scenario_schema():
    # A scenario's map.synthetic section is passed as keyword arguments: renaming breaks it.
    from twin.scenario.schema import GridTown, RadialTown

    for generator, model in ((grid_town, GridTown), (radial_town, RadialTown)):
        parameters = inspect.signature(generator).parameters
        fields = set(model.model_fields) - {"kind"}
        assert fields <= set(parameters), fields - set(parameters)
        for name in fields:
            assert parameters[name].default == model.model_fields[name].default, name


@pytest.mark.parametrize(
    ("make", "kwargs", "match"),
    [
        (grid_town, {"rows": 0}, "`rows`"),
        (grid_town, {"rows": 1, "cols": 1}, "at least 2"),
        (grid_town, {"block_m": -5}, "`block_m`"),
        (grid_town, {"arterial_every": 1.5}, "`arterial_every`"),
        (grid_town, {"origin_lat": 89.0}, "UTM"),
        (radial_town, {"spokes": 2}, "`spokes`"),
        (radial_town, {"ring_speed_kmh": float("nan")}, "`ring_speed_kmh`"),
    ],
)
def test_bad_parameters_are_named(make, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make(**kwargs)
