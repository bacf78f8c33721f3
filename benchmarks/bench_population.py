"""Benchmark of twin.population: residents, plans and mode choice for a whole town.

Run from the repository root::

    .venv/bin/python benchmarks/bench_population.py [--residents 100000] [--size 30] [--seed 1]

Builds a ``size`` x ``size`` grid town (150 m blocks, arterials every 5th line), then runs
:func:`twin.population.plan_day` twice: once timed stage by stage (residents, plans, travel
times, mode choice), once under tracemalloc for the peak memory NumPy and pandas allocated.
Prints the process's peak resident size, trips per person, the mode split and the busiest
morning and afternoon hours.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc

import numpy as np

from twin.maps.synthetic import grid_town
from twin.population.choice import choose_tour_modes, plan_day, travel_times
from twin.population.plans import build_plans
from twin.population.residents import synthesize_residents
from twin.scenario.schema import PopulationSpec


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--size", type=int, default=30, help="rows and columns of the grid town")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    network = grid_town(rows=args.size, cols=args.size, block_m=150.0, arterial_every=5)
    for mode in ("car", "bike", "walk"):
        network.graph(mode)  # built once and cached; not part of the population's time
    spec = PopulationSpec(residents=args.residents)
    print(f"grid town {args.size} x {args.size}: {network.n_nodes:,} nodes, {network.n_edges:,} edges; "
          f"{args.residents:,} residents")  # fmt: skip

    rng = np.random.default_rng(args.seed)
    stages = {}
    start = time.perf_counter()
    residents = synthesize_residents(network, spec, rng=rng)
    stages["residents"] = time.perf_counter() - start
    start = time.perf_counter()
    trips = build_plans(residents, network, spec, rng=rng)
    stages["plans"] = time.perf_counter() - start
    start = time.perf_counter()
    times = travel_times(
        network, trips["origin_node"].to_numpy(), trips["dest_node"].to_numpy(),
        car_access_walk_s=spec.mode_choice.car_access_walk_s,
    )  # fmt: skip
    stages["travel times"] = time.perf_counter() - start
    start = time.perf_counter()
    trips["mode"] = choose_tour_modes(trips, residents, times, spec.mode_choice, rng=rng)
    stages["mode choice"] = time.perf_counter() - start
    del times
    for name, seconds in stages.items():
        print(f"  {name:<14} {seconds:7.2f} s")
    print(f"  {'plan_day':<14} {sum(stages.values()):7.2f} s  (sum of the stages)")

    tracemalloc.start()
    start = time.perf_counter()
    again, again_trips = plan_day(network, spec, rng=np.random.default_rng(args.seed))
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert again_trips.equals(trips), "plan_day differs from its stages with the same seed"
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)
    print(f"  plan_day under tracemalloc {seconds:.2f} s; peak traced memory {peak / 2**20:,.0f} MiB; "
          f"peak resident size of the process {rss:,.0f} MiB")  # fmt: skip

    per_person = len(trips) / len(residents)
    split = trips["mode"].value_counts(normalize=True)
    hours = np.bincount((trips["depart_s"].to_numpy() // 3600).astype(int) % 24, minlength=24) / len(trips)
    am, pm = int(np.argmax(hours[5:10])) + 5, int(np.argmax(hours[12:21])) + 12
    print(f"  trips: {len(trips):,} ({per_person:.3f} per resident, target {spec.trips_per_person})")
    print("  mode split: " + ", ".join(f"{m} {split[m]:.1%}" for m in ("car", "walk", "bike")))
    print(f"  busiest hours: {am:02d}:00 ({hours[am]:.1%} of trips), {pm:02d}:00 ({hours[pm]:.1%}); "
          f"after midnight {np.mean(trips['depart_s'].to_numpy() >= 86400):.2%}")  # fmt: skip


if __name__ == "__main__":
    main()
