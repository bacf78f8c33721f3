"""Tests of twin.mobility.transit: lines, timetables, level of service and riders against hand sums.

The towns are ``grid_town(block_m=200)`` lattices: row 2 and column 2 are residential streets
at 30 km/h, so a bus covers a 200 m block in 200 / (30 / 3.6) = 24 s at free flow.
"""

from __future__ import annotations

import math

import numpy as np
import pyproj
import pytest

from twin._errors import ScenarioError
from twin.maps.synthetic import grid_town
from twin.mobility.transit import (
    ARRIVED,
    NO_PATH,
    STRANDED,
    Line,
    TransitPaths,
    build_lines,
    build_timetable,
    departures,
    headway_at,
    level_of_service,
    operator_table,
    simulate_riders,
)
from twin.scenario.area import Area
from twin.scenario.services import LineSpec, TransitSpec

BLOCK_S = 24.0  # 200 m at 30 km/h
DWELL_S = 20.0
H = 3600.0


@pytest.fixture(scope="module")
def town():
    return grid_town(rows=5, cols=5, block_m=200.0)


def _nodes(network, *ids):
    return network.node_positions(list(ids)).astype(np.int64)


def _line(network, name, ids, bands, *, capacity=80, dwell_s=DWELL_S):
    return Line(name=name, stop_nodes=_nodes(network, *ids), headways=tuple(bands), capacity=capacity,
                dwell_s=dwell_s, cost_eur_per_vehicle_hour=60.0, cost_eur_per_km=0.8, co2_kg_per_km=1.0)  # fmt: skip


ROW2 = ("r2c0", "r2c1", "r2c2", "r2c3", "r2c4")
COL2 = ("r0c2", "r1c2", "r2c2", "r3c2", "r4c2")


def _paths(rides, *, access=0.0, egress=0.0):
    """Hand-made paths: ``rides`` is one list of (line, board, alight) per trip."""
    counts = [len(r) for r in rides]
    flat = [ride for trip in rides for ride in trip] or [(0, 0, 0)][:0]
    n = len(rides)
    return TransitPaths(
        access_walk_s=np.full(n, float(access)), egress_walk_s=np.full(n, float(egress)),
        offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        ride_line=np.array([r[0] for r in flat], dtype=np.int32),
        ride_board=np.array([r[1] for r in flat], dtype=np.int32),
        ride_alight=np.array([r[2] for r in flat], dtype=np.int32),
    )  # fmt: skip


# ---------------------------------------------------------------------- lines


def _lonlat(network, node_id, dx=0.0, dy=0.0):
    row = network.nodes.set_index("node_id").loc[node_id]
    to_geo = pyproj.Transformer.from_crs(network.crs, "EPSG:4326", always_xy=True)
    lon, lat = to_geo.transform(row["x"] + dx, row["y"] + dy)
    return [float(lon), float(lat)]


def test_stops_snap_to_junctions_and_return_direction_is_reversed(town):
    stops = [_lonlat(town, "r2c0", dy=30), _lonlat(town, "r2c1", dx=5), _lonlat(town, "r2c1", dx=-7),
             _lonlat(town, "r2c3", dy=-40)]  # fmt: skip
    spec = TransitSpec(lines=[LineSpec(name="7", stops=stops, headway_min={"06:00": 10, "09:00": None})])
    lines = build_lines(spec, town)
    assert [line.name for line in lines] == ["7", "7 (return)"]
    # The repeated r2c1 (two points near one junction) counts once.
    assert lines[0].stop_nodes.tolist() == _nodes(town, "r2c0", "r2c1", "r2c3").tolist()
    assert lines[1].stop_nodes.tolist() == _nodes(town, "r2c3", "r2c1", "r2c0").tolist()
    assert lines[0].headways == ((6 * H, 600.0), (9 * H, math.inf))
    assert (lines[0].capacity, lines[0].dwell_s) == (80, 20.0)


def test_a_stop_with_swapped_lon_lat_names_the_line_and_stop(town):
    stops = [_lonlat(town, "r2c0"), _lonlat(town, "r2c2")[::-1], _lonlat(town, "r2c4")]
    spec = TransitSpec(lines=[LineSpec(name="A", stops=[_lonlat(town, "r0c0"), _lonlat(town, "r0c4")]),
                              LineSpec(name="7", stops=stops)])  # fmt: skip
    with pytest.raises(ScenarioError) as error:
        build_lines(spec, town, where="city.yaml: services.transit")
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("city.yaml: services.transit.lines.1.stops.1: the stop of line '7' is ")
    assert "km from the nearest street" in message and "lon/lat order" in message


def test_stops_all_on_one_junction_are_refused(town):
    spec = TransitSpec(lines=[LineSpec(name="x", stops=[_lonlat(town, "r1c1"), _lonlat(town, "r1c1", dx=3)])])
    with pytest.raises(ScenarioError, match=r"lines\.0\.stops: all stops of line 'x' snap to the same junction"):
        build_lines(spec, town)


def test_area_line_runs_along_the_area_with_stops_about_the_spacing_apart():
    net = grid_town(rows=5, cols=9, block_m=200.0)
    x0, y0 = net.nodes.loc[0, ["x", "y"]]
    # A band around row 2 from column 0 to 8: 1,600 m long, so with stops about 500 m apart
    # round(1600 / 500) = 3 gaps aim at 0, 533, 1067 and 1600 m; the nearest junctions are
    # at 0, 600 (c3), 1000 (c5) and 1600 m (c8).
    area = Area(bbox=[x0 - 50, y0 + 350, x0 + 1650, y0 + 450], crs=net.crs.to_string())
    spec = TransitSpec(lines=[LineSpec(name="trunk", area=area, stop_spacing_m=500)])
    lines = build_lines(spec, net)
    assert [line.name for line in lines] == ["trunk", "trunk (return)"]
    ids = net.nodes["node_id"].to_numpy()[lines[0].stop_nodes].tolist()
    assert ids in (["r2c0", "r2c3", "r2c5", "r2c8"], ["r2c8", "r2c5", "r2c3", "r2c0"])
    xy = net.nodes.loc[lines[0].stop_nodes, ["x", "y"]].to_numpy()
    gaps = np.hypot(*np.diff(xy, axis=0).T)
    assert gaps.min() >= 0.75 * 500 and gaps.max() <= 1.25 * 500


def test_an_area_without_two_junctions_is_refused(town):
    x0, y0 = town.nodes.loc[0, ["x", "y"]]
    area = Area(bbox=[x0 - 10, y0 - 10, x0 + 10, y0 + 10], crs=town.crs.to_string())
    spec = TransitSpec(lines=[LineSpec(name="tiny", area=area)])
    with pytest.raises(ScenarioError, match=r"lines\.0\.area: .* holds 1 junction\(s\) buses and pedestrians can use"):
        build_lines(spec, town)


# ---------------------------------------------------------------------- timetable


def test_runs_follow_the_bands_and_legs_chain(town):
    bands = [(6 * H, 600.0), (9 * H, 900.0), (10 * H, math.inf), (16 * H, 1200.0), (18 * H, math.inf)]
    line = _line(town, "1", ROW2, bands)
    tt = build_timetable([line], town, start_s=0, end_s=24 * H)
    # 06-09 every 10 min: 180 / 10 = 18 runs; 09-10 every 15: 60 / 15 = 4; 10-16 none;
    # 16-18 every 20: 120 / 20 = 6. Runs leave at each band's start.
    starts = tt.run_start_s
    assert ((starts >= 6 * H) & (starts < 9 * H)).sum() == 18
    assert ((starts >= 9 * H) & (starts < 10 * H)).sum() == 4
    assert ((starts >= 10 * H) & (starts < 16 * H)).sum() == 0
    assert ((starts >= 16 * H) & (starts < 18 * H)).sum() == 6
    assert tt.n_runs == 28 and starts[0] == 6 * H and starts[18] == 9 * H and starts[22] == 16 * H
    assert tt.n_legs == 28 * 4
    # Legs chain: each leg after the first of its run follows the previous one after a dwell.
    chained = tt.prev_leg >= 0
    assert (tt.prev_leg[chained] == np.flatnonzero(chained) - 1).all()
    assert (tt.leg_stop[~chained] == 0).all()
    np.testing.assert_allclose(tt.depart_s[chained], tt.arrive_s[tt.prev_leg[chained]] + DWELL_S)
    np.testing.assert_allclose(tt.arrive_s - tt.depart_s, BLOCK_S)
    np.testing.assert_allclose(tt.length_m, 200.0)
    np.testing.assert_allclose(tt.depart_s[tt.leg_stop == 0], starts)
    # Each leg's car route runs from its stop to the next.
    u, v = town.edges["u"].to_numpy(), town.edges["v"].to_numpy()
    for g in range(8):
        edges = tt.route_edges[tt.route_offsets[g] : tt.route_offsets[g + 1]]
        assert (v[edges[:-1]] == u[edges[1:]]).all()
        assert u[edges[0]] == line.stop_nodes[tt.leg_stop[g]] and v[edges[-1]] == line.stop_nodes[tt.leg_stop[g] + 1]


def test_bands_repeat_daily_and_night_service_runs_past_midnight(town):
    line = _line(town, "N", ROW2[:2], [(6 * H, 1800.0), (23 * H, 3600.0), (25 * H, math.inf)])
    # Each service day: 06:00-23:00 every 30 min is 34 runs, then 23:00 and 24:00. Over
    # [0, 48 h): day -1's 24:00 run (at 0 s), day 0's 36, day 1's 34 + 23:00 (its 24:00
    # run is at 48 h, outside) = 1 + 36 + 35 = 72.
    times = departures(line, 0.0, 48 * H)
    assert times.size == 72
    assert times[0] == 0.0 and times[1] == 6 * H and times[-1] == 47 * H
    # At 00:30 day -1's night band (23:00-25:00) is in force; it ends at 01:00.
    assert headway_at(line, [0.5 * H, 1 * H, 5 * H, 7 * H, 23.5 * H, 24.5 * H, 25.5 * H]).tolist() == [
        3600.0, math.inf, math.inf, 1800.0, 3600.0, 3600.0, math.inf]  # fmt: skip


def test_planned_times_use_the_link_times_of_the_departure_hour(town):
    line = _line(town, "1", ROW2[:3], [(6 * H, 1800.0), (9 * H, math.inf)])
    free = build_timetable([line], town, start_s=0, end_s=24 * H)
    # Slow down the second leg's street (r2c1 -> r2c2) in hour 7 only, by 100 s.
    slow_edge = free.route_edges[free.route_offsets[1] : free.route_offsets[2]][0]
    link = np.repeat(town.edges["freeflow_s"].to_numpy()[:, None], 24, axis=1)
    link[slow_edge, 7] += 100.0
    tt = build_timetable([line], town, start_s=0, end_s=24 * H, link_times_s=link)
    late = tt.arrive_s - free.arrive_s
    # Runs at 06:00, 06:30, 07:00, 07:30, 08:00, 08:30; their second legs leave at
    # start + 24 + 20 = start + 44 s, in hour 7 for the 07:00 and 07:30 runs.
    second = tt.leg_stop == 1
    np.testing.assert_allclose(late[second], [0, 0, 100, 100, 0, 0])
    np.testing.assert_allclose(late[~second], 0.0)


def test_unreachable_stop_pair_is_named(town):
    line = _line(town, "9", ROW2[:2], [(6 * H, 600.0)])
    closed = town.edges["freeflow_s"].to_numpy().copy()
    closed[:] = np.inf
    with pytest.raises(ScenarioError, match=r"line '9' cannot drive from stop 0 to stop 1"):
        build_timetable([line], town, start_s=0, end_s=24 * H, car_weight=closed)


# ---------------------------------------------------------------------- level of service


def test_level_of_service_one_line_by_hand(town):
    line = _line(town, "1", ROW2[:4], [(6 * H, 600.0), (9 * H, 900.0), (10 * H, math.inf)])
    tt = build_timetable([line], town, start_s=0, end_s=24 * H)
    o = _nodes(town, "r2c0", "r1c0", "r2c0", "r2c0", "r0c0")
    d = _nodes(town, "r2c3", "r2c3", "r2c3", "r2c3", "r2c3")
    los = level_of_service(tt, town, o, d, [7 * H, 7 * H, 9.5 * H, 11 * H, 7 * H], max_walk_m=300)
    # At stops: 3 legs of 24 s and 2 dwells of 20 s in between = 112 s; wait 600 / 2 = 300 s.
    assert los.in_vehicle_s[0] == pytest.approx(3 * BLOCK_S + 2 * DWELL_S)
    assert los.wait_s[0] == pytest.approx(300.0)
    assert los.walk_s[0] == 0.0 and los.boardings[0] == 1 and los.distance_m[0] == pytest.approx(600.0)
    # From r1c0, 200 m south of the first stop: walk 200 / 1.3 = 153.8 s.
    assert los.walk_s[1] == pytest.approx(200 / 1.3) and los.paths.access_walk_s[1] == pytest.approx(200 / 1.3)
    assert los.in_vehicle_s[1] == pytest.approx(112.0)
    # At 09:30 the headway is 15 min: wait 450 s. At 11:00 there is no service.
    assert los.wait_s[2] == pytest.approx(450.0)
    assert np.isinf(los.wait_s[3]) and los.boardings[3] == 0
    # r0c0 is 400 m from the nearest stop, beyond the 300 m walk.
    assert np.isinf(los.in_vehicle_s[4]) and np.isinf(los.walk_s[4])
    paths = los.paths
    assert paths.n_rides.tolist() == [1, 1, 1, 0, 0]
    assert paths.ride_line.tolist() == [0, 0, 0] and paths.ride_board.tolist() == [0, 0, 0]
    assert paths.ride_alight.tolist() == [3, 3, 3]


def test_a_transfer_at_a_shared_stop_adds_both_waits_and_the_riders_follow_it(town):
    east = _line(town, "1", ROW2, [(6 * H, 600.0), (9 * H, math.inf)])
    north = _line(town, "2", COL2, [(6 * H, 1200.0), (9 * H, math.inf)])
    tt = build_timetable([east, north], town, start_s=0, end_s=24 * H)
    o, d = _nodes(town, "r2c0"), _nodes(town, "r4c2")
    # Walks of at most 150 m reach only the stops at the trip's own junctions, so the only
    # path is line 1 from r2c0 to r2c2 (hub), then line 2 to r4c2.
    los = level_of_service(tt, town, o, d, 7 * H, max_walk_m=150)
    assert los.boardings[0] == 2
    assert los.wait_s[0] == pytest.approx(600 / 2 + 1200 / 2)
    assert los.in_vehicle_s[0] == pytest.approx(2 * (2 * BLOCK_S + DWELL_S))
    assert list(zip(los.paths.ride_line, los.paths.ride_board, los.paths.ride_alight)) == [(0, 0, 2), (1, 2, 4)]

    riders = simulate_riders(tt, los.paths, 7 * H)
    # Line 1's 07:00 run reaches the hub at 07:00 + 24 + 20 + 24 = +68 s. Line 2's 07:00 run
    # reaches it at +68 s too and leaves after its 20 s dwell, at +88 s: a 20 s wait. It
    # arrives at r4c2 at +88 + 24 + 20 + 24 = +156 s.
    assert riders.status[0] == ARRIVED and riders.boardings[0] == 2
    assert riders.wait_s[0] == pytest.approx(20.0)
    assert riders.in_vehicle_s[0] == pytest.approx(136.0)
    assert riders.arrival_s[0] == pytest.approx(7 * H + 156.0)
    assert riders.arrival_s[0] == pytest.approx(7 * H + riders.walk_s[0] + riders.wait_s[0] + riders.in_vehicle_s[0])


def test_the_transfer_penalty_steers_to_a_direct_ride_with_a_longer_walk(town):
    east = _line(town, "1", ROW2, [(6 * H, 600.0)])
    north = _line(town, "2", COL2, [(6 * H, 600.0)])
    tt = build_timetable([east, north], town, start_s=0, end_s=24 * H)
    o, d = _nodes(town, "r2c0"), _nodes(town, "r3c2")
    # Direct: line 1 to the hub (68 s), wait 300, walk 200 m on (153.8 s, weighed twice):
    # 68 + 600 + 307.7 = 975.7. Transfer to line 2 for one stop: 68 + 24 + 2 * 600 + penalty.
    direct = level_of_service(tt, town, o, d, 7 * H, transfer_penalty_s=300.0)
    assert direct.boardings[0] == 1 and direct.walk_s[0] == pytest.approx(200 / 1.3)
    free = level_of_service(tt, town, o, d, 7 * H, transfer_penalty_s=0.0, walk_time_weight=10.0)
    assert free.boardings[0] == 2 and free.walk_s[0] == 0.0


@pytest.mark.parametrize(("max_walk_m", "walk_weight"), [(500.0, 2.0), (300.0, 5.0)])
def test_level_of_service_matches_a_brute_force_search_over_one_and_two_ride_paths(town, max_walk_m, walk_weight):
    nx = pytest.importorskip("networkx")
    lines = [
        _line(town, "east", ROW2, [(6 * H, 600.0)]),
        _line(town, "north", COL2, [(6 * H, 1200.0)], dwell_s=30.0),
        _line(town, "loop", ("r1c0", "r1c1", "r1c2", "r3c3", "r3c4"), [(6 * H, 900.0)], dwell_s=0.0),
    ]
    tt = build_timetable(lines, town, start_s=0, end_s=24 * H)
    rng = np.random.default_rng(7)
    o = rng.integers(0, town.n_nodes, 300)
    d = rng.integers(0, town.n_nodes, 300)
    los = level_of_service(tt, town, o, d, 7 * H, max_walk_m=max_walk_m, walk_time_weight=walk_weight,
                           transfer_penalty_s=120.0)  # fmt: skip
    got = los.in_vehicle_s + walk_weight * los.walk_s + 2 * los.wait_s + 120.0 * np.maximum(los.boardings - 1, 0)
    assert (los.boardings == 2).sum() >= 4

    # Independently: walking distances by networkx, every ride k -> m on every line, and every
    # pair of rides meeting at one junction.
    walk = nx.DiGraph()
    for u, v, m in town.edges[["u", "v", "length_m"]].itertuples(index=False):
        walk.add_edge(u, v, w=m)
    dist = dict(nx.all_pairs_dijkstra_path_length(walk, cutoff=max_walk_m, weight="w"))
    first = tt.run_first_leg
    leg_s = [(tt.arrive_s - tt.depart_s)[first[run] : first[run] + line.stop_nodes.size - 1]
             for line, run in zip(lines, [int(np.argmax(tt.run_line == li)) for li in range(3)])]  # fmt: skip
    rides = []  # (line, board node, alight node, in-vehicle s, wait s)
    for li, (line, legs) in enumerate(zip(lines, leg_s)):
        for k in range(line.stop_nodes.size):
            for m in range(k + 1, line.stop_nodes.size):
                ivt = legs[k:m].sum() + line.dwell_s * (m - k - 1)
                rides.append((li, line.stop_nodes[k], line.stop_nodes[m], ivt, line.headways[0][1] / 2))
    paths = [(r[1], r[2], r[3] + 2 * r[4]) for r in rides]
    paths += [(a[1], b[2], a[3] + 2 * a[4] + b[3] + 2 * b[4] + 120.0)
              for a in rides for b in rides if a[2] == b[1] and a[0] != b[0]]  # fmt: skip
    for i in range(o.size):
        from_o, to_d = dist[o[i]], {n: dist[n].get(d[i]) for n in town.nodes.index}
        costs = [walk_weight * (from_o[s] + to_d[t]) / 1.3 + c for s, t, c in paths
                 if s in from_o and to_d[t] is not None]  # fmt: skip
        best = min(costs, default=np.inf)
        if los.boardings[i] <= 2:  # no path (inf) or one the brute force saw
            assert got[i] == pytest.approx(best)
        else:  # three rides: better than any of one or two
            assert got[i] <= best
        # The rides recovered chain at one junction and add up to the path's in-vehicle time.
        chain = range(los.paths.offsets[i], los.paths.offsets[i + 1])
        total, at = 0.0, None
        for r in chain:
            li, k, m = los.paths.ride_line[r], los.paths.ride_board[r], los.paths.ride_alight[r]
            assert at is None or lines[li].stop_nodes[k] == at
            total += leg_s[li][k:m].sum() + lines[li].dwell_s * (m - k - 1)
            at = lines[li].stop_nodes[m]
        assert len(chain) == los.boardings[i] and total == pytest.approx(los.in_vehicle_s[i] if chain else 0.0)


def test_no_line_or_no_stop_nearby_gives_inf_and_no_rides(town):
    line = _line(town, "1", ROW2[:2], [(6 * H, 600.0)])
    tt = build_timetable([line], town, start_s=0, end_s=24 * H)
    los = level_of_service(tt, town, _nodes(town, "r4c4"), _nodes(town, "r0c4"), 7 * H, max_walk_m=500)
    assert np.isinf(los.in_vehicle_s[0]) and los.boardings[0] == 0 and los.paths.offsets.tolist() == [0, 0]


# ---------------------------------------------------------------------- riders' day


def test_waiting_averages_half_the_headway_for_random_arrivals(town):
    line = _line(town, "1", ROW2[:3], [(6 * H, 600.0), (12 * H, math.inf)], capacity=1000)
    tt = build_timetable([line], town, start_s=0, end_s=24 * H)
    rng = np.random.default_rng(20260101)
    n = 4000
    depart = rng.uniform(7 * H, 11 * H, n)
    los = level_of_service(tt, town, np.repeat(_nodes(town, "r2c0"), n), np.repeat(_nodes(town, "r2c2"), n), depart)
    np.testing.assert_allclose(los.wait_s, 300.0)
    riders = simulate_riders(tt, los.paths, depart)
    assert (riders.status == ARRIVED).all() and riders.denied.sum() == 0
    # Uniform arrivals over whole headways: the wait is uniform on [0, 600), mean 300 s
    # (standard error 600 / sqrt(12 * 4000) = 2.7 s).
    assert riders.wait_s.mean() == pytest.approx(300.0, rel=0.03)
    assert riders.wait_s.max() < 600.0


def test_a_full_vehicle_leaves_the_last_rider_for_the_next_run(town):
    line = _line(town, "1", ROW2, [(7 * H, 600.0), (8 * H, math.inf)], capacity=2)
    tt = build_timetable([line], town, start_s=0, end_s=24 * H)
    # Riders a, b, c reach stop 0 at 06:59:00, :10, :20 (a to stop 1, b and c to stop 4);
    # d reaches stop 1 at 06:59:30 bound for stop 3.
    depart = 7 * H - np.array([60.0, 50.0, 40.0, 30.0])
    paths = _paths([[(0, 0, 1)], [(0, 0, 4)], [(0, 0, 4)], [(0, 1, 3)]])
    riders = simulate_riders(tt, paths, depart)
    assert riders.status.tolist() == [ARRIVED] * 4
    assert riders.denied.tolist() == [0, 0, 1, 0]
    # The 07:00 run takes a and b; c waits for the 07:10 run: 07:10:00 - 06:59:20 = 640 s.
    # d boards the 07:00 run at stop 1 (leaving at 07:00:44) in the place a frees there.
    assert riders.wait_s.tolist() == pytest.approx([60.0, 50.0, 640.0, 74.0])
    assert riders.ride_leg.tolist() == [0, 0, 4, 1]
    # Loads of the 07:00 run's legs: a+b, b+d, b+d, b; the 07:10 run: c on all four.
    assert riders.leg_load[:8].tolist() == [2, 2, 2, 1, 1, 1, 1, 1]
    assert riders.leg_boardings[:8].tolist() == [2, 1, 0, 0, 1, 0, 0, 0]
    assert riders.leg_load.max() <= 2

    table, daily = operator_table(tt, riders, paths, fare_eur=2.0, depart_s=depart)
    # 6 runs of 4 x 200 m = 4.8 km; each run takes 4 x 24 + 3 x 20 = 156 s: 6 x 156 / 3600 h.
    assert daily["vehicle_km"] == pytest.approx(4.8)
    assert daily["vehicle_hours"] == pytest.approx(6 * 156 / 3600)
    assert daily["operating_cost_eur"] == pytest.approx(6 * 156 / 3600 * 60 + 4.8 * 0.8)
    assert daily["co2_kg"] == pytest.approx(4.8)
    assert (daily["boardings"], daily["riders"], daily["arrived"], daily["denied_boardings"]) == (4, 4, 4, 1)
    assert daily["fare_revenue_eur"] == pytest.approx(8.0)
    assert daily["subsidy_per_trip_eur"] == pytest.approx((daily["operating_cost_eur"] - 8.0) / 4)
    # Passenger-km: a 0.2, b 0.8, c 0.8, d 0.4 = 2.2 of 4.8 km x 2 places.
    assert daily["passenger_km"] == pytest.approx(2.2)
    assert daily["load_factor"] == pytest.approx(2.2 / 9.6)
    assert daily["max_load"] == 2
    assert daily["mean_wait_s"] == pytest.approx(np.mean([60, 50, 640, 74]))
    row = table.set_index("hour").loc[7]
    assert (row["runs"], row["boardings"], row["max_load"]) == (6, 4, 2)
    assert row["vehicle_km"] == pytest.approx(4.8) and row["load_factor"] == pytest.approx(2.2 / 9.6)
    # Denials are booked in the hour c reached the stop (06:59).
    assert table.set_index("hour").loc[6, "denied"] == 1


def test_a_rider_after_the_last_run_is_stranded(town):
    line = _line(town, "1", ROW2[:3], [(7 * H, 600.0), (8 * H, math.inf)])
    tt = build_timetable([line], town, start_s=0, end_s=24 * H)
    paths = _paths([[(0, 0, 2)], [(0, 0, 2)], []])
    depart = np.array([7 * H + 3000.0, 7 * H + 3500.0, 7 * H])  # the last run leaves at 07:50 = +3000 s
    riders = simulate_riders(tt, paths, depart)
    assert riders.status.tolist() == [ARRIVED, STRANDED, NO_PATH]
    assert np.isnan(riders.arrival_s[1]) and np.isnan(riders.wait_s[1]) and riders.boardings[1] == 0
    assert riders.ride_ready_s[1] == 7 * H + 3500.0
    # end_s cuts the day: a rider whose run leaves after it is stranded too.
    cut = simulate_riders(tt, paths, depart, end_s=7 * H + 2999.0)
    assert cut.status.tolist() == [STRANDED, STRANDED, NO_PATH]


def test_actual_leg_times_delay_the_riders(town):
    line = _line(town, "1", ROW2[:3], [(7 * H, 600.0), (8 * H, math.inf)])
    tt = build_timetable([line], town, start_s=0, end_s=24 * H)
    paths = _paths([[(0, 1, 2)]])
    # The 07:00 run is 60 s late on its first leg and leaves stop 1 on arrival (07:01:24).
    dep, arr = tt.depart_s.copy(), tt.arrive_s.copy()
    arr[0] += 60.0
    dep[1] = arr[0]
    arr[1] = dep[1] + BLOCK_S
    riders = simulate_riders(tt, paths, 7 * H, leg_depart_s=dep, leg_arrive_s=arr)
    assert riders.wait_s[0] == pytest.approx(84.0)
    assert riders.arrival_s[0] == pytest.approx(7 * H + 84.0 + BLOCK_S)
