"""Synthetic residents: shares, who may do what, where they live and work, reproducibility."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from twin.population.places import eligible_nodes, node_weights
from twin.population.residents import AGE_GROUPS, INCOME_GROUPS, RESIDENT_COLUMNS, synthesize_residents
from twin.scenario.schema import PopulationSpec


def within_sampling_error(observed: np.ndarray, share: float) -> bool:
    """Whether a boolean sample's mean is within 4 standard errors of ``share``."""
    n = observed.size
    return abs(observed.mean() - share) <= 4 * np.sqrt(share * (1 - share) / n) + 1e-12


@pytest.fixture(scope="module")
def people(town):
    spec = PopulationSpec(
        residents=40_000, car_access_share=0.6, bike_access_share=0.7, smartphone_share=0.9,
        employment_share=0.7, student_share=0.8,
        income_shares={"low": 0.25, "middle": 0.45, "high": 0.3},
        age_shares={"child": 0.2, "adult": 0.6, "senior": 0.2},
    )  # fmt: skip
    return spec, synthesize_residents(town, spec, rng=np.random.default_rng(11))


def test_columns_and_types(people):
    spec, residents = people
    assert tuple(residents.columns) == RESIDENT_COLUMNS
    assert (residents["person_id"].to_numpy() == np.arange(spec.residents)).all()
    assert residents["income"].cat.categories.tolist() == list(INCOME_GROUPS)
    assert residents["age_group"].cat.categories.tolist() == list(AGE_GROUPS)
    for column in ("employed", "student", "car_access", "bike_access", "smartphone"):
        assert residents[column].dtype == bool


def test_shares_are_reproduced_within_sampling_error(people):
    spec, r = people
    for group, share in spec.age_shares.items():
        assert within_sampling_error((r["age_group"] == group).to_numpy(), share), group
    for group, share in spec.income_shares.items():
        assert within_sampling_error((r["income"] == group).to_numpy(), share), group
    adult = (r["age_group"] == "adult").to_numpy()
    child = (r["age_group"] == "child").to_numpy()
    assert within_sampling_error(r["employed"].to_numpy()[adult], spec.employment_share)
    assert within_sampling_error(r["student"].to_numpy()[child], spec.student_share)
    assert within_sampling_error(r["car_access"].to_numpy()[~child], spec.car_access_share)
    assert within_sampling_error(r["bike_access"].to_numpy(), spec.bike_access_share)
    assert within_sampling_error(r["smartphone"].to_numpy(), spec.smartphone_share)


def test_children_never_drive_and_only_adults_work(people):
    _, r = people
    child = (r["age_group"] == "child").to_numpy()
    assert not r["car_access"].to_numpy()[child].any()
    assert (r["age_group"][r["employed"]] == "adult").all()
    assert (r["age_group"][r["student"]] == "child").all()
    assert ((r["work_node"] >= 0) == r["employed"]).all()


def test_homes_on_residential_and_work_on_commercial_frontage(people, town):
    _, r = people
    nodes = np.arange(town.n_nodes)
    assert (node_weights(town, nodes, "homes")[r["home_node"]] > 0).all()
    workers = r[r["employed"]]
    assert (node_weights(town, nodes, "jobs")[workers["work_node"]] > 0).all()
    # Homes spread in proportion to residential frontage: a 4-street node gets twice a corner's.
    counts = np.bincount(r["home_node"], minlength=town.n_nodes)
    ids = town.nodes["node_id"].to_numpy()
    assert counts[ids == "r2c2"][0] == pytest.approx(2 * counts[ids == "r11c11"][0], rel=0.35)


def test_only_nodes_every_mode_can_use(car_free_streets):
    r = synthesize_residents(car_free_streets, PopulationSpec(residents=5_000), rng=np.random.default_rng(2))
    allowed = eligible_nodes(car_free_streets)
    assert np.isin(r["home_node"], allowed).all()
    assert np.isin(r.loc[r["employed"], "work_node"], allowed).all()


def test_same_seed_same_residents_other_seed_others(town):
    spec = PopulationSpec(residents=3_000)
    one = synthesize_residents(town, spec, rng=np.random.default_rng(5))
    pd.testing.assert_frame_equal(one, synthesize_residents(town, spec, rng=np.random.default_rng(5)))
    other = synthesize_residents(town, spec, rng=np.random.default_rng(6))
    assert not one.equals(other)
    assert (one["home_node"] != other["home_node"]).mean() > 0.5
