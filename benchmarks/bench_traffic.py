"""Benchmark of twin.engine.traffic: a weekday of car trips on a 50 x 50 grid town.

Run from the repository root::

    .venv/bin/python benchmarks/bench_traffic.py [--trips 200000] [--size 50] [--seed 20240611] [--step 60]

Builds the grid town, draws ``trips`` random origin-destination pairs of car nodes with
departures from a two-peak weekday profile, routes them on free-flow times, and simulates
the day twice: once in one call to ``run_to_end`` and once in steps of ``--step`` seconds
(as a controller would, reading the per-step figures). ``--capacity-factor`` scales flow and
storage capacities (like MATSim's capacity factors for a population sample): 1.0 gives a
fluid day, 0.1 a congested one with spillback and forced moves. Prints the compile (or cache load)
time separately from the simulation time, link events per second, congestion figures and
the process's peak resident size.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc

import numpy as np

from twin.engine.traffic import TrafficEngine
from twin.maps.routing import route
from twin.maps.synthetic import grid_town


def weekday_departures(rng: np.random.Generator, n: int) -> np.ndarray:
    """Departure times, seconds from midnight: morning and evening peaks over a daytime base."""
    part = rng.choice(3, size=n, p=[0.35, 0.40, 0.25])
    morning = rng.normal(8.0 * 3600, 1.0 * 3600, n)
    evening = rng.normal(17.0 * 3600, 1.5 * 3600, n)
    base = rng.uniform(6.0 * 3600, 22.0 * 3600, n)
    depart = np.choose(part, [morning, evening, base])
    return np.clip(depart, 0.0, 24.0 * 3600 - 1.0)


def engine_for(edges, factor: float) -> TrafficEngine:
    """An engine on the network's edges, flow and storage capacities scaled by ``factor``."""
    return TrafficEngine(
        freeflow_s=edges["freeflow_s"].to_numpy(),
        capacity_vph=factor * edges["capacity_vph"].to_numpy(),
        storage_veh=factor * edges["storage_veh"].to_numpy(),
        length_m=edges["length_m"].to_numpy(),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trips", type=int, default=200_000)
    parser.add_argument("--size", type=int, default=50, help="rows and columns of the grid town")
    parser.add_argument("--seed", type=int, default=20240611)
    parser.add_argument("--step", type=float, default=60.0, help="seconds per step of the stepped run")
    parser.add_argument("--capacity-factor", type=float, default=1.0,
                        help="scale flow and storage capacities, e.g. 0.1 for a congested day")  # fmt: skip
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)

    start = time.perf_counter()
    network = grid_town(
        rows=args.size, cols=args.size, block_m=200, arterial_every=5, local_speed_kmh=50,
        arterial_speed_kmh=60, local_lanes=1, arterial_lanes=2,
    )  # fmt: skip
    edges = network.edges
    print(f"grid town {args.size} x {args.size}: {network.n_edges:,} directed edges, built in "
          f"{time.perf_counter() - start:.2f} s")  # fmt: skip

    car_nodes = network.mode_nodes("car")
    orig = rng.choice(car_nodes, args.trips)
    dest = rng.choice(car_nodes, args.trips)
    depart = weekday_departures(rng, args.trips)
    start = time.perf_counter()
    routes = route(network, orig, dest)
    print(f"routing:           {time.perf_counter() - start:8.2f} s  ({args.trips:,} trips, "
          f"{routes.edges.size:,} route edges, {routes.hops.mean():.1f} per trip)")  # fmt: skip

    # Compile (first run) or load the cached machine code (later runs) on a tiny day.
    start = time.perf_counter()
    warm = engine_for(edges, args.capacity_factor)
    warm.load(depart_s=depart[:10], route_offsets=routes.offsets[:11], route_edges=routes.edges[: routes.offsets[10]])
    warm.advance_to(1.0)
    warm.run_to_end()
    warm.traversals()
    print(f"compile/cache:     {time.perf_counter() - start:8.2f} s")

    tracemalloc.start()
    engine = engine_for(edges, args.capacity_factor)
    start = time.perf_counter()
    engine.load(depart_s=depart, route_offsets=routes.offsets, route_edges=routes.edges)
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    engine.run_to_end()
    run_s = time.perf_counter() - start
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"load:              {load_s:8.2f} s  (engine holds {held / 2**20:.0f} MiB, peak {peak / 2**20:.0f} MiB "
          "traced while loading and running)")
    print(f"simulate the day:  {run_s:8.2f} s  ({engine.link_events:,} link events, "
          f"{engine.link_events / run_s:,.0f} per s)")  # fmt: skip

    stepped = engine_for(edges, args.capacity_factor)
    stepped.load(depart_s=depart, route_offsets=routes.offsets, route_edges=routes.edges)
    start = time.perf_counter()
    n_steps = 0
    peak_on_road = 0
    slowest_kmh = np.inf
    last_m = last_s = 0.0
    t = 0.0
    while stepped.arrived < args.trips:
        t += args.step
        stepped.advance_to(t)
        n_steps += 1
        peak_on_road = max(peak_on_road, stepped.vehicles_on_road)
        metres, seconds = stepped.vehicle_metres(), stepped.vehicle_seconds()
        if seconds - last_s > 3600.0:  # only steps with an hour of driving or more
            slowest_kmh = min(slowest_kmh, 3.6 * (metres - last_m) / (seconds - last_s))
        last_m, last_s = metres, seconds
    step_s = time.perf_counter() - start
    same = np.array_equal(stepped.arrival_s(), engine.arrival_s())
    print(f"stepped run:       {step_s:8.2f} s  ({n_steps:,} steps of {args.step:g} s; "
          f"same arrivals as one run: {same})")  # fmt: skip

    start = time.perf_counter()
    table = engine.traversals()
    print(f"traversals table:  {time.perf_counter() - start:8.2f} s  ({len(table):,} rows)")

    freeflow = np.add.reduceat(np.r_[edges["freeflow_s"].to_numpy()[routes.edges], 0.0], routes.offsets[:-1])
    freeflow *= routes.hops > 0
    travel = engine.arrival_s() - engine.actual_depart_s()
    print(f"forced moves:      {engine.forced_moves:8,}")
    print(f"peak on road:      {peak_on_road:8,}")
    print(f"mean travel time:  {travel.mean():8.1f} s  (free flow {freeflow.mean():.1f} s, "
          f"delay {np.mean(travel - freeflow):.1f} s, p99 {np.percentile(travel - freeflow, 99):.0f} s)")
    print(f"mean speed:        {3.6 * engine.vehicle_metres() / engine.vehicle_seconds():8.1f} km/h  "
          f"(slowest {args.step:g} s step: {slowest_kmh:.1f} km/h)")  # fmt: skip
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)
    print(f"peak resident size of the process: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
