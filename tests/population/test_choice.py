"""Mode choice: the logit draw, travel times, generalised costs, and plan_day."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from twin.maps.routing import route
from twin.population.choice import (
    ALTERNATIVES,
    TravelTimes,
    choose_modes,
    generalised_costs,
    mode_probabilities,
    plan_day,
    tour_index,
    tour_totals,
    travel_times,
)
from twin.scenario.schema import PopulationSpec


def closed_form(v: np.ndarray) -> np.ndarray:
    e = np.exp(v)
    return e / e.sum()


def test_logit_draws_match_the_closed_form():
    v = np.array([0.5, -0.2, 1.0, -1.5])
    n = 200_000
    chosen = choose_modes(np.tile(v, (n, 1)), rng=np.random.default_rng(1))
    share = np.bincount(chosen, minlength=v.size) / n
    p = closed_form(v)
    assert np.all(np.abs(share - p) <= 4 * np.sqrt(p * (1 - p) / n))
    assert np.allclose(mode_probabilities(v[None, :])[0], p)


def test_unavailable_alternatives_are_never_chosen():
    v = np.array([[0.3, 0.0, -0.4], [2.0, 0.1, 0.0], [0.0, 0.0, 0.0]])
    available = np.array([[True, False, True], [False, True, True], [False, False, False]])
    n = 50_000
    rows = np.repeat(np.arange(3), n)
    chosen = choose_modes(v[rows], available[rows], rng=np.random.default_rng(2))
    probs = mode_probabilities(v, available)
    two = closed_form(np.array([0.3, -0.4]))
    assert np.allclose(probs[0], [two[0], 0.0, two[1]])
    assert (probs[2] == 0).all()
    assert (chosen[rows == 2] == -1).all()
    for r in (0, 1):
        got = np.bincount(chosen[rows == r], minlength=3) / n
        p = probs[r]
        assert np.all(np.abs(got - p) <= 4 * np.sqrt(p * (1 - p) / n) + 1e-12)
        assert (got[~available[r]] == 0).all()


def test_travel_times_on_a_grid(town):
    ids = town.nodes["node_id"]
    at = {name: int(np.flatnonzero(ids == name)[0]) for name in ("r1c1", "r1c5", "r6c3")}
    o = np.array([at["r1c1"], at["r1c1"], at["r6c3"]])
    d = np.array([at["r1c5"], at["r1c1"], at["r1c1"]])
    times = travel_times(town, o, d, walk_speed_mps=1.25, bike_speed_mps=5.0, car_access_walk_s=60.0)
    assert times.alternatives == ALTERNATIVES == ("car", "bike", "walk")
    car, bike, walk = 0, 1, 2
    manhattan = np.array([4 * 150.0, 0.0, (5 + 2) * 150.0])
    assert np.allclose(times.distance_m[:, walk], manhattan)
    assert np.allclose(times.walk_s[:, walk], manhattan / 1.25)
    assert np.allclose(times.in_vehicle_s[:, bike], manhattan / 5.0)
    free_flow = route(town, o, d, mode="car").cost
    assert np.allclose(times.in_vehicle_s[:, car], free_flow)
    assert np.allclose(times.walk_s[:, car], [60.0, 0.0, 60.0])  # a trip to the same node is free
    assert (times.in_vehicle_s[1] == 0).all() and (times.wait_s == 0).all()
    assert times.reachable.all()


def test_generalised_cost_formula():
    times = TravelTimes(
        ("a", "b"),
        in_vehicle_s=np.array([[600.0, 0.0]]), walk_s=np.array([[60.0, 900.0]]),
        wait_s=np.array([[0.0, 300.0]]), distance_m=np.zeros((1, 2)),
    )  # fmt: skip
    cost = generalised_costs(times, value_of_time_eur_per_h=np.array([12.0]),
                             money_eur=np.array([[1.5, 0.0]]), walk_time_weight=2.0, wait_time_weight=3.0)  # fmt: skip
    per_s = 12.0 / 3600
    assert cost[0] == pytest.approx([per_s * (600 + 2 * 60) + 1.5, per_s * (2 * 900 + 3 * 300)])


def test_tour_sums():
    person = np.array([0, 0, 0, 2, 2, 2, 2])
    tour = np.array([0, 0, 1, 0, 0, 1, 1])
    index, n = tour_index(person, tour)
    assert n == 4 and index.tolist() == [0, 0, 1, 2, 2, 3, 3]
    values = np.arange(14, dtype=float).reshape(7, 2)
    assert tour_totals(values, index, n).tolist() == [[2, 4], [4, 5], [14, 16], [22, 24]]


def test_plan_day_modes(day):
    _, residents, trips = day
    mode = trips["mode"].astype(str).to_numpy()
    assert set(mode) == {"car", "bike", "walk"}
    person = trips["person_id"].to_numpy()
    assert residents["car_access"].to_numpy()[person[mode == "car"]].all()
    assert residents["bike_access"].to_numpy()[person[mode == "bike"]].all()
    child = (residents["age_group"] == "child").to_numpy()
    assert not (child[person] & (mode == "car")).any()
    # One mode per tour.
    per_tour = trips.groupby(["person_id", "tour_id"])["mode"].nunique()
    assert (per_tour == 1).all()
    shares = trips["mode"].value_counts(normalize=True)
    assert 0.35 < shares["car"] < 0.75 and shares["walk"] > 0.1 and shares["bike"] > 0.05


def test_costlier_driving_means_less_driving(town):
    def car_share(**choice) -> float:
        spec = PopulationSpec(residents=5_000, mode_choice=choice)
        _, trips = plan_day(town, spec, rng=np.random.default_rng(4))
        return float((trips["mode"] == "car").mean())

    assert car_share(parking_eur=6.0) < car_share() - 0.05
    assert car_share(asc_utils={"bike": 3.0}) < car_share() - 0.05


def test_plan_day_is_reproducible(town):
    spec = PopulationSpec(residents=3_000)
    first = plan_day(town, spec, rng=np.random.default_rng(21))
    again = plan_day(town, spec, rng=np.random.default_rng(21))
    pd.testing.assert_frame_equal(first[0], again[0])
    pd.testing.assert_frame_equal(first[1], again[1])
    other = plan_day(town, spec, rng=np.random.default_rng(22))
    assert not first[1].equals(other[1])
