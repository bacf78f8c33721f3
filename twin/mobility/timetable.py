"""The transit timetable: the day's runs, split into legs the traffic engine drives.

:func:`build_timetable` lays out the runs of the lines (:mod:`twin.mobility.lines`; one run
is one vehicle trip along a whole line) from their headway bands, and splits each run into
legs from one stop to the next, each with its car route, so that
:class:`twin.engine.traffic.TrafficEngine` can drive them as chained vehicle trips. The
:class:`Timetable` holds the planned times; the actual ones come from the engine.

Notes
-----
A leg's planned time is the sum of its edges' link times in the hour bin of the leg's
departure (free-flow by default, or the times the traffic engine experienced), and a
vehicle stands ``dwell_s`` at each intermediate stop. In traffic a late bus leaves the next
stop as soon as it arrives (no slack is recovered).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from twin._errors import ScenarioError
from twin.maps.routing import route
from twin.mobility.lines import Line, departures

if TYPE_CHECKING:
    from twin.maps.network import StreetNetwork

__all__ = ["Timetable", "build_timetable"]

_BIN_S = 3600.0


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
        The lines (from :func:`~twin.mobility.lines.build_lines`).
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
