"""Numbers and KPIs in words: labels with units, rounding, verdicts on a change."""

from __future__ import annotations

import datetime as dt
import math
import numbers
from dataclasses import dataclass
from typing import Any

from twin._clock import clock  # the one reading of times of day, shared with the films

__all__ = ["KPIS", "Kpi", "clock", "date_words", "finite", "kpi", "nice_floor", "number", "percent", "sentence_case",
           "signed"]


@dataclass(frozen=True)
class Kpi:
    """How one KPI reads: a label, the unit of its values after ``scale``, and of its changes.

    ``scale`` turns the stored value into the shown one (a share 0.27 -> 27 %, seconds ->
    minutes); ``change_unit`` is the unit of a difference (percentage points for shares).
    """

    name: str
    label: str
    unit: str
    scale: float = 1.0
    change_unit: str | None = None

    @property
    def delta_unit(self) -> str:
        return self.change_unit or self.unit


KPIS: dict[str, Kpi] = {k.name: k for k in (
    Kpi("energy.lighting_kwh", "Street-lighting energy", "kWh a day"),
    Kpi("co2_kg.total", "CO2 from street lighting and traffic", "kg a day"),
    Kpi("mean_travel_time_min.car", "Mean time of a car trip", "min"),
    Kpi("mean_travel_time_min.walk", "Mean time of a walking trip", "min"),
    Kpi("mode_shares.car", "Trips made by car", "% of trips", 100.0, "percentage points"),
    Kpi("safety.night_walk_bike_share_full_light", "Walking and cycling in the dark under full light",
        "% of km", 100.0, "percentage points"),
    Kpi("safety.dark_arrivals_walk_bike", "Times a walker or cyclist reached a lamp not yet at full light",
        "a day"),
    Kpi("vehicle_km", "Distance driven by private cars", "vehicle-km a day"),
    Kpi("road_vehicle_km", "Distance driven by cars, buses and shuttles", "vehicle-km a day"),
    Kpi("mode_shares.transit", "Trips made by bus", "% of trips", 100.0, "percentage points"),
    Kpi("mode_shares.drt", "Trips made by on-demand shuttle", "% of trips", 100.0, "percentage points"),
    Kpi("services.drt.mean_wait_s", "Mean wait for a shuttle", "min", 1 / 60),
    Kpi("services.maas.net_subsidy_per_ride_eur", "City's net cost per bus or shuttle ride", "EUR"),
    Kpi("mode_shares.bike", "Trips made by bike", "% of trips", 100.0, "percentage points"),
    Kpi("mode_shares.walk", "Trips made on foot", "% of trips", 100.0, "percentage points"),
)}  # fmt: skip
"""Labels and units of the KPIs a report names; others read by their dotted name."""


def kpi(name: str) -> Kpi:
    """The :class:`Kpi` of a dotted KPI name (its own name as label when unknown)."""
    return KPIS.get(name) or Kpi(name, name, "")


def finite(value: Any) -> bool:
    """Whether ``value`` is a real number, not NaN or infinite (NumPy scalars included)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def number(value: float | None, *, digits: int = 3) -> str:
    """A value rounded for reading: about ``digits`` significant figures, thousands separated; "-" for none."""
    if not finite(value):
        return "-"
    size = abs(value)
    if size >= 10 ** (digits - 1) or value == 0:
        return f"{value:,.0f}"
    decimals = digits - 1 - math.floor(math.log10(size))
    text = f"{value:,.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if float(text.replace(",", "")) == 0 else text


def signed(value: float | None, *, digits: int = 3) -> str:
    """:func:`number` with a sign: ``+3.2``, ``-1,204``, ``0``."""
    text = number(value, digits=digits)
    return text if text in ("-", "0") or text.startswith("-") else "+" + text


def percent(share: float | None, *, signed_: bool = False, digits: int = 2) -> str:
    """A share as a percentage, ``0.389`` -> ``39%`` (``+39%`` when ``signed_``)."""
    if not finite(share):
        return "-"
    text = (signed if signed_ else number)(share * 100, digits=digits)
    return f"{text}%"


def sentence_case(label: str) -> str:
    """``label`` to go inside a sentence: its first letter lowered, unless it starts an acronym (CO2)."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def nice_floor(value: float) -> float:
    """The largest of 1, 2 or 5 times a power of ten not above ``value`` (> 0)."""
    power = 10 ** math.floor(math.log10(value))
    return max(step * power for step in (1, 2, 5) if step * power <= value)


def date_words(value: str | dt.date) -> str:
    """``2026-12-15`` -> ``Tuesday 15 December 2026``."""
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    return f"{day:%A} {day.day} {day:%B %Y}"
