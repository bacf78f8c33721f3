"""The demo's trip sample: seeded, uniform, never a trip to where it starts."""

from __future__ import annotations

import numpy as np
import pytest

from twin.demo import sample_car_trips
from twin.maps import grid_town


def test_sample_is_uniform_over_other_destinations_and_repeatable():
    town = grid_town(rows=2, cols=2, block_m=100)  # 4 car nodes
    origins, destinations = sample_car_trips(town, 120_000, rng=np.random.default_rng(5))
    assert (origins != destinations).all()
    # Each of the 12 ordered pairs has probability 1/12: counts within 5 standard deviations.
    pairs = origins * 4 + destinations
    counts = np.bincount(pairs, minlength=16)[[o * 4 + d for o in range(4) for d in range(4) if o != d]]
    expected = 120_000 / 12
    assert np.abs(counts - expected).max() < 5 * np.sqrt(expected)
    again = sample_car_trips(town, 120_000, rng=np.random.default_rng(5))
    assert (again[0] == origins).all() and (again[1] == destinations).all()


def test_demo_route_lengths_match_manhattan_distances_on_a_uniform_grid(tmp_path):
    from twin.demo import run_demo

    scenario = tmp_path / "grid.yaml"
    scenario.write_text(
        "name: uniform\nseed: 9\nmap: {synthetic: {kind: grid, rows: 5, cols: 6, block_m: 100, arterial_every: 0}}\n"
    )
    result = run_demo(scenario, out=tmp_path / "demo", trips=500)
    # Every street has the same speed, so the fastest path is a shortest one: the Manhattan distance.
    town = grid_town(rows=5, cols=6, block_m=100, arterial_every=0)
    origins, destinations = sample_car_trips(town, 500, rng=np.random.default_rng(np.random.SeedSequence(9)))
    x, y = town.nodes["x"].to_numpy(), town.nodes["y"].to_numpy()
    manhattan_km = (np.abs(x[origins] - x[destinations]) + np.abs(y[origins] - y[destinations])) / 1000
    assert result.mean_route_km == pytest.approx(manhattan_km.mean(), rel=1e-9)
    assert result.mean_freeflow_min * 60 == pytest.approx(manhattan_km.mean() * 1000 / (30 / 3.6), rel=1e-9)
