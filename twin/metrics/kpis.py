"""Key performance indicators of one run: energy, CO2, travel, mode shares, safety.

Every figure is computed from the run's own tables, so it can be checked against them:

- lighting energy integrates every lamp's power over the run, standby included; CO2 uses
  the scenario's grid factor (``emissions.electricity_kg_per_kwh``);
- ``vehicle_km`` is the km of street private cars completed during the run,
  ``service_vehicle_km`` that of buses and shuttles, ``road_vehicle_km`` all of them; traffic
  CO2 uses ``emissions.car_kg_per_km`` for cars (a tank-to-wheel average car factor) and each
  line's and shuttle service's own factor;
- mode shares count the trips that started during the run (a rider stranded at a stop did
  not start), travel times the trips that arrived;
- safety: of the metres walked or cycled on lit streets in the dark, the share passed at full
  light, and the "dark arrivals" (a person reaching a lamp that is not yet at full level);
- pricing: the road tolls the car trips paid (the trip table's ``toll_eur``), always present
  (zeros without road pricing) so that the variants of a batch share every KPI's name;
- interventions: what each of the scenario's interventions changed and its cost, by name
  (an empty section without interventions); ``energy.zones`` the lamps and energy of each
  lighting zone, by its label (empty without zones);
- services: the operators' day (:mod:`twin.mobility`): ``services.transit`` over all lines,
  ``services.drt`` over all shuttle services and service days
  (:func:`twin.mobility.drt.combine_daily`: sums, and ratios of sums; the p95 wait is the
  largest part's), each shuttle service under ``services.drt_by_service``,
  and under ``services.maas`` the bundle's subscribers and revenue and the services together:
  operating cost, fares plus bundle revenue, and the net cost per ride (the per-service
  ``subsidy_per_trip_eur`` counts fares only, as the bundle is not split between services). The sections have the
  same keys with or without services (zeros, or ``null`` for a mean of nothing), so a
  variant with services pairs with its baseline in a batch;
- equity: per group of residents (income, smartphone access, age group, home district):
  minutes travelling and money paid in the day, the share of trips that arrived, metres
  walked or cycled in the dark and the share of them at full light, and jobs within 30
  minutes of home by each mode (:mod:`twin.metrics.equity`); groups of fewer than
  ``outputs.min_group_residents`` residents are suppressed; empty for a given trip table.
  ``inequality`` holds, per dimension, the worse-off group's level over the better-off's
  (:func:`twin.metrics.equity.level_ratios`);
- indicators: the ISO 37120 and ISO 37122 indicators the run supports, with their units
  (:mod:`twin.metrics.indicators`; empty without the network).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import pandas as pd

from twin.metrics.equity import equity_kpis, level_ratios
from twin.metrics.indicators import city_indicators

if TYPE_CHECKING:
    from twin.maps.network import StreetNetwork

__all__ = ["MODES", "compute_kpis"]

MODES = ("car", "bike", "walk", "transit", "drt")
"""The modes KPIs are reported for."""

_TRANSIT_KEYS = ("boardings", "riders", "arrived", "stranded", "denied_boardings", "mean_wait_s", "p95_wait_s",
                 "vehicle_km", "vehicle_hours", "load_factor", "max_load", "operating_cost_eur", "fare_revenue_eur",
                 "subsidy_per_trip_eur", "co2_kg")  # fmt: skip
_TRANSIT_MEANS = frozenset({"mean_wait_s", "p95_wait_s", "load_factor", "subsidy_per_trip_eur"})
_DRT_KEYS = ("requests", "served", "rejected", "declined", "outside_hours", "fleet_km", "vehicle_hours",
             "operating_cost_eur", "fare_revenue_eur", "co2_kg", "served_share", "mean_wait_s", "p95_wait_s",
             "mean_detour", "occupancy", "empty_km_share", "passengers_per_vehicle_hour", "subsidy_per_trip_eur")  # fmt: skip


def _round(value: float, digits: int = 4) -> float | None:
    value = float(value)
    return None if not np.isfinite(value) else round(value, digits)


def _first_inside(times: np.ndarray, start_s: float, end_s: float) -> float | None:
    """The first of ``times`` strictly inside the run: a real switching time, not a run's edge.

    Given the intervals' starts from the last one back, it is the last switch-on (evening);
    given their ends, the first switch-off (morning). ``None`` when the lights never switch
    during the run (polar night, or a run that lies wholly in the dark or in daylight).
    """
    inside = times[(times > start_s) & (times < end_s)]
    return _round(inside[0], 1) if inside.size else None


def compute_kpis(*, trips: pd.DataFrame, lights: pd.DataFrame, lighting, timeseries: pd.DataFrame,
                 vehicle_km: float, dark_s: np.ndarray, emissions, traffic: dict[str, Any],
                 timings: dict[str, float], wall_time_s: float, start_s: float,
                 end_s: float, interventions: Sequence = (), services: dict[str, Any] | None = None,
                 residents: pd.DataFrame | None = None, network: StreetNetwork | None = None,
                 min_group_residents: int = 10, lighting_kwh_year: float | None = None,
                 lighting_method: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Summarise one run.

    Parameters
    ----------
    trips
        The trip table with outcomes (``status``, ``mode``, ``duration_s``, and
        ``toll_eur`` if any trip paid tolls).
    lights
        One row per lamp with ``energy_kwh``, ``hours_full``, ``hours_dimmed``.
    lighting
        The :class:`~twin.engine.lighting.LightingResult`.
    timeseries
        The per-step table (for the peak lighting power).
    vehicle_km
        Kilometres of street completed by private cars, or a dict of them by ``car``,
        ``transit`` (buses) and ``drt`` (shuttles).
    dark_s
        The intervals the lights were switched on, in seconds from midnight; the KPIs give
        the evening switch-on and the morning switch-off that fall inside the run (the last
        and the first), or ``None``.
    emissions
        The scenario's :class:`~twin.scenario.schema.EmissionsSpec`.
    traffic
        Engine facts: ``relative_gaps``, ``forced_moves``, ``link_events``.
    timings
        Wall seconds per stage.
    wall_time_s
        Wall seconds of the whole run so far.
    start_s, end_s
        The run's window, in seconds from midnight.
    interventions
        The :class:`~twin.interventions.base.Outcome` of each intervention, in order.
    services
        The operators' day from :class:`twin.mobility.system.MobilitySystem` (``outcome``),
        or ``None`` without services.
    residents
        The residents (``person_id``, ``income``, ``smartphone``, ``age_group``, and
        ``district`` and ``jobs_30min_<mode>`` when known), for the equity section.
    network
        The street network the run used, for the city indicators.
    min_group_residents
        Equity groups of fewer residents are suppressed (``outputs.min_group_residents``).
    lighting_kwh_year, lighting_method
        The year's lighting energy and how it was annualised, for the street-lighting
        indicator; by default the day's times 365.

    Returns
    -------
    dict
        JSON-ready nested figures with units in their names.
    """
    status = trips["status"].value_counts().to_dict()
    started = trips[trips["status"].isin(["arrived", "en_route"])]
    arrived = trips[trips["status"] == "arrived"]
    shares = started["mode"].value_counts(normalize=True)
    lighting_kwh = float(lights["energy_kwh"].sum())
    walk_bike_m = float(lighting.night_metres_walk_bike)
    dark_hours = float(np.sum(dark_s[:, 1] - dark_s[:, 0]) / 3600) if len(dark_s) else 0.0
    toll = trips["toll_eur"].to_numpy(float) if "toll_eur" in trips else np.zeros(len(trips))
    zones = lighting.zone_energy() if hasattr(lighting, "zone_energy") else {}
    km = vehicle_km if isinstance(vehicle_km, dict) else {"car": float(vehicle_km), "transit": 0.0, "drt": 0.0}
    service = _services(services)
    equity = equity_kpis(trips, residents, min_residents=min_group_residents,
                         bundle_eur_per_day=float((services or {}).get("maas", {}).get("price_eur_per_day", 0.0)))
    co2_cars = km["car"] * emissions.car_kg_per_km
    co2_services = (service["transit"]["co2_kg"] or 0.0) + (service["drt"]["co2_kg"] or 0.0)
    traffic_co2 = co2_cars + co2_services
    return {
        "trips": {
            "total": int(len(trips)),
            **{f"{name}": int(status.get(name, 0))
               for name in ("arrived", "en_route", "not_started", "unreachable", "outside_run", "stranded")},
        },  # fmt: skip
        "mode_shares": {mode: _round(shares.get(mode, 0.0)) if len(started) else None for mode in MODES},
        "mean_travel_time_min": {
            mode: _round(arrived.loc[arrived["mode"] == mode, "duration_s"].mean() / 60, 3)
            if (arrived["mode"] == mode).any() else None
            for mode in MODES
        },
        "vehicle_km": _round(km["car"], 3),
        "service_vehicle_km": {"transit": _round(km["transit"], 3), "drt": _round(km["drt"], 3)},
        "road_vehicle_km": _round(km["car"] + km["transit"] + km["drt"], 3),
        "energy": {
            "lighting_kwh": _round(lighting_kwh, 3),
            "standby_kwh": _round(lighting.standby_kwh, 3),
            "lighting_peak_kw": _round(timeseries["lighting_power_kw"].max() if len(timeseries) else 0.0, 3),
            "lamps": int(len(lights)),
            "dark_hours": _round(dark_hours, 4),
            "switch_on_s": _first_inside(dark_s[::-1, 0], start_s, end_s),
            "switch_off_s": _first_inside(dark_s[:, 1], start_s, end_s),
            "mean_hours_full": _round(lights["hours_full"].mean() if len(lights) else 0.0, 4),
            "mean_hours_dimmed": _round(lights["hours_dimmed"].mean() if len(lights) else 0.0, 4),
            "zones": {label: {"lamps": int(zone["lamps"]), "lighting_kwh": _round(zone["energy_kwh"], 3)}
                      for label, zone in zones.items()},
        },
        "co2_kg": {
            "lighting": _round(lighting_kwh * emissions.electricity_kg_per_kwh, 3),
            "traffic": _round(traffic_co2, 3),
            "cars": _round(co2_cars, 3),
            "services": _round(co2_services, 3),
            "total": _round(lighting_kwh * emissions.electricity_kg_per_kwh + traffic_co2, 3),
        },
        "safety": {
            "night_walk_bike_km": _round(walk_bike_m / 1000, 4),
            "night_walk_bike_share_full_light": _round(lighting.night_metres_walk_bike_full / walk_bike_m)
            if walk_bike_m > 0 else None,
            "dark_arrivals": int(lighting.dark_arrivals_total),
            "dark_arrivals_walk_bike": int(lighting.dark_arrivals_walk_bike),
        },
        "pricing": {
            "toll_revenue_eur": _round(toll.sum(), 2),
            "car_trips_charged": int((toll > 0).sum()),
        },
        "interventions": _interventions(interventions),
        "services": service,
        "equity": equity,
        "inequality": level_ratios(equity),
        "indicators": city_indicators(
            network=network, trips=trips, lighting_kwh=lighting_kwh, lamps=len(lights),
            lamps_networked=int(getattr(lighting, "lamps_networked", 0)), interventions=interventions,
            residents=len(residents) if residents is not None else 0, lighting_kwh_year=lighting_kwh_year,
            lighting_method=lighting_method,
        ) if network is not None else {},
        "traffic": {
            "relative_gap": [_round(gap, 6) for gap in traffic["relative_gaps"]],
            "forced_moves": int(traffic["forced_moves"]),
            "link_events": int(traffic["link_events"]),
            "max_vehicles_on_road": int(timeseries["vehicles_on_road"].max()) if len(timeseries) else 0,
        },
        "run": {
            "wall_time_s": _round(wall_time_s, 3),
            **{name: _round(value, 3) for name, value in timings.items()},
            "link_events_per_s": _round(traffic["link_events"] / timings["traffic_s"], 1)
            if timings.get("traffic_s") else None,
        },
    }


def _interventions(outcomes: Sequence) -> dict[str, Any]:
    """Each outcome's figures by intervention name (the registry makes names unique)."""
    return {outcome.name: outcome.as_dict() for outcome in outcomes}


def _services(outcome: dict[str, Any] | None) -> dict[str, Any]:
    """The services section, with the same keys whether or not the city has services."""
    from twin.mobility.drt import combine_daily

    outcome = outcome or {}
    transit = outcome.get("transit") or {}
    by_service = {name: daily for name, daily in (outcome.get("drt") or {}).items() if daily is not None}
    drt = combine_daily(list(by_service.values()))
    maas = outcome.get("maas") or {}
    # Without lines, counts and sums are 0 and means of nothing are null.
    empty_transit = {key: None if key in _TRANSIT_MEANS else 0.0 for key in _TRANSIT_KEYS}
    return {
        "transit": {key: _plain(transit[key]) if key in transit else empty_transit[key] for key in _TRANSIT_KEYS},
        "drt": {key: _plain(drt[key]) for key in _DRT_KEYS},
        "drt_by_service": {name: {key: _plain(value) for key, value in daily.items()} for name, daily in by_service.items()},
        "maas": _maas(transit, drt, maas),
    }  # fmt: skip


def _maas(transit: dict[str, Any], drt: dict[str, Any], maas: dict[str, Any]) -> dict[str, Any]:
    """The services together: the bundle, and what the city pays per ride after fares and the bundle."""
    bundle = float(maas.get("subscription_revenue_eur_per_day", 0.0))
    cost = float(transit.get("operating_cost_eur") or 0.0) + float(drt.get("operating_cost_eur") or 0.0)
    fares = float(transit.get("fare_revenue_eur") or 0.0) + float(drt.get("fare_revenue_eur") or 0.0)
    rides = float(transit.get("riders") or 0.0) + float(drt.get("served") or 0.0)
    return {
        "subscribers": int(maas.get("subscribers", 0)),
        "subscription_revenue_eur_per_day": _round(bundle, 2),
        "operating_cost_eur": _round(cost, 2),
        "revenue_eur": _round(fares + bundle, 2),
        "net_cost_eur": _round(cost - fares - bundle, 2),
        "net_subsidy_per_ride_eur": _round((cost - fares - bundle) / rides, 4) if rides > 0 else None,
    }


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | bool):
        return value
    return _round(value, 4)

