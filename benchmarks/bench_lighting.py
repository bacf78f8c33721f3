"""Benchmark of twin.engine.lighting: every controller over millions of passages.

Run from the repository root::

    .venv/bin/python benchmarks/bench_lighting.py [--size 58] [--passages 5000000] [--seed 7]

Builds a ``size`` x ``size`` grid town (58 x 58: 6,612 streets, about 20,000 lamps), draws
``passages`` random passages (60 % cars, 10 % bikes, 30 % walkers on random edges, entry
times from a two-peaked day profile, free-flow durations) and evaluates each built-in
controller on a Helsinki December day. Prints the time to group the passages, to evaluate
each controller (warm: numba kernels compiled or loaded from cache beforehand, the first-call
figure is printed separately) and to sample power and lamps at full at 1,440 step times.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np

from twin.engine.lighting import LightingEngine
from twin.engine.sun import dark_intervals
from twin.engine.traversals import MODE_CODES, Traversals
from twin.maps.synthetic import grid_town
from twin.scenario import LightingSpec

DAY = 86400.0


def synthetic_passages(network, n: int, rng: np.random.Generator) -> Traversals:
    """``n`` random passages on random edges, with a morning and an evening peak."""
    length = network.edges["length_m"].to_numpy(float)
    edge = rng.integers(0, network.n_edges, n)
    mode = rng.choice(np.array([MODE_CODES["car"], MODE_CODES["bike"], MODE_CODES["walk"]], np.int8), n,
                      p=[0.6, 0.1, 0.3])  # fmt: skip
    speed = np.array([8.3, 4.2, 1.3])[mode]
    peak = rng.choice(3, n, p=[0.35, 0.4, 0.25])
    enter = np.where(peak == 0, rng.normal(8 * 3600, 5400, n),
                     np.where(peak == 1, rng.normal(17 * 3600, 7200, n), rng.uniform(0, DAY, n)))  # fmt: skip
    enter = np.mod(enter, DAY)
    return Traversals(edge=edge, enter_s=enter, exit_s=enter + length[edge] / speed, mode=mode,
                      trip=np.arange(n, dtype=np.int64))  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=58, help="rows and columns of the grid town")
    parser.add_argument("--passages", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)

    started = time.perf_counter()
    network = grid_town(rows=args.size, cols=args.size, block_m=100.0)
    print(f"grid town {args.size} x {args.size}: {network.edges['street_id'].nunique():,} streets, "
          f"{network.n_edges:,} edges, {len(network.lamps):,} lamps ({time.perf_counter() - started:.1f} s)")  # fmt: skip
    passages = synthetic_passages(network, args.passages, rng)
    dark = dark_intervals(latitude=60.17, longitude=24.94, date=dt.date(2026, 12, 15), timezone="Europe/Helsinki",
                          elevation_deg=-3.0, start_s=0.0, end_s=DAY)  # fmt: skip
    print(f"{len(passages):,} passages; dark {np.sum(dark[:, 1] - dark[:, 0]) / 3600:.2f} h")
    steps = np.arange(0.0, DAY, 60.0)

    # Compile (or load from numba's cache) every kernel on a tiny run first.
    tiny = Traversals(edge=passages.edge[:100], enter_s=passages.enter_s[:100], exit_s=passages.exit_s[:100],
                      mode=passages.mode[:100], trip=passages.trip[:100])  # fmt: skip
    started = time.perf_counter()
    for name in ("always_on", "part_night", "traffic_stepped", "presence"):
        engine = LightingEngine.from_network(network, spec=LightingSpec(controller=name), dark_s=dark,
                                             start_s=0.0, end_s=DAY)  # fmt: skip
        result = engine.evaluate(tiny, rng=np.random.default_rng(0))
        result.power_kw(steps[:2])
        result.lamps_at_full(steps[:2])
    print(f"first calls (compile or load kernels): {time.perf_counter() - started:.2f} s")

    started = time.perf_counter()
    engine.passages(passages)
    print(f"{'group by street':>16}: {time.perf_counter() - started:6.2f} s")
    for name in ("always_on", "part_night", "traffic_stepped", "presence"):
        spec = LightingSpec(controller=name, sensor_miss_rate=0.05)
        engine = LightingEngine.from_network(network, spec=spec, dark_s=dark, start_s=0.0, end_s=DAY)
        started = time.perf_counter()
        result = engine.evaluate(passages, rng=np.random.default_rng(1))
        evaluated = time.perf_counter() - started
        started = time.perf_counter()
        power = result.power_kw(steps)
        at_full = result.lamps_at_full(steps)
        sampled = time.perf_counter() - started
        print(f"{name:>16}: {evaluated:6.2f} s evaluate, {sampled:5.2f} s for 1,440 samples; "
              f"{result.total_kwh:9.1f} kWh (standby {result.standby_kwh:5.1f}), "
              f"peak {power.max():6.1f} kW, min lamps at full while dark {at_full[power > 0].min() if (power > 0).any() else 0:6d}, "
              f"dark arrivals {result.dark_arrivals_total:>10,}, "
              f"walk/bike night km {result.night_metres_walk_bike / 1000:8.1f} "
              f"({result.night_metres_walk_bike_full / max(result.night_metres_walk_bike, 1e-9):.1%} at full), "
              f"{result.timelines.t.size:,} timeline points")  # fmt: skip


if __name__ == "__main__":
    main()
