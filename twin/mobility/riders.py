"""The transit riders' day on the runs, and what the operator runs, carries, spends and earns.

:func:`simulate_riders` plays the riders' day on the runs' actual times (walk, wait, board
if there is room, ride, transfer, walk), each rider following the path planned by
:func:`twin.mobility.transit_paths.level_of_service`; its :class:`RiderResult` gives each
trip a status, :data:`ARRIVED`, :data:`STRANDED` or :data:`NO_PATH`. :func:`operator_table`
sums up, per line and hour and for the day, what the operator runs, carries, spends and
earns.

Notes
-----
Riders board the first run that departs their stop after they get there and has room,
first come first served per stop and line; riders left behind wait for the next run and
count a denied boarding. A rider follows the path chosen at planning time even when a run
is late or full (no re-routing on the way).
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from twin.mobility.timetable import Timetable
    from twin.mobility.transit_paths import TransitPaths

__all__ = ["ARRIVED", "NO_PATH", "STRANDED", "RiderResult", "operator_table", "simulate_riders"]

#: Rider status codes of :attr:`RiderResult.status`.
ARRIVED, STRANDED, NO_PATH = 0, 1, 2


@dataclass(frozen=True, slots=True)
class RiderResult:
    """What happened to each rider, and to each leg of the timetable.

    Per trip (NaN where the rider did not arrive): ``wait_s``, ``in_vehicle_s``, ``walk_s``,
    ``arrival_s``. Per ride (parallel to the ``ride_*`` arrays of the paths): ``ride_ready_s``
    when the rider reached the stop, ``ride_board_s`` and ``ride_alight_s`` (NaN if not
    boarded, or the vehicle never got there), ``ride_leg`` the leg boarded (-1), and
    ``ride_denied``.

    Attributes
    ----------
    boardings
        ``int64`` rides actually taken.
    denied
        ``int64`` times the rider was left behind by a full vehicle.
    status
        ``int8``: :data:`ARRIVED` (0), :data:`STRANDED` (1: no run with room before the end,
        or a run that never got to the stop) or :data:`NO_PATH` (2: no transit path given).
    leg_load
        ``int32`` passengers aboard on each timetable leg.
    leg_boardings
        ``int32`` riders boarding at the start of each leg.
    """

    wait_s: np.ndarray
    in_vehicle_s: np.ndarray
    walk_s: np.ndarray
    arrival_s: np.ndarray
    boardings: np.ndarray
    denied: np.ndarray
    status: np.ndarray
    leg_load: np.ndarray
    leg_boardings: np.ndarray
    ride_ready_s: np.ndarray
    ride_board_s: np.ndarray
    ride_alight_s: np.ndarray
    ride_leg: np.ndarray
    ride_denied: np.ndarray


def simulate_riders(
    timetable: Timetable,
    paths: TransitPaths,
    depart_s,
    *,
    leg_depart_s: np.ndarray | None = None,
    leg_arrive_s: np.ndarray | None = None,
    end_s: float = math.inf,
) -> RiderResult:
    """Play the riders' day on the runs' (actual) times, with vehicle capacities.

    A rider reaches the first stop at ``depart_s + access_walk_s``, boards the first run of
    the line that leaves that stop at or after then and has room (first come, first served
    per stop and line; a rider left behind counts a denial and waits for the next run), rides
    to the alighting stop, takes the next ride from there, and walks on from the last stop.

    Parameters
    ----------
    timetable
        The timetable the paths refer to.
    paths
        Each trip's path (from :func:`~twin.mobility.transit_paths.level_of_service`, or hand-made).
    depart_s
        Departure time of each trip from its origin (or one for all).
    leg_depart_s, leg_arrive_s
        Actual departure and arrival time of each leg (NaN where the vehicle never got
        there), e.g. from the traffic engine; the planned times by default.
    end_s
        Nothing happens after this time: riders waiting or aboard then are stranded.

    Returns
    -------
    RiderResult

    Notes
    -----
    Vehicle departures and riders' arrivals at stops are taken in time order (an event loop
    on a heap); a rider reaching a stop at the very moment a vehicle leaves still catches
    it. Loads are counted per leg from boardings and alightings, so riders with different
    alighting stops share a vehicle correctly.
    """
    n_trips = paths.offsets.size - 1
    depart = np.broadcast_to(np.asarray(depart_s, dtype=np.float64), (n_trips,))
    dep = _leg_times(leg_depart_s, timetable.depart_s, "leg_depart_s")
    arr = _leg_times(leg_arrive_s, timetable.arrive_s, "leg_arrive_s")
    end_s = float(end_s)
    n_rides = int(paths.offsets[-1])
    counts = np.diff(paths.offsets)
    ride_trip = np.repeat(np.arange(n_trips), counts)
    lines = timetable.lines
    line_start = np.concatenate([[0], np.cumsum([line.stop_nodes.size for line in lines])]).astype(np.int64)
    n_stops = np.diff(line_start)
    if n_rides:
        bad = (paths.ride_line < 0) | (paths.ride_line >= len(lines))
        if bad.any():
            raise ValueError(f"ride {int(np.argmax(bad))} is on line {paths.ride_line[bad][0]}, not a timetable line")
        bad = (paths.ride_board < 0) | (paths.ride_alight <= paths.ride_board) | (
            paths.ride_alight >= n_stops[paths.ride_line])
        if bad.any():
            raise ValueError(f"ride {int(np.argmax(bad))} does not go forward along its line's stops")

    # Performance trick: plain Python lists are several times faster than NumPy scalars in the loop.
    first_leg = timetable.run_first_leg.tolist()
    run_line = timetable.run_line.tolist()
    leg_run = timetable.leg_run.tolist()
    leg_stop = timetable.leg_stop.tolist()
    capacity = [line.capacity for line in lines]
    last_stop = (n_stops - 1).tolist()
    ls_base = line_start.tolist()
    arr_list = arr.tolist()
    r_line = paths.ride_line.tolist()
    r_board = paths.ride_board.tolist()
    r_alight = paths.ride_alight.tolist()
    r_last = (paths.offsets[1:] - 1)[ride_trip].tolist() if n_rides else []

    ready = [math.nan] * n_rides
    board_s = [math.nan] * n_rides
    alight_s = [math.nan] * n_rides
    ride_leg = [-1] * n_rides
    ride_denied = [0] * n_rides
    onboard = [0] * timetable.n_runs
    alight_at = [0] * timetable.n_legs
    leg_load = [0] * timetable.n_legs
    leg_boardings = [0] * timetable.n_legs
    queues: dict[int, deque] = {}

    start = depart + paths.access_walk_s
    firsts = paths.offsets[:-1][counts > 0]
    heap = [(float(start[ride_trip[r]]), int(r)) for r in firsts]
    heapq.heapify(heap)
    done = np.isfinite(dep) & (dep <= end_s)
    visits = np.flatnonzero(done)
    visits = visits[np.lexsort((timetable.leg_stop[visits], timetable.leg_run[visits], dep[visits]))]
    for g, t_dep in zip(visits.tolist(), dep[visits].tolist()):
        while heap and heap[0][0] <= t_dep:
            t, r = heapq.heappop(heap)
            ready[r] = t
            key = ls_base[r_line[r]] + r_board[r]
            queue = queues.get(key)
            if queue is None:
                queue = queues[key] = deque()
            queue.append(r)
        run = leg_run[g]
        line = run_line[run]
        k = leg_stop[g]
        onboard[run] -= alight_at[g]
        queue = queues.get(ls_base[line] + k)
        boarded = 0
        if queue:
            room = capacity[line] - onboard[run]
            while queue and boarded < room:
                r = queue.popleft()
                boarded += 1
                board_s[r] = t_dep
                ride_leg[r] = g
                m = r_alight[r]
                if m < last_stop[line]:
                    alight_at[first_leg[run] + m] += 1
                t_off = arr_list[first_leg[run] + m - 1]
                alight_s[r] = t_off
                if t_off <= end_s and r < r_last[r]:  # NaN compares False: never arrives
                    heapq.heappush(heap, (t_off, r + 1))
            for r in queue:
                ride_denied[r] += 1
        onboard[run] += boarded
        leg_load[g] = onboard[run]
        leg_boardings[g] = boarded
    while heap and heap[0][0] <= end_s:  # riders reaching a stop after the last departure
        t, r = heapq.heappop(heap)
        ready[r] = t

    ready_a = np.array(ready, dtype=np.float64)
    board_a = np.array(board_s, dtype=np.float64)
    alight_a = np.array(alight_s, dtype=np.float64)
    denied_a = np.array(ride_denied, dtype=np.int64)
    took = np.isfinite(board_a)
    ride_wait = board_a - ready_a
    ride_ivt = alight_a - board_a
    last = paths.offsets[1:] - 1
    has = counts > 0
    arrival = np.full(n_trips, np.nan)
    arrived = np.zeros(n_trips, dtype=bool)
    last_alight = alight_a[last[has]]
    ok = np.isfinite(last_alight) & (last_alight <= end_s)
    came = np.flatnonzero(has)[ok]
    arrived[came] = True
    arrival[came] = last_alight[ok] + paths.egress_walk_s[came]
    wait = np.full(n_trips, np.nan)
    ivt = np.full(n_trips, np.nan)
    walk = np.full(n_trips, np.nan)
    if n_rides:
        wait_sum = np.bincount(ride_trip, weights=np.where(took, ride_wait, 0.0), minlength=n_trips)
        ivt_sum = np.bincount(ride_trip, weights=np.where(took, ride_ivt, 0.0), minlength=n_trips)
        wait[arrived] = wait_sum[arrived]
        ivt[arrived] = ivt_sum[arrived]
    walk[arrived] = paths.access_walk_s[arrived] + paths.egress_walk_s[arrived]
    status = np.full(n_trips, STRANDED, dtype=np.int8)
    status[arrived] = ARRIVED
    status[~has] = NO_PATH
    return RiderResult(
        wait_s=wait, in_vehicle_s=ivt, walk_s=walk, arrival_s=arrival,
        boardings=np.bincount(ride_trip[took], minlength=n_trips).astype(np.int64),
        denied=np.bincount(ride_trip, weights=denied_a, minlength=n_trips).astype(np.int64) if n_rides
        else np.zeros(n_trips, np.int64),
        status=status, leg_load=np.array(leg_load, dtype=np.int32),
        leg_boardings=np.array(leg_boardings, dtype=np.int32), ride_ready_s=ready_a, ride_board_s=board_a,
        ride_alight_s=alight_a, ride_leg=np.array(ride_leg, dtype=np.int64), ride_denied=denied_a,
    )  # fmt: skip


def _leg_times(values, planned: np.ndarray, name: str) -> np.ndarray:
    if values is None:
        return planned
    array = np.asarray(values, dtype=np.float64)
    if array.shape != planned.shape:
        raise ValueError(f"`{name}` must have one time per timetable leg ({planned.size}), not shape {array.shape}")
    return array


# ---------------------------------------------------------------------- operator figures


def operator_table(
    timetable: Timetable,
    riders: RiderResult,
    paths: TransitPaths,
    *,
    fare_eur,
    depart_s,
    leg_depart_s: np.ndarray | None = None,
    leg_arrive_s: np.ndarray | None = None,
) -> tuple[pd.DataFrame, dict]:
    """What each line runs, carries, costs and earns, by hour and for the day.

    Parameters
    ----------
    timetable, riders, paths
        The timetable, the riders' day on it and the paths they followed.
    fare_eur
        Fare paid by each trip (or one for all); counted for riders who boarded.
    depart_s
        Departure time of each trip; places a stranded rider who never reached the stop of
        a ride in the hour they set out.
    leg_depart_s, leg_arrive_s
        Actual leg times, as given to :func:`simulate_riders` (planned by default); legs a
        vehicle never finished add no vehicle-km or hours.

    Returns
    -------
    table : pandas.DataFrame
        One row per line and hour (of the vehicles' departure from a stop) with any service:
        ``line`` (index), ``name``, ``hour``, ``runs`` (starting in the hour), ``boardings``,
        ``denied`` and ``stranded`` (by the hour the rider reached the stop), ``vehicle_km``,
        ``vehicle_hours``, ``passenger_km``, ``mean_wait_s`` (of the rides boarded),
        ``mean_load`` (passenger-km per vehicle-km), ``max_load`` and ``load_factor``
        (passenger-km per place-km).
    daily : dict
        ``boardings, riders, arrived, stranded, denied_boardings, mean_wait_s, p95_wait_s``
        (of the riders who arrived, total wait of the trip), ``vehicle_km, vehicle_hours,
        passenger_km, load_factor, max_load, operating_cost_eur, fare_revenue_eur,
        subsidy_per_trip_eur`` (cost less fares per rider) and ``co2_kg``. Means of nothing
        are NaN.

    Notes
    -----
    Vehicle-hours of a run are its last arrival less its first departure (dwells included,
    layovers between runs not); a leg's share is its time to the next leg's departure.
    """
    n_trips = paths.offsets.size - 1
    fare = np.broadcast_to(np.asarray(fare_eur, dtype=np.float64), (n_trips,))
    depart = np.broadcast_to(np.asarray(depart_s, dtype=np.float64), (n_trips,))
    dep = _leg_times(leg_depart_s, timetable.depart_s, "leg_depart_s")
    arr = _leg_times(leg_arrive_s, timetable.arrive_s, "leg_arrive_s")
    lines = timetable.lines
    leg_line = timetable.leg_line.astype(np.int64)
    capacity = np.array([line.capacity for line in lines], dtype=np.float64)
    finished = np.isfinite(dep) & np.isfinite(arr)
    # A leg's vehicle time runs to the next leg's departure (its dwell), or to its arrival.
    has_next = np.zeros(timetable.n_legs, dtype=bool)
    if timetable.n_legs:
        has_next[:-1] = timetable.prev_leg[1:] == np.arange(timetable.n_legs - 1)
    until = arr.copy()
    chained = np.flatnonzero(has_next)
    next_dep = dep[chained + 1]
    until[chained[np.isfinite(next_dep)]] = next_dep[np.isfinite(next_dep)]
    km = np.where(finished, timetable.length_m / 1000.0, 0.0)
    hours = np.where(finished, (until - dep) / 3600.0, 0.0)
    pkm = riders.leg_load * km
    legs = pd.DataFrame({
        "line": leg_line, "hour": np.floor(np.where(np.isfinite(dep), dep, timetable.depart_s) / 3600).astype(np.int64),
        "runs": timetable.leg_stop == 0, "boardings": riders.leg_boardings.astype(np.int64),
        "vehicle_km": km, "vehicle_hours": hours, "passenger_km": pkm,
        "place_km": km * capacity[leg_line], "max_load": riders.leg_load.astype(np.int64),
    })  # fmt: skip
    table = legs.groupby(["line", "hour"]).agg(
        runs=("runs", "sum"), boardings=("boardings", "sum"), vehicle_km=("vehicle_km", "sum"),
        vehicle_hours=("vehicle_hours", "sum"), passenger_km=("passenger_km", "sum"),
        place_km=("place_km", "sum"), max_load=("max_load", "max"),
    )  # fmt: skip

    took = riders.ride_leg >= 0
    ride_trip = np.repeat(np.arange(n_trips), paths.n_rides)
    ride_hour = np.floor(np.where(np.isfinite(riders.ride_ready_s), riders.ride_ready_s, depart[ride_trip]) / 3600)
    rides = pd.DataFrame({"line": paths.ride_line.astype(np.int64), "hour": ride_hour.astype(np.int64),
                          "denied": riders.ride_denied, "stranded": (~took) & (riders.status[ride_trip] == STRANDED)})
    per_ride = rides.groupby(["line", "hour"]).agg(denied=("denied", "sum"), stranded=("stranded", "sum"))
    board_hour = np.floor(dep[riders.ride_leg[took]] / 3600).astype(np.int64)
    waits = pd.DataFrame({"line": paths.ride_line[took].astype(np.int64), "hour": board_hour,
                          "wait_s": (riders.ride_board_s - riders.ride_ready_s)[took]})  # fmt: skip
    mean_wait = waits.groupby(["line", "hour"])["wait_s"].mean().rename("mean_wait_s")
    table = table.join(per_ride, how="outer").join(mean_wait, how="left").reset_index()
    for column in ("runs", "boardings", "denied", "stranded", "max_load"):
        table[column] = table[column].fillna(0).astype(np.int64)
    for column in ("vehicle_km", "vehicle_hours", "passenger_km", "place_km"):
        table[column] = table[column].fillna(0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["mean_load"] = np.where(table["vehicle_km"] > 0, table["passenger_km"] / table["vehicle_km"], np.nan)
        table["load_factor"] = np.where(table["place_km"] > 0, table["passenger_km"] / table["place_km"], np.nan)
    table.insert(1, "name", [lines[i].name for i in table["line"]])
    table = table[["line", "name", "hour", "runs", "boardings", "denied", "stranded", "vehicle_km",
                   "vehicle_hours", "passenger_km", "mean_wait_s", "mean_load", "max_load", "load_factor"]]  # fmt: skip

    line_km = np.bincount(leg_line, weights=km, minlength=len(lines))
    line_hours = np.bincount(leg_line, weights=hours, minlength=len(lines))
    cost = sum(line_hours[i] * line.cost_eur_per_vehicle_hour + line_km[i] * line.cost_eur_per_km
               for i, line in enumerate(lines))  # fmt: skip
    co2 = sum(line_km[i] * line.co2_kg_per_km for i, line in enumerate(lines))
    boarded = riders.boardings > 0
    n_riders = int(boarded.sum())
    revenue = float(fare[boarded].sum())
    arrived = riders.status == ARRIVED
    waits_arrived = riders.wait_s[arrived]
    place_km = float(legs["place_km"].sum())
    daily = {
        "boardings": int(riders.leg_boardings.sum()),
        "riders": n_riders,
        "arrived": int(arrived.sum()),
        "stranded": int((riders.status == STRANDED).sum()),
        "denied_boardings": int(riders.denied.sum()),
        "mean_wait_s": float(waits_arrived.mean()) if waits_arrived.size else math.nan,
        "p95_wait_s": float(np.percentile(waits_arrived, 95)) if waits_arrived.size else math.nan,
        "vehicle_km": float(km.sum()),
        "vehicle_hours": float(hours.sum()),
        "passenger_km": float(pkm.sum()),
        "load_factor": float(pkm.sum()) / place_km if place_km > 0 else math.nan,
        "max_load": int(riders.leg_load.max(initial=0)),
        "operating_cost_eur": float(cost),
        "fare_revenue_eur": revenue,
        "subsidy_per_trip_eur": (float(cost) - revenue) / n_riders if n_riders else math.nan,
        "co2_kg": float(co2),
    }
    return table, daily
