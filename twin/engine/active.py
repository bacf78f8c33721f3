"""Walking and cycling: people moving along edges at their own speed, without congestion.

Pedestrians and cyclists are not slowed by each other or by cars in this model (footways and
cycle lanes are rarely at capacity), so their passages follow from their plans directly: a
trip enters each edge of its route at ``depart + (metres before it) / speed``. A trip that
follows another in the same tour leaves no earlier than the previous trip arrives. Everything
is computed at once in NumPy; the model only asks who is on the move at a given time.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from twin.engine.traversals import Traversals

__all__ = ["ActiveTravel"]


class ActiveTravel:
    """Walkers' and cyclists' passages along their routes, computed from their plans.

    Parameters
    ----------
    length_m
        Length of every edge of the network, in metres.
    depart_s
        Planned departure of each trip, in seconds from local midnight.
    speed_mps
        Speed of each trip, in metres per second.
    route_offsets, route_edges
        The routes, flat: trip ``i`` follows ``route_edges[route_offsets[i]:route_offsets[i + 1]]``.
    mode
        Mode code of each trip (see :data:`twin.engine.traversals.MODE_CODES`).
    prev_trip
        Row of the trip that must arrive before each trip leaves, or -1; the trip leaves at the
        later of its planned time and that arrival. Predecessors must come earlier in a chain
        (no cycles).
    trip_rows
        Row of each trip in the run's trip table, recorded in the passages.
    """

    def __init__(self, *, length_m: np.ndarray, depart_s: np.ndarray, speed_mps: np.ndarray,
                 route_offsets: np.ndarray, route_edges: np.ndarray, mode: np.ndarray,
                 prev_trip: np.ndarray | None = None, trip_rows: np.ndarray | None = None) -> None:  # fmt: skip
        depart_s = np.asarray(depart_s, dtype=float)
        n = depart_s.size
        speed_mps = np.broadcast_to(np.asarray(speed_mps, dtype=float), (n,))
        if np.any(~(speed_mps > 0)):
            raise ValueError("every walking or cycling speed must be positive")
        offsets = np.asarray(route_offsets, dtype=np.int64)
        edges = np.asarray(route_edges, dtype=np.int64)
        if offsets.size != n + 1:
            raise ValueError(f"`route_offsets` must have {n + 1} entries, not {offsets.size}")
        hops = np.diff(offsets)
        trip_of_hop = np.repeat(np.arange(n), hops)
        metres = np.asarray(length_m, dtype=float)[edges]
        # Metres walked before each edge: a cumulative sum restarted at every trip.
        cumulative = np.cumsum(metres)
        start_of_trip = np.concatenate(([0.0], cumulative))[offsets[:-1]]
        before = cumulative - metres - np.repeat(start_of_trip, hops)
        total = np.bincount(trip_of_hop, weights=metres, minlength=n)
        duration = total / speed_mps
        depart = depart_s.copy()
        if prev_trip is not None:
            prev = np.asarray(prev_trip, dtype=np.int64)
            if prev.size != n:
                raise ValueError(f"`prev_trip` must have {n} entries, not {prev.size}")
            depart = _chain_departures(depart, duration, prev)
        self.depart_s = depart
        self.arrival_s = depart + duration
        self.route_length_m = total
        self.mode = np.broadcast_to(np.asarray(mode, dtype=np.int8), (n,)).copy()
        self._rows = np.arange(n) if trip_rows is None else np.asarray(trip_rows, dtype=np.int64)
        speed_of_hop = np.repeat(speed_mps, hops)
        enter = np.repeat(depart, hops) + before / speed_of_hop
        self._passages = Traversals(
            edge=edges, enter_s=enter, exit_s=enter + metres / speed_of_hop,
            mode=np.repeat(self.mode, hops), trip=self._rows[trip_of_hop],
        )  # fmt: skip
        self._sorted_depart = {code: np.sort(depart[self.mode == code]) for code in np.unique(self.mode)}
        self._sorted_arrival = {code: np.sort(self.arrival_s[self.mode == code]) for code in np.unique(self.mode)}

    def on_the_move(self, t_s: float, *, mode: int) -> int:
        """Number of trips of ``mode`` under way at time ``t_s`` (departed, not yet arrived)."""
        if mode not in self._sorted_depart:
            return 0
        started = np.searchsorted(self._sorted_depart[mode], t_s, side="right")
        finished = np.searchsorted(self._sorted_arrival[mode], t_s, side="right")
        return int(started - finished)

    def traversals(self) -> Traversals:
        """Every passage of every walking or cycling trip."""
        return self._passages


def _chain_departures(depart: np.ndarray, duration: np.ndarray, prev: np.ndarray) -> np.ndarray:
    """Shift departures so that no trip leaves before its predecessor arrives."""
    depart = depart.copy()
    if not _resolve_chains(depart, np.asarray(duration, dtype=float), prev):
        raise ValueError("`prev_trip` contains a cycle")
    return depart


@njit(cache=True)
def _resolve_chains(depart, duration, prev):
    """Resolve every chain once, in linear time: climb to the first settled ancestor, then
    settle the trips below it in order. Returns False on a cycle."""
    n = depart.size
    settled = np.zeros(n, dtype=np.bool_)
    stack = np.empty(n, dtype=np.int64)
    for i in range(n):
        depth = 0
        j = i
        while j >= 0 and not settled[j]:
            if depth == n:
                return False
            stack[depth] = j
            depth += 1
            j = prev[j]
        while depth > 0:
            depth -= 1
            j = stack[depth]
            p = prev[j]
            if p >= 0 and depart[p] + duration[p] > depart[j]:
                depart[j] = depart[p] + duration[p]
            settled[j] = True
    return True
