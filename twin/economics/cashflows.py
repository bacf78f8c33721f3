"""The lines of a business case: who pays and who benefits, year by year.

Each line is money in EUR a year, positive for a gain and negative for a cost, from the point
of view of one of two parties:

The city budget (``perspective == "city"``)
    ``energy`` the street-lighting electricity bill; ``maintenance`` lamp maintenance (the
    lamps an intervention buys change it by ``costs.lighting_maintenance_change``);
    ``operating`` the interventions' own yearly costs (platform licences, connectivity,
    enforcement); ``operator`` the cost of running the buses and shuttles (the city, or its
    transport authority, contracts them); ``fares`` the fares and bundle sales it takes in;
    ``tolls`` road-charge revenue; ``capital`` what the interventions cost to buy, in year 0
    and again at the end of each one's life within the appraisal; ``residual`` what is left
    of the last purchase at the end, written down straight-line over its lifetime.
Society (the city plus its residents and the climate, ``perspective == "society"`` adds)
    ``time`` the residents' travel time at their income group's value of time; ``paid`` the
    fares, tolls and bundles the residents pay (a transfer: it cancels the city's ``fares``
    and ``tolls`` in the society total); ``car_costs`` the running costs of the residents'
    cars (``population.mode_choice.car_cost_eur_per_km``); ``co2`` the CO2 of street
    lighting and traffic at ``costs.co2_price_eur_per_t``.

A business case is the *difference* between a variant and the baseline, line by line; the
society total is the sum of all lines, the city's the sum of its own.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from twin.scenario.costs import CostsSpec

__all__ = ["ANNUAL_LINES", "LINES", "Line", "Purchase", "appraisal_years", "capital_flows", "money", "purchases",
           "SAVINGS_LINES"]


@dataclass(frozen=True)
class Line:
    """One line of the cash flow: its key, its label for readers, and whose money it is."""

    key: str
    label: str
    perspective: str


LINES: tuple[Line, ...] = (
    Line("energy", "Street-lighting electricity", "city"),
    Line("maintenance", "Lamp maintenance", "city"),
    Line("operating", "Yearly costs of the interventions", "city"),
    Line("operator", "Running buses and shuttles", "city"),
    Line("fares", "Fares and bundles sold", "city"),
    Line("tolls", "Road tolls", "city"),
    Line("capital", "Capital and replacements", "city"),
    Line("residual", "Residual value at the end", "city"),
    Line("time", "Residents' travel time", "society"),
    Line("paid", "Fares, tolls and bundles residents pay", "society"),
    Line("car_costs", "Running costs of residents' cars", "society"),
    Line("co2", "CO2 of lighting and traffic", "society"),
)
"""Every line, the city's first."""

ANNUAL_LINES = tuple(line.key for line in LINES if line.key not in ("capital", "residual"))
"""The lines that recur every year of the appraisal (the others follow the purchases)."""

SAVINGS_LINES = ("energy", "maintenance")
"""The measured savings an energy-performance contract shares with its ESCO."""


@dataclass(frozen=True)
class Purchase:
    """What one intervention buys: its capital, yearly cost and lifetime (from ``kpis.json``)."""

    name: str
    type: str
    units: float
    unit: str
    capital_eur: float
    operating_eur_per_year: float
    lifetime_years: float


def purchases(kpis: Mapping[str, Any]) -> list[Purchase]:
    """The interventions of a run as purchases (``interventions.<name>`` of its ``kpis.json``)."""
    found = []
    for name, entry in (kpis.get("interventions") or {}).items():
        cost = entry.get("cost") or {}
        found.append(Purchase(name=name, type=str(entry.get("type", "")), units=float(cost.get("units", 0.0)),
                              unit=str(cost.get("unit", "")), capital_eur=float(cost.get("capital_eur", 0.0)),
                              operating_eur_per_year=float(cost.get("operating_eur_per_year", 0.0)),
                              lifetime_years=float(cost.get("lifetime_years", 20.0))))  # fmt: skip
    return found


def appraisal_years(costs: CostsSpec, bought: Iterable[Purchase]) -> int:
    """``costs.appraisal_years``, or the longest lifetime of what is bought (rounded up), or 20."""
    if costs.appraisal_years is not None:
        return int(costs.appraisal_years)
    lifetimes = [p.lifetime_years for p in bought if p.capital_eur > 0]
    return int(math.ceil(max(lifetimes))) if lifetimes else 20


def capital_flows(bought: Iterable[Purchase], *, years: int, residual_value: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Capital (negative) and residual value (positive) for years ``0 ... years``.

    Each intervention is bought in year 0 and again in the year its predecessor's life ends
    (``round(k * lifetime)``), while that is within the appraisal. What is left of the last
    purchase at the end of year ``years``, written down straight-line over its lifetime,
    comes back as residual value in the last year (if ``residual_value``).
    """
    capital = np.zeros(years + 1)
    residual = np.zeros(years + 1)
    for p in bought:
        if p.capital_eur <= 0:
            continue
        bought_in = [0]
        while (next_year := int(math.floor(len(bought_in) * p.lifetime_years + 0.5))) < years:
            bought_in.append(next_year)
        for year in bought_in:
            capital[year] -= p.capital_eur
        left = (bought_in[-1] + p.lifetime_years - years) / p.lifetime_years
        if residual_value and left > 0:
            residual[years] += p.capital_eur * left
    return capital, residual


def money(quantities: Mapping[str, float], bought: Iterable[Purchase], costs: CostsSpec, *,
          scenario: Mapping[str, Any]) -> dict[str, float]:  # fmt: skip
    """The yearly lines (:data:`ANNUAL_LINES`) of one run, in EUR a year (levels: signed as the city's or society's money).

    Parameters
    ----------
    quantities
        The run's year (:func:`twin.economics.annual.quantities`).
    bought
        Its interventions (:func:`purchases`).
    costs
        Prices and rules.
    scenario
        The run's resolved scenario (the car cost per km of its mode choice).
    """
    bought = list(bought)
    maintenance = quantities["lamps"] * costs.lighting_maintenance_eur_per_lamp_year
    for p in bought:
        if p.unit == "lamp":
            change = costs.lighting_maintenance_change.get(p.type, 0.0)
            maintenance += p.units * costs.lighting_maintenance_eur_per_lamp_year * change
    car_eur_per_km = float(((scenario.get("population") or {}).get("mode_choice") or {}).get("car_cost_eur_per_km", 0.20))
    vot = costs.value_of_time_eur_per_h
    return {
        "energy": -quantities["lighting_kwh"] * costs.energy_tariff_eur_per_kwh,
        "maintenance": -maintenance,
        "operating": -sum(p.operating_eur_per_year for p in bought),
        "operator": -quantities["operator_cost_eur"],
        "fares": quantities["fare_revenue_eur"],
        "tolls": quantities["toll_revenue_eur"],
        "time": -sum(quantities[f"travel_h.{group}"] * vot[group] for group in vot),
        "paid": -quantities["paid_eur"],
        "car_costs": -quantities["car_km"] * car_eur_per_km,
        "co2": -(quantities["lighting_co2_kg"] + quantities["traffic_co2_kg"]) / 1000.0 * costs.co2_price_eur_per_t,
    }
