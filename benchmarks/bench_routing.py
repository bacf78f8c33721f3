"""Benchmark of twin.maps.routing: many origin-destination pairs on a grid and a real map.

Run from the repository root::

    .venv/bin/python benchmarks/bench_routing.py [--pairs 200000] [--size 50] [--seed 20240611]

Prints the time to build a ``size`` x ``size`` grid town, the time to route ``pairs`` random
pairs on it, pairs per second, the peak memory NumPy and Python allocated while routing
(tracemalloc) and the process's peak resident size, and the mean path length. Then does the
same for 2,000 pairs on ``maps/helsinki.gpkg`` if it exists.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

from twin.maps.network import StreetNetwork
from twin.maps.routing import route
from twin.maps.synthetic import grid_town

HELSINKI = Path(__file__).resolve().parent.parent / "maps" / "helsinki.gpkg"


def bench(network: StreetNetwork, n_pairs: int, rng: np.random.Generator, label: str) -> None:
    """Route ``n_pairs`` random pairs of car nodes on ``network`` and print the figures."""
    graph = network.graph("car")  # built once and cached; not part of routing time
    # Only nodes cars can use: a real map also has footway-only nodes.
    car_nodes = network.mode_nodes("car")
    orig = rng.choice(car_nodes, n_pairs)
    dest = rng.choice(car_nodes, n_pairs)
    tracemalloc.start()
    start = time.perf_counter()
    routes = route(network, orig, dest)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    length_m = network.edges["length_m"].to_numpy()
    path_m = np.add.reduceat(np.r_[length_m[routes.edges], 0.0], routes.offsets[:-1]) * (routes.hops > 0)
    reached = routes.reachable
    print(f"  {label}: {network.n_nodes:,} nodes ({car_nodes.size:,} for cars), {graph.n_edges:,} car edges, "
          f"{n_pairs:,} pairs ({np.unique(orig).size:,} distinct origins)")  # fmt: skip
    print(f"  routing:            {seconds:8.3f} s  ({n_pairs / seconds:,.0f} pairs/s)")
    print(f"  peak traced memory: {peak / 2**20:8.1f} MiB  (path edges held: {routes.edges.size:,})")
    print(f"  reachable pairs:    {reached.mean():8.1%}")
    print(f"  mean path:          {path_m[reached].mean():8.1f} m, {routes.hops[reached].mean():.1f} edges, "
          f"{routes.cost[reached].mean():.1f} s free-flow")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=200_000)
    parser.add_argument("--size", type=int, default=50, help="rows and columns of the grid town")
    parser.add_argument("--seed", type=int, default=20240611)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)

    print(f"grid town {args.size} x {args.size}")
    start = time.perf_counter()
    grid = grid_town(rows=args.size, cols=args.size)
    print(f"  build:              {time.perf_counter() - start:8.3f} s")
    bench(grid, args.pairs, rng, "grid")

    print(f"bundled map {HELSINKI.name}")
    if not HELSINKI.exists():
        print(f"  skipped: {HELSINKI} does not exist")
    else:
        from twin.maps import load_network

        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # dropped disconnected parts are expected here
            city = load_network(HELSINKI)
        print(f"  load:               {time.perf_counter() - start:8.3f} s")
        bench(city, 2_000, rng, "helsinki")

    # ru_maxrss is in KiB on Linux, bytes on macOS.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)
    print(f"peak resident size of the process: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
