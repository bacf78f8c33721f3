"""Transit lines: what the scenario's ``services.transit`` section runs, where and how often.

:func:`build_lines` turns the section (:class:`~twin.scenario.services.TransitSpec`) into
:class:`Line` objects, one per direction. Stops given as points are snapped
(:func:`snap_stops`) to the nearest junction buses and pedestrians can use
(:func:`stop_junctions`), at most :data:`SNAP_MAX_M` away; a line drawn across an ``area``
is a trunk line along the area's longest axis, with a stop about every ``stop_spacing_m``;
a GTFS feed is read by :mod:`twin.mobility.gtfs`. :func:`departures` and
:func:`headway_at` read a line's headway bands, for the timetable
(:mod:`twin.mobility.timetable`) and the level of service (:mod:`twin.mobility.transit_paths`).

Notes
-----
A line's ``headways`` are ``(from_s, headway_s)`` bands of clock time, each holding until
the next; ``inf`` means no service. A service day starts at its first band and ends at
24:00, or, when the last band starts at 24:00 or later (night service written as 25:00),
when the next service day's first band starts. Service days repeat daily, so a window of
several days (or one that starts before midnight) gets every day's runs. Runs leave the
first stop at the start of each band and every headway after it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyproj
from scipy.spatial import cKDTree

from twin._errors import ScenarioError
from twin.maps.routing import route

if TYPE_CHECKING:
    from twin.maps.network import StreetNetwork
    from twin.scenario.services import LineSpec, TransitSpec

__all__ = ["SNAP_MAX_M", "Line", "build_lines", "departures", "headway_at", "project_points", "snap_stops", "stop_junctions"]

DAY_S = 86400.0

SNAP_MAX_M = 500.0
"""Farthest a stop may lie from a junction it can be at before it is taken for a mistake."""


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


def project_points(points, crs: str, network: StreetNetwork) -> np.ndarray:
    """``(n, 2)`` points given as ``[x, y]`` in ``crs`` (e.g. lon/lat) in the network's coordinates."""
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
    nodes, distance = snap_stops(project_points(spec.stops, crs, network), network)
    far = distance > SNAP_MAX_M
    if far.any():
        k = int(np.argmax(far))
        _, swapped = snap_stops(project_points([spec.stops[k][::-1]], crs, network), network)
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
