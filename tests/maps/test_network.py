"""StreetNetwork: CSR graphs per mode, id lookups, the nodes a mode can use, summaries."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString

from twin.maps import build_network, grid_town


@pytest.fixture
def town():
    # A 3x3 grid plus nothing else: 12 streets of 100 m, 24 directed edges.
    return grid_town(rows=3, cols=3, block_m=100, arterial_every=0)


def test_csr_graph_lists_each_nodes_out_edges(town):
    graph = town.graph("car")
    assert graph.n_nodes == 9 and graph.n_edges == 24
    tails = graph.tails
    edges = town.edges
    assert (edges["u"].to_numpy()[graph.edge_ids] == tails).all()
    assert (edges["v"].to_numpy()[graph.edge_ids] == graph.heads).all()
    # Corner nodes have 2 out-edges, edge middles 3, the centre 4.
    assert sorted(np.diff(graph.indptr)) == [2, 2, 2, 2, 3, 3, 3, 3, 4]
    assert town.graph("car") is graph  # cached


def test_unknown_mode_is_refused(town):
    with pytest.raises(ValueError, match="Unknown mode 'bus'"):
        town.graph("bus")


def test_node_positions_translate_the_maps_own_ids(town):
    ids = town.nodes["node_id"].tolist()
    assert list(town.node_positions([ids[4], ids[0]])) == [4, 0]
    with pytest.raises(KeyError, match="nowhere"):
        town.node_positions(["nowhere"])


def test_mode_nodes_excludes_nodes_only_paths_reach():
    street = [LineString([(0, 0), (100, 0)]), LineString([(100, 0), (200, 0)]), LineString([(200, 0), (0, 0)])]
    path = LineString([(100, 0), (100, 80)])
    frame = gpd.GeoDataFrame(
        {"highway": ["residential", "residential", "residential", "footway"]},
        geometry=[*street, path], crs="EPSG:3067",
    )  # fmt: skip
    network = build_network(frame, place_lamps=False)
    assert network.n_nodes == 4
    end_of_path = int(np.flatnonzero(network.nodes["y"].to_numpy() == 80)[0])
    assert end_of_path not in network.mode_nodes("car")
    assert end_of_path in network.mode_nodes("walk")
    assert len(network.mode_nodes("car")) == 3


def test_summary_counts_each_street_once(town):
    summary = town.summary()
    assert summary["nodes"] == 9 and summary["edges"] == 24
    assert summary["street_km"] == pytest.approx(1.2)
    assert summary["edges_by_mode"] == {"car": 24, "bike": 24, "walk": 24}
    assert summary["lamps"] == len(town.lamps)
    lon, lat = summary["centre_lonlat"]
    assert lat == pytest.approx(60.17, abs=0.01) and lon == pytest.approx(24.94, abs=0.01)


@pytest.mark.parametrize(
    ("lat", "lon", "zone"),
    [(60.17, 24.94, "Europe/Helsinki"), (40.71, -74.0, "America/New_York"), (-33.87, 151.21, "Australia/Sydney")],
)
def test_timezone_comes_from_the_maps_location(lat, lon, zone):
    town = grid_town(rows=2, cols=2, origin_lat=lat, origin_lon=lon)
    assert town.timezone() == zone
    assert town.summary()["timezone"] == zone
