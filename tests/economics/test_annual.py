"""A year of street lighting from one simulated day, against the year's dark hours computed here.

The dark hours are computed independently of twin and of astral: the NOAA "general solar
position" series (fractional year, equation of time, declination) evaluated every minute of
the year, counting the minutes the sun's centre is below the switch-on elevation.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
import yaml

from twin.economics.annual import annual_lighting, clock_profile, year_dark_intervals

HELSINKI = (24.94, 60.17)


def noaa_dark_hours(*, longitude: float, latitude: float, year: int, utc_offset_h: float,
                    elevation_deg: float) -> tuple[float, np.ndarray]:  # fmt: skip
    """Dark hours of the local calendar year and per local day, sampling the sun every minute (NOAA series)."""
    days = 366 if year % 4 == 0 else 365
    minutes = np.arange(days * 1440) + 0.5
    utc = np.datetime64(f"{year}-01-01T00:00") - np.timedelta64(int(utc_offset_h * 60), "m")
    moments = utc + minutes.astype("timedelta64[m]")  # whole minutes; the half is added below
    day_of_year = (moments.astype("datetime64[D]") - moments.astype("datetime64[Y]")).astype(int) + 1
    hour = ((moments - moments.astype("datetime64[D]")).astype(int) + 0.5) / 60.0
    gamma = 2 * np.pi / 365 * (day_of_year - 1 + (hour - 12) / 24)
    eqtime = 229.18 * (0.000075 + 0.001868 * np.cos(gamma) - 0.032077 * np.sin(gamma)
                       - 0.014615 * np.cos(2 * gamma) - 0.040849 * np.sin(2 * gamma))  # fmt: skip
    decl = (0.006918 - 0.399912 * np.cos(gamma) + 0.070257 * np.sin(gamma) - 0.006758 * np.cos(2 * gamma)
            + 0.000907 * np.sin(2 * gamma) - 0.002697 * np.cos(3 * gamma) + 0.00148 * np.sin(3 * gamma))  # fmt: skip
    true_solar_min = hour * 60 + eqtime + 4 * longitude
    hour_angle = np.radians(true_solar_min / 4 - 180)
    lat = np.radians(latitude)
    cos_zenith = np.sin(lat) * np.sin(decl) + np.cos(lat) * np.cos(decl) * np.cos(hour_angle)
    elevation = 90 - np.degrees(np.arccos(np.clip(cos_zenith, -1, 1)))
    dark = elevation < elevation_deg
    return dark.sum() / 60.0, dark.reshape(days, 1440).sum(axis=1) / 60.0


def _run(power_kw: np.ndarray, *, lamps_kwh: float, standby_kwh: float = 0.0, dark_hours: float = 0.0):
    steps = power_kw.size
    time_s = np.arange(1, steps + 1) * 86400.0 / steps
    timeseries = pd.DataFrame({"time_s": time_s, "lighting_demand_kw": power_kw})
    kpis = {"energy": {"lighting_kwh": lamps_kwh + standby_kwh, "standby_kwh": standby_kwh, "dark_hours": dark_hours}}
    scenario = {"date": "2026-12-15", "timezone": "Europe/Helsinki", "start_s": 0.0, "duration_s": 86400.0,
                "lighting": {"on_sun_elevation_deg": -3.0}}  # fmt: skip
    return timeseries, kpis, scenario


@pytest.fixture(scope="module")
def helsinki_year():
    # Helsinki keeps UTC+2 in winter, at both ends of the year, so a UTC+2 year is the local one.
    return noaa_dark_hours(longitude=HELSINKI[0], latitude=HELSINKI[1], year=2026, utc_offset_h=2, elevation_deg=-3.0)


def test_the_years_dark_intervals_agree_with_the_noaa_series_by_the_minute(helsinki_year):
    total, per_day = helsinki_year
    intervals = year_dark_intervals(latitude=HELSINKI[1], longitude=HELSINKI[0], year=2026,
                                    timezone="Europe/Helsinki", elevation_deg=-3.0)  # fmt: skip
    hours = np.sum(intervals[:, 1] - intervals[:, 0]) / 3600
    assert hours == pytest.approx(total, rel=2e-3)
    assert 3900 < hours < 4050  # Helsinki: about 10.9 dark hours a day over the year
    assert per_day[348] == pytest.approx(17.26, abs=0.05)  # 15 December


def test_always_on_lights_use_rated_power_times_the_years_dark_hours(helsinki_year):
    total, per_day = helsinki_year
    rated_kw = 30.0
    day_hours = per_day[348]
    timeseries, kpis, scenario = _run(np.full(1440, rated_kw), lamps_kwh=rated_kw * day_hours, dark_hours=day_hours)
    year = annual_lighting(timeseries, kpis=kpis, scenario=scenario, centre_lonlat=HELSINKI)
    assert year.method == "every_day" and year.days == 365
    assert year.kwh == pytest.approx(rated_kw * total, rel=2e-3)
    # 365 x a December day overstates the year by the December night over the year's mean night.
    assert year.naive_kwh / year.kwh == pytest.approx(day_hours * 365 / total, rel=3e-3)
    assert year.naive_kwh / year.kwh > 1.55
    monthly = annual_lighting(timeseries, kpis=kpis, scenario=scenario, centre_lonlat=HELSINKI, days="mid_month")
    assert monthly.method == "mid_month" and monthly.kwh == pytest.approx(year.kwh, rel=0.01)


def test_standby_counts_every_hour_and_the_lamps_only_the_dark_ones(helsinki_year):
    total, per_day = helsinki_year
    standby_kw = 0.5
    # Lamps at 10 kW from 18:00 to 06:00 on the clock, 2 kW in between; standby on top.
    clock_h = (np.arange(1440) + 0.5) / 60
    lamps = np.where((clock_h >= 18) | (clock_h < 6), 10.0, 2.0)
    timeseries, kpis, scenario = _run(lamps + standby_kw, lamps_kwh=0.0, standby_kwh=standby_kw * 24)
    year = annual_lighting(timeseries, kpis=kpis, scenario=scenario, centre_lonlat=HELSINKI)
    intervals = year_dark_intervals(latitude=HELSINKI[1], longitude=HELSINKI[0], year=2026,
                                    timezone="Europe/Helsinki", elevation_deg=-3.0)  # fmt: skip
    # Independently: sample each dark interval every 10 s and look up the clock profile.
    expected = 0.0
    for on, off in intervals:
        t = np.arange(on, off, 10.0) + 5.0
        hour = (t % 86400) / 3600
        expected += np.where((hour >= 18) | (hour < 6), 10.0, 2.0).sum() * 10.0 / 3600
    assert year.kwh == pytest.approx(expected + standby_kw * 24 * 365, rel=1e-3)


def test_clock_profile_folds_a_run_that_starts_at_noon():
    time_s = np.arange(1, 25) * 3600.0 + 43200.0  # hourly steps from 12:00 to 12:00 the next day
    power = np.arange(24.0)  # 0 kW over 12-13 h, ..., 23 kW over 11-12 h the next morning
    clock, energy = clock_profile(time_s, power, start_s=43200.0)
    assert clock[0] == 0.0 and clock[-1] == 86400.0
    # From midnight to 01:00 the run drew 12 kW (its 13th hour).
    assert np.interp(3600.0, clock, energy) == pytest.approx(12 * 3600.0)
    assert energy[-1] == pytest.approx(power.sum() * 3600.0)


def test_a_run_without_the_demand_column_is_scaled_by_dark_hours(helsinki_year):
    total, per_day = helsinki_year
    timeseries, kpis, scenario = _run(np.full(1440, 1.0), lamps_kwh=17.26, dark_hours=17.26)
    year = annual_lighting(timeseries.drop(columns="lighting_demand_kw"), kpis=kpis, scenario=scenario,
                           centre_lonlat=HELSINKI)  # fmt: skip
    assert year.method == "scaled" and year.kwh == pytest.approx(total, rel=2e-3)


def test_a_runs_demand_is_its_power_in_the_dark_and_rated_power_for_always_on(tiny_batch):
    folders = sorted((tiny_batch / "runs").iterdir())
    for folder in folders:
        series = pd.read_parquet(folder / "timeseries.parquet")
        kpis = json.loads((folder / "kpis.json").read_text())
        scenario = yaml.safe_load((folder / "scenario.resolved.yaml").read_text())
        meta = json.loads((folder / "meta.json").read_text())
        standby_kw = kpis["energy"]["standby_kwh"] / 24
        dark = series["lighting_power_kw"] > standby_kw + 1e-9  # lamps on, not standby alone
        assert dark.sum() == pytest.approx(kpis["energy"]["dark_hours"] * 60, abs=2)
        assert series.loc[dark, "lighting_demand_kw"].to_numpy() == pytest.approx(series.loc[dark, "lighting_power_kw"])
        if not scenario["interventions"]:
            rated = series["lighting_demand_kw"].max()
            assert series["lighting_demand_kw"].to_numpy() == pytest.approx(np.full(len(series), rated))
            lon, lat = meta["map"]["centre_lonlat"]
            year = annual_lighting(series, kpis=kpis, scenario=scenario, centre_lonlat=(lon, lat))
            hours, _ = noaa_dark_hours(longitude=lon, latitude=lat, year=2026, utc_offset_h=2, elevation_deg=-3.0)
            assert year.kwh == pytest.approx(rated * hours, rel=3e-3)
            assert kpis["energy"]["lighting_kwh"] == pytest.approx(rated * kpis["energy"]["dark_hours"], rel=1e-3)
    assert dt.date.fromisoformat(str(scenario["date"])).year == 2026
