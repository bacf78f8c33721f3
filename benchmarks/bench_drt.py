"""Benchmark of twin.mobility.drt: a day of pooled shuttle dispatch on a grid town.

Run from the repository root::

    .venv/bin/python benchmarks/bench_drt.py [--size 30] [--vehicles 200] [--seats 8]
        [--requests 20000] [--seed 1] [--max-wait 600] [--alpha 1.5] [--beta 600] [--rider-weight 1] [--no-rebalance]

Builds a ``size`` x ``size`` grid town (150 m blocks, arterials every 5th line) where every
node is a stop, draws ``requests`` requests between random distinct nodes over a weekday
profile (AM and PM peaks on a base from 06:00 to 23:00) and dispatches them to ``vehicles``
shuttles starting at random nodes, with rebalancing every 15 minutes. A warm-up run on a
tiny case compiles (or loads) the numba kernels first. Prints the time to build the stop
matrix and to dispatch, and the service's figures from :func:`operator_table`.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from twin.maps.synthetic import grid_town
from twin.mobility.drt import DrtFleet, DrtRequests, StopMatrix, dispatch, operator_table


def request_times(n: int, rng: np.random.Generator) -> np.ndarray:
    """Submission times over a weekday: 30% AM peak (08:00 +- 1 h), 35% PM peak
    (17:00 +- 1.5 h), 35% spread evenly over 06:00-23:00; clipped to the service hours."""
    kind = rng.choice(3, size=n, p=[0.30, 0.35, 0.35])
    t = np.where(
        kind == 0, rng.normal(8 * 3600, 3600, n),
        np.where(kind == 1, rng.normal(17 * 3600, 1.5 * 3600, n), rng.uniform(6 * 3600, 23 * 3600, n)),
    )  # fmt: skip
    return np.clip(t, 6 * 3600, 23 * 3600 - 1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=30, help="rows and columns of the grid town")
    parser.add_argument("--vehicles", type=int, default=200)
    parser.add_argument("--seats", type=int, default=8)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-wait", type=float, default=600.0, help="max_wait_s")
    parser.add_argument("--alpha", type=float, default=1.5)
    parser.add_argument("--beta", type=float, default=600.0, help="beta_s")
    parser.add_argument("--no-rebalance", action="store_true", help="turn rebalancing off")
    parser.add_argument("--rider-weight", type=float, default=1.0, help="rider_time_weight of the insertion cost (0: MATSim)")
    args = parser.parse_args(argv)

    network = grid_town(rows=args.size, cols=args.size, block_m=150.0, arterial_every=5)
    network.graph("car")  # built once and cached; not part of the matrix's time
    stops = np.arange(network.n_nodes)
    stop_xy = network.nodes[["x", "y"]].to_numpy()
    print(f"grid town {args.size} x {args.size}: {network.n_nodes:,} nodes (all stops), "
          f"{network.n_edges:,} edges; {args.vehicles} shuttles of {args.seats} seats, "
          f"{args.requests:,} requests")  # fmt: skip

    # Warm-up: compile (or load from numba's cache) every kernel on a tiny case.
    tiny = StopMatrix.from_arrays(np.array([[0.0, 60.0], [60.0, 0.0]]), np.array([[0.0, 600.0], [600.0, 0.0]]))
    dispatch(
        DrtRequests(time_s=np.array([0.0, 10.0]), origin=np.array([0, 1]), dest=np.array([1, 0])),
        DrtFleet(start_stop=np.array([0]), stop_xy=np.zeros((2, 2))), tiny,
    )  # fmt: skip

    rng = np.random.default_rng(args.seed)
    t = request_times(args.requests, rng)
    origin = rng.integers(0, stops.size, args.requests)
    dest = (origin + rng.integers(1, stops.size, args.requests)) % stops.size  # never the origin
    requests = DrtRequests(time_s=t, origin=origin, dest=dest)
    fleet = DrtFleet(
        start_stop=rng.integers(0, stops.size, args.vehicles), seats=args.seats, max_wait_s=args.max_wait,
        alpha=args.alpha, beta_s=args.beta, rider_time_weight=args.rider_weight,
        service_start_s=6 * 3600.0, service_end_s=23 * 3600.0,
        rebalance_interval_s=0.0 if args.no_rebalance else 900.0, stop_xy=stop_xy,
    )  # fmt: skip

    start = time.perf_counter()
    matrix = StopMatrix.from_network(network, stops)
    matrix.times(0.0)
    matrix_s = time.perf_counter() - start
    start = time.perf_counter()
    result = dispatch(requests, fleet, matrix)
    dispatch_s = time.perf_counter() - start
    _, day = operator_table(
        result, requests, fleet, fare_eur=np.full(args.requests, 2.5), cost_eur_per_vehicle_hour=45.0,
        cost_eur_per_km=0.25,
    )  # fmt: skip

    print(f"  stop matrix        {matrix_s:7.2f} s  ({stops.size:,} x {stops.size:,}, free-flow)")
    print(f"  dispatch           {dispatch_s:7.2f} s  ({len(result.legs):,} legs)")
    print(f"  served share       {day['served_share']:7.1%}  (rejected {day['rejected']:,}, "
          f"declined {day['declined']:,})")  # fmt: skip
    print(f"  wait               {day['mean_wait_s'] / 60:7.2f} min mean, {day['p95_wait_s'] / 60:.2f} min p95")
    print(f"  mean detour        {day['mean_detour']:7.2f}  (ride / direct ride; "
          f"mean direct ride {np.mean(result.direct_s) / 60:.1f} min, {np.mean(result.direct_m) / 1000:.2f} km)")
    print(f"  occupancy          {day['occupancy']:7.2f}  passenger-km per vehicle-km")
    print(f"  passengers/veh-h   {day['passengers_per_vehicle_hour']:7.2f}")
    print(f"  empty km share     {day['empty_km_share']:7.1%}  (fleet {day['fleet_km']:,.0f} km; "
          f"rebalancing {result.legs.length_m[result.legs.kind == 1].sum() / 1000:,.0f} km)")
    print(f"  subsidy per trip   {day['subsidy_per_trip_eur']:7.2f} EUR  (2.50 EUR fare, 45 EUR/veh-h, 0.25 EUR/km)")
    onboard = result.legs.onboard
    print(f"  riders aboard      {np.max(onboard)} at most; legs with 2+ riders: "
          f"{np.sum(result.legs.length_m[onboard >= 2]) / max(np.sum(result.legs.length_m[onboard >= 1]), 1):.1%} "
          f"of loaded km")  # fmt: skip


if __name__ == "__main__":
    main()
