"""City indicators of ISO 37120 and ISO 37122 that one simulated day can support.

Cities report these indicators every year; twin gives the model's value of each, so a
planner sees an intervention in the terms the city already uses. :data:`INDICATORS` holds
each one's standard, number, name, unit and what makes twin's value an approximation.

Numbering
---------
The numbers are those of ISO 37120:2018 (second edition; the 2014 edition numbered
transportation 18 and had no street-lighting indicator) and ISO 37122:2019. The standards
themselves are sold by ISO; the numbers and names were checked against a city's published
reporting under both standards, Kópavogur's indicator reports on the Nightingale platform
(kopavogur.nightingale.is/Measurements: 7.6 street lighting per km of lighted street,
19.2, 19.3 and 19.4 under ISO 37120; 7.6 and 7.7 street lighting under ISO 37122), and the
2014 edition's list against the University of Toronto's ISO 37120 ontology
(ontology.eil.utoronto.ca/ISO37120.owl). The issue named "ISO 37122 7.7" for refurbished
street lighting and "ISO 37120 7.6" and "19.3" for the other two: all three agree with the
2018/2019 editions.

Approximations common to all: one simulated weekday stands for the year, the synthetic
residents for the city's population, and the map (often clipped to a study area) for the
city's streets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from twin.maps.network import StreetNetwork

__all__ = ["INDICATORS", "Indicator", "city_indicators", "lit_street_km"]

DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class Indicator:
    """One indicator of a standard, as twin computes it.

    Attributes
    ----------
    key
        Its name in ``kpis.json`` (``indicators.<key>``).
    standard, number, name
        As the standard numbers and names it.
    unit
        The unit of twin's value.
    approximation
        What makes twin's value differ from the city's own.
    """

    key: str
    standard: str
    number: str
    name: str
    unit: str
    approximation: str


INDICATORS: dict[str, Indicator] = {i.key: i for i in (
    Indicator("street_lighting_kwh_per_lit_km", "ISO 37120:2018", "7.6",
              "Electricity consumption of public street lighting per kilometre of lighted street", "kWh/year per km",
              "the simulated day's lighting energy times 365 (the day's night length stands for every night of the "
              "year), unless annualised over the year's nights; lighted km: the map's streets with at least one "
              "lamp, each street once"),
    Indicator("street_lighting_telemanaged_pct", "ISO 37122:2019", "7.6",
              "Percentage of street lighting managed by a light performance management system", "%",
              "a lamp counts when its street's controller is networked (presence, traffic-stepped): it switches, "
              "dims and meters each street from the network"),
    Indicator("street_lighting_refurbished_pct", "ISO 37122:2019", "7.7",
              "Percentage of street lighting that has been refurbished and newly installed", "%",
              "the lamps this scenario's LED retrofits change, as if done in the reporting year; a lamp retrofitted "
              "twice counts twice (capped at 100%)"),
    Indicator("public_transport_trips_per_capita", "ISO 37120:2018", "19.2",
              "Annual number of public transport trips per capita", "trips/year per resident",
              "bus and shuttle trips started in the simulated weekday per resident, times 365 (no weekends)"),
    Indicator("commuters_not_personal_vehicle_pct", "ISO 37120:2018", "19.3",
              "Percentage of commuters using a travel mode to work other than a personal vehicle", "%",
              "trips from home to work in the simulated day, by the mode chosen; twin has no car passengers, so every "
              "car trip is a personal vehicle's driver"),
    Indicator("bicycle_km_per_100k", "ISO 37120:2018", "19.4",
              "Kilometres of bicycle paths and lanes per 100 000 population", "km per 100 000 residents",
              "cycle paths: the map's streets of class cycleway, each once; cycle lanes on roads are not read from "
              "the map; population: the simulated residents"),
)}  # fmt: skip
"""The indicators twin computes, by their key in ``kpis.json``."""


def lit_street_km(network: StreetNetwork) -> float:
    """Kilometres of street with at least one lamp, each street once (not per direction)."""
    streets = network.edges.drop_duplicates("street_id")
    lit = streets["street_id"].isin(network.lamps["street_id"].unique()).to_numpy()
    return float(streets["length_m"].to_numpy(float)[lit].sum() / 1000.0)


def city_indicators(*, network: StreetNetwork, trips: pd.DataFrame, lighting_kwh: float, lamps: int,
                    lamps_networked: int, residents: int, interventions: Sequence = (),
                    lighting_kwh_year: float | None = None, lighting_method: str | None = None) -> dict[str, Any]:  # fmt: skip
    """The ``indicators`` section of ``kpis.json``: per indicator its value, unit, and inputs.

    Parameters
    ----------
    network
        The street network the run used (its lamps and streets as the interventions left them).
    trips
        The run's trip table (``mode``, ``status``, ``purpose``).
    lighting_kwh
        Lighting energy of the simulated day, standby included.
    lamps, lamps_networked
        All lamps, and those under a networked controller.
    residents
        Simulated residents (0 for a given trip table: the per-resident indicators are
        ``null``).
    interventions
        The interventions' outcomes (``type`` and ``affected["lamps"]`` of LED retrofits).
    lighting_kwh_year, lighting_method
        The year's lighting energy and how it was annualised, when known; otherwise the
        day times 365.

    Returns
    -------
    dict
        ``{key: {"value", "unit", ...inputs}}``, values ``null`` where the run cannot
        support them.
    """
    lit_km = lit_street_km(network)
    if lighting_kwh_year is None:
        lighting_kwh_year, lighting_method = lighting_kwh * DAYS_PER_YEAR, "day_x_365"
    retrofitted = sum(float(o.affected.get("lamps", 0.0)) for o in interventions if o.type == "led_retrofit")
    status = trips["status"].astype(str).to_numpy()
    mode = trips["mode"].astype(str).to_numpy()
    in_run = status != "outside_run"
    started = np.isin(status, ("arrived", "en_route"))
    purpose = trips["purpose"].astype(str).to_numpy() if "purpose" in trips else np.full(len(trips), "given")
    commutes = in_run & (purpose == "work")
    streets = network.edges.drop_duplicates("street_id")
    cycle_km = float(streets.loc[streets["road_class"].astype(str) == "cycleway", "length_m"].sum() / 1000.0)
    public = int((started & np.isin(mode, ("transit", "drt"))).sum())
    values = {
        "street_lighting_kwh_per_lit_km": {
            "value": _round(lighting_kwh_year / lit_km) if lit_km > 0 else None,
            "lighting_kwh_year": _round(lighting_kwh_year), "lit_km": _round(lit_km), "annualised": lighting_method},
        "street_lighting_telemanaged_pct": {
            "value": _round(100.0 * lamps_networked / lamps) if lamps else None, "lamps": int(lamps),
            "lamps_managed": int(lamps_networked)},
        "street_lighting_refurbished_pct": {
            "value": _round(min(100.0, 100.0 * retrofitted / lamps)) if lamps else None,
            "lamps_refurbished": _round(retrofitted)},
        "public_transport_trips_per_capita": {
            "value": _round(public / residents * DAYS_PER_YEAR) if residents else None, "trips_a_day": public},
        "commuters_not_personal_vehicle_pct": {
            "value": _round(100.0 * float((mode[commutes] != "car").mean())) if commutes.any() else None,
            "commutes": int(commutes.sum())},
        "bicycle_km_per_100k": {
            "value": _round(cycle_km / residents * 1e5) if residents else None, "cycle_path_km": _round(cycle_km)},
    }  # fmt: skip
    return {key: {**values[key], "unit": INDICATORS[key].unit} for key in INDICATORS}


def _round(value: float, digits: int = 4) -> float | None:
    value = float(value)
    return None if not np.isfinite(value) else round(value, digits)
