"""Run one scenario: build the city, live its day, and gather what happened.

:func:`run` is what ``twin run`` calls. It returns a :class:`RunResult` holding the run's
tables in memory; :meth:`RunResult.write` writes them as a run folder (see
:mod:`twin.run_folder`).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from twin._output import check_target
from twin.maps.network import StreetNetwork
from twin.metrics.equity import resident_table
from twin.metrics.kpis import compute_kpis
from twin.model import CityModel
from twin.scenario import Scenario, load_scenario

__all__ = ["RunResult", "run"]


@dataclass(frozen=True)
class RunResult:
    """The outcome of one run, as tables.

    Attributes
    ----------
    scenario
        The resolved scenario (every default filled in).
    network
        The street network the run used (as the scenario's interventions changed it).
    trips
        One row per trip: ``trip_id, person_id, mode, origin_node, dest_node, depart_s,
        arrival_s, duration_s, route_length_m, wait_s, toll_eur, in_vehicle_s, walk_s,
        detour_factor, fare_eur, service, drt_outcome`` (node ids as in the map; ``toll_eur``
        the road tolls a car trip paid for the edges it entered during the run; ``fare_eur``
        the fare of a transit or shuttle trip; ``service`` the lines ridden or the shuttle
        service; ``drt_outcome`` what became of a shuttle request: served, rejected or
        declined, the last two then travelling by ``mode``) and the plan's ``purpose``,
        ``planned_depart_s`` and the trip's ``status``; ``night_m`` the metres walked or
        cycled on lit streets in the dark and ``night_full_m`` those passed at full light.
    links
        Per edge and hour of entry: ``flow_veh``, ``mean_travel_time_s``, ``mean_speed_kmh``.
    lights
        Per lamp: ``energy_kwh``, ``hours_full``, ``hours_dimmed``, ``dark_arrivals``.
    timeseries
        Per step: vehicles on the road, their mean speed, people walking and cycling,
        lights at full and lighting power.
    kpis
        The headline figures (see :mod:`twin.metrics.kpis`).
    services
        Per transit line or shuttle service and hour, the operators' figures (empty
        without services).
    residents
        The synthetic population (empty for a trip table), with the home ``district`` when
        the scenario has districts and ``jobs_30min_<mode>`` (see :mod:`twin.metrics.equity`).
    dark_s
        The intervals the lights were on, ``(k, 2)`` seconds from local midnight.
    wall_time_s
        Seconds the run took, from loading to the last figure.
    """

    scenario: Scenario
    network: StreetNetwork
    trips: pd.DataFrame
    links: pd.DataFrame
    lights: pd.DataFrame
    timeseries: pd.DataFrame
    kpis: dict[str, Any]
    residents: pd.DataFrame = field(repr=False)
    dark_s: np.ndarray = field(default_factory=lambda: np.empty((0, 2)), repr=False)
    wall_time_s: float = 0.0
    services: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def write(self, out: str | os.PathLike) -> Path:
        """Write the run folder ``out`` whole (staged, then swapped in); return its path."""
        from twin.run_folder import write_run

        return write_run(self, out)


def run(scenario: Scenario | str | os.PathLike, *, overrides: Sequence[str] = (), network: StreetNetwork | None = None,
        out: str | os.PathLike | None = None, progress: Callable[[float, float], None] | None = None,
        model_class: type[CityModel] = CityModel, **model_options: Any) -> RunResult:  # fmt: skip
    """Simulate one scenario's day.

    Parameters
    ----------
    scenario
        A :class:`Scenario`, or the path of a scenario file.
    overrides
        ``key=value`` changes applied when ``scenario`` is a path (as ``--set`` does).
    network
        The street network, if already loaded.
    out
        Where to write the run folder; nothing is written when ``None``.
    progress
        Called after every step with (simulated seconds done, seconds in the run).
    model_class
        The model to build, e.g. a researcher's subclass of :class:`CityModel`.
    **model_options
        Passed to the model (``controller=``, agent classes, ``trips=``,
        ``intervention_types=``).

    Returns
    -------
    RunResult
    """
    started = time.perf_counter()
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, overrides=overrides)
    if out is not None:
        check_target(out)  # refuse a folder twin may not replace before a long run, not after
    loading = time.perf_counter()
    model = model_class(scenario, network=network, **model_options)
    model.timings["setup_s"] = (time.perf_counter() - loading - model.timings["demand_s"] - model.timings["routing_s"]
                                - model.timings["interventions_s"])
    model.run(progress=progress)
    result = collect_result(model, started=started)
    if out is not None:
        result.write(out)
    return result


def collect_result(model: CityModel, *, started: float) -> RunResult:
    """Gather a finished model's tables and figures into a :class:`RunResult`."""
    network = model.network
    node_ids = network.nodes["node_id"].to_numpy()
    trips = model.trips
    table = pd.DataFrame({
        "trip_id": trips["trip_id"].to_numpy(),
        "person_id": trips["person_id"].to_numpy(np.int64),
        "mode": trips["mode"].astype("string").to_numpy(),
        "origin_node": node_ids[trips["origin_node"].to_numpy(np.int64)],
        "dest_node": node_ids[trips["dest_node"].to_numpy(np.int64)],
        "depart_s": trips["depart_s"].to_numpy(float),
        "arrival_s": trips["arrival_s"].to_numpy(float),
        "duration_s": trips["duration_s"].to_numpy(float),
        "route_length_m": trips["route_length_m"].to_numpy(float),
        "wait_s": trips["wait_s"].to_numpy(float),
        "toll_eur": trips["toll_eur"].to_numpy(float),
        "in_vehicle_s": trips["in_vehicle_s"].to_numpy(float),
        "walk_s": trips["walk_s"].to_numpy(float),
        "detour_factor": trips["detour_factor"].to_numpy(float),
        "fare_eur": trips["fare_eur"].to_numpy(float),
        "service": trips["service"].astype("string").to_numpy(),
        "drt_outcome": trips["drt_outcome"].astype("string").to_numpy(),
        "planned_depart_s": trips["planned_depart_s"].to_numpy(float),
        "purpose": trips["purpose"].astype("string").to_numpy(),
        "status": trips["status"].astype("string").to_numpy(),
        "night_m": trips["night_m"].to_numpy(float),
        "night_full_m": trips["night_full_m"].to_numpy(float),
    })  # fmt: skip
    timeseries = model.timeseries()
    lighting = model.lighting_result
    lamps = network.lamps
    lights = pd.DataFrame({
        "lamp_id": lamps["lamp_id"].to_numpy(), "street_id": lamps["street_id"].to_numpy(),
        "power_w": lamps["power_w"].to_numpy(float), "energy_kwh": lighting.energy_kwh,
        "hours_full": lighting.hours_full, "hours_dimmed": lighting.hours_dimmed,
        "dark_arrivals": lighting.dark_arrivals,
    })  # fmt: skip
    measuring = time.perf_counter()
    residents = resident_table(model)  # home districts and access to jobs, for the equity split
    model.timings["equity_s"] = time.perf_counter() - measuring
    kpis = compute_kpis(
        trips=table, lights=lights, lighting=lighting, timeseries=timeseries,
        vehicle_km=model.vehicle_km(), dark_s=model.dark_s, emissions=model.spec.emissions,
        services=model.mobility.outcome if model.mobility is not None else None, residents=residents,
        network=network, min_group_residents=model.spec.outputs.min_group_residents,
        traffic={"relative_gaps": model.relative_gaps, "forced_moves": model.traffic.forced_moves,
                 "link_events": model.traffic.link_events},
        timings=model.timings, wall_time_s=time.perf_counter() - started, start_s=model.start_s, end_s=model.end_s,
        interventions=model.intervention_outcomes,
    )  # fmt: skip
    return RunResult(
        scenario=model.spec, network=network, trips=table, links=link_table(model), lights=lights,
        timeseries=timeseries, kpis=kpis, residents=residents, dark_s=model.dark_s, wall_time_s=time.perf_counter() - started,
        services=service_table(model),
    )  # fmt: skip


def service_table(model: CityModel) -> pd.DataFrame:
    """Per service and hour: the operators' figures (no rows without services)."""
    table = model.mobility.hourly if model.mobility is not None else pd.DataFrame()
    if not len(table):
        return pd.DataFrame({"service": pd.Series(dtype="string"), "service_kind": pd.Series(dtype="string"),
                             "hour": pd.Series(dtype="int64")})  # fmt: skip
    front = ["service", "service_kind", "hour"]
    return table[front + [c for c in table.columns if c not in front]].reset_index(drop=True)


def link_table(model: CityModel) -> pd.DataFrame:
    """Per edge and hour of entry: cars entering, their mean travel time and speed."""
    count, travel_s = model.traffic.link_stats()
    edge, hour = np.nonzero(count)
    edges = model.network.edges
    n = count[edge, hour]
    mean_s = travel_s[edge, hour] / n
    length = edges["length_m"].to_numpy(float)[edge]
    return pd.DataFrame({
        "edge_id": edge.astype(np.int64), "street_id": edges["street_id"].to_numpy()[edge],
        "hour": hour.astype(np.int16), "flow_veh": n.astype(np.int64), "mean_travel_time_s": mean_s,
        "mean_speed_kmh": np.where(mean_s > 0, length / np.where(mean_s > 0, mean_s, 1.0) * 3.6, np.nan),
        "freeflow_s": edges["freeflow_s"].to_numpy(float)[edge],
    })  # fmt: skip
