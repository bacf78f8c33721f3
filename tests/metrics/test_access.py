"""Tests of twin.metrics.access: jobs within reach, by hand on grid towns.

``grid_town(rows=3, cols=3, block_m=100)``: node ``3 * r + c`` is r<r>c<c>, every street
100 m, two-way. With one second per metre and a budget of 150 s a node reaches itself and
its neighbours along the streets.
"""

from __future__ import annotations

import numpy as np
import pytest

from twin.maps.synthetic import grid_town
from twin.metrics.access import jobs_within
from twin.scenario import load_scenario
from twin.simulation import run


@pytest.fixture(scope="module")
def town():
    return grid_town(rows=3, cols=3, block_m=100)


def test_jobs_within_the_budget_by_hand(town):
    jobs = np.arange(9, dtype=float) + 1  # node k holds k + 1 jobs
    metres = town.edges["length_m"].to_numpy(float)
    # The corner reaches nodes 0, 1, 3; the centre 1, 3, 4, 5, 7; homes repeat.
    found = jobs_within(town, np.array([0, 4, 0]), jobs, mode="walk", weight=metres, limit_s=150.0)
    np.testing.assert_allclose(found, [1 + 2 + 4, 2 + 4 + 5 + 6 + 8, 7])
    # At 250 s the corner also reaches 2, 4 and 6 (200 m away).
    assert jobs_within(town, np.array([0]), jobs, mode="walk", weight=metres, limit_s=250.0)[0] == 1 + 2 + 3 + 4 + 5 + 7
    # A closed street (both directions of 0-1) is no way through.
    closed = metres.copy()
    closed[((town.edges["u"] == 0) & (town.edges["v"] == 1)) | ((town.edges["u"] == 1) & (town.edges["v"] == 0))] = np.inf
    assert jobs_within(town, np.array([0]), jobs, mode="walk", weight=closed, limit_s=150.0)[0] == 1 + 4


def test_jobs_must_be_given_per_node(town):
    with pytest.raises(ValueError, match="one value per node"):
        jobs_within(town, np.array([0]), np.ones(3), mode="walk", weight=np.ones(town.n_edges))


LONG_TOWN = """\
name: long
seed: 5
date: 2026-12-15
timezone: Europe/Helsinki
map: {synthetic: {kind: grid, rows: 2, cols: 20, block_m: 200, arterial_every: 1}}
population: {residents: 300}
"""


def _line(town) -> str:
    """A bus along the bottom row both ways, stopping every 400 m, every 5 minutes all day."""
    y = float(town.nodes["y"].min())
    xs = sorted(town.nodes["x"].unique())[::2]
    stops = ", ".join(f"[{x}, {y}]" for x in xs)
    back = ", ".join(f"[{x}, {y}]" for x in xs[::-1])
    crs = town.crs.to_string()
    return ("services:\n  transit:\n    lines:\n"
            f"      - {{name: E, stops: [{stops}], crs: {crs}, headway_min: {{'00:00': 5}}, bidirectional: false}}\n"
            f"      - {{name: W, stops: [{back}], crs: {crs}, headway_min: {{'00:00': 5}}, bidirectional: false}}\n")  # fmt: skip


@pytest.mark.filterwarnings("ignore::twin._errors.MapWarning")
def test_transit_reaches_jobs_walking_does_not(tmp_path):
    # The town is 3.8 km long: 30 minutes on foot (2.3 km) do not cross it, a bike (7.6 km) does.
    town = grid_town(rows=2, cols=20, block_m=200, arterial_every=1)
    plain = tmp_path / "plain.yaml"
    plain.write_text(LONG_TOWN, encoding="utf-8")
    bus = tmp_path / "bus.yaml"
    bus.write_text(LONG_TOWN.replace("name: long", "name: bus") + _line(town), encoding="utf-8")
    without, with_bus = run(load_scenario(plain)).residents, run(load_scenario(bus)).residents
    jobs = int((without["work_node"] >= 0).sum())
    assert (without["jobs_30min_bike"] == jobs).all()
    assert (without["jobs_30min_walk"] < jobs).any()
    # Without lines transit is walking; with them never worse, and better for some.
    np.testing.assert_array_equal(without["jobs_30min_transit"], without["jobs_30min_walk"])
    np.testing.assert_array_equal(with_bus["jobs_30min_walk"], without["jobs_30min_walk"])
    assert (with_bus["jobs_30min_transit"] >= with_bus["jobs_30min_walk"]).all()
    assert (with_bus["jobs_30min_transit"] > with_bus["jobs_30min_walk"]).mean() > 0.2
    assert (with_bus["jobs_30min_transit"] <= jobs).all()
