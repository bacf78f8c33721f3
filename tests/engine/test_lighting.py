"""Tests of twin.engine.lighting, each against a calculation by hand or by astral directly.

The town is ``grid_town(rows=3, cols=3, block_m=100)``: 12 streets of 100 m, each with
three lamps at 16.7, 50 and 83.3 m along its forward edge (100 W on the arterials, 70 W on
residential streets), 36 lamps in all. Street 2 (residential, edges 4 forward and 5 reverse)
holds lamps 6, 7 and 8. The day is 15 December 2026 at Helsinki's latitude and longitude.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from astral import Observer, SunDirection
from astral.sun import time_at_elevation

from twin.engine.lighting import ControlContext, LevelTimelines, LightingEngine, LightingResult
from twin.engine.sun import dark_intervals
from twin.engine.traversals import MODE_CODES, Traversals
from twin.interventions.base import LightingZone
from twin.maps.synthetic import grid_town
from twin.scenario import LightingSpec

DAY = 86400.0
DATE = dt.date(2026, 12, 15)
LAT, LON, TZ = 60.17, 24.94, "Europe/Helsinki"
WALK, BIKE, CAR = MODE_CODES["walk"], MODE_CODES["bike"], MODE_CODES["car"]
WALK_MPS = 1.3


def _astral_switch_times(date: dt.date) -> tuple[float, float]:
    """Switch-off (dawn) and switch-on (dusk) at -3 deg, wall-clock seconds, from astral."""
    observer = Observer(latitude=LAT, longitude=LON)
    times = []
    for direction in (SunDirection.RISING, SunDirection.SETTING):
        moment = time_at_elevation(observer, -3.0, date, direction, tzinfo=TZ, with_refraction=False)
        assert moment.date() == date
        times.append(moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6)
    return times[0], times[1]


@pytest.fixture(scope="module")
def town():
    return grid_town(rows=3, cols=3, block_m=100)


@pytest.fixture(scope="module")
def dark():
    return dark_intervals(latitude=LAT, longitude=LON, date=DATE, timezone=TZ, elevation_deg=-3.0,
                          start_s=0.0, end_s=DAY)  # fmt: skip


@pytest.fixture(scope="module")
def dark_hours():
    dawn, dusk = _astral_switch_times(DATE)
    return (dawn + DAY - dusk) / 3600.0


def engine(town, dark, **spec) -> LightingEngine:
    return LightingEngine.from_network(town, spec=LightingSpec(**spec), dark_s=dark, start_s=0.0, end_s=DAY)


def walk(edge: int, enter_s: float, *, speed: float = WALK_MPS, mode: int = WALK, metres: float = 100.0) -> Traversals:
    return Traversals(edge=np.array([edge]), enter_s=np.array([enter_s]), exit_s=np.array([enter_s + metres / speed]),
                      mode=np.array([mode], np.int8), trip=np.array([0]))  # fmt: skip


def evaluate(eng: LightingEngine, traversals: Traversals | None = None, seed: int = 0) -> LightingResult:
    return eng.evaluate(traversals if traversals is not None else Traversals.empty(), rng=np.random.default_rng(seed))


# ------------------------------------------------------------------ always on


def test_always_on_burns_rated_power_between_astral_switch_times(town, dark, dark_hours):
    dawn, dusk = _astral_switch_times(DATE)
    np.testing.assert_allclose(dark, [[0.0, dawn], [dusk, DAY]], atol=1.0)
    result = evaluate(engine(town, dark, controller="always_on"), walk(4, 72000.0))
    power_w = town.lamps["power_w"].to_numpy()
    assert len(power_w) == 36
    assert result.total_kwh == pytest.approx(power_w.sum() * dark_hours / 1000, rel=0.005)
    np.testing.assert_allclose(result.energy_kwh, power_w * dark_hours / 1000, rtol=0.005)
    np.testing.assert_allclose(result.hours_full, dark_hours, rtol=0.005)
    assert not result.hours_dimmed.any()
    np.testing.assert_allclose(result.hours_full + result.hours_dimmed + result.hours_off, 24.0)
    assert result.standby_kwh == 0.0 and result.dark_arrivals_total == 0
    # The walker's 100 m at 20:00 are all in the dark and all at full light.
    assert result.night_metres_walk_bike == pytest.approx(100.0)
    assert result.night_metres_walk_bike_full == pytest.approx(100.0)


def test_presence_without_road_users_is_dim_level_plus_standby(town, dark, dark_hours):
    full = evaluate(engine(town, dark, controller="always_on"))
    result = evaluate(engine(town, dark, controller="presence", dim_level=0.3, standby_power_w=0.5))
    standby_kwh = 36 * 0.5 * 24 / 1000
    assert result.standby_kwh == pytest.approx(standby_kwh)
    assert result.total_kwh == pytest.approx(0.3 * full.total_kwh + standby_kwh, rel=1e-9)
    assert result.total_kwh == pytest.approx(0.3 * town.lamps["power_w"].sum() * dark_hours / 1000 + standby_kwh,
                                             rel=0.005)  # fmt: skip
    assert not result.hours_full.any()
    np.testing.assert_allclose(result.hours_dimmed, full.hours_full)


def test_dim_level_zero_counts_as_off(town, dark, dark_hours):
    result = evaluate(engine(town, dark, controller="presence", dim_level=0.0, standby_power_w=0.0))
    assert result.total_kwh == 0.0
    np.testing.assert_allclose(result.hours_off, 24.0)


# ----------------------------------------------------------------- part night


@pytest.mark.parametrize(("window", "dim", "hours_dimmed"), [((82800.0, 18000.0), 0.5, 6.0), ((3600.0, 14400.0), 0.3, 3.0)])
def test_part_night_by_hand(town, dark, dark_hours, window, dim, hours_dimmed):
    # 23:00-05:00 (wrapping midnight: 00:00-05:00 and 23:00-24:00 of the day) or 01:00-04:00,
    # both inside the December night.
    result = evaluate(engine(town, dark, controller="part_night", dim_level=dim, part_night_from_s=window[0],
                             part_night_to_s=window[1]))  # fmt: skip
    power_kw = town.lamps["power_w"].sum() / 1000
    assert result.total_kwh == pytest.approx(power_kw * (dark_hours - (1 - dim) * hours_dimmed), rel=0.005)
    np.testing.assert_allclose(result.hours_dimmed, hours_dimmed)
    np.testing.assert_allclose(result.hours_full, dark_hours - hours_dimmed, rtol=0.005)
    at = np.array([window[0] + 60.0, window[1] - 60.0, window[1] + 60.0, 43200.0])
    np.testing.assert_allclose(result.power_kw(at), [dim * power_kw, dim * power_kw, power_kw, 0.0])
    np.testing.assert_array_equal(result.lamps_at_full(at), [0, 0, 36, 0])


def test_part_night_repeats_every_night_of_a_longer_run(town):
    dark = dark_intervals(latitude=LAT, longitude=LON, date=DATE, timezone=TZ, elevation_deg=-3.0,
                          start_s=0.0, end_s=2 * DAY)  # fmt: skip
    eng = LightingEngine.from_network(town, spec=LightingSpec(controller="part_night"), dark_s=dark,
                                      start_s=0.0, end_s=2 * DAY)  # fmt: skip
    result = evaluate(eng)
    dark_h = float(np.sum(dark[:, 1] - dark[:, 0])) / 3600
    # Windows in the run: 00-05, 23-05 (next day), 23-24 of the second day: 12 h, all dark.
    np.testing.assert_allclose(result.hours_dimmed, 12.0)
    assert result.total_kwh == pytest.approx(town.lamps["power_w"].sum() / 1000 * (dark_h - 0.5 * 12.0), rel=1e-9)


# ------------------------------------------------------------------- presence


def test_one_walker_raises_only_their_street_for_the_expected_time(town, dark):
    spec = {"controller": "presence", "dim_level": 0.5, "lookahead_m": 50.0, "sensor_latency_s": 0.5,
            "hold_s": 60.0, "ramp_s": 2.0, "standby_power_w": 0.5}  # fmt: skip
    eng = engine(town, dark, **spec)
    base = evaluate(eng)
    enter = 72000.0  # 20:00, dark
    duration = 100.0 / WALK_MPS
    result = evaluate(eng, walk(4, enter))
    # Requested from enter - 50 m / 1.3 m/s + 0.5 s, full 2 s later, until exit + 60 s.
    request_on = enter - 50.0 / WALK_MPS + 0.5
    full_from, full_to = request_on + 2.0, enter + duration + 60.0
    street = town.lamps["street_id"].to_numpy() == 2
    np.testing.assert_allclose(result.hours_full[street], (full_to - full_from) / 3600)
    assert not result.hours_full[~street].any()
    # Extra energy over dim: (1 - dim) x power x (time at full + one ramp: two half ramps).
    extra_kwh = 0.5 * 3 * 70.0 * (full_to - full_from + 2.0) / 3.6e6
    assert result.total_kwh - base.total_kwh == pytest.approx(extra_kwh, rel=1e-9)
    assert result.dark_arrivals_total == 0
    assert result.night_metres_walk_bike == pytest.approx(100.0)
    assert result.night_metres_walk_bike_full == pytest.approx(100.0)
    # Sampled: dim before the request, half-way up the ramp 1 s into it, full, dim again.
    times = np.array([request_on - 1.0, request_on + 1.0, full_from + 1.0, full_to - 1.0, full_to + 3.0])
    np.testing.assert_array_equal(result.lamps_at_full(times), [0, 0, 3, 3, 0])
    dim_kw = 0.5 * town.lamps["power_w"].sum() / 1000
    standby_kw = 36 * 0.5 / 1000
    street_kw = 3 * 70.0 / 1000
    expected = dim_kw + standby_kw + street_kw * np.array([0.0, 0.5 * 0.5, 0.5, 0.5, 0.0])
    np.testing.assert_allclose(result.power_kw(times), expected)


@pytest.mark.parametrize(("edge", "first_lamp"), [(4, 6), (5, 8)])
def test_no_lookahead_and_a_slow_ramp_leave_the_first_lamp_dark(town, dark, edge, first_lamp):
    # The walker passes the first lamp (16.7 m from the entry; lamp 6 going forward on edge 4,
    # lamp 8 going back on edge 5) 12.8 s after entering; the light, requested 0.5 s after
    # entry, needs 20 s to come up. The next lamps (38 s and 64 s) are at full.
    eng = engine(town, dark, controller="presence", lookahead_m=0.0, ramp_s=20.0)
    result = evaluate(eng, walk(edge, 72000.0))
    expected = np.zeros(36, dtype=np.int64)
    expected[first_lamp] = 1
    np.testing.assert_array_equal(result.dark_arrivals, expected)
    assert result.dark_arrivals_total == result.dark_arrivals_walk_bike == 1
    # Full light from 20.5 s after entry to the end of the street.
    assert result.night_metres_walk_bike_full == pytest.approx(100.0 - 20.5 * WALK_MPS)
    # With the lights coming up 100 m ahead there is time to spare.
    ahead = evaluate(engine(town, dark, controller="presence", lookahead_m=100.0, ramp_s=20.0), walk(edge, 72000.0))
    assert ahead.dark_arrivals_total == 0
    # In daylight nobody arrives in the dark.
    assert evaluate(eng, walk(edge, 43200.0)).dark_arrivals_total == 0


def test_night_metres_are_added_up_per_trip(town, dark):
    # Trip 2 walks street 2 forward at 20:00 (lights come up 20.5 s after entry, as above) and
    # back in daylight; trip 0 cycles it at 20:10; a car (trip 1) and a passage of no trip
    # (-1, a bus) count for neither. Trip 3 made no passage: beyond the arrays' end, 0.
    eng = engine(town, dark, controller="presence", lookahead_m=0.0, ramp_s=20.0)
    parts = [walk(4, 72000.0), walk(5, 43200.0), walk(4, 72600.0, speed=4.2, mode=BIKE), walk(4, 73000.0, mode=CAR),
             walk(5, 73500.0)]
    trips = np.array([2, 2, 0, 1, -1])
    passages = Traversals.concat([Traversals(edge=p.edge, enter_s=p.enter_s, exit_s=p.exit_s, mode=p.mode,
                                             trip=trips[[i]]) for i, p in enumerate(parts)])  # fmt: skip
    result = evaluate(eng, passages)
    assert result.trip_night_m.size == result.trip_night_full_m.size == 3
    np.testing.assert_allclose(result.trip_night_m, [100.0, 0.0, 100.0])
    assert result.trip_night_full_m[2] == pytest.approx(100.0 - 20.5 * WALK_MPS)
    assert result.trip_night_full_m[0] == pytest.approx(100.0 - 20.5 * 4.2)
    # The per-trip sums and the passage of no trip make up the totals.
    assert result.night_metres_walk_bike == pytest.approx(result.trip_night_m.sum() + 100.0)
    assert result.lamps_networked == 36
    assert evaluate(engine(town, dark, controller="always_on")).lamps_networked == 0


def test_lamp_at_the_entry_is_reached_before_the_light_is_up():
    # One street of 100 m with a lamp 1 m from each end: the default 0.5 s latency and 2 s
    # ramp without look-ahead cannot beat a cyclist to the first lamp (0.24 s).
    eng = LightingEngine(
        lamp_power_w=np.array([50.0, 50.0]), lamp_street=np.array([0, 0]), lamp_offset_m=np.array([1.0, 99.0]),
        street_length_m=np.array([100.0]), street_design_flow_vph=np.array([600.0]),
        spec=LightingSpec(controller="presence", lookahead_m=0.0), dark_s=np.array([[0.0, DAY]]),
        start_s=0.0, end_s=DAY, edge_street=np.array([0, 0]), edge_forward=np.array([True, False]),
    )  # fmt: skip
    result = evaluate(eng, walk(1, 1000.0, speed=4.2, mode=BIKE))
    np.testing.assert_array_equal(result.dark_arrivals, [0, 1])  # going back, lamp 1 comes first
    assert result.dark_arrivals_walk_bike == 1


def test_sensors_that_miss_everyone_leave_every_lamp_dim(town, dark):
    rng = np.random.default_rng(3)
    n = 200
    edges = rng.integers(0, town.n_edges, n)
    enter = rng.uniform(60000.0, 80000.0, n)  # all in the evening dark (dusk is about 15:37)
    mode = rng.choice([WALK, BIKE, CAR], n).astype(np.int8)
    passages = Traversals(edge=edges, enter_s=enter, exit_s=enter + 100.0 / np.array([8.3, 4.2, 1.3])[mode],
                          mode=mode, trip=np.arange(n))  # fmt: skip
    missed = evaluate(engine(town, dark, controller="presence", sensor_miss_rate=1.0), passages)
    nobody = evaluate(engine(town, dark, controller="presence"))
    assert missed.total_kwh == pytest.approx(nobody.total_kwh, rel=1e-12)
    # Every passage passes its street's three lamps at dim level: all dark arrivals.
    assert missed.dark_arrivals_total == 3 * n
    assert missed.dark_arrivals_walk_bike == 3 * int(np.sum(mode != CAR))
    lamp_street = town.lamps["street_id"].to_numpy()
    per_street = np.bincount(town.edges["street_id"].to_numpy()[edges], minlength=12)
    np.testing.assert_array_equal(missed.dark_arrivals, per_street[lamp_street])
    assert missed.night_metres_walk_bike_full == 0.0
    # And the same passages with working sensors and the default look-ahead: none.
    seen = evaluate(engine(town, dark, controller="presence"), passages)
    assert seen.dark_arrivals_total == 0
    assert seen.night_metres_walk_bike_full == pytest.approx(seen.night_metres_walk_bike)


def test_one_draw_per_passage_in_passage_order(town, dark):
    n = 50
    passages = Traversals(edge=np.arange(n) % town.n_edges, enter_s=np.linspace(70000.0, 80000.0, n),
                          exit_s=np.linspace(70000.0, 80000.0, n) + 20.0, mode=np.full(n, CAR, np.int8),
                          trip=np.arange(n))  # fmt: skip
    eng = engine(town, dark, controller="presence", sensor_miss_rate=0.5, lookahead_m=0.0, ramp_s=0.0)
    rng = np.random.default_rng(11)
    result = eng.evaluate(passages, rng=rng)
    draws = np.random.default_rng(11).random(n + 1)
    assert rng.random() == draws[n]  # exactly n draws were used
    # Passage i is missed when draw i is below the miss rate. A seen car has full light
    # 0.5 s after entry, before its first lamp (2.8 s); a missed one passes its street's
    # three lamps at dim level. The passages are 204 s apart, so no request covers another.
    missed = draws[:n] < 0.5
    assert 0 < missed.sum() < n
    lamp_street = town.lamps["street_id"].to_numpy()
    street = town.edges["street_id"].to_numpy()[passages.edge]
    expected = np.bincount(street[missed], minlength=12)[lamp_street]
    np.testing.assert_array_equal(result.dark_arrivals, expected)


# -------------------------------------------------------------- traffic stepped

# Counts per 15-minute sample on a street with a design flow of 400 per hour: a sample of c
# road users is a flow of 4c, a ratio of c / 100: full from 50, one class down from 25.
COUNTS = [60, 30, 10, 10, 10, 10, 30, 60, 10, 60, 10, 10, 10, 10, 10, 10]
# By hand (min_hold 2700 s): full; the 30 and 10 at 1800 and 2700 are two low samples after
# 2700 s at full: down to the higher of them, 0.75, at 2700; the 10s at 3600 and 4500 are
# low but 0.75 has been held only 1800 s at 4500: down to 0.5 at 5400 (hold 2700); the 30 at
# 6300 calls for 0.75: up at once; the 60 at 7200: full at once; a low (8100), a full (9000)
# resets the count; two lows at 9900 and 10800 after 3600 s at full: down to 0.5 at 10800.
STEPS = [(0.0, 1.0), (2700.0, 0.75), (5400.0, 0.5), (6300.0, 0.75), (7200.0, 1.0), (10800.0, 0.5)]


def _hand_level(t: np.ndarray) -> np.ndarray:
    starts = np.array([s for s, _ in STEPS])
    return np.array([lv for _, lv in STEPS])[np.searchsorted(starts, t, side="right") - 1]


def _stepped_engine(dark_s, spec: LightingSpec) -> LightingEngine:
    return LightingEngine(
        lamp_power_w=np.array([100.0]), lamp_street=np.array([0]), lamp_offset_m=np.array([50.0]),
        street_length_m=np.array([100.0]), street_design_flow_vph=np.array([400.0]), spec=spec,
        dark_s=dark_s, start_s=0.0, end_s=14400.0, edge_street=np.array([0, 0]), edge_forward=np.array([True, False]),
    )  # fmt: skip


def _counted_passages(counts: list[int], rng: np.random.Generator) -> Traversals:
    enter = np.concatenate([900.0 * k + np.sort(rng.uniform(1.0, 899.0, c)) for k, c in enumerate(counts)])
    n = enter.size
    mode = rng.choice([WALK, BIKE, CAR], n).astype(np.int8)
    speed = np.array([8.3, 4.2, 1.3])[mode]
    return Traversals(edge=rng.integers(0, 2, n), enter_s=enter, exit_s=enter + 100.0 / speed, mode=mode,
                      trip=np.arange(n))  # fmt: skip


def test_traffic_stepped_steps_up_at_once_and_down_after_two_samples_and_the_hold():
    spec = LightingSpec(controller="traffic_stepped", dim_level=0.5, flow_sample_s=900.0, min_hold_s=2700.0,
                        standby_power_w=0.5)  # fmt: skip
    passages = _counted_passages(COUNTS, np.random.default_rng(5))
    result = evaluate(_stepped_engine(np.array([[0.0, 14400.0]]), spec), passages)
    # Energy by hand: 0.75 h at 1, 0.75 h at 0.75, 0.25 h at 0.5, 0.25 h at 0.75, 1 h at 1,
    # 1 h at 0.5 = 3.125 h at 100 W, plus 0.5 W standby for 4 h.
    assert result.total_kwh == pytest.approx(0.3125 + 0.002, rel=1e-12)
    assert result.standby_kwh == pytest.approx(0.002)
    assert result.hours_full[0] == pytest.approx(1.75)
    assert result.hours_dimmed[0] == pytest.approx(2.25)
    times = np.array([100.0, 2699.0, 2700.0, 5399.0, 5400.0, 6300.0, 7199.0, 7200.0, 10799.0, 10800.0, 14399.0])
    np.testing.assert_allclose(result.power_kw(times), 0.1 * _hand_level(times) + 0.0005)
    np.testing.assert_array_equal(result.lamps_at_full(times), _hand_level(times) == 1.0)
    assert result.power_kw([14400.0])[0] == pytest.approx(0.0005)  # dark ends at 14400: standby only
    # Dark arrivals by hand: every road user passing the lamp (50 m in) while below full and
    # before the dark ends at 14400 s.
    pass_time = passages.enter_s + 50.0 * (passages.exit_s - passages.enter_s) / 100.0
    below = (_hand_level(pass_time) < 1.0) & (pass_time < 14400.0)
    assert (pass_time >= 14400.0).any()
    assert result.dark_arrivals_total == int(below.sum())
    assert result.dark_arrivals_walk_bike == int((below & (passages.mode != CAR)).sum())


def test_traffic_stepped_starts_every_night_at_full():
    spec = LightingSpec(controller="traffic_stepped", dim_level=0.2, min_hold_s=0.0, standby_power_w=0.0)
    eng = _stepped_engine(np.array([[0.0, 3600.0], [7200.0, 10800.0]]), spec)
    result = evaluate(eng)  # nobody: every sample calls for dim_level
    # Each night: full until the second low sample (1800 s in), then 0.2.
    assert result.total_kwh == pytest.approx(2 * 0.1 * (0.5 + 0.2 * 0.5), rel=1e-12)
    np.testing.assert_array_equal(result.lamps_at_full([1799.0, 1800.0, 7200.0, 8999.0, 9000.0]), [1, 0, 1, 1, 0])
    # Levels (1 + 0.2) / 2 = 0.6 in between, for a one-class drop.
    one_down = evaluate(eng, _counted_passages([30] * 16, np.random.default_rng(1)))
    assert one_down.total_kwh == pytest.approx(2 * 0.1 * (0.5 + 0.6 * 0.5), rel=1e-12)


def test_design_flows_and_directions_from_the_network(town, dark):
    eng = engine(town, dark, controller="traffic_stepped")
    streets = town.edges.drop_duplicates("street_id").set_index("street_id")
    arterial = (streets["road_class"] == "secondary").to_numpy()
    np.testing.assert_allclose(eng.street_design_flow_vph, np.where(arterial, 2 * 2 * 1000.0, 2 * 600.0))
    np.testing.assert_array_equal(eng.edge_forward, np.arange(town.n_edges) % 2 == 0)
    np.testing.assert_allclose(eng.street_length_m, 100.0)
    no_cars = grid_town(rows=2, cols=2, block_m=100, arterial_every=0, road_classes={"residential": {"car": False}})
    eng = LightingEngine.from_network(no_cars, spec=LightingSpec(path_design_flow_vph=150.0), dark_s=dark,
                                      start_s=0.0, end_s=DAY)  # fmt: skip
    np.testing.assert_allclose(eng.street_design_flow_vph, 150.0)


# ----------------------------------------------------- sampling and integrating


def test_power_integrates_to_the_energy(town, dark):
    rng = np.random.default_rng(2)
    n = 300
    edges = rng.integers(0, town.n_edges, n)
    enter = rng.uniform(0.0, DAY, n)
    passages = Traversals(edge=edges, enter_s=enter, exit_s=enter + rng.uniform(10.0, 80.0, n),
                          mode=rng.choice([WALK, BIKE, CAR], n).astype(np.int8), trip=np.arange(n))  # fmt: skip
    for controller in ("always_on", "part_night", "traffic_stepped", "presence"):
        result = evaluate(engine(town, dark, controller=controller, ramp_s=5.0, min_hold_s=900.0), passages)
        step = 0.5
        times = np.arange(step / 2, DAY, step)  # midpoints
        assert result.power_kw(times).sum() * step / 3600 == pytest.approx(result.total_kwh, rel=2e-4), controller
        full_lamp_hours = result.lamps_at_full(times).sum() * step / 3600
        assert full_lamp_hours == pytest.approx(result.hours_full.sum(), rel=2e-3, abs=1e-3), controller


def test_sampling_keeps_the_shape_of_the_times(town, dark):
    result = evaluate(engine(town, dark))
    times = np.array([[0.0, 43200.0], [72000.0, 80000.0]])
    assert result.power_kw(times).shape == (2, 2)
    assert result.lamps_at_full(times).dtype == np.int64


# ------------------------------------------------------------ custom controllers


class Constant:
    """A researcher's controller: every street at one level."""

    name = "constant"
    networked = False

    def __init__(self, level):
        self.level = level
        self.seen: ControlContext | None = None

    def levels(self, context: ControlContext) -> LevelTimelines:
        self.seen = context
        return LevelTimelines.constant(context.n_streets, self.level, t=context.start_s)


def test_a_custom_controller_replaces_the_built_in_one(town, dark):
    full = evaluate(engine(town, dark))
    custom = Constant(0.3)
    eng = LightingEngine.from_network(town, spec=LightingSpec(), dark_s=dark, start_s=0.0, end_s=DAY, controller=custom)
    result = evaluate(eng, walk(4, 72000.0))
    assert result.controller == "constant"
    assert result.total_kwh == pytest.approx(0.3 * full.total_kwh, rel=1e-12)
    passages = custom.seen.passages
    assert passages.ptr[-1] == 1 and passages.street.tolist() == [2] and passages.forward.tolist() == [True]
    assert custom.seen.street_lamps.tolist() == [3] * 12


def test_timelines_from_points_and_at():
    timelines = LevelTimelines.from_points([1, 0, 1, 1], [20.0, 5.0, 10.0, 10.0], [0.5, 1.0, 1.0, 0.2], n_streets=2)
    assert timelines.ptr.tolist() == [0, 1, 4]
    # Street 1: 1.0 until 10, a step to 0.2 at 10 (stable order of equal times), ramp to 0.5 at 20.
    np.testing.assert_allclose(timelines.at(1, [0.0, 10.0, 15.0, 25.0]), [1.0, 0.2, 0.35, 0.5])


@pytest.mark.parametrize(
    ("timelines", "message"),
    [
        (LevelTimelines.constant(12, 1.5), "between 0 and 1"),
        (LevelTimelines(ptr=np.zeros(13, np.int64), t=np.empty(0), level=np.empty(0)), "has lamps but no level"),
        (LevelTimelines(ptr=np.array([0, 2] + [2] * 11), t=np.array([5.0, 1.0]), level=np.ones(2)), "must not decrease"),
        (LevelTimelines(ptr=np.arange(3), t=np.zeros(2), level=np.ones(2)), "offsets"),
    ],
)
def test_faulty_custom_timelines_are_refused(town, dark, timelines, message):
    class Faulty(Constant):
        def levels(self, context):
            return timelines

    eng = LightingEngine.from_network(town, spec=LightingSpec(), dark_s=dark, start_s=0.0, end_s=DAY,
                                      controller=Faulty(0.0))  # fmt: skip
    with pytest.raises(ValueError, match=message):
        evaluate(eng)


def test_bad_inputs_are_refused(town, dark):
    with pytest.raises(TypeError, match="levels"):
        LightingEngine.from_network(town, spec=LightingSpec(), dark_s=dark, start_s=0.0, end_s=DAY, controller=object())
    eng = engine(town, dark)
    backwards = Traversals(edge=np.array([0]), enter_s=np.array([10.0]), exit_s=np.array([5.0]),
                           mode=np.array([CAR], np.int8), trip=np.array([0]))  # fmt: skip
    with pytest.raises(ValueError, match="before it enters"):
        evaluate(eng, backwards)
    unknown = Traversals(edge=np.array([99]), enter_s=np.array([0.0]), exit_s=np.array([5.0]),
                         mode=np.array([CAR], np.int8), trip=np.array([0]))  # fmt: skip
    with pytest.raises(ValueError, match="edge ids"):
        evaluate(eng, unknown)


# ---------------------------------------------------------------------- zones


def zone(streets, label: str, custom=None, **spec) -> LightingZone:
    return LightingZone(streets=np.asarray(streets, dtype=np.int64), spec=LightingSpec(**spec),
                        controller=custom, label=label)  # fmt: skip


def test_each_street_follows_its_own_zone_and_only_networked_zones_draw_standby(town, dark, dark_hours):
    # Outside the zones: part-night at half power 23:00-05:00 (6 dark hours). Zone "bright":
    # streets 0-2 always on. Zone "smart": streets 2 and 5 (it wins street 2) with presence at
    # 0.3 and nobody about, 0.5 W standby. Zone "custom": street 7 at a constant 0.4 with a
    # photocell-like controller, so its 2 W standby does not apply.
    zones = [zone([0, 1, 2], "bright", controller="always_on"),
             zone([2, 5], "smart", controller="presence", dim_level=0.3, standby_power_w=0.5),
             zone([7], "custom", Constant(0.4), standby_power_w=2.0)]  # fmt: skip
    eng = LightingEngine.from_network(town, spec=LightingSpec(controller="part_night", dim_level=0.5), dark_s=dark,
                                      start_s=0.0, end_s=DAY, zones=zones)  # fmt: skip
    result = evaluate(eng)
    street = town.lamps["street_id"].to_numpy()
    power_w = town.lamps["power_w"].to_numpy()
    level_hours = np.select([np.isin(street, [0, 1]), np.isin(street, [2, 5]), street == 7],
                            [dark_hours, 0.3 * dark_hours, 0.4 * dark_hours], dark_hours - 0.5 * 6.0)  # fmt: skip
    standby_w = np.where(np.isin(street, [2, 5]), 0.5, 0.0)
    np.testing.assert_allclose(result.energy_kwh, (power_w * level_hours + standby_w * 24.0) / 1000, rtol=0.005)
    assert result.standby_kwh == pytest.approx(6 * 0.5 * 24 / 1000)
    assert result.standby_kw == pytest.approx(6 * 0.5 / 1000)
    np.testing.assert_allclose(result.hours_full, np.select([np.isin(street, [0, 1]), np.isin(street, [2, 5, 7])],
                                                            [dark_hours, 0.0], dark_hours - 6.0), rtol=0.005)  # fmt: skip
    # At 02:00 (dimming window) and at 20:00 (before it), power by hand.
    kw_02 = (power_w * np.select([np.isin(street, [0, 1]), np.isin(street, [2, 5]), street == 7],
                                 [1.0, 0.3, 0.4], 0.5)).sum() / 1000 + 0.003  # fmt: skip
    kw_20 = (power_w * np.select([np.isin(street, [2, 5]), street == 7], [0.3, 0.4], 1.0)).sum() / 1000 + 0.003
    np.testing.assert_allclose(result.power_kw([7200.0, 72000.0]), [kw_02, kw_20])
    assert result.lamps_at_full(7200.0) == 6
    # Results by zone: each lamp's zone, and the zones' lamps and energy.
    np.testing.assert_array_equal(result.lamp_zone, np.select([np.isin(street, [0, 1]), np.isin(street, [2, 5]),
                                                               street == 7], [1, 2, 3], 0))  # fmt: skip
    by_zone = result.zone_energy()
    assert list(by_zone) == ["bright", "smart", "custom"]
    assert by_zone["smart"]["lamps"] == 6 and by_zone["custom"]["lamps"] == 3
    assert by_zone["bright"]["energy_kwh"] == pytest.approx(result.energy_kwh[np.isin(street, [0, 1])].sum())
    assert result.controller == "part_night+always_on+presence+constant"


def test_a_zone_sees_the_same_sensor_draws_as_the_whole_city_would(town, dark):
    # Presence with misses everywhere, or only in a zone of streets 2-4 (always on elsewhere):
    # the zone's lamps burn exactly what they burn when the whole city is on presence.
    spec = {"controller": "presence", "sensor_miss_rate": 0.5, "hold_s": 600.0}
    rng = np.random.default_rng(8)
    edges = rng.integers(0, len(town.edges), 400)
    enter = np.sort(rng.uniform(0, DAY, 400))
    passages = Traversals(edge=edges, enter_s=enter, exit_s=enter + 60.0, mode=np.full(400, WALK, np.int8),
                          trip=np.arange(400))  # fmt: skip
    everywhere = evaluate(engine(town, dark, **spec), passages, seed=3)
    eng = LightingEngine.from_network(town, spec=LightingSpec(controller="always_on"), dark_s=dark, start_s=0.0,
                                      end_s=DAY, zones=[zone([2, 3, 4], "smart", **spec)])  # fmt: skip
    zoned = evaluate(eng, passages, seed=3)
    inside = np.isin(town.lamps["street_id"].to_numpy(), [2, 3, 4])
    np.testing.assert_array_equal(zoned.energy_kwh[inside], everywhere.energy_kwh[inside])
    np.testing.assert_array_equal(zoned.dark_arrivals[inside], everywhere.dark_arrivals[inside])
    assert zoned.hours_dimmed[inside].sum() > 0 and not zoned.hours_dimmed[~inside].any()
    # One zone with the city's own parameters and controller is the plain engine, bit for bit.
    same = LightingEngine.from_network(town, spec=LightingSpec(**spec), dark_s=dark, start_s=0.0, end_s=DAY,
                                       zones=[zone([2, 3, 4], "same", **spec)])  # fmt: skip
    np.testing.assert_array_equal(evaluate(same, passages, seed=3).energy_kwh, everywhere.energy_kwh)


def test_a_zone_naming_a_street_the_city_lacks_is_refused(town, dark):
    with pytest.raises(ValueError, match="lighting zone 'far': street 12 is not a street"):
        LightingEngine.from_network(town, spec=LightingSpec(), dark_s=dark, start_s=0.0, end_s=DAY,
                                    zones=[zone([3, 12], "far")])  # fmt: skip
