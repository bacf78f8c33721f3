"""Benchmark: batch throughput on 1 and 2 local workers, and the Dask executor's overhead per run.

Case ``throughput`` (issue 4: 2 workers >= 1.8x the runs per minute of 1 worker): a batch
of identical-size runs (the grid town, presence lights, ``--residents`` residents, one seed
per replication) with ``workers=1`` (in this process, after a warm-up run) and
``workers=2`` (two spawned worker processes). Reported both end to end (what a user waits
for, worker start-up included) and in the steady state (from the first run finished to the
last, so start-up is left out).

Case ``overhead``: many tiny runs (4 x 5 grid, 150 residents) on two local processes and on
a Dask LocalCluster of two worker processes, both warmed up first; the difference in wall
time per run is what Dask's scheduling costs a run.

::

    .venv/bin/python benchmarks/bench_batch.py                      # both cases
    .venv/bin/python benchmarks/bench_batch.py --case throughput --runs 12 --residents 20000
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
import warnings
from pathlib import Path

GRID = """\
name: bench-batch
seed: 1
date: 2026-12-15
timezone: Europe/Helsinki
map:
  synthetic: {{kind: grid, rows: 20, cols: 20, block_m: 120, arterial_every: 5}}
population: {{residents: {residents}}}
lighting: {{controller: presence, dim_level: 0.3}}
"""

TINY = """\
name: bench-tiny
seed: 1
date: 2026-12-15
timezone: Europe/Helsinki
map:
  synthetic: {kind: grid, rows: 4, cols: 5, block_m: 100, arterial_every: 2}
population: {residents: 150}
lighting: {controller: presence}
"""


def timed_batch(scenario: Path, out: Path, *, parallel: int, **options) -> dict[str, float]:
    """Run a batch; return its wall time, and that of its steady state (first to last run done).

    ``parallel`` runs finish about together in each wave, so the first-to-last span holds
    ``runs - parallel`` run-intervals, not ``runs - 1``.
    """
    from twin.experiment import run_batch

    stamps: list[float] = []
    started = time.perf_counter()
    table = run_batch(scenario, out=out, progress=lambda done, failed, total: stamps.append(time.perf_counter()),
                      **options)  # fmt: skip
    wall = time.perf_counter() - started
    done = stamps[1:]  # the first call reports the plan, before any run
    assert (table["status"] == "ok").all(), table["error"].dropna().unique()
    steady = (done[-1] - done[0]) / (len(done) - parallel) if len(done) > parallel else float("nan")
    return {"runs": len(table), "wall_s": wall, "runs_per_min": 60 * len(table) / wall,
            "steady_s_per_run": steady, "steady_runs_per_min": 60 / steady,
            "mean_run_s": float(table["wall_time_s"].mean())}  # fmt: skip


def throughput(folder: Path, *, runs: int, residents: int) -> dict:
    from twin.simulation import run

    scenario = folder / "grid.yaml"
    scenario.write_text(GRID.format(residents=residents))
    run(scenario)  # warm-up: imports, numba's cached kernels, so that workers=1 starts warm
    one = timed_batch(scenario, folder / "one", parallel=1, replications=runs, workers=1)
    two = timed_batch(scenario, folder / "two", parallel=2, replications=runs, workers=2)
    return {
        "case": "throughput", "runs": runs, "residents": residents, "workers_1": one, "workers_2": two,
        "speedup_end_to_end": two["runs_per_min"] / one["runs_per_min"],
        "speedup_steady": two["steady_runs_per_min"] / one["steady_runs_per_min"],
    }  # fmt: skip


def overhead(folder: Path, *, runs: int) -> dict:
    from distributed import Client, LocalCluster

    scenario = folder / "tiny.yaml"
    scenario.write_text(TINY)
    sweep = {"lighting.dim_level": [round(0.05 + 0.9 * i / runs, 4) for i in range(runs - 1)]}
    local = timed_batch(scenario, folder / "local", parallel=2, sweeps=sweep, workers=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        with Client(cluster) as client:
            # Every worker imports twin and loads the kernels before the measured batch.
            client.run(_warm, str(scenario))
            timed_batch(scenario, folder / "warm", parallel=2, replications=4, dask=client)
            dask = timed_batch(scenario, folder / "dask", parallel=2, sweeps=sweep, dask=client)
    return {
        "case": "overhead", "runs": local["runs"], "local_2_processes": local, "dask_local_cluster_2": dask,
        "dask_overhead_ms_per_run": 1000 * (dask["steady_s_per_run"] - local["steady_s_per_run"]) * 2,
    }  # fmt: skip


def _warm(scenario: str) -> None:
    import warnings

    from twin.simulation import run

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run(scenario)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", choices=["throughput", "overhead", "all"], default="all")
    parser.add_argument("--runs", type=int, default=32, help="runs of the throughput batch")
    parser.add_argument("--residents", type=int, default=20_000, help="residents of each throughput run")
    parser.add_argument("--tiny-runs", type=int, default=60, help="runs of the overhead batch")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.case in ("throughput", "all"):
            figures.append(throughput(Path(tmp), runs=args.runs, residents=args.residents))
        if args.case in ("overhead", "all"):
            figures.append(overhead(Path(tmp), runs=args.tiny_runs))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for item in figures:
        item["client_peak_rss_mib"] = peak
        print(json.dumps(_rounded(item), indent=2))


def _rounded(value):
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    return round(value, 3) if isinstance(value, float) else value


if __name__ == "__main__":
    main()
