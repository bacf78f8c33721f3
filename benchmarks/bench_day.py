"""Benchmark: a whole simulated day, routing included, as issue 3 sets the targets.

Case ``trips``: a 50x50 grid with 200 m blocks, arterials (2 lanes, 60 km/h) every 5th line,
local streets (1 lane, 50 km/h), lamps every 50 m along every street (~20,000), 200,000
car trips from a trip table with a weekday profile, one routing pass, presence-based lights.
Target: <= 30 s wall, <= 2 GB peak.

Case ``residents``: 100,000 synthetic residents on a 30x30 town (population, plans, mode
choice, traffic, lights). Target: <= 60 s wall.

Each case runs in its own process so that its peak memory is its own::

    .venv/bin/python benchmarks/bench_day.py              # both cases
    .venv/bin/python benchmarks/bench_day.py --case trips --trips 50000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

GRID_TRIPS = """\
name: bench-200k-trips
seed: 1
date: 2026-01-15
map:
  synthetic: {{kind: grid, rows: 50, cols: 50, block_m: 200, arterial_every: 5,
              local_speed_kmh: 50, arterial_speed_kmh: 60, local_lanes: 1, arterial_lanes: 2}}
  road_classes:
    residential: {{lamp_spacing_m: 50}}
    secondary: {{lamp_spacing_m: 50}}
demand: {{trips: {trips}}}
lighting: {{controller: presence}}
"""

TOWN_RESIDENTS = """\
name: bench-100k-residents
seed: 1
date: 2026-01-15
map:
  synthetic: {{kind: grid, rows: 30, cols: 30, block_m: 150, arterial_every: 5}}
population: {{residents: {residents}}}
lighting: {{controller: presence}}
"""


def weekday_departures(n: int, *, rng: np.random.Generator) -> np.ndarray:
    """Departure times with an AM peak, a PM peak, a daytime plateau and a night tail."""
    kind = rng.choice(4, size=n, p=[0.25, 0.30, 0.35, 0.10])
    depart = np.select(
        [kind == 0, kind == 1, kind == 2],
        [rng.normal(8 * 3600, 3600, n), rng.normal(17 * 3600, 4000, n), rng.uniform(6 * 3600, 20 * 3600, n)],
        rng.uniform(20 * 3600, 26 * 3600, n) % 86400,
    )
    return np.clip(depart, 0, 86399)


def write_trip_table(path: Path, n: int, *, seed: int) -> None:
    """A trip table of ``n`` random car trips between grid nodes of the benchmark town."""
    from twin.demo import sample_car_trips
    from twin.maps import grid_town

    town = grid_town(rows=50, cols=50, block_m=200, arterial_every=5)
    rng = np.random.default_rng(seed)
    origins, destinations = sample_car_trips(town, n, rng=rng)
    ids = town.nodes["node_id"].to_numpy()
    pd.DataFrame({"trip_id": np.arange(n), "origin_node": ids[origins], "dest_node": ids[destinations],
                  "depart_s": np.round(weekday_departures(n, rng=rng), 1), "mode": "car"}).to_csv(path, index=False)  # fmt: skip


def run_case(case: str, *, size: int) -> dict:
    from twin.scenario import load_scenario
    from twin.simulation import run

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        if case == "trips":
            write_trip_table(folder / "trips.csv", size, seed=1)
            text = GRID_TRIPS.format(trips="trips.csv")
        else:
            text = TOWN_RESIDENTS.format(residents=size)
        (folder / "s.yaml").write_text(text)
        scenario = load_scenario(folder / "s.yaml")
        started = time.perf_counter()
        result = run(scenario)
        wall = time.perf_counter() - started
        written = time.perf_counter()
        result.write(folder / "run")
        write_s = time.perf_counter() - written
    kpis = result.kpis
    return {
        "case": case,
        "wall_s": round(wall, 2),
        "write_run_folder_s": round(write_s, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "trips": kpis["trips"]["total"],
        "trips_arrived": kpis["trips"]["arrived"],
        "mode_shares": kpis["mode_shares"],
        "lamps": kpis["energy"]["lamps"],
        "link_events": kpis["traffic"]["link_events"],
        "link_events_per_s": kpis["run"]["link_events_per_s"],
        "forced_moves": kpis["traffic"]["forced_moves"],
        "max_vehicles_on_road": kpis["traffic"]["max_vehicles_on_road"],
        "stages_s": {k: v for k, v in kpis["run"].items() if k.endswith("_s") and k not in ("wall_time_s", "link_events_per_s")},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", choices=["trips", "residents"])
    parser.add_argument("--trips", type=int, default=200_000)
    parser.add_argument("--residents", type=int, default=100_000)
    args = parser.parse_args()
    if args.case is None:
        for case in ("trips", "residents"):
            subprocess.run([sys.executable, __file__, "--case", case, "--trips", str(args.trips),
                            "--residents", str(args.residents)], check=True)  # fmt: skip
        return
    # Compile the engines' kernels first, so the figures are those of a warm install.
    compile_started = time.perf_counter()
    run_case("residents", size=50)
    compile_s = time.perf_counter() - compile_started
    figures = run_case(args.case, size=args.trips if args.case == "trips" else args.residents)
    figures["warm_up_s"] = round(compile_s, 2)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
