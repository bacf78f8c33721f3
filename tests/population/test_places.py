"""Eligible nodes, node weights and the gravity destination choice."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from twin._errors import MapDataError
from twin.maps.synthetic import grid_town
from twin.population.places import WeightedSampler, eligible_nodes, gravity_choice, node_weights


def test_eligible_nodes_are_usable_by_every_mode(car_free_streets):
    nodes = eligible_nodes(car_free_streets)
    ids = car_free_streets.nodes["node_id"].to_numpy()[nodes]
    # Nodes on an arterial line: row or column 0, 4 or 8.
    on_arterial = [i for i in car_free_streets.nodes["node_id"]
                   if int(i[1:].split("c")[0]) % 4 == 0 or int(i.split("c")[1]) % 4 == 0]  # fmt: skip
    assert sorted(ids) == sorted(on_arterial)
    assert len(ids) == 45


def test_no_eligible_node_is_a_map_error():
    network = grid_town(rows=4, cols=4, arterial_every=0, road_classes={"residential": {"car": False}})
    with pytest.raises(MapDataError, match="no node of the map can be used by car, bike and walking"):
        eligible_nodes(network)


def test_frontage_weights_follow_road_classes(town):
    nodes = np.arange(town.n_nodes)
    ids = town.nodes["node_id"].to_numpy()
    homes = node_weights(town, nodes, "homes")
    jobs = node_weights(town, nodes, "jobs")
    row = np.array([int(i[1:].split("c")[0]) for i in ids])
    col = np.array([int(i.split("c")[1]) for i in ids])
    arterial_row, arterial_col = row % 4 == 0, col % 4 == 0
    # A node weighs half the length of each street of the class meeting there (150 m blocks).
    assert jobs[~arterial_row & ~arterial_col].sum() == 0
    assert homes[(row == 4) & (col == 4)].sum() == 0  # four arterials meet: no homes
    assert homes[ids == "r1c1"][0] == pytest.approx(4 * 75.0)
    assert jobs[ids == "r4c1"][0] == pytest.approx(2 * 75.0)
    assert (node_weights(town, nodes, "any") == 1).all()


def test_weight_columns_replace_the_frontage_proxy(town):
    homes = np.zeros(town.n_nodes)
    homes[[5, 17]] = [1.0, 3.0]
    with_land_use = dataclasses.replace(town, nodes=town.nodes.assign(homes=homes, jobs=homes[::-1]))
    nodes = np.arange(town.n_nodes)
    assert (node_weights(with_land_use, nodes, "homes") == homes).all()
    assert (node_weights(with_land_use, nodes, "shops") == homes[::-1]).all()  # shops fall back to jobs
    bad = dataclasses.replace(town, nodes=town.nodes.assign(homes=-homes))
    with pytest.raises(MapDataError, match="node column 'homes' has negative"):
        node_weights(bad, nodes, "homes")


def test_weighted_sampler_draws_in_proportion_and_never_zero_weights():
    weights = np.array([0.0, 1.0, 0.0, 0.0, 2.0, 7.0, 0.0, 0.5, 0.0])
    n = 400_000
    drawn = WeightedSampler(weights)(np.random.default_rng(1).random(n))
    counts = np.bincount(drawn, minlength=weights.size)
    expected = weights / weights.sum()
    assert (counts[weights == 0] == 0).all()
    se = np.sqrt(expected * (1 - expected) / n)
    assert np.all(np.abs(counts / n - expected) <= 4 * se + 1e-12)


def test_gravity_choice_is_the_exact_gravity_model():
    # Five candidates on a line 0, 500, ..., 2000 m from the anchor; weights favour far ones.
    xy = np.column_stack([np.arange(6) * 500.0, np.zeros(6)])
    candidates = np.arange(1, 6)
    weights = np.array([1.0, 1.0, 2.0, 2.0, 4.0])
    decay = 600.0
    dist = xy[candidates, 0]
    exact = weights * np.exp(-dist / decay)
    exact /= exact.sum()
    n = 100_000
    got = gravity_choice(np.zeros(n, dtype=np.int64), candidates, weights, xy=xy, decay_m=decay,
                         rng=np.random.default_rng(3), n_candidates=8)  # fmt: skip
    share = np.bincount(got, minlength=6)[1:] / n
    se = np.sqrt(exact * (1 - exact) / n)
    assert np.all(np.abs(share - exact) <= 4 * se)
    # A long decay leaves the weights alone.
    got = gravity_choice(np.zeros(n, dtype=np.int64), candidates, weights, xy=xy, decay_m=1e9,
                         rng=np.random.default_rng(4))  # fmt: skip
    assert np.abs(np.bincount(got, minlength=6)[1:] / n - weights / weights.sum()).max() < 0.01
