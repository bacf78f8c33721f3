"""Mesoscopic traffic: every directed edge is a spatial queue, in the spirit of MATSim's QSim.

Model
-----
Each car trip is one vehicle following a fixed route, a sequence of edge ids. An edge ``e``
has a free-flow time ``freeflow_s[e]``, a flow capacity ``capacity_vph[e]`` (all lanes
together), a storage capacity ``storage_veh[e]`` and a length ``length_m[e]``. Vehicles
on an edge form one FIFO queue, and the vehicle at its head leaves

- not before it entered the edge plus the free-flow time (travel at the speed limit),
- not before ``headway = 3600 / capacity_vph`` seconds after the edge's previous exit
  (flow capacity: at most ``capacity_vph`` exits per hour),
- and only into a next edge holding fewer vehicles than its storage (spillback). The head
  of a route's last edge leaves, and its trip arrives, subject to the capacity rule only.

When the next edge is full, the head waits and blocks everyone behind it. Each time a
vehicle leaves an edge and the edge has room again, the head that has been blocked on it
longest (ties: lowest edge id) is woken and tries again at that moment. Merging streets
therefore take turns (zipper merge), not shares in proportion to their capacities as in
MATSim.

Assumptions and simplifications
-------------------------------
- Storage counts whole vehicles: an edge holds at most ``max(1, floor(storage_veh))``
  vehicles, queued or moving, so any edge can take at least one.
- Departures are never blocked: a trip departing at ``t`` enters its first edge at ``t``
  even if that edge is full (like MATSim's waiting list, but without the wait), behind the
  vehicles already on it. A trip with an empty route arrives at its departure time.
- Gridlock guard: a head blocked for ``stuck_s`` seconds (300 s by default, like SUMO's
  time-to-teleport; MATSim's stuckTime plays the same role) is moved into the full next
  edge anyway, which then holds more than its storage for a while. These are counted as
  forced moves; many of them mean the demand does not fit the network. With
  ``stuck_s=inf`` blocked heads wait for ever, and a gridlock never clears.
- Trip chains: trip ``i`` with ``prev_trip[i] = j`` departs at the later of its planned
  time and trip ``j``'s arrival; a trip whose predecessor never arrives never departs.
- Vehicles move from edge end to edge end: there are no intersections, signals, turn
  capacities or lane choice, and the time to drive through a queue is not modelled
  beyond the headway (no backward shock wave speed).

Implementation
--------------
The simulation is event driven and compiled with numba. Events are departures and
attempts of an edge's head to leave; they are taken in order of (time, kind, id), exits
(kind 0, id = edge) before departures (kind 1, id = trip), from a binary min-heap held in
NumPy arrays. An edge has at most one live event: rescheduling bumps the edge's version
counter, and popped events whose version is out of date are skipped (lazy invalidation).
Departures without a predecessor are read in time order from a sorted array instead of
the heap, which keeps the heap about as small as the number of busy edges. All state lives
in NumPy arrays owned by :class:`TrafficEngine`, so the model can be advanced step by step.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit
from numpy.typing import ArrayLike

from twin.engine.traversals import MODE_CODES, Traversals

__all__ = ["TrafficEngine"]

_EXIT = 0
_DEPART = 1
_KIND_SHIFT = 32  # heap key = kind << 32 | id, so keys order by (kind, id)
_ID_MASK = (1 << _KIND_SHIFT) - 1
_MAX_ID = 2**31 - 1  # trips and edges are int32 in the state arrays

# Slots of the State.counts array.
_HEAP_SIZE = 0
_NEXT_STATIC = 1  # next unread entry of Trips.static_order
_ON_ROAD = 2
_ARRIVED = 3
_FORCED = 4
_LINK_EVENTS = 5
# Slots of the State.totals array.
_CLOCK_S = 0
_VEHICLE_S = 1
_VEHICLE_M = 2

# Return codes of _run.
_DONE = 0
_HEAP_FULL = 1


class _Edges(NamedTuple):
    """Per-edge constants."""

    freeflow_s: np.ndarray  # float64
    headway_s: np.ndarray  # float64, inf where capacity <= 0
    length_m: np.ndarray  # float64
    slots: np.ndarray  # int32, vehicles the edge can hold


class _Trips(NamedTuple):
    """Per-trip constants."""

    depart_s: np.ndarray  # float64, planned
    route_offsets: np.ndarray  # int64, n_trips + 1
    route_edges: np.ndarray  # int32
    child_offsets: np.ndarray  # int64, n_trips + 1: trips waiting for trip i are
    children: np.ndarray  # int32      children[child_offsets[i]:child_offsets[i + 1]]
    static_order: np.ndarray  # int32, trips without predecessor by (depart_s, trip)


class _State(NamedTuple):
    """Everything that changes while the simulation runs."""

    # per edge
    occupancy: np.ndarray  # int32
    queue_first: np.ndarray  # int32 trip at the head, -1 if empty
    queue_last: np.ndarray  # int32
    last_exit_s: np.ndarray  # float64, -inf before the first exit
    version: np.ndarray  # int64, of the edge's live event
    blocked_since_s: np.ndarray  # float64, inf while the head is not blocked
    waiting: np.ndarray  # bool, in the wait list of the head's next edge
    wait_next: np.ndarray  # int32, next edge in that wait list
    wait_first: np.ndarray  # int32, first edge blocked on this one, -1 if none
    # per trip
    position: np.ndarray  # int64, current index into route_edges
    queue_next: np.ndarray  # int32, trip behind this one on its edge
    actual_depart_s: np.ndarray  # float64
    arrival_s: np.ndarray  # float64
    # per route position
    enter_s: np.ndarray  # float64
    # per edge and time bin
    bin_count: np.ndarray  # int32 [edge, bin]
    bin_time_s: np.ndarray  # float64 [edge, bin]
    # scalars
    counts: np.ndarray  # int64, slots _HEAP_SIZE ...
    totals: np.ndarray  # float64, slots _CLOCK_S ...


class _Heap(NamedTuple):
    time_s: np.ndarray  # float64
    key: np.ndarray  # int64, kind << 32 | id
    version: np.ndarray  # int64


class TrafficEngine:
    """Queue-network traffic simulation of car trips along fixed routes.

    See the module documentation for the model. Build the engine with the edges' constants,
    :meth:`load` the trips once, then :meth:`advance_to` step by step or
    :meth:`run_to_end`. Results can be read at any time; what has not happened yet is NaN.

    Parameters
    ----------
    freeflow_s
        Free-flow travel time of each edge, seconds (>= 0).
    capacity_vph
        Flow capacity of each edge, vehicles per hour over all lanes. An edge with a
        capacity of 0 or less is closed: a route using it is refused by :meth:`load`.
        ``inf`` means no flow limit.
    storage_veh
        Storage capacity of each edge, vehicles; whole vehicles count, at least one.
    length_m
        Length of each edge, metres (>= 0), for :meth:`vehicle_metres`.
    stuck_s
        Seconds a blocked head waits before it is forced into the full next edge (>= 0;
        ``inf`` disables the gridlock guard).
    bin_s, n_bins
        Width and number of the time bins of :meth:`link_stats`.

    Raises
    ------
    ValueError
        If the arrays are not 1-D of one length, hold NaN or negative times or lengths,
        or an option is out of range.
    """

    def __init__(
        self,
        *,
        freeflow_s: ArrayLike,
        capacity_vph: ArrayLike,
        storage_veh: ArrayLike,
        length_m: ArrayLike,
        stuck_s: float = 300.0,
        bin_s: float = 3600.0,
        n_bins: int = 24,
    ) -> None:
        freeflow = _edge_array(freeflow_s, "freeflow_s")
        capacity = _edge_array(capacity_vph, "capacity_vph")
        storage = _edge_array(storage_veh, "storage_veh")
        length = _edge_array(length_m, "length_m")
        n_edges = freeflow.size
        for name, array in (("capacity_vph", capacity), ("storage_veh", storage), ("length_m", length)):
            if array.size != n_edges:
                raise ValueError(f"`{name}` has {array.size} values but `freeflow_s` has {n_edges}; give one per edge")
        for name, array in (("freeflow_s", freeflow), ("length_m", length)):
            bad = ~np.isfinite(array) | (array < 0)
            if bad.any():
                raise ValueError(f"`{name}` must be finite and >= 0; edge {int(np.argmax(bad))} has {array[bad][0]}")
        for name, array in (("capacity_vph", capacity), ("storage_veh", storage)):
            if np.isnan(array).any():
                raise ValueError(f"`{name}` is NaN on edge {int(np.argmax(np.isnan(array)))}")
        stuck_s = float(stuck_s)
        if not stuck_s >= 0:
            raise ValueError(f"`stuck_s` must be >= 0 (or inf to disable the gridlock guard), not {stuck_s}")
        bin_s = float(bin_s)
        if not (bin_s > 0 and np.isfinite(bin_s)):
            raise ValueError(f"`bin_s` must be a positive number of seconds, not {bin_s}")
        if isinstance(n_bins, bool) or int(n_bins) != n_bins or n_bins < 1:
            raise ValueError(f"`n_bins` must be a whole number of at least 1, not {n_bins!r}")

        with np.errstate(divide="ignore"):
            headway = np.where(capacity > 0, 3600.0 / np.where(capacity > 0, capacity, 1.0), np.inf)
        slots = np.clip(np.floor(storage), 1, np.iinfo(np.int32).max).astype(np.int32)
        self._edges = _Edges(freeflow_s=freeflow, headway_s=headway, length_m=length, slots=slots)
        self._capacity_vph = capacity
        self._stuck_s = stuck_s
        self._bin_s = bin_s
        self._n_bins = int(n_bins)
        self._loaded = False
        self._trips = _make_trips(
            np.empty(0), np.zeros(1, np.int64), np.empty(0, np.int32), np.full(0, -1, np.int64)
        )
        self._state = _make_state(n_edges, 0, 0, self._n_bins)
        self._heap = _make_heap(n_edges + 64)
        self._reserve = 3

    # ------------------------------------------------------------------ loading

    def load(
        self,
        *,
        depart_s: ArrayLike,
        route_offsets: ArrayLike,
        route_edges: ArrayLike,
        prev_trip: ArrayLike | None = None,
    ) -> None:
        """Load the trips, once, before advancing.

        Parameters
        ----------
        depart_s
            Planned departure time of each trip, seconds (finite).
        route_offsets
            ``int64`` of length ``n_trips + 1``: the route of trip ``i`` is
            ``route_edges[route_offsets[i]:route_offsets[i + 1]]``, as in
            :class:`twin.maps.routing.Routes`.
        route_edges
            Edge ids of all routes, one after another, in travel order.
        prev_trip
            Per trip, the index of the trip that must arrive before it departs, or -1.

        Raises
        ------
        ValueError
            If the arrays do not fit together, a route uses an edge id out of range or a
            closed edge, or ``prev_trip`` points out of range or in a cycle.
        RuntimeError
            If trips were loaded already.
        """
        if self._loaded:
            raise RuntimeError("trips are loaded already; make a new TrafficEngine for another set of trips")
        # Fresh writable copies: numba compiles read-only arrays (as Routes holds) separately.
        depart = np.array(depart_s, dtype=np.float64)
        if depart.ndim != 1:
            raise ValueError(f"`depart_s` must be 1-D, not shape {depart.shape}")
        n_trips = depart.size
        if not np.isfinite(depart).all():
            raise ValueError(f"`depart_s` must be finite; trip {int(np.argmax(~np.isfinite(depart)))} is not")
        offsets = np.array(_int_array(route_offsets, "route_offsets"))
        edges = _int_array(route_edges, "route_edges")
        if offsets.size != n_trips + 1:
            raise ValueError(f"`route_offsets` must have n_trips + 1 = {n_trips + 1} values, not {offsets.size}")
        if offsets[0] != 0 or offsets[-1] != edges.size or (np.diff(offsets) < 0).any():
            raise ValueError(
                "`route_offsets` must rise from 0 to len(route_edges) "
                f"({edges.size}) without falling; got {offsets[0]} ... {offsets[-1]}"
            )
        n_edges = self._edges.freeflow_s.size
        if n_trips >= _MAX_ID or n_edges >= _MAX_ID:
            raise ValueError(f"the engine takes under {_MAX_ID:,} trips and edges, not {n_trips:,} and {n_edges:,}")
        bad = (edges < 0) | (edges >= n_edges)
        if bad.any():
            k = int(np.argmax(bad))
            trip = int(np.searchsorted(offsets, k, side="right") - 1)
            raise ValueError(
                f"trip {trip} uses edge id {edges[k]}, out of range for {n_edges} edges (0..{n_edges - 1})"
            )
        closed = ~(self._capacity_vph[edges] > 0)
        if closed.any():
            k = int(np.argmax(closed))
            trip = int(np.searchsorted(offsets, k, side="right") - 1)
            raise ValueError(
                f"edge {edges[k]} is closed (capacity_vph = {self._capacity_vph[edges[k]]}) "
                f"but the route of trip {trip} uses it"
            )
        prev = _prev_trips(prev_trip, n_trips)

        self._trips = _make_trips(depart, offsets, edges.astype(np.int32), prev)
        self._state = _make_state(n_edges, n_trips, edges.size, self._n_bins)
        n_chained = int((prev >= 0).sum())
        self._heap = _make_heap(n_edges + min(n_chained, 1 << 16) + 64)
        max_children = int(np.diff(self._trips.child_offsets).max(initial=0))
        # An event pushes at most: next head of its edge, head of the next edge, a woken
        # upstream edge, and the departures of the trips waiting for an arriving trip.
        self._reserve = 3 + max_children
        self._loaded = True

    # ------------------------------------------------------------------ running

    def advance_to(self, t_s: float) -> None:
        """Process every event up to and including time ``t_s``; the clock then reads ``t_s``.

        Raises
        ------
        ValueError
            If ``t_s`` is not finite or earlier than :attr:`time_s`.
        RuntimeError
            If no trips were loaded.
        """
        t_s = float(t_s)
        if not np.isfinite(t_s):
            raise ValueError(f"`t_s` must be finite, not {t_s}; use run_to_end() to finish")
        if t_s < self.time_s:
            raise ValueError(f"cannot go back in time: asked for t_s = {t_s} but the clock reads {self.time_s}")
        self._run(t_s)
        _close_interval(self._state.counts, self._state.totals, t_s)

    def run_to_end(self) -> None:
        """Process all events left; the clock then reads the time of the last one.

        Raises
        ------
        RuntimeError
            If no trips were loaded.
        """
        self._run(np.inf)

    def _run(self, t_end: float) -> None:
        if not self._loaded:
            raise RuntimeError("load() the trips before advancing")
        while _run(self._edges, self._trips, self._state, self._heap, t_end,
                   self._stuck_s, self._bin_s, self._reserve) == _HEAP_FULL:  # fmt: skip
            self._heap = _grown(self._heap, self._state, self._reserve)

    # ------------------------------------------------------------------ state

    @property
    def time_s(self) -> float:
        """Simulation clock, seconds; ``-inf`` before the first advance."""
        return float(self._state.totals[_CLOCK_S])

    @property
    def vehicles_on_road(self) -> int:
        """Vehicles that have departed and not yet arrived."""
        return int(self._state.counts[_ON_ROAD])

    @property
    def arrived(self) -> int:
        """Trips that have arrived."""
        return int(self._state.counts[_ARRIVED])

    @property
    def forced_moves(self) -> int:
        """Moves of blocked heads into full edges by the gridlock guard so far."""
        return int(self._state.counts[_FORCED])

    @property
    def link_events(self) -> int:
        """Edge exits processed so far (arrivals included)."""
        return int(self._state.counts[_LINK_EVENTS])

    def vehicle_metres(self) -> float:
        """Metres of all edges vehicles have finished so far."""
        return float(self._state.totals[_VEHICLE_M])

    def vehicle_seconds(self) -> float:
        """Integral of :attr:`vehicles_on_road` over time up to :attr:`time_s`, seconds.

        A step's mean speed is its change of :meth:`vehicle_metres` over its change of
        vehicle-seconds (approximately: metres are booked when an edge is finished).
        """
        return float(self._state.totals[_VEHICLE_S])

    def edge_occupancy(self) -> np.ndarray:
        """Vehicles on each edge now, queued or moving (``int32``, a copy)."""
        return self._state.occupancy.copy()

    # ------------------------------------------------------------------ results

    def arrival_s(self) -> np.ndarray:
        """Arrival time of each trip, NaN if not yet arrived (a copy)."""
        return self._state.arrival_s.copy()

    def actual_depart_s(self) -> np.ndarray:
        """Actual departure time of each trip, NaN if not yet departed (a copy)."""
        return self._state.actual_depart_s.copy()

    def enter_s(self) -> np.ndarray:
        """Time each vehicle entered each edge of its route, parallel to ``route_edges``.

        NaN where the vehicle has not got there yet (a copy).
        """
        return self._state.enter_s.copy()

    def traversals(self, *, trip_rows: ArrayLike | None = None) -> Traversals:
        """Completed passages along edges so far, ordered by trip, then along the route.

        Parameters
        ----------
        trip_rows
            Row of each loaded trip in the run's trip table, written to ``trip``; by
            default the trip's index in the loaded arrays.

        Returns
        -------
        Traversals
            One row per finished passage, ``mode`` car. A passage's exit is the entry into
            the next edge of the route, or the arrival for the last edge.
        """
        trips, state = self._trips, self._state
        n_trips = state.arrival_s.size
        rows = np.arange(n_trips, dtype=np.int64) if trip_rows is None else np.asarray(trip_rows, dtype=np.int64)
        if rows.shape != (n_trips,):
            raise ValueError(f"`trip_rows` must have one value per loaded trip ({n_trips}), not shape {rows.shape}")
        offsets = trips.route_offsets
        exit_s = self._exit_s()
        done = ~np.isnan(exit_s)
        trip = np.repeat(rows, np.diff(offsets))[done]
        return Traversals(
            edge=trips.route_edges[done].astype(np.int64),
            enter_s=state.enter_s[done],
            exit_s=exit_s[done],
            mode=np.full(trip.size, MODE_CODES["car"], dtype=np.int8),
            trip=trip,
        )

    def metres_by_trip(self) -> np.ndarray:
        """Metres of its route each trip has finished so far (``float64``, one per loaded trip)."""
        offsets = self._trips.route_offsets
        n_trips = offsets.size - 1
        done = ~np.isnan(self._exit_s())
        owner = np.repeat(np.arange(n_trips), np.diff(offsets))
        length = self._edges.length_m[self._trips.route_edges]
        return np.bincount(owner[done], weights=length[done], minlength=n_trips)

    def _exit_s(self) -> np.ndarray:
        """When each route position's passage ended: the entry into the next edge, or the arrival."""
        offsets, state = self._trips.route_offsets, self._state
        exit_s = np.empty_like(state.enter_s)
        exit_s[:-1] = state.enter_s[1:]
        has_route = offsets[1:] > offsets[:-1]
        exit_s[offsets[1:][has_route] - 1] = state.arrival_s[has_route]
        return exit_s

    def link_stats(self) -> tuple[np.ndarray, np.ndarray]:
        """Finished passages per edge and time bin of entry, and their summed travel time.

        Returns
        -------
        count, travel_time_sum_s
            ``int64`` and ``float64`` arrays of shape ``(n_edges, n_bins)``. A passage
            entering at ``t`` falls in bin ``floor(t / bin_s)``, clipped to the first and
            last bin.
        """
        return self._state.bin_count.astype(np.int64), self._state.bin_time_s.copy()

    def experienced_times(self, *, freeflow_s: ArrayLike | None = None) -> np.ndarray:
        """Mean travel time per edge and time bin of entry, for re-routing.

        Parameters
        ----------
        freeflow_s
            Time to use where no passage entered in a bin; by default the engine's own
            free-flow times.

        Returns
        -------
        numpy.ndarray
            ``float64`` of shape ``(n_edges, n_bins)``.
        """
        fallback = self._edges.freeflow_s if freeflow_s is None else np.asarray(freeflow_s, dtype=np.float64)
        if fallback.shape != self._edges.freeflow_s.shape:
            raise ValueError(
                f"`freeflow_s` must have one value per edge ({self._edges.freeflow_s.size}), not shape {fallback.shape}"
            )
        count, total = self._state.bin_count, self._state.bin_time_s
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, total / count, fallback[:, None])


# ---------------------------------------------------------------------- set-up helpers


def _edge_array(values: ArrayLike, name: str) -> np.ndarray:
    array = np.array(values, dtype=np.float64)  # a copy: the engine must not see later edits
    if array.ndim != 1:
        raise ValueError(f"`{name}` must be a 1-D array with one value per edge, not shape {array.shape}")
    return array


def _int_array(values: ArrayLike, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"`{name}` must be 1-D, not shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"`{name}` must hold integers, not {array.dtype}")
    return array.astype(np.int64, copy=False)


def _prev_trips(prev_trip: ArrayLike | None, n_trips: int) -> np.ndarray:
    """Check ``prev_trip``: indices in range, no trip waiting for itself through a cycle."""
    if prev_trip is None:
        return np.full(n_trips, -1, dtype=np.int64)
    prev = _int_array(prev_trip, "prev_trip")
    if prev.size != n_trips:
        raise ValueError(f"`prev_trip` must have one value per trip ({n_trips}), not {prev.size}")
    bad = (prev < -1) | (prev >= n_trips)
    if bad.any():
        raise ValueError(f"`prev_trip` of trip {int(np.argmax(bad))} is {prev[bad][0]}, not -1 or a trip index")
    # Pointer jumping: after k rounds `ancestor` is 2**k steps up the chain; a chain
    # longer than n_trips can only be a cycle.
    ancestor = prev.copy()
    steps = 1
    while steps <= n_trips and (ancestor >= 0).any():
        ancestor = np.where(ancestor >= 0, ancestor[np.maximum(ancestor, 0)], -1)
        steps *= 2
    if (ancestor >= 0).any():
        trip = int(np.argmax(ancestor >= 0))
        raise ValueError(
            f"`prev_trip` has a cycle: trip {trip} waits, directly or through others, for trips waiting for each other"
        )
    return prev


def _make_trips(depart: np.ndarray, offsets: np.ndarray, edges: np.ndarray, prev: np.ndarray) -> _Trips:
    n_trips = depart.size
    chained = np.flatnonzero(prev >= 0)
    by_parent = chained[np.argsort(prev[chained], kind="stable")]
    child_offsets = np.zeros(n_trips + 1, dtype=np.int64)
    np.cumsum(np.bincount(prev[chained], minlength=n_trips), out=child_offsets[1:])
    free = np.flatnonzero(prev < 0)
    static_order = free[np.lexsort((free, depart[free]))]
    return _Trips(
        depart_s=depart,
        route_offsets=offsets,
        route_edges=edges,
        child_offsets=child_offsets,
        children=by_parent.astype(np.int32),
        static_order=static_order.astype(np.int32),
    )


def _make_state(n_edges: int, n_trips: int, n_positions: int, n_bins: int) -> _State:
    counts = np.zeros(6, dtype=np.int64)
    totals = np.zeros(3, dtype=np.float64)
    totals[_CLOCK_S] = -np.inf
    return _State(
        occupancy=np.zeros(n_edges, np.int32),
        queue_first=np.full(n_edges, -1, np.int32),
        queue_last=np.full(n_edges, -1, np.int32),
        last_exit_s=np.full(n_edges, -np.inf),
        version=np.zeros(n_edges, np.int64),
        blocked_since_s=np.full(n_edges, np.inf),
        waiting=np.zeros(n_edges, np.bool_),
        wait_next=np.full(n_edges, -1, np.int32),
        wait_first=np.full(n_edges, -1, np.int32),
        position=np.full(n_trips, -1, np.int64),
        queue_next=np.full(n_trips, -1, np.int32),
        actual_depart_s=np.full(n_trips, np.nan),
        arrival_s=np.full(n_trips, np.nan),
        enter_s=np.full(n_positions, np.nan),
        bin_count=np.zeros((n_edges, n_bins), np.int32),
        bin_time_s=np.zeros((n_edges, n_bins), np.float64),
        counts=counts,
        totals=totals,
    )


def _make_heap(capacity: int) -> _Heap:
    return _Heap(
        time_s=np.empty(capacity, np.float64), key=np.empty(capacity, np.int64), version=np.empty(capacity, np.int64)
    )


def _grown(heap: _Heap, state: _State, reserve: int) -> _Heap:
    """Drop stale events from a full heap, and double its room if it is still over half full."""
    size = int(state.counts[_HEAP_SIZE])
    time_s, key, version = heap.time_s[:size], heap.key[:size], heap.version[:size]
    kind, ident = key >> _KIND_SHIFT, key & _ID_MASK
    live = (kind == _DEPART) | (version == state.version[np.where(kind == _EXIT, ident, 0)])
    # A sorted array is a valid binary heap.
    order = np.flatnonzero(live)[np.lexsort((key[live], time_s[live]))]
    capacity = heap.time_s.size
    while order.size + reserve > capacity // 2:
        capacity *= 2
    new = _make_heap(capacity)
    new.time_s[: order.size] = time_s[order]
    new.key[: order.size] = key[order]
    new.version[: order.size] = version[order]
    state.counts[_HEAP_SIZE] = order.size
    return new


# ---------------------------------------------------------------------- compiled core


@njit(cache=True)
def _before(t1, k1, t2, k2):
    return t1 < t2 or (t1 == t2 and k1 < k2)


@njit(cache=True)
def _push(heap, counts, time_s, key, version):
    i = counts[_HEAP_SIZE]
    counts[_HEAP_SIZE] = i + 1
    while i > 0:
        parent = (i - 1) >> 1
        if not _before(time_s, key, heap.time_s[parent], heap.key[parent]):
            break
        heap.time_s[i] = heap.time_s[parent]
        heap.key[i] = heap.key[parent]
        heap.version[i] = heap.version[parent]
        i = parent
    heap.time_s[i] = time_s
    heap.key[i] = key
    heap.version[i] = version


@njit(cache=True)
def _pop(heap, counts):
    """Remove the earliest event; return its key and version."""
    key, version = heap.key[0], heap.version[0]
    n = counts[_HEAP_SIZE] - 1
    counts[_HEAP_SIZE] = n
    t, k, v = heap.time_s[n], heap.key[n], heap.version[n]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= n:
            break
        if child + 1 < n and _before(heap.time_s[child + 1], heap.key[child + 1], heap.time_s[child], heap.key[child]):
            child += 1
        if not _before(heap.time_s[child], heap.key[child], t, k):
            break
        heap.time_s[i] = heap.time_s[child]
        heap.key[i] = heap.key[child]
        heap.version[i] = heap.version[child]
        i = child
    heap.time_s[i] = t
    heap.key[i] = k
    heap.version[i] = v
    return key, version


@njit(cache=True)
def _schedule(heap, state, edge, time_s):
    """Make ``time_s`` the one live exit attempt of ``edge``."""
    state.version[edge] += 1
    _push(heap, state.counts, time_s, (_EXIT << _KIND_SHIFT) | edge, state.version[edge])


@njit(cache=True)
def _enqueue(state, edge, trip):
    last = state.queue_last[edge]
    if last == -1:
        state.queue_first[edge] = trip
    else:
        state.queue_next[last] = trip
    state.queue_last[edge] = trip
    state.queue_next[trip] = -1
    state.occupancy[edge] += 1


@njit(cache=True)
def _wait_insert(state, edge, upstream):
    """Put ``upstream`` in ``edge``'s wait list, ordered by (blocked since, edge id)."""
    since = state.blocked_since_s[upstream]
    prev = -1
    cur = state.wait_first[edge]
    while cur != -1 and _before(state.blocked_since_s[cur], cur, since, upstream):
        prev = cur
        cur = state.wait_next[cur]
    state.wait_next[upstream] = cur
    if prev == -1:
        state.wait_first[edge] = upstream
    else:
        state.wait_next[prev] = upstream
    state.waiting[upstream] = True


@njit(cache=True)
def _wait_remove(state, edge, upstream):
    prev = -1
    cur = state.wait_first[edge]
    while cur != upstream:
        prev = cur
        cur = state.wait_next[cur]
    if prev == -1:
        state.wait_first[edge] = state.wait_next[cur]
    else:
        state.wait_next[prev] = state.wait_next[cur]
    state.waiting[upstream] = False


@njit(cache=True)
def _arrive(trips, state, heap, trip, t):
    state.arrival_s[trip] = t
    state.counts[_ARRIVED] += 1
    for k in range(trips.child_offsets[trip], trips.child_offsets[trip + 1]):
        child = trips.children[k]
        _push(heap, state.counts, max(trips.depart_s[child], t), (_DEPART << _KIND_SHIFT) | child, 0)


@njit(cache=True)
def _depart(edges, trips, state, heap, trip, t):
    state.actual_depart_s[trip] = t
    first = trips.route_offsets[trip]
    if first == trips.route_offsets[trip + 1]:
        _arrive(trips, state, heap, trip, t)
        return
    edge = trips.route_edges[first]
    state.enter_s[first] = t
    state.position[trip] = first
    state.counts[_ON_ROAD] += 1
    _enqueue(state, edge, trip)
    if state.queue_first[edge] == trip:
        _schedule(heap, state, edge, max(t + edges.freeflow_s[edge], state.last_exit_s[edge] + edges.headway_s[edge]))


@njit(cache=True)
def _try_exit(edges, trips, state, heap, edge, t, stuck_s, bin_s):
    """The head of ``edge`` is due to leave at ``t``: move it on, arrive, or block it."""
    trip = state.queue_first[edge]
    pos = state.position[trip]
    arriving = pos + 1 == trips.route_offsets[trip + 1]
    nxt = -1
    if not arriving:
        nxt = trips.route_edges[pos + 1]
        if state.occupancy[nxt] >= edges.slots[nxt]:
            if state.blocked_since_s[edge] == np.inf:
                state.blocked_since_s[edge] = t
            give_up_s = state.blocked_since_s[edge] + stuck_s
            if t < give_up_s:
                if not state.waiting[edge]:
                    _wait_insert(state, nxt, edge)
                if give_up_s < np.inf:
                    _schedule(heap, state, edge, give_up_s)
                return
            state.counts[_FORCED] += 1

    # The head leaves `edge`.
    following = state.queue_next[trip]
    state.queue_first[edge] = following
    if following == -1:
        state.queue_last[edge] = -1
    state.occupancy[edge] -= 1
    state.last_exit_s[edge] = t
    if state.blocked_since_s[edge] != np.inf:
        state.blocked_since_s[edge] = np.inf
        if state.waiting[edge]:
            _wait_remove(state, nxt, edge)
    state.counts[_LINK_EVENTS] += 1
    state.totals[_VEHICLE_M] += edges.length_m[edge]
    entered = state.enter_s[pos]
    n_bins = state.bin_count.shape[1]
    b = min(max(np.floor(entered / bin_s), 0.0), n_bins - 1.0)
    state.bin_count[edge, int(b)] += 1
    state.bin_time_s[edge, int(b)] += t - entered

    if arriving:
        state.counts[_ON_ROAD] -= 1
        _arrive(trips, state, heap, trip, t)
    else:
        state.enter_s[pos + 1] = t
        state.position[trip] = pos + 1
        _enqueue(state, nxt, trip)
        if state.queue_first[nxt] == trip:
            _schedule(heap, state, nxt, max(t + edges.freeflow_s[nxt], state.last_exit_s[nxt] + edges.headway_s[nxt]))

    if following != -1:
        ready_s = state.enter_s[state.position[following]] + edges.freeflow_s[edge]
        _schedule(heap, state, edge, max(ready_s, t + edges.headway_s[edge]))
    if state.occupancy[edge] < edges.slots[edge]:
        upstream = state.wait_first[edge]
        if upstream != -1:
            state.wait_first[edge] = state.wait_next[upstream]
            state.waiting[upstream] = False
            _schedule(heap, state, upstream, t)


@njit(cache=True)
def _run(edges, trips, state, heap, t_end, stuck_s, bin_s, reserve):
    """Process events up to ``t_end``; return _HEAP_FULL when the heap needs more room."""
    counts, totals = state.counts, state.totals
    order = trips.static_order
    while True:
        next_static = counts[_NEXT_STATIC]
        size = counts[_HEAP_SIZE]
        from_static = False
        if next_static < order.size:
            trip = order[next_static]
            t = trips.depart_s[trip]
            from_static = size == 0 or _before(t, (_DEPART << _KIND_SHIFT) | trip, heap.time_s[0], heap.key[0])
        if not from_static:
            if size == 0:
                return _DONE
            t = heap.time_s[0]
        if t > t_end:
            return _DONE
        if heap.time_s.size - size < reserve:
            return _HEAP_FULL

        if from_static:
            counts[_NEXT_STATIC] = next_static + 1
            kind, ident = _DEPART, trip
        else:
            key, version = _pop(heap, counts)
            kind, ident = key >> _KIND_SHIFT, key & _ID_MASK
            if kind == _EXIT and version != state.version[ident]:
                continue  # superseded
        _close_interval(counts, totals, t)
        if kind == _DEPART:
            _depart(edges, trips, state, heap, ident, t)
        else:
            _try_exit(edges, trips, state, heap, ident, t, stuck_s, bin_s)


@njit(cache=True)
def _close_interval(counts, totals, t):
    """Add vehicle-seconds since the clock's last reading, and set the clock to ``t``."""
    on_road = counts[_ON_ROAD]
    if on_road > 0:
        totals[_VEHICLE_S] += on_road * (t - totals[_CLOCK_S])
    totals[_CLOCK_S] = t
