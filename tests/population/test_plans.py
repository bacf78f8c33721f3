"""Daily plans: trip rate, tours, chaining, timing and destinations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from twin.population.places import eligible_nodes
from twin.population.plans import LATEST_TOUR_START_S, PURPOSES, TRIP_COLUMNS, build_plans
from twin.population.residents import synthesize_residents
from twin.scenario.schema import PopulationSpec


def plans_for(network, residents: int, seed: int = 1, **fields) -> tuple[pd.DataFrame, pd.DataFrame]:
    spec = PopulationSpec(residents=residents, **fields)
    rng = np.random.default_rng(seed)
    people = synthesize_residents(network, spec, rng=rng)
    return people, build_plans(people, network, spec, rng=rng)


def test_columns_and_order(day):
    _, _, trips = day
    assert tuple(trips.columns[: len(TRIP_COLUMNS)]) == TRIP_COLUMNS
    assert (trips["trip_id"].to_numpy() == np.arange(len(trips))).all()
    assert trips["purpose"].cat.categories.tolist() == list(PURPOSES)
    assert (np.diff(trips["person_id"].to_numpy()) >= 0).all()


def test_mean_trips_per_person_is_the_spec_rate(day):
    spec, residents, trips = day
    per_person = np.bincount(trips["person_id"], minlength=len(residents))
    se = per_person.std() / np.sqrt(per_person.size)
    assert abs(per_person.mean() - spec.trips_per_person) < 4 * se
    assert per_person.mean() == pytest.approx(3.1, rel=0.03)


@pytest.mark.parametrize("rate", [1.0, 2.0, 4.5])
def test_other_trip_rates_are_met(town, rate):
    people, trips = plans_for(town, 8_000, trips_per_person=rate)
    assert len(trips) / len(people) == pytest.approx(rate, rel=0.04)


def test_some_people_stay_home(day):
    spec, residents, trips = day
    home_all_day = 1 - np.unique(trips["person_id"]).size / len(residents)
    assert home_all_day == pytest.approx(1 - spec.plans.mobile_share, abs=0.015)


def test_tours_start_and_end_at_home_and_trips_chain(day):
    _, residents, trips = day
    person = trips["person_id"].to_numpy()
    tour = trips["tour_id"].to_numpy()
    origin, dest = trips["origin_node"].to_numpy(), trips["dest_node"].to_numpy()
    home = residents["home_node"].to_numpy()[person]
    first = np.r_[True, (person[1:] != person[:-1]) | (tour[1:] != tour[:-1])]
    last = np.r_[first[1:], True]
    assert (origin[first] == home[first]).all()
    assert (dest[last] == home[last]).all()
    assert (trips["purpose"].to_numpy()[last] == "home").all()
    same = person[1:] == person[:-1]
    assert (dest[:-1][same] == origin[1:][same]).all()  # each trip starts where the last ended
    assert (np.diff(trips["depart_s"].to_numpy())[same] >= 0).all()  # time-ordered per person
    assert (np.diff(trips["seq"].to_numpy())[same] == 1).all()
    assert (trips["seq"].to_numpy()[~np.r_[False, same]] == 0).all()
    step = np.diff(tour)[same]
    assert np.isin(step, [0, 1]).all() and (tour[~np.r_[False, same]] == 0).all()
    # Two or three trips per tour: out, perhaps a stop, back.
    sizes = pd.Series(1, index=pd.MultiIndex.from_arrays([person, tour])).groupby(level=[0, 1]).size()
    assert set(sizes.unique()) <= {2, 3}


def test_no_tour_leaves_home_after_the_latest_start(day):
    _, _, trips = day
    leaving_home = trips.groupby(["person_id", "tour_id"])["depart_s"].min()
    assert leaving_home.max() <= LATEST_TOUR_START_S


def test_commuters_go_to_their_workplace_and_pupils_to_school(day):
    _, residents, trips = day
    work = trips[trips["purpose"] == "work"]
    assert (work["dest_node"].to_numpy() == residents["work_node"].to_numpy()[work["person_id"]]).all()
    assert residents["employed"].to_numpy()[work["person_id"]].all()
    school = trips[trips["purpose"] == "school"]
    assert residents["student"].to_numpy()[school["person_id"]].all()
    # Work and school come first in the day.
    assert (trips.loc[trips["purpose"].isin(["work", "school"]), "seq"] == 0).all()


def test_hourly_departures_have_morning_and_evening_peaks(day):
    _, _, trips = day
    hours = np.bincount((trips["depart_s"].to_numpy() // 3600).astype(int) % 24, minlength=24)
    share = hours / hours.sum()
    am = int(np.argmax(share[5:10])) + 5
    pm = int(np.argmax(share[12:21])) + 12
    assert am == 7
    assert pm in (16, 17)
    midday = share[9:13].max()
    assert share[am] > 1.4 * midday and share[pm] > 1.4 * midday
    assert share[1:5].sum() < 0.01  # quiet night
    # A night tail: returns home from leisure after 22:00.
    late = trips[(trips["depart_s"] >= 22 * 3600) & (trips["purpose"] == "home")]
    assert len(late) / len(trips) > 0.01


def test_trips_use_only_nodes_every_mode_can_use(car_free_streets):
    _, trips = plans_for(car_free_streets, 4_000)
    allowed = eligible_nodes(car_free_streets)
    assert np.isin(trips["origin_node"], allowed).all() and np.isin(trips["dest_node"], allowed).all()


def test_shorter_decay_means_shorter_shopping_trips(town):
    xy = town.nodes[["x", "y"]].to_numpy()

    def mean_shop_distance(decay_m: float) -> float:
        _, trips = plans_for(town, 6_000, plans={"destination_decay_m": {"shop": decay_m}})
        shop = trips[trips["purpose"] == "shop"]
        d = xy[shop["dest_node"]] - xy[shop["origin_node"]]
        return float(np.hypot(d[:, 0], d[:, 1]).mean())

    assert mean_shop_distance(300.0) < 0.7 * mean_shop_distance(20_000.0)


def test_same_seed_same_plans(town):
    people, trips = plans_for(town, 2_000, seed=3)
    again = build_plans(people, town, PopulationSpec(residents=2_000), rng=np.random.default_rng(9))
    pd.testing.assert_frame_equal(
        again, build_plans(people, town, PopulationSpec(residents=2_000), rng=np.random.default_rng(9))
    )
    assert not again.equals(build_plans(people, town, PopulationSpec(residents=2_000), rng=np.random.default_rng(10)))
