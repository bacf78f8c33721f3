"""Mode choice: the logit draw, travel times, generalised costs, and plan_day."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from twin.maps.routing import route
from twin.population.choice import (
    ALTERNATIVES,
    TravelTimes,
    car_route_weight,
    choose_modes,
    choose_tour_modes,
    edge_tolls,
    generalised_costs,
    mode_probabilities,
    plan_day,
    tour_index,
    tour_totals,
    tour_utilities,
    travel_times,
)
from twin.maps.synthetic import grid_town
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
        wait_s=np.array([[0.0, 300.0]]), distance_m=np.zeros((1, 2)), fare_eur=np.zeros((1, 2)),
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


# --------------------------------------------------------------------- tolls


def _tolled(network, tolls: dict[int, float]):
    """A copy of ``network`` whose edges charge the given tolls (edge id -> EUR)."""
    edges = network.edges.copy()
    edges["toll_eur"] = 0.0
    for edge, toll in tolls.items():
        edges.loc[edge, "toll_eur"] = toll
    return dataclasses.replace(network, edges=edges)


@pytest.fixture(scope="module")
def strip():
    """Two blocks by one, 100 m residential streets at 30 km/h: 12 s per edge. From node 0 to
    node 2 the top row takes edges 0 and 2 (24 s); every other path takes four edges (48 s)."""
    return grid_town(rows=2, cols=3, block_m=100, arterial_every=0)


@pytest.mark.parametrize(("vot", "toll", "detour"), [(9.0, 0.059, False), (9.0, 0.061, True),
                                                     (18.0, 0.119, False), (18.0, 0.121, True)])  # fmt: skip
def test_cars_avoid_a_toll_worth_more_than_the_time_it_saves(strip, vot, toll, detour):
    # The detour costs 24 s more: it pays once the toll exceeds 24 s at the value of time,
    # 0.06 EUR at 9 EUR/h and 0.12 EUR at 18 EUR/h.
    network = _tolled(strip, {2: toll})
    times = travel_times(network, [0, 2], [2, 0], route_value_of_time_eur_per_h=vot)
    car = ALTERNATIVES.index("car")
    assert times.in_vehicle_s[0, car] == pytest.approx(48.0 if detour else 24.0)
    assert times.distance_m[0, car] == pytest.approx(400.0 if detour else 200.0)
    assert times.fare_eur[0, car] == (0.0 if detour else toll)
    # The way back (edges 3 and 1) is free, and nothing else pays a toll.
    assert times.in_vehicle_s[1, car] == pytest.approx(24.0) and times.fare_eur[1].sum() == 0.0
    assert (times.fare_eur[:, [1, 2]] == 0).all()
    weight = car_route_weight(network, value_of_time_eur_per_h=vot)
    assert weight[2] == pytest.approx(12.0 + toll * 3600 / vot) and weight[0] == 12.0


def test_no_toll_column_or_only_zero_tolls_route_on_free_flow_time(strip):
    assert edge_tolls(strip) is None and car_route_weight(strip, value_of_time_eur_per_h=9.0) == "freeflow_s"
    assert edge_tolls(_tolled(strip, {})) is None
    with pytest.raises(ValueError, match="edge 3 has toll_eur -1.0"):
        edge_tolls(_tolled(strip, {3: -1.0}))


def test_a_toll_lowers_the_car_utility_by_scale_times_toll(strip):
    # 2,000 identical residents each make one tour 0 -> 2 -> 0; the toll (below the detour's
    # threshold) is paid once per tour.
    n, toll = 2_000, 0.05
    trips = pd.DataFrame({"person_id": np.repeat(np.arange(n), 2), "tour_id": 0,
                          "purpose": np.tile(["work", "home"], n),
                          "origin_node": np.tile([0, 2], n), "dest_node": np.tile([2, 0], n)})  # fmt: skip
    residents = pd.DataFrame({"person_id": np.arange(n), "income": "middle", "car_access": True, "bike_access": True})
    params = PopulationSpec(residents=1).mode_choice
    utilities = {}
    for name, network in (("free", strip), ("tolled", _tolled(strip, {2: toll}))):
        times = travel_times(network, trips["origin_node"], trips["dest_node"], car_access_walk_s=params.car_access_walk_s)
        utilities[name], available, tour = tour_utilities(trips, residents, times, params)
        assert available.all() and tour.max() == n - 1
    shift = utilities["tolled"] - utilities["free"]
    np.testing.assert_allclose(shift[:, 0], -params.scale_per_eur * toll, rtol=1e-12)
    assert (shift[:, 1:] == 0).all()
    # The logit probabilities by hand, and the draws of choose_tour_modes against them.
    v = utilities["free"][0]
    e = np.exp(v - params.scale_per_eur * toll * np.array([1.0, 0.0, 0.0]))
    assert mode_probabilities(utilities["tolled"][:1])[0] == pytest.approx(e / e.sum())
    times = travel_times(_tolled(strip, {2: toll}), trips["origin_node"], trips["dest_node"],
                         car_access_walk_s=params.car_access_walk_s)  # fmt: skip
    chosen = choose_tour_modes(trips, residents, times, params, rng=np.random.default_rng(3))
    p_car = e[0] / e.sum()
    share = float((np.asarray(chosen)[::2] == "car").mean())
    assert abs(share - p_car) <= 4 * np.sqrt(p_car * (1 - p_car) / n)


def test_plan_day_on_a_changed_network_keeps_people_and_plans(town):
    # Close the car edges around one node: nobody drives to or from it, and all else is the same.
    spec = PopulationSpec(residents=3_000)
    node = int(np.flatnonzero(town.nodes["node_id"] == "r6c6")[0])
    edges = town.edges.copy()
    edges.loc[(edges["u"] == node) | (edges["v"] == node), "allows_car"] = False
    closed = dataclasses.replace(town, edges=edges)
    base = plan_day(town, spec, rng=np.random.default_rng(5))
    changed = plan_day(town, spec, rng=np.random.default_rng(5), choice_network=closed)
    pd.testing.assert_frame_equal(base[0], changed[0])
    pd.testing.assert_frame_equal(base[1].drop(columns="mode"), changed[1].drop(columns="mode"))
    trips = changed[1]
    # A trip from the node to itself needs no street, so it does not count.
    at_node = ((trips["origin_node"] == node) | (trips["dest_node"] == node)) & (trips["origin_node"] != trips["dest_node"])
    assert at_node.sum() > 0 and not (trips.loc[at_node, "mode"] == "car").any()
    assert (base[1].loc[at_node, "mode"] == "car").any()
    # Tours whose car times the closure leaves alone have the same utilities and the same
    # Gumbel draws, so the same mode.
    o, d = trips["origin_node"].to_numpy(), trips["dest_node"].to_numpy()
    same = travel_times(town, o, d).in_vehicle_s[:, 0] == travel_times(closed, o, d).in_vehicle_s[:, 0]
    untouched = trips.assign(same=same).groupby(["person_id", "tour_id"])["same"].transform("all").to_numpy(bool)
    assert untouched.sum() > 0.8 * len(trips)
    assert (base[1]["mode"].to_numpy()[untouched] == trips["mode"].to_numpy()[untouched]).all()
