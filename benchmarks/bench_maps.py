"""Benchmark of map building: how long a city-sized street table takes to become a network.

Run from the repository root::

    .venv/bin/python benchmarks/bench_maps.py [--size 300]

Builds a ``size`` x ``size`` grid town three ways and prints wall time and the process's peak resident memory:

1. ``grid_town`` (segments with node ids and tags, lamps placed along lit streets);
2. the same streets as plain lines without node ids, merged into long multi-block lines, so
   the loader must split them at shared vertices (the path for GDAL/shapefile exports);
3. the built network saved to a GeoPackage and loaded back as a directed edge table.

A 300 x 300 grid has 90,000 nodes, 179,400 streets (358,800 directed edges) and ~180,000
placed lamps: the size of a large city's network and lamp inventory.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from twin.maps import build_network, grid_town, load_network, save_network


def _timed(label: str, make):
    # No tracemalloc here: it slows allocation-heavy pandas code several-fold.
    start = time.perf_counter()
    result = make()
    seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{label:<58} {seconds:7.2f} s   peak resident so far {rss:6.0f} MiB")
    return result


def _long_lines(size: int, block_m: float) -> gpd.GeoDataFrame:
    """Whole east-west and north-south streets as single lines through every junction."""
    coords = np.arange(size) * block_m
    rows = [shapely.linestrings(np.c_[coords, np.full(size, y)]) for y in coords]
    cols = [shapely.linestrings(np.c_[np.full(size, x), coords]) for x in coords]
    return gpd.GeoDataFrame({"highway": ["residential"] * (2 * size)}, geometry=rows + cols, crs="EPSG:32635")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=300)
    args = parser.parse_args()
    size = args.size
    print(f"grid {size} x {size}: {size * size:,} nodes, {2 * size * (size - 1):,} streets")
    town = _timed("grid_town (tagged segments with ids, lamps placed)", lambda: grid_town(rows=size, cols=size, block_m=100))
    print(f"  -> {town.n_nodes:,} nodes, {town.n_edges:,} directed edges, {len(town.lamps):,} lamps")
    lines = _long_lines(size, 100.0)
    split = _timed("build_network (long lines split at shared vertices)", lambda: build_network(lines))
    print(f"  -> {split.n_nodes:,} nodes, {split.n_edges:,} directed edges")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "town.gpkg"
        _timed("save_network (GeoPackage)", lambda: save_network(town, path))
        print(f"  -> {path.stat().st_size / 2**20:.0f} MiB on disk")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            back = _timed("load_network (directed edge table, lamps re-snapped)", lambda: load_network(path))
        print(f"  -> {back.n_nodes:,} nodes, {back.n_edges:,} directed edges, {len(back.lamps):,} lamps")
    print(f"peak resident memory of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
