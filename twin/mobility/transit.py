"""Scheduled transit: lines, their timetable in traffic, the level of service riders see, and the riders' day.

Four steps, each a plain function over plain values:

1. :func:`build_lines` turns the scenario's ``services.transit`` section
   (:class:`~twin.scenario.services.TransitSpec`) into :class:`Line` objects: stops given as
   points are snapped to the nearest junction buses and pedestrians can use; a line drawn
   across an ``area`` runs along the area's longest axis; a GTFS feed is read by
   :mod:`twin.mobility.gtfs`.
2. :func:`build_timetable` lays out the day's runs (one vehicle trip along a whole line)
   from the headway bands, and splits each run into legs from one stop to the next, each
   with its car route, so the traffic engine can drive them as chained vehicle trips.
3. :func:`level_of_service` gives mode choice each trip's best transit path and its in-vehicle,
   walking and waiting times, by frequency-based routing on a small graph of the stops.
4. :func:`simulate_riders` plays the riders' day on the runs' actual times (walk, wait, board if
   there is room, ride, transfer, walk), and :func:`operator_table` sums up what the operator
   runs, carries, spends and earns.

Model
-----
- **Headways.** A line's ``headways`` are ``(from_s, headway_s)`` bands of clock time, each
  holding until the next; ``inf`` means no service. A service day starts at its first band
  and ends at 24:00, or, when the last band starts at 24:00 or later (night service written
  as 25:00), when the next service day's first band starts. Service days repeat daily, so a
  window of several days (or one that starts before midnight) gets every day's runs. Runs
  leave the first stop at the start of each band and every headway after it.
- **Running times.** A leg's planned time is the sum of its edges' link times in the hour
  bin of the leg's departure (free-flow by default, or the times the traffic engine
  experienced), and a vehicle stands ``dwell_s`` at each intermediate stop. In traffic a late
  bus leaves the next stop as soon as it arrives (no slack is recovered).
- **Level of service.** Riders know the headways, not the timetable: the expected wait at a
  boarding is half the headway in force when the trip departs (random arrivals), and
  in-vehicle times are those of the band's typical (median) run. A path minimises
  ``in_vehicle + walk_weight * walk + wait_weight * wait + transfer_penalty * transfers``
  with at least one ride; transfers happen only at the same junction. Walking uses the walk
  network's shortest distances, at most ``max_walk_m`` at each end.
- **Riders' day.** Riders board the first run that departs their stop after they get there
  and has room, first come first served per stop and line; riders left behind wait for the
  next run and count a denied boarding. A rider follows the path chosen at planning time
  even when a run is late or full (no re-routing on the way).
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyproj
import scipy.sparse
from numba import njit
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from twin._errors import ScenarioError
from twin.maps.routing import route

if TYPE_CHECKING:
    from twin.maps.network import StreetNetwork
    from twin.scenario.services import LineSpec, TransitSpec

__all__ = [
    "ARRIVED",
    "NO_PATH",
    "STRANDED",
    "SNAP_MAX_M",
    "Line",
    "RiderResult",
    "Timetable",
    "TransitLevelOfService",
    "TransitPaths",
    "build_lines",
    "build_timetable",
    "departures",
    "headway_at",
    "level_of_service",
    "operator_table",
    "simulate_riders",
    "snap_stops",
    "stop_junctions",
]

DAY_S = 86400.0

SNAP_MAX_M = 500.0
"""Farthest a stop may lie from a junction it can be at before it is taken for a mistake."""

#: Rider status codes of :attr:`RiderResult.status`.
ARRIVED, STRANDED, NO_PATH = 0, 1, 2

_BIN_S = 3600.0


# ---------------------------------------------------------------------- lines


@dataclass(frozen=True, slots=True)
class Line:
    """One direction of a scheduled line.

    Attributes
    ----------
    name
        ``"7"``, or ``"7 (return)"`` for the reverse direction.
    stop_nodes
        ``int64`` node positions (rows of ``network.nodes``) of the stops in order: at least
        two, no two consecutive ones equal.
    headways
        ``(from_s, headway_s)`` bands in time order; ``inf`` where there is no service (as
        :meth:`~twin.scenario.services.LineSpec.headways` returns).
    capacity
        Places per vehicle, seated and standing.
    dwell_s
        Time a vehicle stands at each intermediate stop.
    cost_eur_per_vehicle_hour, cost_eur_per_km, co2_kg_per_km
        Operating cost and emissions per vehicle-hour and vehicle-km.
    """

    name: str
    stop_nodes: np.ndarray
    headways: tuple[tuple[float, float], ...]
    capacity: int
    dwell_s: float
    cost_eur_per_vehicle_hour: float
    cost_eur_per_km: float
    co2_kg_per_km: float

    def __post_init__(self) -> None:
        stops = np.asarray(self.stop_nodes)
        if stops.ndim != 1 or stops.size < 2 or not np.issubdtype(stops.dtype, np.integer):
            raise ValueError(f"line {self.name!r}: `stop_nodes` must be at least two integer node positions")
        if (stops[1:] == stops[:-1]).any():
            raise ValueError(f"line {self.name!r}: two consecutive stops are the same node; drop the repeat")
        starts = [float(b[0]) for b in self.headways]
        if not starts or starts != sorted(starts):
            raise ValueError(f"line {self.name!r}: `headways` must be (from_s, headway_s) bands in time order")
        if not all(h > 0 for _, h in self.headways):
            raise ValueError(f"line {self.name!r}: headways must be positive seconds (inf for no service)")
        if self.capacity < 1 or not self.dwell_s >= 0:
            raise ValueError(f"line {self.name!r}: capacity must be at least 1 and dwell_s at least 0")

    def reversed(self) -> Line:
        """The same line run in the opposite direction, named ``"<name> (return)"``."""
        return Line(
            name=f"{self.name} (return)", stop_nodes=self.stop_nodes[::-1].copy(), headways=self.headways,
            capacity=self.capacity, dwell_s=self.dwell_s, cost_eur_per_vehicle_hour=self.cost_eur_per_vehicle_hour,
            cost_eur_per_km=self.cost_eur_per_km, co2_kg_per_km=self.co2_kg_per_km,
        )  # fmt: skip


def build_lines(
    spec: TransitSpec, network: StreetNetwork, *, where: str = "services.transit", service_date=None
) -> list[Line]:
    """Build the lines of a scenario's transit section on a network.

    Parameters
    ----------
    spec
        The ``services.transit`` section.
    network
        The street network the buses drive on.
    where
        Where the section is, for error messages (e.g. ``"city.yaml: services.transit"``).
    service_date
        The ``datetime.date`` whose services a GTFS feed runs (see :func:`twin.mobility.gtfs.read_gtfs`);
        by default the feed's busiest weekday.

    Returns
    -------
    list of Line
        The listed lines in order, each followed by its return direction when
        ``bidirectional``, then the lines of the GTFS feed.

    Raises
    ------
    ScenarioError
        If a stop lies more than :data:`SNAP_MAX_M` from any junction it can be at (naming the
        line and the stop), a line's stops all snap to one junction, an area holds fewer than
        two such junctions, or the feed is unreadable.
    """
    lines: list[Line] = []
    for i, line_spec in enumerate(spec.lines):
        at = f"{where}.lines.{i}"
        if line_spec.area is not None:
            stops = _area_stops(line_spec, network, where=at)
        else:
            stops = _point_stops(line_spec, network, where=at)
        line = Line(
            name=line_spec.name, stop_nodes=stops, headways=tuple(line_spec.headways()),
            capacity=int(line_spec.capacity), dwell_s=float(line_spec.dwell_s),
            cost_eur_per_vehicle_hour=float(line_spec.cost_eur_per_vehicle_hour),
            cost_eur_per_km=float(line_spec.cost_eur_per_km), co2_kg_per_km=float(line_spec.co2_kg_per_km),
        )  # fmt: skip
        lines.append(line)
        if line_spec.bidirectional:
            lines.append(line.reversed())
    if spec.gtfs is not None:
        from twin.mobility.gtfs import read_gtfs

        fed = read_gtfs(spec.gtfs, network, where=f"{where}.gtfs", service_date=service_date)
        taken = {line.name for line in lines}
        for line in fed:
            if line.name in taken:
                raise ScenarioError(
                    f"{where}.gtfs: the feed has a line named {line.name!r}, like one of {where}.lines; "
                    "rename the listed line"
                )
        lines.extend(fed)
    return lines


def stop_junctions(network: StreetNetwork) -> np.ndarray:
    """Junctions a stop may be at: those cars can use and riders can walk to.

    A stop riders cannot walk to would serve no one; a network without such junctions falls
    back to those cars can use.
    """
    car = network.mode_nodes("car")
    both = np.intersect1d(car, network.mode_nodes("walk"))
    return both if both.size else car


def snap_stops(xy_m: np.ndarray, network: StreetNetwork) -> tuple[np.ndarray, np.ndarray]:
    """Snap points to the nearest junction cars can use and riders can walk to (:func:`stop_junctions`).

    Parameters
    ----------
    xy_m
        ``(n, 2)`` coordinates in the network's CRS.
    network
        The street network.

    Returns
    -------
    nodes, distance_m
        ``int64`` node positions and the distance to each, ``inf`` for a non-finite point.
    """
    xy = np.asarray(xy_m, dtype=np.float64).reshape(-1, 2)
    car = stop_junctions(network)
    coords = np.column_stack([network.nodes["x"].to_numpy(dtype=float), network.nodes["y"].to_numpy(dtype=float)])
    finite = np.isfinite(xy).all(axis=1)
    distance = np.full(xy.shape[0], np.inf)
    nodes = np.zeros(xy.shape[0], dtype=np.int64)
    if car.size and finite.any():
        d, k = cKDTree(coords[car]).query(xy[finite])
        distance[finite] = d
        nodes[finite] = car[k]
    return nodes, distance


def _project(points, crs: str, network: StreetNetwork) -> np.ndarray:
    xy = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    transformer = pyproj.Transformer.from_crs(crs, network.crs, always_xy=True)
    with np.errstate(invalid="ignore"):
        x, y = transformer.transform(xy[:, 0], xy[:, 1], errcheck=False)
    return np.column_stack([x, y])


def _km(distance_m: float) -> str:
    if not np.isfinite(distance_m):
        return "far"
    return f"{distance_m / 1000:.1f} km" if distance_m >= 1000 else f"{distance_m:.0f} m"


def _point_stops(spec: LineSpec, network: StreetNetwork, *, where: str) -> np.ndarray:
    crs = spec.crs or "EPSG:4326"
    nodes, distance = snap_stops(_project(spec.stops, crs, network), network)
    far = distance > SNAP_MAX_M
    if far.any():
        k = int(np.argmax(far))
        _, swapped = snap_stops(_project([spec.stops[k][::-1]], crs, network), network)
        if swapped[0] <= SNAP_MAX_M:
            hint = "check the lon/lat order: x (longitude, east) comes first"
        else:
            hint = f"check the coordinates and the line's crs ({crs})"
        raise ScenarioError(
            f"{where}.stops.{k}: the stop of line {spec.name!r} is {_km(distance[k])} from the nearest "
            f"street buses and pedestrians can use (at most {SNAP_MAX_M:.0f} m); {hint}"
        )
    stops = _drop_repeats(nodes)
    if stops.size < 2:
        raise ScenarioError(
            f"{where}.stops: all stops of line {spec.name!r} snap to the same junction; place them farther apart"
        )
    return stops


def _drop_repeats(nodes: np.ndarray) -> np.ndarray:
    nodes = np.asarray(nodes, dtype=np.int64)
    keep = np.ones(nodes.size, dtype=bool)
    keep[1:] = nodes[1:] != nodes[:-1]
    return nodes[keep]


def _area_stops(spec: LineSpec, network: StreetNetwork, *, where: str) -> np.ndarray:
    """A trunk line across the area: between the car junctions farthest apart along its
    principal axis, by the fastest car route on the area's streets (anywhere if they do not
    connect the ends), with a stop about every ``stop_spacing_m``."""
    inside = spec.area.nodes_inside(network, where=f"{where}.area")
    usable = stop_junctions(network)
    nodes = usable[inside[usable]]
    if nodes.size < 2:
        raise ScenarioError(
            f"{where}.area: the {spec.area.describe()} holds {nodes.size} junction(s) buses and pedestrians can use; "
            "a line needs two or more: enlarge the area"
        )
    xy = np.column_stack([network.nodes["x"].to_numpy(dtype=float)[nodes],
                          network.nodes["y"].to_numpy(dtype=float)[nodes]])  # fmt: skip
    centred = xy - xy.mean(axis=0)
    axis = np.linalg.svd(centred, full_matrices=False)[2][0]
    along = centred @ axis
    first, last = nodes[np.argmin(along)], nodes[np.argmax(along)]
    if first == last:
        raise ScenarioError(f"{where}.area: the junctions inside all lie at one point; enlarge the area")
    # Keep to the area's streets where they connect the ends (a faster road outside would
    # make the fastest path leave it); otherwise take the fastest path anywhere.
    u, v = network.edges["u"].to_numpy(), network.edges["v"].to_numpy()
    freeflow = network.edges["freeflow_s"].to_numpy(dtype=np.float64)
    path = route(network, [first], [last], mode="car", weight=np.where(inside[u] & inside[v], freeflow, np.inf))
    if not path.reachable[0]:
        path = route(network, [first], [last], mode="car", weight=freeflow)
    if not path.reachable[0]:
        raise ScenarioError(f"{where}.area: cars cannot drive from one end of the area to the other; "
                            "draw the area around connected streets")  # fmt: skip
    edges = path.path(0)
    route_nodes = np.append(network.edges["u"].to_numpy()[edges], network.edges["v"].to_numpy()[edges[-1]])
    at_m = np.concatenate([[0.0], np.cumsum(network.edges["length_m"].to_numpy(dtype=float)[edges])])
    n_gaps = max(1, round(at_m[-1] / spec.stop_spacing_m))
    targets = np.linspace(0.0, at_m[-1], n_gaps + 1)
    # The route node nearest each target distance: the one before or after it.
    after = np.clip(np.searchsorted(at_m, targets), 1, at_m.size - 1)
    nearer_before = targets - at_m[after - 1] <= at_m[after] - targets
    picks = np.where(nearer_before, after - 1, after)
    return _drop_repeats(route_nodes[picks])


# ---------------------------------------------------------------------- headways


def _service_intervals(line: Line, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Absolute ``(start_s, end_s, headway_s)`` of the line's served bands that overlap ``[t0, t1]``."""
    from_s = np.array([b[0] for b in line.headways], dtype=np.float64)
    headway = np.array([b[1] for b in line.headways], dtype=np.float64)
    last_end = max(from_s[0] + DAY_S if from_s[-1] >= DAY_S else DAY_S, from_s[-1])
    ends = np.append(from_s[1:], last_end)
    served = np.isfinite(headway) & (ends > from_s)
    from_s, ends, headway = from_s[served], ends[served], headway[served]
    if not from_s.size or not (np.isfinite(t0) and np.isfinite(t1)):
        return np.empty(0), np.empty(0), np.empty(0)
    days = np.arange(math.floor(t0 / DAY_S) - 2, math.floor(t1 / DAY_S) + 1) * DAY_S
    starts = (days[:, None] + from_s[None, :]).ravel()
    stops = (days[:, None] + ends[None, :]).ravel()
    heads = np.tile(headway, days.size)
    keep = (stops > t0) & (starts <= t1)
    return starts[keep], stops[keep], heads[keep]


def departures(line: Line, start_s: float, end_s: float) -> np.ndarray:
    """Times the line's runs leave the first stop in ``[start_s, end_s)``, sorted.

    Each served band's runs leave at its start and every headway after it, while before the
    band's end (see the module notes for service days).
    """
    starts, ends, heads = _service_intervals(line, start_s, end_s)
    times = []
    for a, b, h in zip(starts, ends, heads):
        n = math.ceil((b - a) / h - 1e-9)
        times.append(a + h * np.arange(n))
    out = np.concatenate(times) if times else np.empty(0)
    return np.unique(out[(out >= start_s) & (out < end_s)])


def headway_at(line: Line, t_s) -> np.ndarray:
    """The headway in force at each time (``inf`` where the line does not run)."""
    t = np.atleast_1d(np.asarray(t_s, dtype=np.float64))
    out = np.full(t.shape, np.inf)
    if not t.size or not np.isfinite(t).any():
        return out
    finite = t[np.isfinite(t)]
    starts, ends, heads = _service_intervals(line, float(finite.min()), float(finite.max()))
    for a, b, h in zip(starts, ends, heads):
        inside = (t >= a) & (t < b)
        out[inside] = np.minimum(out[inside], h)
    return out


# ---------------------------------------------------------------------- timetable


@dataclass(frozen=True, slots=True)
class Timetable:
    """The runs of a day and their legs, planned.

    A run is one vehicle trip along a whole line; a leg is the part of a run from stop ``k``
    to stop ``k + 1``. Legs are ordered by run, then along the line; runs by line, then by
    departure. Load the legs into :class:`twin.engine.traffic.TrafficEngine` with
    ``depart_s``, ``route_offsets``, ``route_edges`` and ``prev_trip=prev_leg``.

    Attributes
    ----------
    lines
        The lines, indexed by ``run_line``.
    run_line
        ``int32`` line of each run.
    run_start_s
        ``float64`` planned departure of each run from its first stop.
    leg_run
        ``int64`` run of each leg.
    leg_stop
        ``int32`` index along the line of the stop the leg leaves.
    depart_s, arrive_s
        ``float64`` planned departure from stop ``k`` and arrival at stop ``k + 1``.
    length_m
        ``float64`` length of the leg's route.
    prev_leg
        ``int64`` previous leg of the same run, -1 for a run's first leg.
    route_offsets, route_edges
        The car edges of each leg, CSR style as in :class:`twin.maps.routing.Routes`.
    """

    lines: tuple[Line, ...]
    run_line: np.ndarray
    run_start_s: np.ndarray
    leg_run: np.ndarray
    leg_stop: np.ndarray
    depart_s: np.ndarray
    arrive_s: np.ndarray
    length_m: np.ndarray
    prev_leg: np.ndarray
    route_offsets: np.ndarray
    route_edges: np.ndarray

    @property
    def n_runs(self) -> int:
        """Number of runs."""
        return int(self.run_line.size)

    @property
    def n_legs(self) -> int:
        """Number of legs."""
        return int(self.leg_run.size)

    @property
    def leg_line(self) -> np.ndarray:
        """``int32`` line of each leg."""
        return self.run_line[self.leg_run]

    @property
    def run_first_leg(self) -> np.ndarray:
        """``int64`` first leg of each run (its legs are consecutive)."""
        n_legs = np.array([line.stop_nodes.size - 1 for line in self.lines], dtype=np.int64)
        first = np.zeros(self.n_runs, dtype=np.int64)
        if self.n_runs:
            np.cumsum(n_legs[self.run_line][:-1], out=first[1:])
        return first


def build_timetable(
    lines,
    network: StreetNetwork,
    *,
    start_s: float,
    end_s: float,
    car_weight: str | np.ndarray = "freeflow_s",
    link_times_s: np.ndarray | None = None,
    bin_s: float = _BIN_S,
    where: str = "services.transit",
) -> Timetable:
    """Lay out the runs of all lines between two times, with planned times and car routes.

    Parameters
    ----------
    lines
        The lines (from :func:`build_lines`).
    network
        The street network.
    start_s, end_s
        Runs leaving their first stop in ``[start_s, end_s)`` are planned.
    car_weight
        What buses route on between stops: an edge column or one weight per edge, as
        :func:`twin.population.choice.car_route_weight` returns.
    link_times_s
        ``(n_edges, n_bins)`` link times by time bin of entry, as
        :meth:`twin.engine.traffic.TrafficEngine.experienced_times` returns; ``None`` for
        free-flow times. A leg's time is read in the bin of its departure (clipped).
    bin_s
        Width of the bins of ``link_times_s``.
    where
        Where the lines come from, for error messages.

    Returns
    -------
    Timetable

    Raises
    ------
    ScenarioError
        If cars cannot drive from a stop to the next.
    ValueError
        If the window or ``link_times_s`` is malformed.
    """
    lines = tuple(lines)
    start_s, end_s = float(start_s), float(end_s)
    if not (np.isfinite(start_s) and np.isfinite(end_s) and end_s >= start_s):
        raise ValueError(f"the window [{start_s}, {end_s}) must be finite and not end before it starts")
    if link_times_s is None:
        times = network.edges["freeflow_s"].to_numpy(dtype=np.float64)[:, None]
    else:
        times = np.asarray(link_times_s, dtype=np.float64)
        if times.ndim != 2 or times.shape[0] != network.n_edges or times.shape[1] < 1:
            raise ValueError(
                f"`link_times_s` must have shape (n_edges, n_bins) = ({network.n_edges}, n_bins), not {times.shape}"
            )
        if not (np.isfinite(times) & (times >= 0)).all():
            raise ValueError("`link_times_s` must be finite and >= 0")
    n_bins = times.shape[1]

    # One car route per stop-to-stop segment of each line, shared by all its runs.
    seg_start = np.zeros(len(lines) + 1, dtype=np.int64)
    np.cumsum([line.stop_nodes.size - 1 for line in lines], out=seg_start[1:])
    if lines:
        origins = np.concatenate([line.stop_nodes[:-1] for line in lines]).astype(np.int64)
        dests = np.concatenate([line.stop_nodes[1:] for line in lines]).astype(np.int64)
    else:
        origins = dests = np.empty(0, dtype=np.int64)
    routes = route(network, origins, dests, mode="car", weight=car_weight)
    if not routes.reachable.all():
        seg = int(np.argmin(routes.reachable))
        li = int(np.searchsorted(seg_start, seg, side="right") - 1)
        k = seg - int(seg_start[li])
        raise ScenarioError(
            f"{where}: line {lines[li].name!r} cannot drive from stop {k} to stop {k + 1} (no car route); "
            "move the stop to a street cars can use"
        )
    length = network.edges["length_m"].to_numpy(dtype=np.float64)
    edge_cum = np.concatenate([[0.0], np.cumsum(length[routes.edges])])
    seg_length = edge_cum[routes.offsets[1:]] - edge_cum[routes.offsets[:-1]]
    time_cum = np.vstack([np.zeros((1, n_bins)), np.cumsum(times[routes.edges], axis=0)])
    seg_time = time_cum[routes.offsets[1:]] - time_cum[routes.offsets[:-1]]  # (n_segments, n_bins)

    run_line, run_start = [], []
    for li, line in enumerate(lines):
        starts = departures(line, start_s, end_s)
        run_line.append(np.full(starts.size, li, dtype=np.int32))
        run_start.append(starts)
    run_line = np.concatenate(run_line) if lines else np.empty(0, np.int32)
    run_start = np.concatenate(run_start) if lines else np.empty(0)

    n_legs_of_line = np.diff(seg_start)
    run_n_legs = n_legs_of_line[run_line] if run_line.size else np.empty(0, np.int64)
    first_leg = np.concatenate([[0], np.cumsum(run_n_legs)]).astype(np.int64)
    n_legs = int(first_leg[-1])
    leg_run = np.repeat(np.arange(run_line.size, dtype=np.int64), run_n_legs)
    leg_stop = (np.arange(n_legs) - first_leg[:-1][leg_run]).astype(np.int32)
    leg_seg = seg_start[run_line[leg_run]] + leg_stop if n_legs else np.empty(0, np.int64)
    dwell = np.array([line.dwell_s for line in lines], dtype=np.float64)

    depart = np.empty(n_legs)
    arrive = np.empty(n_legs)
    # Vectorised over runs, one step along the lines at a time (legs k of all runs at once).
    clock = run_start.copy()
    for k in range(int(n_legs_of_line.max(initial=0))):
        going = run_n_legs > k
        legs = first_leg[:-1][going] + k
        t = clock[going]
        b = np.clip(np.floor(t / bin_s), 0, n_bins - 1).astype(np.int64)
        depart[legs] = t
        arrive[legs] = t + seg_time[leg_seg[legs], b]
        clock[going] = arrive[legs] + dwell[run_line[going]]
    prev_leg = np.arange(n_legs, dtype=np.int64) - 1
    prev_leg[leg_stop == 0] = -1

    hops = np.diff(routes.offsets)[leg_seg]
    route_offsets = np.concatenate([[0], np.cumsum(hops)]).astype(np.int64)
    # Gather each leg's segment edges: position p of leg g reads routes.edges[offsets[seg] + p].
    within = np.arange(int(route_offsets[-1])) - np.repeat(route_offsets[:-1], hops)
    route_edges = routes.edges[np.repeat(routes.offsets[:-1][leg_seg], hops) + within].astype(np.int64)
    return Timetable(
        lines=lines, run_line=run_line.astype(np.int32), run_start_s=run_start.astype(np.float64),
        leg_run=leg_run, leg_stop=leg_stop, depart_s=depart, arrive_s=arrive,
        length_m=seg_length[leg_seg] if n_legs else np.empty(0), prev_leg=prev_leg,
        route_offsets=route_offsets, route_edges=route_edges,
    )  # fmt: skip


# ---------------------------------------------------------------------- level of service


@dataclass(frozen=True, slots=True)
class TransitPaths:
    """The transit path of each trip: walk to a stop, one or more rides, walk on.

    The rides of trip ``i`` are ``ride_*[offsets[i]:offsets[i + 1]]`` in order; a trip
    without rides has no transit path.

    Attributes
    ----------
    access_walk_s, egress_walk_s
        ``float64`` walking time to the first stop and from the last one (``inf`` if none).
    offsets
        ``int64``, ``n_trips + 1``.
    ride_line
        ``int32`` line (index into ``timetable.lines``) of each ride.
    ride_board, ride_alight
        ``int32`` indices along the line of the stops where the rider boards and alights
        (``ride_alight > ride_board``).
    """

    access_walk_s: np.ndarray
    egress_walk_s: np.ndarray
    offsets: np.ndarray
    ride_line: np.ndarray
    ride_board: np.ndarray
    ride_alight: np.ndarray

    @property
    def n_rides(self) -> np.ndarray:
        """Number of rides of each trip (0: no transit path)."""
        return np.diff(self.offsets)


@dataclass(frozen=True, slots=True)
class TransitLevelOfService:
    """What each trip's best transit path offers, for mode choice.

    Attributes
    ----------
    in_vehicle_s, walk_s, wait_s
        ``float64`` expected times of the path (walk: both ends); ``inf`` where there is none.
    distance_m
        ``float64`` metres ridden in vehicles; ``inf`` where there is no path.
    boardings
        ``int64`` rides of the path (transfers + 1; 0 where there is no path).
    paths
        The paths themselves, for :func:`simulate_riders`.
    """

    in_vehicle_s: np.ndarray
    walk_s: np.ndarray
    wait_s: np.ndarray
    distance_m: np.ndarray
    boardings: np.ndarray
    paths: TransitPaths


def level_of_service(
    timetable: Timetable,
    network: StreetNetwork,
    origins,
    dests,
    depart_s,
    *,
    walk_speed_mps: float = 1.3,
    max_walk_m: float = 800.0,
    walk_time_weight: float = 2.0,
    wait_time_weight: float = 2.0,
    transfer_penalty_s: float = 300.0,
) -> TransitLevelOfService:
    """Find each trip's best transit path and its expected times.

    Frequency-based routing, as in classic transit assignment (see the module notes): for
    each period in which the set of headways in force is constant, a shortest-path search
    on a graph of stops and line-stops gives the generalised cost between every pair of
    stops; walking distances to and from the stops come from the walk network; a compiled
    kernel then picks, for each trip, the pair of stops that minimises the total.

    Parameters
    ----------
    timetable
        The planned timetable (its runs give the in-vehicle times and say when lines run).
    network
        The street network.
    origins, dests
        Node positions (rows of ``network.nodes``) of each trip's ends.
    depart_s
        Departure time of each trip (or one for all); picks the headways in force.
    walk_speed_mps
        Walking speed.
    max_walk_m
        Longest walk to the first stop and from the last one.
    walk_time_weight, wait_time_weight
        How much a second of walking and of waiting weighs against one in a vehicle.
    transfer_penalty_s
        Generalised cost of each transfer, in in-vehicle seconds (not added to the times).

    Returns
    -------
    TransitLevelOfService
        Times are ``inf`` and there are no rides where no stop is within walking distance
        or no line runs.
    """
    n_nodes = network.n_nodes
    orig = _node_array(origins, "origins", n_nodes)
    dest = _node_array(dests, "dests", n_nodes)
    if orig.size != dest.size:
        raise ValueError(f"`origins` and `dests` must be of equal length, not {orig.size} and {dest.size}")
    n = orig.size
    depart = np.broadcast_to(np.asarray(depart_s, dtype=np.float64), (n,)).copy()
    if not np.isfinite(depart).all():
        raise ValueError("`depart_s` must be finite")
    for name, value in (("walk_speed_mps", walk_speed_mps), ("max_walk_m", max_walk_m)):
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"`{name}` must be a positive number, not {value}")
    for name, value in (("walk_time_weight", walk_time_weight), ("wait_time_weight", wait_time_weight),
                        ("transfer_penalty_s", transfer_penalty_s)):  # fmt: skip
        if not (np.isfinite(value) and value >= 0):
            raise ValueError(f"`{name}` must be a number >= 0, not {value}")

    access = np.full(n, np.inf)
    egress = np.full(n, np.inf)
    in_vehicle = np.full(n, np.inf)
    wait = np.full(n, np.inf)
    distance = np.full(n, np.inf)
    boardings = np.zeros(n, dtype=np.int64)
    trip_rides: list[tuple] = []  # per service period: its trips and their rides
    lines = timetable.lines
    if n == 0 or not lines or timetable.n_runs == 0:
        return _los(access, egress, in_vehicle, wait, distance, boardings, [], n)

    layout = _StopLayout.of(lines)
    uniq_o, o_index = np.unique(orig, return_inverse=True)
    uniq_d, d_index = np.unique(dest, return_inverse=True)
    walk = _walk_matrix(network)
    acc = _walk_reach(walk.T.tocsr(), layout.stations, uniq_o, max_walk_m)
    egr = _walk_reach(walk, layout.stations, uniq_d, max_walk_m)
    walk_cost_per_m = walk_time_weight / walk_speed_mps

    # Periods in which the headways in force are constant: cut at every band edge of every line.
    t0, t1 = float(depart.min()), float(depart.max())
    cuts = np.unique(np.concatenate([np.concatenate(_service_intervals(line, t0, t1)[:2]) for line in lines]))
    period = np.searchsorted(cuts, depart, side="right")
    order = np.argsort(period, kind="stable")
    bounds = np.flatnonzero(np.diff(period[order])) + 1
    bands: dict[tuple, list[np.ndarray]] = {}
    for trips in np.split(order, bounds):
        bands.setdefault(_service_key(timetable, depart[trips[0]]), []).append(trips)
    # Bands that offer the same service (headways and running times) are searched once.
    groups: dict[bytes, tuple[_Service, list[np.ndarray]]] = {}
    for key, chunks in bands.items():
        service = _period_service(timetable, layout, key)
        if service is not None:
            same = service.half_wait.tobytes() + service.leg_s.tobytes()
            groups.setdefault(same, (service, []))[1].extend(chunks)

    for service, chunks in groups.values():
        trips = np.concatenate(chunks)
        graph = _stop_graph(layout, service, wait_time_weight, transfer_penalty_s)
        ivt, wt, length, boards, last_board, last_alight = _stop_to_stop(graph, layout, service)
        cost = ivt + wait_time_weight * wt + transfer_penalty_s * np.maximum(boards - 1, 0)
        best_s, best_t, a_m, e_m = _combine(
            o_index[trips], d_index[trips], acc[0], acc[1], acc[2], egr[0], egr[1], egr[2], cost, walk_cost_per_m
        )
        found = best_s >= 0
        trips, best_s, best_t = trips[found], best_s[found], best_t[found]
        access[trips] = a_m[found] / walk_speed_mps
        egress[trips] = e_m[found] / walk_speed_mps
        in_vehicle[trips] = ivt[best_s, best_t]
        wait[trips] = wt[best_s, best_t]
        distance[trips] = length[best_s, best_t]
        boardings[trips] = boards[best_s, best_t]
        # Rides of each stop pair used, recovered once per pair.
        pair_key = best_s.astype(np.int64) * layout.n_stations + best_t
        pairs, pair_of_trip = np.unique(pair_key, return_inverse=True)
        ps, pt = pairs // layout.n_stations, pairs % layout.n_stations
        pair_count = boards[ps, pt].astype(np.int64)
        pair_offsets = np.concatenate([[0], np.cumsum(pair_count)]).astype(np.int64)
        ride_ls_board, ride_ls_alight = _pair_rides(last_board, last_alight, layout.station, ps, pt, pair_offsets)
        trip_rides.append((trips, pair_of_trip, pair_offsets, ride_ls_board, ride_ls_alight))
    return _los(access, egress, in_vehicle, wait, distance, boardings, trip_rides, n, layout)


def _los(access, egress, in_vehicle, wait, distance, boardings, trip_rides, n, layout=None) -> TransitLevelOfService:
    """Assemble the result; scatter each period's rides to the trips' places in the CSR arrays."""
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(boardings, out=offsets[1:])
    ride_line = np.empty(int(offsets[-1]), dtype=np.int32)
    ride_board = np.empty_like(ride_line)
    ride_alight = np.empty_like(ride_line)
    for trips, pair_of_trip, pair_offsets, ls_board, ls_alight in trip_rides:
        count = boardings[trips]
        source = np.repeat(pair_offsets[pair_of_trip], count) + _ranks(count)
        target = np.repeat(offsets[trips], count) + _ranks(count)
        ride_line[target] = layout.line[ls_board[source]]
        ride_board[target] = layout.stop[ls_board[source]]
        ride_alight[target] = layout.stop[ls_alight[source]]
    paths = TransitPaths(access_walk_s=access, egress_walk_s=egress, offsets=offsets, ride_line=ride_line,
                         ride_board=ride_board, ride_alight=ride_alight)  # fmt: skip
    return TransitLevelOfService(in_vehicle_s=in_vehicle, walk_s=access + egress, wait_s=wait, distance_m=distance,
                                 boardings=boardings, paths=paths)  # fmt: skip


def _ranks(count: np.ndarray) -> np.ndarray:
    """0, 1, ..., count[0] - 1, 0, 1, ..., count[1] - 1, ..."""
    total = int(count.sum())
    starts = np.repeat(np.cumsum(count) - count, count)
    return np.arange(total, dtype=np.int64) - starts


def _node_array(values, name: str, n_nodes: int) -> np.ndarray:
    array = np.asarray(values).reshape(-1)
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"`{name}` must hold integer node positions (rows of network.nodes), not {array.dtype}")
    array = array.astype(np.int64, copy=False)
    bad = (array < 0) | (array >= n_nodes)
    if bad.any():
        raise ValueError(f"`{name}` holds node position {array[np.argmax(bad)]}, out of range for {n_nodes} nodes")
    return array


@dataclass(frozen=True, slots=True)
class _StopLayout:
    """Numbering of stations (distinct stop junctions) and line-stops (a line at one of its stops)."""

    stations: np.ndarray  # int64 node of each station
    station: np.ndarray  # int64 station of each line-stop
    line: np.ndarray  # int32 line of each line-stop
    stop: np.ndarray  # int32 index along its line
    line_start: np.ndarray  # int64 first line-stop of each line, n_lines + 1

    @classmethod
    def of(cls, lines) -> _StopLayout:
        sizes = np.array([line.stop_nodes.size for line in lines], dtype=np.int64)
        line_start = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        nodes = np.concatenate([line.stop_nodes for line in lines]).astype(np.int64)
        stations, station = np.unique(nodes, return_inverse=True)
        line = np.repeat(np.arange(len(lines), dtype=np.int32), sizes)
        stop = (np.arange(nodes.size) - line_start[line]).astype(np.int32)
        return cls(stations=stations, station=station.astype(np.int64), line=line, stop=stop, line_start=line_start)

    @property
    def n_stations(self) -> int:
        return int(self.stations.size)

    @property
    def n_line_stops(self) -> int:
        return int(self.station.size)


@dataclass(frozen=True, slots=True)
class _Service:
    """What runs in one period, per line-stop ``j`` (the leg from stop k to k + 1 is at ``j``)."""

    half_wait: np.ndarray  # float64, half the headway at each line-stop; inf where the line is idle
    leg_s: np.ndarray  # float64 planned leg time from the line-stop to the next
    leg_m: np.ndarray  # float64 leg length
    dwell_s: np.ndarray  # float64 dwell of the line at each line-stop


def _service_key(timetable: Timetable, t: float) -> tuple:
    """The band in force on each line at ``t``: ``(headway, band start, band end)``, or None."""
    key = []
    for line in timetable.lines:
        starts, ends, heads = _service_intervals(line, t, t)
        inside = (starts <= t) & (t < ends)
        if inside.any():
            i = int(np.flatnonzero(inside)[np.argmin(heads[inside])])
            key.append((float(heads[i]), float(starts[i]), float(ends[i])))
        else:
            key.append(None)
    return tuple(key)


def _period_service(timetable: Timetable, layout: _StopLayout, key: tuple) -> _Service | None:
    """Half headways and the typical (median) run's leg times of the lines running in a band."""
    n_ls = layout.n_line_stops
    half_wait = np.full(n_ls, np.inf)
    leg_s = np.zeros(n_ls)
    leg_m = np.zeros(n_ls)
    dwell = np.zeros(n_ls)
    first_leg = timetable.run_first_leg
    running = False
    for li, (line, band) in enumerate(zip(timetable.lines, key)):
        lo, hi = layout.line_start[li], layout.line_start[li + 1]
        dwell[lo:hi] = line.dwell_s
        runs = np.flatnonzero(timetable.run_line == li)
        if band is not None:
            headway, a, b = band
            runs = runs[(timetable.run_start_s[runs] >= a) & (timetable.run_start_s[runs] < b)]
        if band is None or not runs.size:
            continue
        legs = first_leg[runs][:, None] + np.arange(hi - lo - 1)[None, :]
        leg_s[lo : hi - 1] = np.median(timetable.arrive_s[legs] - timetable.depart_s[legs], axis=0)
        leg_m[lo : hi - 1] = timetable.length_m[legs[0]]
        half_wait[lo : hi - 1] = headway / 2.0
        running = True
    if not running:
        return None
    return _Service(half_wait=half_wait, leg_s=leg_s, leg_m=leg_m, dwell_s=dwell)


def _stop_graph(layout: _StopLayout, service: _Service, wait_weight: float, penalty_s: float):
    """The route-stop graph of a period, as CSR arrays ``(indptr, heads, weights)``.

    Nodes: stations ``0..S-1``, then a departure node ``S + j`` and an arrival node
    ``S + J + j`` per line-stop ``j``. Edges: board (station -> departure, weighted wait plus
    the transfer penalty, so a path pays one penalty per ride), ride (departure ``j`` ->
    arrival ``j + 1``), stay aboard (arrival -> departure at the same stop, the dwell) and
    alight (arrival -> station, free).
    """
    s_count, j_count = layout.n_stations, layout.n_line_stops
    j = np.arange(j_count)
    not_last = np.ones(j_count, dtype=bool)
    not_last[layout.line_start[1:] - 1] = False
    not_first = np.ones(j_count, dtype=bool)
    not_first[layout.line_start[:-1]] = False
    board = not_last & np.isfinite(service.half_wait)
    stay = not_last & not_first
    tails = np.concatenate([layout.station[board], s_count + j[not_last], s_count + j_count + j[stay],
                            s_count + j_count + j[not_first]])  # fmt: skip
    heads = np.concatenate([s_count + j[board], s_count + j_count + j[not_last] + 1, s_count + j[stay],
                            layout.station[not_first]])  # fmt: skip
    weights = np.concatenate([wait_weight * service.half_wait[board] + penalty_s, service.leg_s[not_last],
                              service.dwell_s[stay], np.zeros(int(not_first.sum()))])  # fmt: skip
    size = s_count + 2 * j_count
    order = np.argsort(tails, kind="stable")
    indptr = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(tails, minlength=size), out=indptr[1:])
    return indptr, heads[order].astype(np.int64), weights[order]


def _walk_matrix(network: StreetNetwork):
    """Walk network as a CSR matrix of metres, the shortest of parallel edges kept."""
    graph = network.graph("walk")
    tails = graph.tails.astype(np.int64)
    heads = graph.heads.astype(np.int64)
    w = network.edges["length_m"].to_numpy(dtype=np.float64)[graph.edge_ids]
    keep = tails != heads
    tails, heads, w = tails[keep], heads[keep], w[keep]
    order = np.lexsort((w, heads, tails))
    tails, heads, w = tails[order], heads[order], w[order]
    first = np.ones(tails.size, dtype=bool)
    first[1:] = (tails[1:] != tails[:-1]) | (heads[1:] != heads[:-1])
    # SciPy's csgraph may take an explicit zero for a missing edge; a zero-length edge gets
    # a negligible positive length instead.
    w = np.where(w[first] > 0, w[first], 1e-6)
    n = network.n_nodes
    return scipy.sparse.csr_array((w, (tails[first], heads[first])), shape=(n, n))


def _walk_reach(matrix, stations: np.ndarray, targets: np.ndarray, max_m: float):
    """Stations within ``max_m`` of each target node: CSR ``(offsets, station, metres)`` over
    targets, nearest first.

    Searches run from the stations (on the transposed matrix for walks towards them), in
    chunks so that memory stays bounded on large networks.
    """
    chunk = max(1, int(2**23 // max(matrix.shape[0], 1)))  # 64 MiB of distances
    pieces_t, pieces_s, pieces_m = [], [], []
    for lo in range(0, stations.size, chunk):
        dist = dijkstra(matrix, directed=True, indices=stations[lo : lo + chunk], limit=max_m)[:, targets]
        s, t = np.nonzero(np.isfinite(dist))
        pieces_t.append(t)
        pieces_s.append(s + lo)
        pieces_m.append(dist[s, t])
    t = np.concatenate(pieces_t)
    s = np.concatenate(pieces_s)
    m = np.concatenate(pieces_m)
    order = np.argsort(t, kind="stable")
    offsets = np.zeros(targets.size + 1, dtype=np.int64)
    np.cumsum(np.bincount(t, minlength=targets.size), out=offsets[1:])
    s, m = s[order].astype(np.int64), m[order]
    _nearest_first(offsets, s, m)
    return offsets, s, m


@njit(cache=True)
def _nearest_first(offsets, station, metres):
    """Sort each target's stations by walking distance, in place (the segments are short)."""
    for i in range(offsets.size - 1):
        lo, hi = offsets[i], offsets[i + 1]
        order = np.argsort(metres[lo:hi], kind="mergesort")
        station[lo:hi] = station[lo:hi][order]
        metres[lo:hi] = metres[lo:hi][order]


def _stop_to_stop(graph, layout: _StopLayout, service: _Service):
    """Components of the cheapest path between every two stations.

    Returns ``(S, S)`` arrays: in-vehicle seconds, wait seconds, metres in vehicles,
    boardings, and the line-stops where the path's last ride boards and alights (-1).
    """
    n_st = layout.n_stations
    out = (np.full((n_st, n_st), np.inf), np.full((n_st, n_st), np.inf), np.full((n_st, n_st), np.inf),
           np.zeros((n_st, n_st), np.int64), np.full((n_st, n_st), -1, np.int64),
           np.full((n_st, n_st), -1, np.int64))  # fmt: skip
    indptr, heads, weights = graph
    _stop_searches(indptr, heads, weights, n_st, service.half_wait, service.leg_s, service.leg_m,
                   service.dwell_s, *out)  # fmt: skip
    return out


@njit(cache=True)
def _heap_push(heap_d, heap_v, size, d, v):
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if heap_d[parent] <= d:
            break
        heap_d[i] = heap_d[parent]
        heap_v[i] = heap_v[parent]
        i = parent
    heap_d[i] = d
    heap_v[i] = v
    return size + 1


@njit(cache=True)
def _heap_pop(heap_d, heap_v, size):
    """Remove the smallest entry (returned as ``d, v, new size``)."""
    d, v = heap_d[0], heap_v[0]
    size -= 1
    last_d, last_v = heap_d[size], heap_v[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and heap_d[child + 1] < heap_d[child]:
            child += 1
        if heap_d[child] >= last_d:
            break
        heap_d[i] = heap_d[child]
        heap_v[i] = heap_v[child]
        i = child
    heap_d[i] = last_d
    heap_v[i] = last_v
    return d, v, size


@njit(cache=True)
def _stop_searches(indptr, heads, weights, n_stations, half_wait, leg_s, leg_m, dwell_s,
                   ivt, wait, length, boards, last_board, last_alight):  # fmt: skip
    """One Dijkstra search from every station over the stop graph, summing path components.

    Performance trick: a compiled search on the small graph, instead of SciPy's, which
    spends most of its time per source on set-up; and the components of a node's path are
    summed when it is settled, from its predecessor's (settled before it), so no
    predecessor matrix is kept. Node kinds follow :func:`_stop_graph`. The last ride's
    boarding and alighting line-stops let :func:`_pair_rides` recover every ride: the path
    to the station where the last ride boards is the same search's path.
    """
    n_v = indptr.size - 1
    n_ls = half_wait.size
    dist = np.empty(n_v)
    pred = np.empty(n_v, np.int64)
    done = np.zeros(n_v, np.bool_)
    heap_d = np.empty(heads.size + 1)
    heap_v = np.empty(heads.size + 1, np.int64)
    c_ivt = np.zeros(n_v)
    c_wait = np.zeros(n_v)
    c_len = np.zeros(n_v)
    c_boards = np.zeros(n_v, np.int64)
    c_lb = np.full(n_v, -1, np.int64)
    c_la = np.full(n_v, -1, np.int64)
    for s in range(n_stations):
        dist[:] = np.inf
        done[:] = False
        dist[s] = 0.0
        pred[s] = -1
        size = _heap_push(heap_d, heap_v, 0, 0.0, s)
        while size > 0:
            d, v, size = _heap_pop(heap_d, heap_v, size)
            if done[v]:
                continue
            done[v] = True
            p = pred[v]
            if p < 0:
                c_ivt[v] = 0.0
                c_wait[v] = 0.0
                c_len[v] = 0.0
                c_boards[v] = 0
                c_lb[v] = -1
                c_la[v] = -1
            else:
                c_ivt[v] = c_ivt[p]
                c_wait[v] = c_wait[p]
                c_len[v] = c_len[p]
                c_boards[v] = c_boards[p]
                c_lb[v] = c_lb[p]
                c_la[v] = c_la[p]
                if v >= n_stations + n_ls:  # arrival at line-stop j: the ride from j - 1
                    j = v - n_stations - n_ls
                    c_ivt[v] += leg_s[j - 1]
                    c_len[v] += leg_m[j - 1]
                elif v >= n_stations:  # departure from line-stop j
                    j = v - n_stations
                    if p < n_stations:  # boarding
                        c_wait[v] += half_wait[j]
                        c_boards[v] += 1
                        c_lb[v] = j
                    else:  # staying aboard
                        c_ivt[v] += dwell_s[j]
                else:  # a station, reached by alighting from arrival node p
                    c_la[v] = p - n_stations - n_ls
                    ivt[s, v] = c_ivt[v]
                    wait[s, v] = c_wait[v]
                    length[s, v] = c_len[v]
                    boards[s, v] = c_boards[v]
                    last_board[s, v] = c_lb[v]
                    last_alight[s, v] = c_la[v]
            for k in range(indptr[v], indptr[v + 1]):
                u = heads[k]
                nd = d + weights[k]
                if nd < dist[u] and not done[u]:
                    dist[u] = nd
                    pred[u] = v
                    size = _heap_push(heap_d, heap_v, size, nd, u)


@njit(cache=True)
def _combine(trip_o, trip_d, acc_off, acc_st, acc_m, egr_off, egr_st, egr_m, cost, walk_cost_per_m):
    """Min-plus over stop pairs: best ``walk + stop-to-stop + walk`` of each trip.

    Performance trick: walks are sorted by length, so once the walks alone (plus the
    cheapest ride from the boarding stop) cost more than the best path found, the rest of
    the loop is skipped.

    Returns the chosen boarding and alighting stations (-1 where none) and the walks in metres.
    """
    n = trip_o.size
    n_st = cost.shape[0]
    cheapest = np.full(n_st, np.inf)
    for s in range(n_st):
        for t in range(n_st):
            cheapest[s] = min(cheapest[s], cost[s, t])
    best_s = np.full(n, -1, np.int64)
    best_t = np.full(n, -1, np.int64)
    best_a = np.full(n, np.inf)
    best_e = np.full(n, np.inf)
    for i in range(n):
        o = trip_o[i]
        d = trip_d[i]
        if egr_off[d] == egr_off[d + 1]:
            continue
        nearest_e = egr_m[egr_off[d]] * walk_cost_per_m
        best = np.inf
        for a in range(acc_off[o], acc_off[o + 1]):
            ca = acc_m[a] * walk_cost_per_m
            if ca + nearest_e >= best:
                break
            s = acc_st[a]
            bound = ca + cheapest[s]
            for b in range(egr_off[d], egr_off[d + 1]):
                ce = egr_m[b] * walk_cost_per_m
                if bound + ce >= best:
                    break
                c = ca + cost[s, egr_st[b]] + ce
                if c < best:
                    best = c
                    best_s[i] = s
                    best_t[i] = egr_st[b]
                    best_a[i] = acc_m[a]
                    best_e[i] = egr_m[b]
    return best_s, best_t, best_a, best_e


@njit(cache=True)
def _pair_rides(last_board, last_alight, station, pair_s, pair_t, offsets):
    """Boarding and alighting line-stops of each ride on the cheapest path of each stop pair,
    found from the last ride backwards."""
    total = offsets[-1]
    ls_board = np.empty(total, np.int64)
    ls_alight = np.empty(total, np.int64)
    for p in range(pair_s.size):
        s = pair_s[p]
        t = pair_t[p]
        for r in range(offsets[p + 1] - 1, offsets[p] - 1, -1):
            ls_board[r] = last_board[s, t]
            ls_alight[r] = last_alight[s, t]
            t = station[ls_board[r]]
    return ls_board, ls_alight


# ---------------------------------------------------------------------- riders' day


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
        Each trip's path (from :func:`level_of_service`, or hand-made).
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
