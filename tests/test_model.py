"""One simulated day end to end, checked against calculations made without twin's engines."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import astral
import astral.sun
import numpy as np
import pandas as pd
import pytest

from twin.agents import Resident, Streetlight, Vehicle
from twin.maps import grid_town
from twin.model import CityModel
from twin.scenario import load_scenario
from twin.simulation import run

GRID = "{synthetic: {kind: grid, rows: 4, cols: 5, block_m: 100, arterial_every: 0}}"
SPEED_MPS = 30 / 3.6  # every street of this grid is residential: 30 km/h


def scenario(tmp_path, extra: str = "", *, date: str = "2026-12-15"):
    path = tmp_path / "s.yaml"
    path.write_text(f"name: test\nseed: 4\ndate: {date}\ntimezone: Europe/Helsinki\nmap: {GRID}\n{extra}")
    return load_scenario(path)


@pytest.fixture(scope="module")
def town():
    return grid_town(rows=4, cols=5, block_m=100, arterial_every=0)


def trips(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["trip_id", "origin_node", "dest_node", "depart_s", "mode"])


def dark_hours_by_astral(town, date: dt.date, elevation: float = -3.0) -> float:
    """Hours of the day the sun is below ``elevation``: midnight to morning plus evening to midnight."""
    lon, lat = town.centre_lonlat()
    observer = astral.Observer(latitude=lat, longitude=lon)
    zone = zoneinfo.ZoneInfo("Europe/Helsinki")
    rise = astral.sun.time_at_elevation(observer, elevation, date, astral.SunDirection.RISING, tzinfo=zone)
    sets = astral.sun.time_at_elevation(observer, elevation, date, astral.SunDirection.SETTING, tzinfo=zone)
    morning = rise.hour + rise.minute / 60 + rise.second / 3600
    evening = sets.hour + sets.minute / 60 + sets.second / 3600
    return morning + (24 - evening)


def test_a_lone_car_and_a_lone_walker_at_night_take_length_over_speed(tmp_path, town):
    # Corner to corner: 3 blocks one way and 4 the other, 700 m on any shortest path.
    given = trips((1, 0, 19, 7200.0, "car"), (2, 19, 0, 7300.0, "walk"), (3, 5, 9, 7400.0, "bike"))
    result = run(scenario(tmp_path), network=town, trips=given)
    table = result.trips.set_index("trip_id")
    assert (table["status"] == "arrived").all()
    assert table.loc[1, "route_length_m"] == pytest.approx(700.0)
    assert table.loc[1, "duration_s"] == pytest.approx(700.0 / SPEED_MPS, rel=0.01)
    assert table.loc[2, "duration_s"] == pytest.approx(700.0 / 1.3, rel=0.01)
    assert table.loc[3, "duration_s"] == pytest.approx(400.0 / 4.2, rel=0.01)
    assert table.loc[1, "arrival_s"] == pytest.approx(7200.0 + 700.0 / SPEED_MPS, rel=1e-6)
    assert result.kpis["vehicle_km"] == pytest.approx(0.7)
    assert result.kpis["co2_kg"]["traffic"] == pytest.approx(0.7 * 0.17)


def test_always_on_lights_use_lamps_times_power_times_the_night_by_noaa(tmp_path, town):
    result = run(scenario(tmp_path, "lighting: {controller: always_on}\n"), network=town, trips=trips())
    hours = dark_hours_by_astral(town, dt.date(2026, 12, 15))
    expected_kwh = town.lamps["power_w"].sum() * hours / 1000
    assert result.lights["energy_kwh"].sum() == pytest.approx(expected_kwh, rel=0.005)
    assert result.kpis["energy"]["dark_hours"] == pytest.approx(hours, rel=0.005)
    assert result.kpis["co2_kg"]["lighting"] == pytest.approx(expected_kwh * 0.25, rel=0.005)
    # The time series samples the same lights: full power at 02:00, nothing at noon.
    series = result.timeseries.set_index("time_s")
    assert series.loc[7200.0, "lighting_power_kw"] == pytest.approx(town.lamps["power_w"].sum() / 1000)
    assert series.loc[43200.0, "lighting_power_kw"] == 0.0
    assert series.loc[7200.0, "lights_at_full"] == len(town.lamps)
    assert series.loc[86400.0, "lighting_power_kw"] == pytest.approx(town.lamps["power_w"].sum() / 1000)
    # Integrating the per-step power gives the energy, up to the two steps the switches fall in.
    step_kwh = series["lighting_power_kw"].sum() * 60 / 3600
    assert step_kwh == pytest.approx(expected_kwh, rel=0.005)


def test_presence_lights_with_nobody_about_burn_the_dim_level_plus_standby(tmp_path, town):
    base = run(scenario(tmp_path, "lighting: {controller: always_on}\n"), network=town, trips=trips())
    dimmed = run(scenario(tmp_path, "lighting: {controller: presence, dim_level: 0.3, standby_power_w: 0.5}\n"),
                 network=town, trips=trips())  # fmt: skip
    standby_kwh = len(town.lamps) * 0.5 * 24 / 1000
    assert dimmed.lights["energy_kwh"].sum() == pytest.approx(0.3 * base.lights["energy_kwh"].sum() + standby_kwh,
                                                              rel=0.005)  # fmt: skip
    assert dimmed.lights["hours_full"].max() == 0.0


def test_a_helsinki_december_night_is_far_longer_and_costlier_than_a_june_one(tmp_path, town):
    winter = run(scenario(tmp_path, date="2026-12-15"), network=town, trips=trips())
    summer = run(scenario(tmp_path, date="2026-06-15"), network=town, trips=trips())
    assert winter.kpis["energy"]["dark_hours"] > 17 > 6 > summer.kpis["energy"]["dark_hours"]
    ratio = winter.kpis["energy"]["lighting_kwh"] / summer.kpis["energy"]["lighting_kwh"]
    assert ratio == pytest.approx(winter.kpis["energy"]["dark_hours"] / summer.kpis["energy"]["dark_hours"], rel=0.01)


def test_same_seed_same_day_bit_for_bit_and_another_seed_another_day(tmp_path, town):
    extra = "population: {residents: 300}\nlighting: {controller: presence, sensor_miss_rate: 0.2}\n"
    first = run(scenario(tmp_path, extra), network=town)
    again = run(scenario(tmp_path, extra), network=town)
    pd.testing.assert_frame_equal(first.trips, again.trips)
    pd.testing.assert_frame_equal(first.lights, again.lights)
    pd.testing.assert_frame_equal(first.timeseries, again.timeseries)
    assert {k: v for k, v in first.kpis.items() if k != "run"} == {k: v for k, v in again.kpis.items() if k != "run"}
    other = run(load_scenario(tmp_path / "s.yaml", overrides=["seed=5"]), network=town)
    assert not first.trips[["origin_node", "dest_node", "planned_depart_s"]].equals(
        other.trips[["origin_node", "dest_node", "planned_depart_s"]]
    )


def test_agents_are_counted_by_type_and_read_the_engines(tmp_path, town):
    model = CityModel(scenario(tmp_path, "population: {residents: 200, car_access_share: 1.0}\n"), network=town)
    assert len(model.agents_by_type[Resident]) == 200
    assert len(model.agents_by_type[Streetlight]) == len(town.lamps)
    drivers = model.trips.loc[(model.trips["mode"] == "car") & (model.trips["status"] == "planned"), "person_id"]
    assert len(model.agents_by_type[Vehicle]) == drivers.nunique()
    model.run()
    lamp = model.agents_by_type[Streetlight][0]
    assert lamp.energy_kwh == pytest.approx(model.lighting_result.energy_kwh[lamp.lamp])
    person = model.agents_by_type[Resident][0]
    assert (person.trips["person_id"] == person.person_id).all()


def test_a_researchers_subclass_and_controller_are_used(tmp_path, town):
    class CountingLight(Streetlight):
        made = 0

        def __init__(self, model, lamp):
            super().__init__(model, lamp)
            CountingLight.made += 1

    model = CityModel(scenario(tmp_path), network=town, trips=trips(), streetlight_class=CountingLight)
    assert CountingLight.made == len(town.lamps)
    assert all(isinstance(a, CountingLight) for a in model.agents_by_type[CountingLight])


def test_trips_outside_the_run_window_are_kept_and_marked(tmp_path, town):
    sc = scenario(tmp_path, "start_s: 3600\nduration_s: 3600\nstep_s: 60\n")
    result = run(sc, network=town, trips=trips((1, 0, 19, 100.0, "car"), (2, 0, 19, 4000.0, "car"),
                                               (3, 0, 19, 7190.0, "car")))  # fmt: skip
    status = result.trips.set_index("trip_id")["status"]
    assert status.to_dict() == {1: "outside_run", 2: "arrived", 3: "en_route"}
    assert result.timeseries["time_s"].iloc[0] == 3660.0 and result.timeseries["time_s"].iloc[-1] == 7200.0


def test_reroute_iterations_report_a_gap_per_iteration(tmp_path, town):
    sc = scenario(tmp_path, "population: {residents: 400}\ntraffic: {iterations: 3, reroute_share: 0.5}\n")
    result = run(sc, network=town)
    gaps = result.kpis["traffic"]["relative_gap"]
    assert len(gaps) == 2
    assert all(g is None or g >= -1e-9 for g in gaps)


def test_rerouting_spreads_a_jam_over_equally_short_paths_and_the_gap_shrinks(tmp_path, town):
    # 400 cars leave one corner for the opposite one within ten minutes: on free-flow times they
    # all take the same path, whose one-lane streets pass one car every 6 s. Several paths are
    # equally short, so re-routing on experienced times spreads the load.
    rng = np.random.default_rng(0)
    given = trips(*[(i, 0, 19, 28800.0 + float(t), "car") for i, t in enumerate(np.sort(rng.uniform(0, 600, 400)))])
    single = run(scenario(tmp_path), network=town, trips=given)
    iterated = run(scenario(tmp_path, "traffic: {iterations: 5, reroute_share: 0.3}\n"), network=town, trips=given)
    gaps = iterated.kpis["traffic"]["relative_gap"]
    assert len(gaps) == 4 and gaps[0] > 0.2 and gaps[-1] < gaps[0]
    assert iterated.trips["duration_s"].mean() < 0.8 * single.trips["duration_s"].mean()
    assert (iterated.trips["route_length_m"] == 700.0).all()  # still shortest paths, only spread


def test_a_persons_trips_wait_for_each_other_in_time_order_not_file_order(tmp_path, town):
    given = trips((1, 19, 0, 61200.0, "car"), (2, 0, 19, 28800.0, "car")).assign(person_id=[7, 7])
    table = run(scenario(tmp_path), network=town, trips=given).trips.set_index("trip_id")
    assert table.loc[2, "depart_s"] == 28800.0  # the morning trip is not held back by the evening one
    assert table.loc[1, "depart_s"] == 61200.0


def test_an_evening_to_morning_run_sees_the_next_mornings_commuters(tmp_path, town):
    result = run(scenario(tmp_path, "start_s: 64800\nduration_s: 54000\npopulation: {residents: 300}\n"), network=town)
    started = result.trips[result.trips["status"].isin(["arrived", "en_route"])]
    assert started["depart_s"].min() >= 64800
    assert (started["depart_s"] > 86400 + 6 * 3600).sum() > 100  # the plans repeat on day 2
    assert started["depart_s"].max() < 64800 + 54000
    # A plain day is planned once: only the few tours that end after midnight fall outside it.
    day = run(scenario(tmp_path, "population: {residents: 300}\n"), network=town)
    assert (day.trips["status"] == "outside_run").mean() < 0.03


def test_the_switch_times_are_none_in_polar_night(tmp_path):
    polar = grid_town(rows=4, cols=5, block_m=100, arterial_every=0, origin_lat=69.65, origin_lon=18.96)
    result = run(scenario(tmp_path, date="2026-12-21").model_copy(update={"timezone": "Europe/Oslo"}),
                 network=polar, trips=trips())  # fmt: skip
    energy = result.kpis["energy"]
    assert energy["dark_hours"] == 24.0 and energy["switch_on_s"] is None and energy["switch_off_s"] is None


def test_user_errors_in_a_given_trip_table_are_scenario_errors(tmp_path, town):
    from twin import ScenarioError

    with pytest.raises(ScenarioError, match="mode 'bus' is not simulated"):
        CityModel(scenario(tmp_path), network=town, trips=trips((1, 0, 19, 100.0, "bus")))
    with pytest.raises(ScenarioError, match="dest_node 99 is not a node position"):
        CityModel(scenario(tmp_path), network=town, trips=trips((1, 0, 99, 100.0, "car")))


def test_mesa_run_model_runs_the_whole_day_once(tmp_path, town):
    model = CityModel(scenario(tmp_path), network=town, trips=trips((1, 0, 19, 7200.0, "car")))
    model.run_model()
    assert model.lighting_result is not None and model.trips["status"].tolist() == ["arrived"]
    with pytest.raises(RuntimeError, match="already run"):
        model.run()
