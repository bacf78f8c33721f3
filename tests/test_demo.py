"""The demo's trip sample: seeded, uniform, never a trip to where it starts."""

from __future__ import annotations

import numpy as np

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
