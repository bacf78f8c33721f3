"""From one simulated day to a year: lighting over the year's nights, travel over its travel days.

Lighting
--------
A year of lighting is not the simulated day times 365: in Helsinki a mid-December night is
about 17 hours long and a mid-June one under 2. Two things set the lamps' power: the
controller's level, which follows who is on the street, and the sun, which decides whether
the lamps are on at all. Every run stores, besides ``lighting_power_kw``, the column
``lighting_demand_kw`` of ``timeseries.parquet``: the power at each step *as if it were
dark* (the controller's levels with the daylight switch left out, standby included). The
year's energy is then

- the lamps' part of that demand (demand less standby), folded onto the 24-hour clock and
  integrated over the dark hours of *every day of the calendar year* of the scenario's date
  (:func:`twin.engine.sun.dark_intervals` at the map's centre, the scenario's time zone and
  switch-on elevation), plus
- the standby power of networked controllers, drawn every hour of the year.

Every day of the year is assumed to have the simulated weekday's street activity (the same
people out at the same clock times); weekends and holidays are not modelled apart. Only the
dark hours differ from day to day. ``costs.lighting_days: mid_month`` instead takes the 15th
of each month, weighted by the month's days: 12 sun computations instead of one for the
year, within about 1% of every day; every day is the default because it costs a tenth of a
second.

Limits: the demand profile is exact where the simulated day was itself dark, and where the
controller's levels do not depend on the night (always on, part night, presence). The
``traffic_stepped`` controller starts each night at full and holds its level through the
day, so on days with longer nights than the simulated one its evening and morning are only
approximate: simulate a winter day (the default date is in January). A run shorter than a
day, or written before ``lighting_demand_kw`` existed, is scaled instead: its lamps' energy
times the year's dark hours over the run's dark hours (said so in the result's ``method``).

Travel
------
Travel time, fares, tolls, operator costs, car kilometres and traffic CO2 of the simulated
weekday are multiplied by ``costs.travel_days_per_year`` weekday-equivalents.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from twin.engine.sun import dark_intervals

__all__ = ["DAY_S", "AnnualLighting", "annual_lighting", "clock_profile", "quantities", "year_dark_intervals"]

DAY_S = 86400.0


@dataclass(frozen=True)
class AnnualLighting:
    """A year of street lighting for one run.

    Attributes
    ----------
    kwh
        Energy over the year, standby included.
    kwh_day
        Energy of the simulated day (``energy.lighting_kwh``).
    dark_hours
        Hours of the year the lamps were on (the sun below the switch-on elevation).
    day_dark_hours
        Dark hours of the simulated day.
    days
        Days in the year.
    method
        ``"every_day"``, ``"mid_month"``, or ``"scaled"`` (by dark hours; see the module notes).
    """

    kwh: float
    kwh_day: float
    dark_hours: float
    day_dark_hours: float
    days: int
    method: str

    @property
    def naive_kwh(self) -> float:
        """The simulated day times the days of the year: what the seasons correct."""
        return self.kwh_day * self.days


def year_dark_intervals(*, latitude: float, longitude: float, year: int, timezone: str, elevation_deg: float) -> np.ndarray:
    """The dark intervals of a calendar year, in wall-clock seconds from local midnight of 1 January.

    Day ``d`` (0 = 1 January) is ``[d * 86400, (d + 1) * 86400)`` on this clock, whatever
    daylight saving time does (see :mod:`twin.engine.sun`): the hour skipped in spring and
    the hour repeated in autumn cancel over the year.
    """
    days = 366 if calendar.isleap(year) else 365
    return dark_intervals(latitude=latitude, longitude=longitude, date=dt.date(year, 1, 1), timezone=timezone,
                          elevation_deg=elevation_deg, start_s=0.0, end_s=days * DAY_S)  # fmt: skip


def clock_profile(time_s: np.ndarray, power_kw: np.ndarray, *, start_s: float) -> tuple[np.ndarray, np.ndarray]:
    """The cumulative energy of a run's first 24 hours over the clock day, for integrating.

    Parameters
    ----------
    time_s
        The end of each step, seconds from the run's midnight (``timeseries.time_s``).
    power_kw
        The power over each step (sampled at its middle, which stands for the step).
    start_s
        The run's start; the first step runs from it to ``time_s[0]``.

    Returns
    -------
    clock_s, energy_kws
        Breakpoints of the clock day from 0 to 86,400 s and the energy from midnight to each,
        in kW s: piecewise linear in between, so ``numpy.interp`` integrates exactly.
    """
    ends = np.minimum(np.asarray(time_s, dtype=float), start_s + DAY_S)
    starts = np.concatenate(([start_s], ends[:-1]))
    keep = ends > starts
    starts, ends, power = starts[keep], ends[keep], np.asarray(power_kw, dtype=float)[keep]
    # Cut the steps at the clock's midnight inside the window, so each piece lies in one clock day.
    midnight = (math.floor(start_s / DAY_S) + 1) * DAY_S
    cut = (starts < midnight) & (ends > midnight)
    starts = np.concatenate((starts[~cut], starts[cut], np.full(cut.sum(), midnight)))
    ends = np.concatenate((ends[~cut], np.full(cut.sum(), midnight), ends[cut]))
    power = np.concatenate((power[~cut], power[cut], power[cut]))
    offset = np.floor(starts / DAY_S) * DAY_S
    a, b = starts - offset, ends - offset
    order = np.argsort(a, kind="stable")
    a, b, power = a[order], b[order], power[order]
    clock = np.concatenate(([0.0], b))
    energy = np.concatenate(([0.0], np.cumsum(power * (b - a))))
    return clock, energy


def _integrate(clock: np.ndarray, energy: np.ndarray, intervals: np.ndarray) -> float:
    """Energy over ``intervals`` (absolute wall-clock seconds, any length) of a profile repeated every day, in kW s."""
    if not len(intervals):
        return 0.0
    per_day = energy[-1]

    def running(t: np.ndarray) -> np.ndarray:
        day = np.floor(t / DAY_S)
        return day * per_day + np.interp(t - day * DAY_S, clock, energy)

    return float(np.sum(running(intervals[:, 1]) - running(intervals[:, 0])))


def annual_lighting(timeseries: pd.DataFrame, *, kpis: dict[str, Any], scenario: dict[str, Any],
                    centre_lonlat: tuple[float, float], days: str = "every_day") -> AnnualLighting:  # fmt: skip
    """A year of one run's street lighting (see the module notes).

    Parameters
    ----------
    timeseries
        The run's ``timeseries.parquet`` (``time_s`` and ``lighting_demand_kw``; without the
        latter the energy is scaled by dark hours).
    kpis
        The run's ``kpis.json`` (``energy.lighting_kwh``, ``standby_kwh``, ``dark_hours``).
    scenario
        The run's resolved scenario as plain data (date, time zone, run window, switch-on elevation).
    centre_lonlat
        Where the sun is computed: the map's centre.
    days
        ``"every_day"`` or ``"mid_month"``.
    """
    energy = kpis["energy"]
    kwh_day = float(energy["lighting_kwh"] or 0.0)
    standby_kwh = float(energy.get("standby_kwh") or 0.0)
    start, duration = float(scenario.get("start_s", 0.0)), float(scenario.get("duration_s", DAY_S))
    standby_kw = standby_kwh / (duration / 3600.0)
    date = dt.date.fromisoformat(str(scenario["date"]))
    lon, lat = centre_lonlat
    sun = {"latitude": lat, "longitude": lon, "timezone": scenario["timezone"],
           "elevation_deg": float(scenario["lighting"]["on_sun_elevation_deg"])}  # fmt: skip
    n_days = 366 if calendar.isleap(date.year) else 365
    year = year_dark_intervals(year=date.year, **sun)
    dark_hours = float(np.sum(year[:, 1] - year[:, 0]) / 3600.0)
    day_dark_hours = float(energy.get("dark_hours") or 0.0)
    hours = n_days * 24.0
    if "lighting_demand_kw" not in timeseries or duration < DAY_S - 1e-6 or not len(timeseries):
        lamps_kwh = kwh_day - standby_kwh
        scaled = lamps_kwh * dark_hours / day_dark_hours if day_dark_hours > 0 else 0.0
        return AnnualLighting(kwh=scaled + standby_kw * hours, kwh_day=kwh_day, dark_hours=dark_hours,
                              day_dark_hours=day_dark_hours, days=n_days, method="scaled")  # fmt: skip
    lamps_kw = np.clip(timeseries["lighting_demand_kw"].to_numpy(float) - standby_kw, 0.0, None)
    clock, cumulative = clock_profile(timeseries["time_s"].to_numpy(float), lamps_kw, start_s=start)
    if days == "mid_month":
        kws = 0.0
        for month in range(1, 13):
            middle = dark_intervals(date=dt.date(date.year, month, 15), start_s=0.0, end_s=DAY_S, **sun)
            kws += _integrate(clock, cumulative, middle) * calendar.monthrange(date.year, month)[1]
    elif days == "every_day":
        kws = _integrate(clock, cumulative, year)
    else:
        raise ValueError(f"days={days!r}: use 'every_day' or 'mid_month'")
    return AnnualLighting(kwh=kws / 3600.0 + standby_kw * hours, kwh_day=kwh_day, dark_hours=dark_hours,
                          day_dark_hours=day_dark_hours, days=n_days, method=days)  # fmt: skip


def _number(value: Any) -> float:
    return 0.0 if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def quantities(kpis: dict[str, Any], lighting: AnnualLighting, *, scenario: dict[str, Any],
               travel_days: float) -> dict[str, float]:  # fmt: skip
    """One run's year in physical units and money changing hands (levels, not differences).

    Returns
    -------
    dict
        ``lighting_kwh``, ``lamps``, ``lighting_co2_kg``; per income group ``travel_h.<group>``
        (hours all its residents travel in a year); ``paid_eur`` (fares, tolls and bundles the
        residents paid), ``car_km``, ``traffic_co2_kg``, ``operator_cost_eur`` (buses and
        shuttles), ``fare_revenue_eur`` (fares and bundles), ``toll_revenue_eur``: each a year.
    """
    emissions = scenario.get("emissions") or {}
    out = {
        "lighting_kwh": lighting.kwh,
        "lamps": _number(kpis["energy"].get("lamps")),
        "lighting_co2_kg": lighting.kwh * float(emissions.get("electricity_kg_per_kwh", 0.25)),
    }
    income = (kpis.get("equity") or {}).get("income") or {}
    paid = 0.0
    for group in ("low", "middle", "high"):
        entry = income.get(group) or {}
        residents = _number(entry.get("residents"))
        out[f"travel_h.{group}"] = residents * _number(entry.get("mean_daily_travel_min")) / 60.0 * travel_days
        paid += residents * _number(entry.get("mean_daily_paid_eur"))
    maas = (kpis.get("services") or {}).get("maas") or {}
    out.update({
        "paid_eur": paid * travel_days,
        "car_km": _number(kpis.get("vehicle_km")) * travel_days,
        "traffic_co2_kg": _number((kpis.get("co2_kg") or {}).get("traffic")) * travel_days,
        "operator_cost_eur": _number(maas.get("operating_cost_eur")) * travel_days,
        "fare_revenue_eur": _number(maas.get("revenue_eur")) * travel_days,
        "toll_revenue_eur": _number((kpis.get("pricing") or {}).get("toll_revenue_eur")) * travel_days,
    })  # fmt: skip
    return out
