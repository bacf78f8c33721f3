"""Tests of twin.maps.routing: fastest paths against networkx on small random graphs."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from shapely import LineString, Point

from twin.maps.network import StreetNetwork
from twin.maps.routing import Routes, route


def _network(u, v, weight, *, n_nodes: int, allows_car=None) -> StreetNetwork:
    """A network with the given directed edges, nodes on a circle, all columns filled."""
    u, v = np.asarray(u), np.asarray(v)
    angle = np.linspace(0, 2 * np.pi, n_nodes, endpoint=False)
    x, y = 100 * np.cos(angle), 100 * np.sin(angle)
    nodes = gpd.GeoDataFrame(
        {"node_id": [f"n{i}" for i in range(n_nodes)], "x": x, "y": y},
        geometry=[Point(a, b) for a, b in zip(x, y)],
        crs="EPSG:3067",
    )
    m = u.size
    car = np.ones(m, bool) if allows_car is None else np.asarray(allows_car)
    edges = gpd.GeoDataFrame(
        {
            "u": u, "v": v, "street_id": np.arange(m), "road_class": "residential",
            "name": None, "length_m": np.hypot(x[u] - x[v], y[u] - y[v]),
            "speed_mps": 10.0, "lanes": 1, "capacity_vph": 600.0, "storage_veh": 10.0,
            "freeflow_s": np.asarray(weight, float), "lit": True,
            "allows_car": car, "allows_bike": True, "allows_walk": True,
        },  # fmt: skip
        geometry=[LineString([(x[a], y[a]), (x[b], y[b])]) for a, b in zip(u, v)],
        crs="EPSG:3067",
    )
    lamps = gpd.GeoDataFrame({"lamp_id": [], "edge_id": []}, geometry=[], crs="EPSG:3067")
    return StreetNetwork(nodes=nodes, edges=edges, lamps=lamps, source="test", source_hash="")


def _random_network(seed: int, n_nodes: int = 25, n_edges: int = 80):
    """Random one-way edges, deliberate parallel edges and zero weights, one isolated node."""
    rng = np.random.default_rng(seed)
    u = rng.integers(0, n_nodes - 1, n_edges)
    v = rng.integers(0, n_nodes - 1, n_edges)  # node n_nodes - 1 stays isolated
    u = np.concatenate([u, u[:10]])  # parallel edges with other weights
    v = np.concatenate([v, v[:10]])
    w = rng.uniform(0, 100, u.size)
    w[rng.choice(u.size, 5, replace=False)] = 0.0
    return _network(u, v, w, n_nodes=n_nodes), w


def _nx_graph(network: StreetNetwork, w: np.ndarray, mode: str = "car") -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    g.add_nodes_from(range(network.n_nodes))
    e = network.edges
    for i in np.flatnonzero(e[f"allows_{mode}"].to_numpy()):
        g.add_edge(int(e["u"].iat[i]), int(e["v"].iat[i]), key=int(i), w=float(w[i]))
    return g


def _check_paths(network: StreetNetwork, routes: Routes, orig, dest, w) -> None:
    u, v = network.edges["u"].to_numpy(), network.edges["v"].to_numpy()
    for i in range(len(routes)):
        p = routes.path(i)
        if not routes.reachable[i]:
            assert p.size == 0 and routes.cost[i] == np.inf
            continue
        if p.size == 0:
            assert orig[i] == dest[i] and routes.cost[i] == 0.0
            continue
        assert u[p[0]] == orig[i] and v[p[-1]] == dest[i]
        np.testing.assert_array_equal(v[p[:-1]], u[p[1:]])
        assert routes.cost[i] == pytest.approx(w[p].sum(), rel=1e-12, abs=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_costs_match_networkx_on_random_graphs(seed):
    network, w = _random_network(seed)
    g = _nx_graph(network, w)
    orig, dest = np.divmod(np.arange(network.n_nodes**2), network.n_nodes)
    routes = route(network, orig, dest)
    expected = np.full(orig.size, np.inf)
    for o in range(network.n_nodes):
        lengths, _ = nx.single_source_dijkstra(g, o, weight="w")
        for d, length in lengths.items():
            expected[o * network.n_nodes + d] = length
    np.testing.assert_allclose(routes.cost, expected, rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(routes.reachable, np.isfinite(expected))
    assert not routes.reachable.all()  # the isolated node cannot be reached
    _check_paths(network, routes, orig, dest, w)


def test_parallel_edges_use_the_cheapest_and_one_way_is_respected():
    # 0 -> 1 twice (10 and 3), 1 -> 2 one way, 2 -> 0 back.
    network = _network([0, 0, 1, 2], [1, 1, 2, 0], [10.0, 3.0, 4.0, 5.0], n_nodes=3)
    routes = route(network, [0, 2, 1], [2, 1, 0])
    assert routes.path(0).tolist() == [1, 2]
    assert routes.cost.tolist() == [7.0, 8.0, 9.0]
    assert routes.path(2).tolist() == [2, 3]


def test_zero_weight_edges_are_edges():
    network = _network([0, 1], [1, 2], [0.0, 0.0], n_nodes=4)
    routes = route(network, [0, 0], [2, 3])
    assert routes.reachable.tolist() == [True, False]
    assert routes.path(0).tolist() == [0, 1] and routes.cost[0] == 0.0


def test_weight_array_closed_edges_and_mode():
    network = _network([0, 1, 0], [1, 2, 2], [1.0, 1.0, 5.0], n_nodes=3, allows_car=[1, 1, 0])
    assert route(network, [0], [2]).path(0).tolist() == [0, 1]
    assert route(network, [0], [2], mode="car", weight=np.array([1.0, np.inf, 0.5])).cost[0] == np.inf
    walk = route(network, [0], [2], mode="walk", weight=np.array([1.0, np.inf, 0.5]))
    assert walk.path(0).tolist() == [2] and walk.cost[0] == 0.5
    assert route(network, [0], [2], weight="length_m").cost[0] == pytest.approx(
        network.edges["length_m"].iloc[:2].sum()
    )


def test_same_origin_and_destination_and_order_of_pairs():
    network, w = _random_network(3)
    rng = np.random.default_rng(7)
    orig = rng.integers(0, network.n_nodes, 300)
    dest = rng.integers(0, network.n_nodes, 300)
    dest[:20] = orig[:20]
    whole = route(network, orig, dest)
    chunked = route(network, orig, dest, chunk_size=1)
    for name in ("offsets", "edges", "cost", "reachable"):
        np.testing.assert_array_equal(getattr(whole, name), getattr(chunked, name))
    assert (whole.hops[:20] == 0).all() and (whole.cost[:20] == 0).all() and whole.reachable[:20].all()
    _check_paths(network, whole, orig, dest, w)
    assert len(whole) == 300 and whole.path(-1).tolist() == whole.path(299).tolist()
    with pytest.raises(IndexError):
        whole.path(300)
    with pytest.raises(ValueError):
        whole.edges[0] = 1  # read-only


def test_no_pairs():
    network, _ = _random_network(0)
    routes = route(network, [], [])
    assert len(routes) == 0 and routes.offsets.tolist() == [0] and routes.edges.size == 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"origins": [0, 1], "destinations": [1]}, "`origins` and `destinations` must be of equal length"),
        ({"origins": [0], "destinations": [99]}, "`destinations` holds node position 99"),
        ({"origins": [-1], "destinations": [0]}, "`origins` holds node position -1"),
        ({"origins": [0.5], "destinations": [0]}, "node_positions"),
        ({"mode": "boat"}, "`mode` must be one of"),
        ({"weight": "nope"}, "not a column"),
        ({"weight": "name"}, "not numeric"),
        ({"weight": np.ones(2)}, "one value per edge"),
        ({"weight": np.array([1.0, -1.0, 1.0])}, "negative or NaN"),
        ({"weight": np.array([1.0, 1.0, np.nan])}, "negative or NaN"),
        ({"chunk_size": 0}, "`chunk_size`"),
    ],
)
def test_bad_input_is_named(kwargs, match):
    network = _network([0, 1, 2], [1, 2, 0], [1.0, 1.0, 1.0], n_nodes=3)
    args = {"origins": [0], "destinations": [1]} | kwargs
    with pytest.raises(ValueError, match=match):
        route(network, args.pop("origins"), args.pop("destinations"), **args)


def test_freeflow_time_on_a_straight_grid_path():
    from twin.maps.synthetic import grid_town

    local = grid_town(rows=3, cols=5, block_m=100.0, arterial_every=0, local_speed_kmh=30.0)
    routes = route(local, local.node_positions(["r1c0", "r0c1"]), local.node_positions(["r1c4", "r2c1"]))
    assert routes.cost.tolist() == pytest.approx([400.0 / (30 / 3.6), 200.0 / (30 / 3.6)])
    assert routes.hops.tolist() == [4, 2]
    assert local.edges["length_m"].to_numpy()[routes.path(0)].sum() == pytest.approx(400.0)

    # Rows and columns 0, 2, 4 are arterials at 50 km/h, the rest residential at 30 km/h.
    mixed = grid_town(rows=3, cols=5, block_m=100.0, arterial_every=2, local_speed_kmh=30.0, arterial_speed_kmh=50.0)
    routes = route(mixed, mixed.node_positions(["r0c0", "r1c0"]), mixed.node_positions(["r0c4", "r1c4"]))
    assert routes.cost[0] == pytest.approx(400.0 / (50 / 3.6))
    # Along residential row 1 takes 400 m / 30 km/h = 48 s; the detour down column 0, along
    # row 0 and up column 4 is 600 m at 50 km/h = 43.2 s, so the fastest path takes it.
    assert routes.cost[1] == pytest.approx(600.0 / (50 / 3.6))
    assert routes.hops.tolist() == [4, 6]
