"""The queue-network traffic engine against hand calculations and queueing theory.

Toy networks are given as plain per-edge arrays; the lone-trip and chain tests use a small
grid town so the engine is also checked against the network's own free-flow times.
"""

from __future__ import annotations

import numpy as np
import pytest

from twin.engine import traffic
from twin.engine.traffic import TrafficEngine
from twin.maps.routing import route
from twin.maps.synthetic import grid_town


@pytest.fixture(scope="module")
def town():
    return grid_town(rows=4, cols=5, block_m=150.0)


def town_engine(network, **options) -> TrafficEngine:
    e = network.edges
    return TrafficEngine(
        freeflow_s=e["freeflow_s"].to_numpy(), capacity_vph=e["capacity_vph"].to_numpy(),
        storage_veh=e["storage_veh"].to_numpy(), length_m=e["length_m"].to_numpy(), **options,
    )  # fmt: skip


def toy_engine(freeflow_s, capacity_vph, storage_veh, **options) -> TrafficEngine:
    """An engine on toy edges 100 m long each."""
    return TrafficEngine(
        freeflow_s=freeflow_s, capacity_vph=capacity_vph, storage_veh=storage_veh,
        length_m=np.full(len(freeflow_s), 100.0), **options,
    )  # fmt: skip


def same_routes(n_trips: int, edges: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Offsets and edges of ``n_trips`` routes all following ``edges``."""
    return np.arange(n_trips + 1, dtype=np.int64) * len(edges), np.tile(np.asarray(edges, np.int64), n_trips)


def max_occupancy(enter_s: np.ndarray, exit_s: np.ndarray) -> int:
    """Most vehicles on an edge at once, from passages; a vehicle leaving at t is gone before one enters at t."""
    times = np.concatenate([exit_s, enter_s])
    change = np.concatenate([-np.ones(exit_s.size, int), np.ones(enter_s.size, int)])
    order = np.lexsort((change, times))
    return int(np.cumsum(change[order]).max())


# ---------------------------------------------------------------------- 1. free flow


def test_lone_trip_takes_the_sum_of_free_flow_times(town):
    edges = town.edges
    node = town.node_positions(["r0c0", "r3c4"])
    routes = route(town, node[:1], node[1:])
    path = routes.path(0)
    assert path.size == 7  # 3 blocks north and 4 east
    expected_s = float(np.sum(edges["length_m"].to_numpy()[path] / edges["speed_mps"].to_numpy()[path]))

    engine = town_engine(town)
    # A second trip with an empty route arrives when it departs.
    offsets = np.array([0, path.size, path.size])
    engine.load(depart_s=[1000.0, 42.0], route_offsets=offsets, route_edges=path)
    engine.run_to_end()

    arrival = engine.arrival_s()
    assert arrival[0] - 1000.0 == pytest.approx(expected_s, abs=1e-9)
    assert arrival[1] == 42.0 and engine.actual_depart_s()[1] == 42.0
    freeflow = edges["freeflow_s"].to_numpy()[path]
    np.testing.assert_allclose(engine.enter_s(), 1000.0 + np.r_[0.0, np.cumsum(freeflow)[:-1]], rtol=0, atol=1e-9)
    assert engine.arrived == 2 and engine.vehicles_on_road == 0
    assert engine.link_events == path.size and engine.forced_moves == 0
    assert engine.time_s == arrival[0]
    assert engine.vehicle_metres() == pytest.approx(edges["length_m"].to_numpy()[path].sum(), rel=1e-12)
    assert engine.vehicle_seconds() == pytest.approx(expected_s, rel=1e-12)

    table = engine.traversals(trip_rows=[7, 8])
    np.testing.assert_array_equal(table.edge, path)
    np.testing.assert_array_equal(table.trip, np.full(path.size, 7))
    np.testing.assert_array_equal(table.mode, np.zeros(path.size, np.int8))
    np.testing.assert_allclose(table.exit_s - table.enter_s, freeflow, rtol=0, atol=1e-9)
    assert table.exit_s[-1] == arrival[0]


# ---------------------------------------------------------------------- 2. bottleneck


@pytest.mark.parametrize("inflow_vph", [1500.0, 600.0])
def test_bottleneck_gives_deterministic_queueing_delays(inflow_vph):
    capacity_vph, n, feeder_s, bottleneck_s = 1000.0, 1200, 120.0, 10.0
    # Edge 0: long feeder with ample flow and storage capacity; edge 1: the bottleneck.
    engine = toy_engine([feeder_s, bottleneck_s], [1e6, capacity_vph], [1e9, 1e9])
    depart = np.arange(n) * 3600.0 / inflow_vph
    offsets, route_edges = same_routes(n, [0, 1])
    engine.load(depart_s=depart, route_offsets=offsets, route_edges=route_edges)
    engine.run_to_end()

    arrival = engine.arrival_s()  # the bottleneck is the last edge: its exits are arrivals
    delay = arrival - (depart + feeder_s + bottleneck_s)
    # D/D/1: vehicle k waits for the k vehicles ahead, each served in 1/C, minus its own
    # later arrival k/lambda.
    expected = np.maximum(0.0, np.arange(n) * (3600.0 / capacity_vph - 3600.0 / inflow_vph))
    np.testing.assert_allclose(delay, expected, rtol=0, atol=1e-6)
    if expected.sum() > 0:
        assert delay.sum() == pytest.approx(expected.sum(), rel=0.01)
    else:
        assert np.abs(delay).max() < 1e-6

    exit_vph = (n - 1) * 3600.0 / (arrival[-1] - arrival[0])
    assert exit_vph == pytest.approx(min(capacity_vph, inflow_vph), rel=1e-9)

    # Link statistics of the bottleneck: entries by hour, and the time spent on it.
    count, total_s = engine.link_stats()
    enter = depart + feeder_s
    hour = np.minimum(enter // 3600, 23).astype(int)
    np.testing.assert_array_equal(count[1], np.bincount(hour, minlength=24))
    np.testing.assert_allclose(
        total_s[1], np.bincount(hour, weights=bottleneck_s + expected, minlength=24), rtol=1e-12, atol=1e-6
    )
    mean_s = engine.experienced_times()
    seen = count[1] > 0
    np.testing.assert_allclose(mean_s[1, seen], total_s[1, seen] / count[1, seen])
    assert (mean_s[1, ~seen] == bottleneck_s).all()


def test_vehicle_seconds_and_metres_per_step():
    engine = toy_engine([120.0, 10.0], [1e6, 1000.0], [1e9, 1e9])
    n = 300
    depart = np.arange(n) * 2.4
    offsets, route_edges = same_routes(n, [0, 1])
    engine.load(depart_s=depart, route_offsets=offsets, route_edges=route_edges)
    engine.advance_to(400.0)
    arrival = engine.arrival_s()
    on_road_s = np.clip(np.fmin(arrival, 400.0) - depart, 0.0, None)
    assert engine.time_s == 400.0
    assert engine.vehicle_seconds() == pytest.approx(on_road_s.sum(), rel=1e-12)
    assert engine.vehicles_on_road == int(((depart <= 400.0) & ~(arrival <= 400.0)).sum())
    passages = engine.traversals()
    assert engine.vehicle_metres() == pytest.approx(100.0 * len(passages))
    assert engine.link_events == len(passages)
    occupancy = engine.edge_occupancy()
    enter = engine.enter_s().reshape(n, 2)
    assert occupancy[0] == int(((enter[:, 0] <= 400) & ~(enter[:, 1] <= 400)).sum())
    occupancy[0] = -1  # a copy: editing it changes nothing
    assert engine.edge_occupancy()[0] >= 0


# ---------------------------------------------------------------------- 3. spillback


def test_spillback_holds_vehicles_upstream():
    # Edge 0 upstream (10 s, 7,200 veh/h: 0.5 s headway, ample storage); edge 1 downstream
    # holds 3 vehicles and lets one out every 10 s.
    n, up_s, down_s, up_h, down_h, storage = 20, 10.0, 5.0, 0.5, 10.0, 3
    engine = toy_engine([up_s, down_s], [3600.0 / up_h, 3600.0 / down_h], [1000.0, storage])
    depart = np.arange(n, dtype=float)
    offsets, route_edges = same_routes(n, [0, 1])
    engine.load(depart_s=depart, route_offsets=offsets, route_edges=route_edges)

    peak_seen = 0
    for t in np.arange(0.0, 400.0, 0.5):
        engine.advance_to(t)
        peak_seen = max(peak_seen, int(engine.edge_occupancy()[1]))
    engine.run_to_end()

    # Independent recursion: vehicle k leaves edge 0 when it has done its free-flow time,
    # one headway after the vehicle ahead, and once vehicle k - 3 has left edge 1.
    up_exit = np.zeros(n)
    down_exit = np.zeros(n)
    for k in range(n):
        up_exit[k] = max(depart[k] + up_s, up_exit[k - 1] + up_h if k else -np.inf,
                         down_exit[k - storage] if k >= storage else -np.inf)  # fmt: skip
        down_exit[k] = max(up_exit[k] + down_s, down_exit[k - 1] + down_h if k else -np.inf)
    enter = engine.enter_s().reshape(n, 2)
    np.testing.assert_allclose(enter[:, 1], up_exit, rtol=0, atol=1e-9)
    np.testing.assert_allclose(engine.arrival_s(), down_exit, rtol=0, atol=1e-9)
    assert (up_exit[storage + 1 :] > depart[storage + 1 :] + up_s + 1.0).all()  # really held back

    assert engine.forced_moves == 0
    assert peak_seen == storage
    assert max_occupancy(enter[:, 1], engine.arrival_s()) == storage


def test_the_head_blocked_longest_goes_first_even_after_losing_a_slot():
    # Edge 0 holds one vehicle for 20 s; edges 1, 2, 3 lead into it.
    engine = toy_engine([20.0, 20.0, 5.0, 6.0], [360.0, 1e6, 1e6, 1e6], [1.0, 100.0, 100.0, 100.0])
    # Trip 0 fills edge 0 until 20 s. The heads of edges 2 and 3 are blocked from 5 s
    # and 6 s. At 20 s trip 0 leaves (edge 0 is first among equal times) and wakes edge
    # 2, but edge 1's head, due at 20 s and first by edge id, takes the slot; edge 2
    # stays first in line and gets the next slot at 40 s, edge 3 the one after.
    engine.load(depart_s=[0.0] * 4, route_offsets=[0, 1, 3, 5, 7], route_edges=[0, 1, 0, 2, 0, 3, 0])
    engine.run_to_end()
    enter_edge0 = engine.enter_s()[[2, 4, 6]]  # trips 1, 2, 3
    np.testing.assert_array_equal(enter_edge0, [20.0, 40.0, 60.0])
    assert engine.forced_moves == 0


def test_at_equal_times_a_vehicle_moving_on_goes_before_a_departure():
    engine = toy_engine([10.0, 10.0], [1e6, 360.0], [10.0, 10.0])
    # Trip 0 reaches edge 1 at 10 s, when trip 1 departs onto it: trip 0 is ahead.
    engine.load(depart_s=[0.0, 10.0], route_offsets=[0, 2, 3], route_edges=[0, 1, 1])
    engine.run_to_end()
    np.testing.assert_array_equal(engine.arrival_s(), [20.0, 30.0])


# ---------------------------------------------------------------------- 4. gridlock


def ring_engine(stuck_s: float) -> tuple[TrafficEngine, np.ndarray]:
    """Four edges in a ring, each holding 2 vehicles, filled by 8 vehicles that all want to move on."""
    engine = toy_engine([10.0] * 4, [3600.0] * 4, [2.0] * 4, stuck_s=stuck_s)
    start = np.repeat(np.arange(4), 2)
    route_edges = ((start[:, None] + np.arange(3)) % 4).ravel()
    depart = np.tile([0.0, 1.0], 4)
    # Trip 8 waits for trip 0.
    engine.load(
        depart_s=np.r_[depart, 0.0], route_offsets=np.r_[np.arange(9) * 3, 25], route_edges=np.r_[route_edges, 0],
        prev_trip=np.r_[np.full(8, -1), 0],
    )  # fmt: skip
    return engine, route_edges


@pytest.mark.parametrize("stuck_s", [60.0, 300.0])
def test_gridlock_is_resolved_by_forced_moves(stuck_s):
    engine, _ = ring_engine(stuck_s)
    # Every head is ready at 10 s but its next edge is full: nothing moves before 10 + stuck_s.
    engine.advance_to(10.0 + stuck_s - 0.01)
    assert engine.link_events == 0 and engine.forced_moves == 0
    np.testing.assert_array_equal(engine.edge_occupancy(), [2, 2, 2, 2])
    engine.advance_to(10.0 + stuck_s)
    assert engine.forced_moves >= 1
    engine.run_to_end()

    assert engine.arrived == 9 and engine.vehicles_on_road == 0
    assert engine.forced_moves >= 1
    enter = engine.enter_s()[:24].reshape(8, 3)
    assert enter[:, 1].min() == 10.0 + stuck_s
    assert engine.actual_depart_s()[8] == engine.arrival_s()[0]
    # Consistency of the step figures with the trips.
    travel = engine.arrival_s() - engine.actual_depart_s()
    assert engine.vehicle_seconds() == pytest.approx(travel.sum(), rel=1e-12)
    assert engine.vehicle_metres() == pytest.approx(100.0 * 25)


def test_without_the_guard_gridlock_lasts_and_chained_trips_never_depart():
    engine, _ = ring_engine(np.inf)
    engine.run_to_end()
    assert engine.arrived == 0 and engine.vehicles_on_road == 8 and engine.link_events == 0
    assert np.isnan(engine.actual_depart_s()[8]) and np.isnan(engine.arrival_s()).all()
    assert len(engine.traversals()) == 0


# ---------------------------------------------------------------------- 5. trip chains


def test_chained_trip_departs_after_its_predecessor_arrives(town):
    a, b, c = town.node_positions(["r0c0", "r3c4", "r2c0"])
    # Trip 0: a -> b; 1: b -> a after 0; 2: b -> c after 0 but planned late; 3: a -> c
    # after 1; 4: empty route at 50 s; 5: a -> b after 4, planned at 20 s.
    routes = route(town, [a, b, b, a, a, a], [b, a, c, c, a, b])
    planned = np.array([100.0, 105.0, 10_000.0, 0.0, 50.0, 20.0])
    prev = np.array([-1, 0, 0, 1, -1, 4])
    freeflow = town.edges["freeflow_s"].to_numpy()
    trip_s = np.add.reduceat(np.r_[freeflow[routes.edges], 0.0], routes.offsets[:-1]) * (routes.hops > 0)

    engine = town_engine(town)
    engine.load(depart_s=planned, route_offsets=routes.offsets, route_edges=routes.edges, prev_trip=prev)
    engine.advance_to(100.0 + trip_s[0] - 1.0)
    assert np.isnan(engine.actual_depart_s()[[1, 2, 3]]).all()
    engine.run_to_end()

    depart, arrival = engine.actual_depart_s(), engine.arrival_s()
    expected_depart = np.zeros(6)
    expected_arrival = np.zeros(6)
    for i in (4, 0, 5, 1, 2, 3):  # predecessors first
        expected_depart[i] = planned[i] if prev[i] < 0 else max(planned[i], expected_arrival[prev[i]])
        expected_arrival[i] = expected_depart[i] + trip_s[i]
    np.testing.assert_allclose(depart, expected_depart, rtol=0, atol=1e-9)
    np.testing.assert_allclose(arrival, expected_arrival, rtol=0, atol=1e-9)
    assert depart[1] == arrival[0] and depart[2] == 10_000.0 and depart[3] == arrival[1]
    assert depart[5] == 50.0


# ---------------------------------------------------------------------- 6. determinism


def congested_run(network, steps_s: float | None = None, tiny_heap: bool = False) -> TrafficEngine:
    rng = np.random.default_rng(7)
    n = 3000
    nodes = network.mode_nodes("car")
    routes = route(network, rng.choice(nodes, n), rng.choice(nodes, n))
    depart = rng.uniform(0.0, 1800.0, n).round(1)  # rounded: many equal times, so ties matter
    prev = np.full(n, -1)
    prev[n // 2 :] = rng.integers(0, n // 2, n - n // 2)
    e = network.edges
    engine = TrafficEngine(
        freeflow_s=e["freeflow_s"].to_numpy(), capacity_vph=0.3 * e["capacity_vph"].to_numpy(),
        storage_veh=0.5 * e["storage_veh"].to_numpy(), length_m=e["length_m"].to_numpy(), stuck_s=120.0,
    )  # fmt: skip
    engine.load(depart_s=depart, route_offsets=routes.offsets, route_edges=routes.edges, prev_trip=prev)
    if tiny_heap:  # make the heap grow (and drop stale events) many times
        engine._heap = traffic._make_heap(engine._reserve + 1)
    if steps_s is not None:
        for t in np.arange(steps_s, 1800.0, steps_s):
            engine.advance_to(t)
    engine.run_to_end()
    return engine


def outputs(engine: TrafficEngine) -> list:
    count, total = engine.link_stats()
    return [
        engine.arrival_s(), engine.actual_depart_s(), engine.enter_s(), count, total, engine.edge_occupancy(),
        engine.forced_moves, engine.link_events, engine.arrived, engine.vehicle_metres(), engine.time_s,
    ]  # fmt: skip


def test_same_inputs_give_identical_results_in_one_run_or_many_steps(town):
    first = congested_run(town)
    assert first.arrived == 3000 and first.forced_moves > 0  # the guard and spillback were used
    reference = outputs(first)
    for engine in (congested_run(town), congested_run(town, steps_s=7.3), congested_run(town, tiny_heap=True)):
        for mine, theirs in zip(outputs(engine), reference, strict=True):
            np.testing.assert_array_equal(mine, theirs)
        assert engine.vehicle_seconds() == pytest.approx(first.vehicle_seconds(), rel=1e-12)
    travel = first.arrival_s() - first.actual_depart_s()
    assert first.vehicle_seconds() == pytest.approx(travel.sum(), rel=1e-9)


# ---------------------------------------------------------------------- 7. validation


def test_invalid_inputs_are_refused():
    engine = toy_engine([10.0, 10.0], [600.0, 0.0], [5.0, 5.0])
    with pytest.raises(RuntimeError, match="load"):
        engine.advance_to(10.0)
    with pytest.raises(ValueError, match="edge id 2, out of range"):
        engine.load(depart_s=[0.0, 0.0], route_offsets=[0, 1, 2], route_edges=[0, 2])
    with pytest.raises(ValueError, match="edge 1 is closed"):
        engine.load(depart_s=[0.0], route_offsets=[0, 2], route_edges=[0, 1])
    with pytest.raises(ValueError, match="route_offsets"):
        engine.load(depart_s=[0.0, 0.0], route_offsets=[0, 1], route_edges=[0])
    with pytest.raises(ValueError, match="cycle"):
        engine.load(depart_s=[0.0, 0.0], route_offsets=[0, 1, 2], route_edges=[0, 0], prev_trip=[1, 0])
    with pytest.raises(ValueError, match="prev_trip"):
        engine.load(depart_s=[0.0], route_offsets=[0, 1], route_edges=[0], prev_trip=[3])
    with pytest.raises(ValueError, match="depart_s"):
        engine.load(depart_s=[np.nan], route_offsets=[0, 1], route_edges=[0])

    engine.load(depart_s=[0.0], route_offsets=[0, 1], route_edges=[0])
    with pytest.raises(RuntimeError, match="loaded already"):
        engine.load(depart_s=[0.0], route_offsets=[0, 1], route_edges=[0])
    engine.advance_to(5.0)
    with pytest.raises(ValueError, match="back in time"):
        engine.advance_to(4.0)
    with pytest.raises(ValueError, match="finite"):
        engine.advance_to(np.inf)
    engine.advance_to(5.0)  # the same time again is fine

    with pytest.raises(ValueError, match="one per edge"):
        TrafficEngine(freeflow_s=[1.0, 2.0], capacity_vph=[1.0], storage_veh=[1.0, 1.0], length_m=[1.0, 1.0])
    with pytest.raises(ValueError, match="freeflow_s"):
        toy_engine([-1.0], [600.0], [1.0])
    with pytest.raises(ValueError, match="stuck_s"):
        toy_engine([1.0], [600.0], [1.0], stuck_s=-1.0)


def test_metres_by_trip_counts_finished_edges():
    # Two 100 m edges of 10 s each; trip 0 drives both from t=0, trip 1 both from t=15.
    engine = TrafficEngine(freeflow_s=[10.0, 10.0], capacity_vph=[3600.0, 3600.0], storage_veh=[5.0, 5.0],
                           length_m=[100.0, 100.0])  # fmt: skip
    engine.load(depart_s=[0.0, 15.0], route_offsets=np.array([0, 2, 4]), route_edges=np.array([0, 1, 0, 1]))
    engine.advance_to(21.0)
    # By 21 s trip 0 has finished both edges (at 10 and 20 s), trip 1 none (its first ends at 25 s).
    assert engine.metres_by_trip().tolist() == [200.0, 0.0]
    engine.run_to_end()
    assert engine.metres_by_trip().tolist() == [200.0, 200.0]
    assert engine.metres_by_trip().sum() == engine.vehicle_metres()
