"""Demand-responsive shuttles (DRT): pooled dispatch, rebalancing and the operator's figures.

Model
-----
The dispatcher follows MATSim's DRT module (Bischoff, Maciejewski & Nagel 2017). Riders
request a ride from a stop to a stop, now. Requests are gathered and dispatched every
``dispatch_interval_s``: each new request, in submission order, gets the cheapest insertion
of its pickup and dropoff into some vehicle's planned sequence of stops such that

- the pickup happens no later than ``time + max_wait_s``,
- the rider arrives no later than ``time + alpha * direct_ride_s + beta_s`` (MATSim's max
  travel time, which includes the wait),
- no rider booked earlier gets a pickup or an arrival later than was promised to them,
- the seats are never exceeded.

The cost of an insertion is what it adds to the vehicle's day: the increase of its
schedule's end time, i.e. the driving and dwelling it adds. Ties go to the lowest vehicle
number. Pooling follows from the search over all vehicles and positions; Alonso-Mora et
al. (PNAS 2017) solve the same problem by an optimal assignment of batches of requests,
which this greedy one-request-at-a-time insertion approximates. If no vehicle can serve
a request it is *rejected*; otherwise the rider accepts iff
``wait_weight * offered_wait_s + offered_ride_s <= budget_s`` (how a mode choice plugs in)
and *declines* otherwise, leaving all schedules as they were.

A vehicle driving to its next stop is not diverted before it gets there: insertions go
after its next stop, the *committed point*. An idle vehicle leaves from where it stands at
the dispatch time. At each stop a vehicle dwells ``dwell_s`` seconds, whatever the number
of riders; riders boarding or alighting at a stop already planned join that stop (no
extra dwell), so several riders may share the leg that arrives at a stop. A vehicle that
already stands at a pickup drives a zero-length leg to it.

*Rebalancing* (every ``rebalance_interval_s``): the stops are grouped into square zones of
``rebalance_cell_m``; the requests expected in each zone over the next interval (by default
the day's own requests: the operator knows its typical day) set proportional targets for
the idle vehicles, and idle vehicles in zones above their target drive, empty, to the
busiest stop of zones below it, by a minimum-total-time assignment. A relocating vehicle is
not diverted; it is available at its destination on arrival. After ``service_end_s`` each
vehicle, once empty and without plans, drives back to its start stop (``return_to_depot``).

Assumptions and simplifications
-------------------------------
- Requests are immediate (no pre-booking): there are no earliest times, so a delay
  propagates unchanged to every later stop. This is what makes the *slack* of a stop (the
  least time to spare at it or any later stop) decide each insertion in O(1).
- A leg's travel time is fixed when it is planned, from the matrix of the time bin of that
  dispatch (a leg later pushed into another bin keeps its time). The direct ride that sets
  a rider's limit is taken at the request time.
- Pruning assumes the triangle inequality of the travel times (true of fastest paths): a
  vehicle that cannot reach the pickup in time from its committed point is skipped.
- Each vehicle plans at most ``2 * seats + 1`` stops ahead (fixed-size arrays): a vehicle
  with a full plan takes no new rider even if its seats are free.
- Planned times are the dispatcher's. Driven through the traffic engine, legs take their
  experienced times; the caller measures actual pickups and dropoffs and may pass them to
  :func:`operator_table`. Riders who wait in vain, no-shows and cancellations are not
  modelled.
- Rebalancing knows the zones' expected request counts exactly (the day's own requests by
  default) and ignores vehicles that will soon become idle (MATSim's minimum-cost-flow
  rebalancing counts those too).

Implementation
--------------
Vehicle plans live in fixed-size NumPy arrays and one compiled kernel
(:mod:`twin.mobility._dispatch`) scans all vehicles and position pairs for a request;
Python loops only over the instants at which something happens (dispatch ticks with
requests, rebalancing ticks with expected demand). The stop-to-stop times and path lengths
come from a :class:`StopMatrix`, built per hour bin only for the bins in use.

References
----------
- Bischoff, J., Maciejewski, M., Nagel, K. (2017). City-wide shared taxis: A simulation
  study in Berlin. IEEE ITSC 2017, 275-280.
- Alonso-Mora, J., Samaranayake, S., Wallar, A., Frazzoli, E., Rus, D. (2017). On-demand
  high-capacity ride-sharing via dynamic trip-vehicle assignment. PNAS 114(3), 462-467.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from scipy.sparse.csgraph import dijkstra

from twin.maps.network import StreetNetwork
from twin.maps.routing import _collapse, _positions
from twin.mobility import _dispatch as core
from twin.mobility._dispatch import DECLINED, OUTSIDE_HOURS, REBALANCE, REJECTED, SERVED, SERVICE, TO_DEPOT

__all__ = [
    "SERVED", "REJECTED", "DECLINED", "OUTSIDE_HOURS", "STATUS_NAMES",
    "SERVICE", "REBALANCE", "TO_DEPOT", "KIND_NAMES",
    "StopMatrix", "DrtFleet", "DrtRequests", "DrtLegs", "DrtResult", "combine_daily", "dispatch", "operator_table",
]  # fmt: skip

STATUS_NAMES = ("served", "rejected", "declined", "outside_hours")
"""Names of the request status codes, by code."""

KIND_NAMES = ("service", "rebalance", "to_depot")
"""Names of the leg kinds, by code."""

_CHUNK_BYTES = 64 * 2**20
"""Memory budget of one chunk of Dijkstra predecessor and distance rows (int32 + float64)."""


# ---------------------------------------------------------------------- travel times


class StopMatrix:
    """Fastest-path travel times and their lengths between stops, per time bin.

    Build one with :meth:`from_network` (times from the street network, free-flow or as
    experienced per hour) or :meth:`from_arrays` (one fixed pair of matrices). The (K, K)
    matrices of a bin are computed when first asked for and kept for the ``cache_bins``
    bins used most recently, so memory stays at a few K² arrays; bins with identical link
    times share one matrix. Unreachable pairs are ``inf``.

    Attributes
    ----------
    n_stops
        Number of stops ``K``.
    bin_s
        Width of a time bin in seconds (``inf`` for a single bin).
    n_bins
        Number of time bins; a time past the last bin uses the last, before 0 the first.
    """

    __slots__ = ("n_stops", "bin_s", "n_bins", "_key", "_compute", "_cache", "_cache_bins", "_computed")

    def __init__(
        self,
        *,
        n_stops: int,
        bin_s: float,
        bin_key: np.ndarray,
        compute: Callable[[int], tuple[np.ndarray, np.ndarray]],
        cache_bins: int = 2,
    ) -> None:
        if int(cache_bins) != cache_bins or cache_bins < 1:
            raise ValueError(f"`cache_bins` must be a whole number of at least 1, not {cache_bins!r}")
        self.n_stops = int(n_stops)
        self.bin_s = float(bin_s)
        self.n_bins = int(bin_key.size)
        self._key = bin_key
        self._compute = compute
        self._cache: OrderedDict[int, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._cache_bins = int(cache_bins)
        self._computed = 0

    @classmethod
    def from_arrays(cls, times_s: np.ndarray, lengths_m: np.ndarray) -> StopMatrix:
        """One pair of (K, K) matrices for all times of day (for tests and fixed estimates).

        Parameters
        ----------
        times_s
            Travel time from stop ``i`` (row) to stop ``j`` (column), seconds: >= 0, zero on
            the diagonal, ``inf`` if unreachable.
        lengths_m
            Length of those paths, metres.

        Raises
        ------
        ValueError
            If the arrays are not square of one shape, hold NaN or negative values, or the
            diagonal of the times is not zero.
        """
        times = np.array(times_s, dtype=np.float64)
        lengths = np.array(lengths_m, dtype=np.float64)
        if times.ndim != 2 or times.shape[0] != times.shape[1] or times.shape[0] == 0:
            raise ValueError(f"`times_s` must be a square (K, K) array with K >= 1, not shape {times.shape}")
        if lengths.shape != times.shape:
            raise ValueError(f"`lengths_m` must have the shape of `times_s` {times.shape}, not {lengths.shape}")
        for name, array in (("times_s", times), ("lengths_m", lengths)):
            bad = np.isnan(array) | (array < 0)
            if bad.any():
                i, j = np.argwhere(bad)[0]
                raise ValueError(f"`{name}` must be >= 0 (inf if unreachable); [{i}, {j}] is {array[i, j]}")
        if (np.diagonal(times) != 0).any():
            i = int(np.argmax(np.diagonal(times) != 0))
            raise ValueError(f"`times_s` must be 0 on the diagonal; [{i}, {i}] is {times[i, i]}")
        times.flags.writeable = False
        lengths.flags.writeable = False
        return cls(
            n_stops=times.shape[0], bin_s=np.inf, bin_key=np.zeros(1, np.int64), compute=lambda key: (times, lengths)
        )

    @classmethod
    def from_network(
        cls,
        network: StreetNetwork,
        stop_nodes,
        *,
        link_times_s: np.ndarray | None = None,
        extra_s: np.ndarray | None = None,
        bin_s: float = 3600.0,
        cache_bins: int = 2,
    ) -> StopMatrix:
        """Fastest car paths between stops on a street network.

        Parameters
        ----------
        network
            The street network; only edges cars may use are followed.
        stop_nodes
            Node position (row of ``network.nodes``) of each stop; stops may share a node.
        link_times_s
            Travel time per edge and time bin, shape ``(n_edges, n_bins)``, as from
            :meth:`twin.engine.traffic.TrafficEngine.experienced_times`; ``inf`` closes an
            edge. ``None``: the edges' ``freeflow_s`` all day.
        extra_s
            Seconds added to each edge's weight in the path search only, e.g. a toll turned
            into time: paths avoid the edge, reported times do not include it.
        bin_s
            Width of the time bins of ``link_times_s``, seconds.
        cache_bins
            How many bins' matrices to keep at once (each is two K x K float64 arrays).

        Raises
        ------
        ValueError
            If a stop node is out of range, or an array has the wrong shape or negative or
            NaN values.
        """
        graph = network.graph("car")
        nodes = _positions(stop_nodes, "stop_nodes", graph.n_nodes)
        if nodes.size == 0:
            raise ValueError("`stop_nodes` is empty; give the node of each stop")
        n_edges = network.n_edges
        length = network.edges["length_m"].to_numpy(dtype=np.float64)
        if link_times_s is None:
            link = network.edges["freeflow_s"].to_numpy(dtype=np.float64)[:, None]
        else:
            link = np.asarray(link_times_s, dtype=np.float64)
            if link.ndim == 1:
                link = link[:, None]
            if link.ndim != 2 or link.shape[0] != n_edges or link.shape[1] == 0:
                raise ValueError(
                    f"`link_times_s` must have shape (n_edges, n_bins) = ({n_edges}, n_bins), not {link.shape}"
                )
            _check_nonnegative(link, "link_times_s")
        extra = np.zeros(n_edges)
        if extra_s is not None:
            extra = np.asarray(extra_s, dtype=np.float64)
            if extra.shape != (n_edges,):
                raise ValueError(f"`extra_s` must hold one value per edge ({n_edges}), not shape {extra.shape}")
            _check_nonnegative(extra, "extra_s")
        bin_s = float(bin_s)
        if not (bin_s > 0 and np.isfinite(bin_s)):
            raise ValueError(f"`bin_s` must be a positive number of seconds, not {bin_s}")
        # Bins with the same link times share one matrix: key = first bin like it.
        n_bins = link.shape[1]
        key = np.arange(n_bins, dtype=np.int64)
        for b in range(1, n_bins):
            for first in range(b):
                if key[first] == first and np.array_equal(link[:, b], link[:, first]):
                    key[b] = first
                    break

        def compute(b: int) -> tuple[np.ndarray, np.ndarray]:
            return _network_matrices(graph, link[:, b], link[:, b] + extra, length, nodes)

        return cls(n_stops=nodes.size, bin_s=bin_s, bin_key=key, compute=compute, cache_bins=cache_bins)

    def bin_index(self, t_s) -> np.ndarray:
        """Time bin of each time in ``t_s`` (clipped to the first and last bin)."""
        t = np.asarray(t_s, dtype=np.float64)
        if np.isnan(t).any():
            raise ValueError("a time given to the stop matrix is NaN")
        if self.n_bins == 1:
            return np.zeros(t.shape, np.int64)
        return np.clip(np.floor(t / self.bin_s), 0, self.n_bins - 1).astype(np.int64)

    def times(self, t_s: float) -> np.ndarray:
        """Travel times (K, K) in seconds for departures at ``t_s`` (read-only)."""
        return self._pair(t_s)[0]

    def lengths(self, t_s: float) -> np.ndarray:
        """Lengths (K, K) in metres of the paths :meth:`times` is for (read-only)."""
        return self._pair(t_s)[1]

    @property
    def bins_computed(self) -> int:
        """How many bin matrices were computed so far (a bin evicted and used again counts twice)."""
        return self._computed

    def _pair(self, t_s: float) -> tuple[np.ndarray, np.ndarray]:
        key = int(self._key[int(self.bin_index(t_s))])
        pair = self._cache.get(key)
        if pair is None:
            pair = self._compute(key)
            self._computed += 1
            self._cache[key] = pair
            while len(self._cache) > self._cache_bins:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return pair

    def __repr__(self) -> str:
        return f"StopMatrix(n_stops={self.n_stops}, n_bins={self.n_bins}, bin_s={self.bin_s})"


def _check_nonnegative(array: np.ndarray, name: str) -> None:
    bad = np.isnan(array) | (array < 0)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"`{name}` must be >= 0 (inf closes an edge); at {where} it is {array[where]}")


def _network_matrices(graph, time_s, weight_s, length_m, stop_nodes):
    """Times and lengths of the fastest paths (by ``weight_s``) between all stop nodes."""
    n_nodes = graph.n_nodes
    matrix, _, key_edges = _collapse(graph.tails, graph.heads, graph.edge_ids, weight_s, n_nodes)
    indptr = np.asarray(matrix.indptr, dtype=np.int64)
    indices = np.asarray(matrix.indices, dtype=np.int64)
    slot_time = np.ascontiguousarray(time_s[key_edges])
    slot_length = np.ascontiguousarray(length_m[key_edges])
    sources, row_of_stop = np.unique(stop_nodes, return_inverse=True)
    out_t = np.empty((sources.size, stop_nodes.size))
    out_m = np.empty((sources.size, stop_nodes.size))
    chunk = int(np.clip(_CHUNK_BYTES // (12 * max(n_nodes, 1)), 1, 256))
    for start in range(0, sources.size, chunk):
        src = sources[start : start + chunk]
        _, pred = dijkstra(matrix, directed=True, indices=src, return_predecessors=True)
        core.path_sums(
            pred, src, indptr, indices, slot_time, slot_length, stop_nodes, out_t[start : start + src.size],
            out_m[start : start + src.size],
        )  # fmt: skip
    times, lengths = out_t[row_of_stop], out_m[row_of_stop]
    times.flags.writeable = False
    lengths.flags.writeable = False
    return times, lengths


# ---------------------------------------------------------------------- inputs


def _int_vector(values, name: str) -> np.ndarray:
    array = np.array(values)
    if array.ndim != 1:
        raise ValueError(f"`{name}` must be 1-D, not shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"`{name}` must hold integer stop indices, not {array.dtype}")
    array = array.astype(np.int64)
    if (array < 0).any():
        raise ValueError(f"`{name}` holds stop index {array[np.argmax(array < 0)]}; stop indices are >= 0")
    array.flags.writeable = False
    return array


def _float_vector(values, name: str, n: int | None = None) -> np.ndarray:
    array = np.array(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"`{name}` must be 1-D, not shape {array.shape}")
    if n is not None and array.size != n:
        raise ValueError(f"`{name}` must have one value per request ({n}), not {array.size}")
    array.flags.writeable = False
    return array


def _check_number(value: float, name: str, *, low: float = 0.0, strict: bool = False, finite: bool = True) -> float:
    value = float(value)
    ok = (value > low if strict else value >= low) and (np.isfinite(value) or not finite)
    if not ok:
        bound = f"> {low:g}" if strict else f">= {low:g}"
        raise ValueError(f"`{name}` must be {'finite and ' if finite else ''}{bound}, not {value}")
    return value


def _check_stops(stops: np.ndarray, name: str, n_stops: int) -> None:
    bad = stops >= n_stops
    if bad.any():
        raise ValueError(
            f"`{name}` holds stop index {stops[np.argmax(bad)]}, out of range for a matrix of "
            f"{n_stops} stops (0..{n_stops - 1})"
        )


@dataclass(frozen=True, slots=True)
class DrtFleet:
    """A shuttle service: its vehicles, its promises to riders and its operating rules.

    Attributes
    ----------
    start_stop
        Stop index where each vehicle starts the day (its depot); one per vehicle.
    seats
        Passenger seats per vehicle.
    max_wait_s
        Latest pickup, after the request.
    alpha, beta_s
        A rider must arrive within ``alpha * direct ride + beta_s`` of the request.
    dispatch_interval_s
        Requests are gathered and dispatched at ``service_start_s + k * dispatch_interval_s``.
    dwell_s
        Time at each stop to let riders on and off.
    service_start_s, service_end_s
        Requests with times in ``[start, end)`` are dispatched; others are OUTSIDE_HOURS.
    rebalance_interval_s
        Idle vehicles move towards expected demand every this many seconds from the start
        of service; 0 turns rebalancing off.
    rebalance_cell_m
        Side of the square zones demand is counted in.
    stop_xy
        Projected coordinates (K, 2) of the stops in metres; ``None`` turns rebalancing off.
    return_to_depot
        After service ends, a vehicle with nothing to do drives back to its start stop.
    rider_time_weight
        How much a second of the new rider's time (request to dropoff) weighs against a
        second of added vehicle time in the insertion cost. 0 is MATSim's default (the
        vehicle's time only), which pools riders late into passing vehicles; 1 weighs both
        alike and sends nearer vehicles sooner.
    """

    start_stop: np.ndarray
    seats: int = 8
    max_wait_s: float = 600.0
    alpha: float = 1.5
    beta_s: float = 900.0
    dispatch_interval_s: float = 15.0
    dwell_s: float = 30.0
    service_start_s: float = 0.0
    service_end_s: float = 86400.0
    rebalance_interval_s: float = 900.0
    rebalance_cell_m: float = 500.0
    stop_xy: np.ndarray | None = None
    return_to_depot: bool = True
    rider_time_weight: float = 0.0

    def __post_init__(self) -> None:
        start = _int_vector(self.start_stop, "start_stop")
        if start.size == 0:
            raise ValueError("`start_stop` is empty; a fleet needs at least one vehicle")
        object.__setattr__(self, "start_stop", start)
        if isinstance(self.seats, bool) or int(self.seats) != self.seats or not 1 <= self.seats <= 10_000:
            raise ValueError(f"`seats` must be a whole number from 1 to 10000, not {self.seats!r}")
        object.__setattr__(self, "seats", int(self.seats))
        _check_number(self.max_wait_s, "max_wait_s")
        _check_number(self.alpha, "alpha", low=1.0)
        _check_number(self.beta_s, "beta_s")
        _check_number(self.dispatch_interval_s, "dispatch_interval_s", strict=True)
        _check_number(self.dwell_s, "dwell_s")
        _check_number(self.service_start_s, "service_start_s")
        if not (np.isfinite(self.service_end_s) and self.service_end_s > self.service_start_s):
            raise ValueError(
                f"`service_end_s` ({self.service_end_s}) must be finite and after `service_start_s` "
                f"({self.service_start_s})"
            )
        _check_number(self.rebalance_interval_s, "rebalance_interval_s")
        _check_number(self.rebalance_cell_m, "rebalance_cell_m", strict=True)
        _check_number(self.rider_time_weight, "rider_time_weight")
        if self.stop_xy is not None:
            xy = np.array(self.stop_xy, dtype=np.float64)
            if xy.ndim != 2 or xy.shape[1] != 2 or not np.isfinite(xy).all():
                raise ValueError(f"`stop_xy` must be a finite (K, 2) array of metres, not shape {xy.shape}")
            xy.flags.writeable = False
            object.__setattr__(self, "stop_xy", xy)

    @property
    def n_vehicles(self) -> int:
        """Number of vehicles."""
        return int(self.start_stop.size)

    @property
    def max_stops(self) -> int:
        """Size of a vehicle's plan: its committed point and up to ``2 * seats + 1`` stops ahead."""
        return 2 * self.seats + 2


@dataclass(frozen=True, slots=True)
class DrtRequests:
    """Ride requests, one per row, in any order.

    Attributes
    ----------
    time_s
        Submission time; the ride is wanted now.
    origin, dest
        Stop indices (distinct per request).
    budget_s
        The rider accepts an offer iff ``wait_weight * wait + ride <= budget_s``; ``None``
        (or ``inf``) accepts every offer.
    wait_weight
        How much a second of waiting weighs against a second riding.
    """

    time_s: np.ndarray
    origin: np.ndarray
    dest: np.ndarray
    budget_s: np.ndarray | None = None
    wait_weight: float = 2.0

    def __post_init__(self) -> None:
        t = _float_vector(self.time_s, "time_s")
        n = t.size
        bad = ~np.isfinite(t) | (t < 0)
        if bad.any():
            raise ValueError(f"`time_s` must be finite and >= 0; request {int(np.argmax(bad))} has {t[bad][0]}")
        origin = _int_vector(self.origin, "origin")
        dest = _int_vector(self.dest, "dest")
        for name, array in (("origin", origin), ("dest", dest)):
            if array.size != n:
                raise ValueError(f"`{name}` must have one stop per request ({n}), not {array.size}")
        same = origin == dest
        if same.any():
            r = int(np.argmax(same))
            raise ValueError(
                f"request {r} starts and ends at stop {origin[r]}; leave out requests within one stop"
            )
        object.__setattr__(self, "time_s", t)
        object.__setattr__(self, "origin", origin)
        object.__setattr__(self, "dest", dest)
        if self.budget_s is not None:
            budget = _float_vector(self.budget_s, "budget_s", n)
            if np.isnan(budget).any():
                r = int(np.argmax(np.isnan(budget)))
                raise ValueError(f"`budget_s` is NaN for request {r}; use inf to accept every offer")
            object.__setattr__(self, "budget_s", budget)
        _check_number(self.wait_weight, "wait_weight")

    def __len__(self) -> int:
        return int(self.time_s.size)


@dataclass(frozen=True, slots=True)
class DrtLegs:
    """Every leg every vehicle drove, ordered by vehicle, then time.

    Attributes
    ----------
    vehicle
        ``int32`` vehicle number.
    from_stop, to_stop
        ``int64`` stop indices; equal for a zero-length leg to a pickup where the vehicle
        already stands.
    depart_s, arrive_s
        Planned times: departure when the vehicle leaves the previous stop (arrival plus
        dwell, or the dispatch time if it stood idle there), arrival after the matrix time.
    length_m
        ``float64`` path length.
    onboard
        ``int16`` riders aboard during the leg.
    kind
        ``int8`` :data:`SERVICE`, :data:`REBALANCE` or :data:`TO_DEPOT`.
    prev_leg
        ``int64`` the same vehicle's previous leg, -1 for its first (for chaining legs in the
        traffic engine).
    """

    vehicle: np.ndarray
    from_stop: np.ndarray
    to_stop: np.ndarray
    depart_s: np.ndarray
    arrive_s: np.ndarray
    length_m: np.ndarray
    onboard: np.ndarray
    kind: np.ndarray
    prev_leg: np.ndarray

    def __len__(self) -> int:
        return int(self.vehicle.size)

    def to_frame(self) -> pd.DataFrame:
        """The legs as a table, one row per leg, ``kind`` as its name."""
        frame = pd.DataFrame({name: getattr(self, name) for name in self.__slots__})
        frame["kind"] = pd.Categorical.from_codes(self.kind, categories=list(KIND_NAMES))
        return frame


@dataclass(frozen=True, slots=True)
class DrtResult:
    """The outcome of each request, in input order, and the legs driven.

    Attributes
    ----------
    status
        ``int8`` :data:`SERVED`, :data:`REJECTED`, :data:`DECLINED` or :data:`OUTSIDE_HOURS`.
    vehicle
        ``int32`` vehicle that serves the request, -1 unless served.
    pickup_s, dropoff_s
        Planned arrival of the vehicle at the pickup and dropoff stops (final plan; later
        bookings may have pushed them past the offer, within the promised limits). NaN
        unless served.
    direct_s, direct_m
        Direct ride time and length at the request time (all requests; ``inf`` if
        unreachable).
    offered_wait_s, offered_ride_s
        Wait and ride of the offer made at dispatch; NaN where none was made.
    pickup_leg, dropoff_leg
        Index into ``legs`` of the leg arriving at the pickup and dropoff stops; -1 unless
        served.
    legs
        Every leg driven.
    """

    status: np.ndarray
    vehicle: np.ndarray
    pickup_s: np.ndarray
    dropoff_s: np.ndarray
    direct_s: np.ndarray
    direct_m: np.ndarray
    offered_wait_s: np.ndarray
    offered_ride_s: np.ndarray
    pickup_leg: np.ndarray
    dropoff_leg: np.ndarray
    legs: DrtLegs

    def __len__(self) -> int:
        return int(self.status.size)

    def to_frame(self) -> pd.DataFrame:
        """Per-request outcome as a table, ``status`` as its name."""
        frame = pd.DataFrame({name: getattr(self, name) for name in self.__slots__ if name != "legs"})
        frame["status"] = pd.Categorical.from_codes(self.status, categories=list(STATUS_NAMES))
        return frame


# ---------------------------------------------------------------------- dispatch


def dispatch(
    requests: DrtRequests,
    fleet: DrtFleet,
    matrix: StopMatrix,
    *,
    expected: tuple[np.ndarray, np.ndarray] | None = None,
) -> DrtResult:
    """Dispatch a day of requests to a shuttle fleet (see the module documentation).

    Parameters
    ----------
    requests
        The ride requests.
    fleet
        The vehicles and rules of the service.
    matrix
        Travel times and lengths between the stops.
    expected
        ``(time_s, stop)`` of the requests the operator expects, for rebalancing; by default
        the requests themselves.

    Returns
    -------
    DrtResult
        Per request, in input order, and every leg driven.

    Raises
    ------
    ValueError
        If a stop index is out of range of the matrix, ``stop_xy`` has not one row per stop,
        or ``expected`` is malformed.
    """
    n_stops = matrix.n_stops
    _check_stops(fleet.start_stop, "fleet.start_stop", n_stops)
    _check_stops(requests.origin, "requests.origin", n_stops)
    _check_stops(requests.dest, "requests.dest", n_stops)
    if fleet.stop_xy is not None and fleet.stop_xy.shape[0] != n_stops:
        raise ValueError(f"`fleet.stop_xy` must have one row per stop ({n_stops}), not {fleet.stop_xy.shape[0]}")

    t = requests.time_s
    n = t.size
    origin, dest = requests.origin, requests.dest
    start_s, end_s = fleet.service_start_s, fleet.service_end_s
    in_hours = (t >= start_s) & (t < end_s)
    budget = np.full(n, np.inf) if requests.budget_s is None else requests.budget_s
    latest_pickup = t + fleet.max_wait_s
    latest_arrival = np.full(n, np.inf)
    # Direct rides are looked up tick by tick, while the matrix of the tick's bin is at hand,
    # so each bin is computed once on a matrix that keeps only a few bins.
    direct_s, direct_m = np.full(n, np.nan), np.full(n, np.nan)

    book = core.make_bookings(n)
    book.status[~in_hours] = OUTSIDE_HOURS
    live = np.flatnonzero(in_hours)
    live = live[np.argsort(t[live], kind="stable")]
    interval = fleet.dispatch_interval_s
    tick = np.maximum(start_s + np.ceil((t[live] - start_s) / interval) * interval, t[live])
    ticks, first = np.unique(tick, return_index=True)
    bounds = np.append(first, live.size)

    rebalancing = fleet.rebalance_interval_s > 0 and fleet.stop_xy is not None
    zones = _Zones.build(fleet, n_stops, expected, t[in_hours], origin[in_hours]) if rebalancing else None
    rebalance_ticks = zones.ticks(fleet) if zones is not None else np.empty(0)

    n_vehicles, n_slots = fleet.n_vehicles, fleet.max_stops
    sched = core.make_schedules(np.array(fleet.start_stop), n_slots, start_s)
    counts = np.zeros(2, np.int64)
    log = core.make_log(max(64, 2 * n + 2 * n_vehicles))
    need = n_vehicles * n_slots  # most legs one advance can commit

    events = np.union1d(ticks, rebalance_ticks)
    t_pos = np.searchsorted(ticks, events)
    r_pos = np.searchsorted(rebalance_ticks, events)
    for e, now in enumerate(events):
        now = float(now)
        log = core.grown_log(log, int(counts[core.N_LEGS]), need + n_vehicles)
        core.advance(sched, log, book, counts, now, fleet.dwell_s)
        times, lengths = matrix.times(now), matrix.lengths(now)
        k = t_pos[e]
        if k < ticks.size and ticks[k] == now:
            batch = live[bounds[k] : bounds[k + 1]]
            _direct(matrix, batch, t, origin, dest, direct_s, direct_m)
            # Requests that no path connects stay REJECTED without an offer.
            batch = batch[np.isfinite(direct_s[batch])]
            latest_arrival[batch] = t[batch] + fleet.alpha * direct_s[batch] + fleet.beta_s
            core.dispatch_requests(
                sched, book, counts, batch, origin, dest, t, latest_pickup,
                latest_arrival, budget, float(requests.wait_weight), times, lengths, now, fleet.seats,
                fleet.dwell_s, fleet.rider_time_weight,
            )  # fmt: skip
        k = r_pos[e]
        if k < rebalance_ticks.size and rebalance_ticks[k] == now:
            vehicles, to_stop = zones.assign(sched, now, times)
            if vehicles.size:
                core.drive_empty(
                    sched, log, counts, vehicles, to_stop, np.full(vehicles.size, now), times, lengths, REBALANCE
                )

    log = core.grown_log(log, int(counts[core.N_LEGS]), need + n_vehicles)
    core.advance(sched, log, book, counts, np.inf, fleet.dwell_s)
    if fleet.return_to_depot:
        away = np.flatnonzero(sched.loc[:, 0] != fleet.start_stop)
        depart = np.maximum(sched.dep0[away], end_s)
        bins = matrix.bin_index(depart)
        for b in np.unique(bins):
            group = bins == b
            at = float(depart[group][0])
            # A vehicle that cannot reach its depot from where it ended stays there.
            group &= np.isfinite(matrix.times(at)[sched.loc[away, 0], fleet.start_stop[away]])
            core.drive_empty(
                sched, log, counts, away[group], np.array(fleet.start_stop[away[group]]), depart[group],
                matrix.times(at), matrix.lengths(at), TO_DEPOT,
            )  # fmt: skip
    _direct(matrix, np.flatnonzero(~in_hours), t, origin, dest, direct_s, direct_m)
    return _result(book, log, int(counts[core.N_LEGS]), direct_s, direct_m)


def _direct(matrix: StopMatrix, rows: np.ndarray, t, origin, dest, direct_s, direct_m) -> None:
    """Fill in the direct ride time and length of requests ``rows``, each from its time's bin."""
    bins = matrix.bin_index(t[rows])
    for b in np.unique(bins):
        group = rows[bins == b]
        at = float(t[group[0]])
        direct_s[group] = matrix.times(at)[origin[group], dest[group]]
        direct_m[group] = matrix.lengths(at)[origin[group], dest[group]]


def _result(book, log, n_legs: int, direct_s: np.ndarray, direct_m: np.ndarray) -> DrtResult:
    """Order the legs by vehicle (then time: each vehicle's legs were logged in time order)."""
    order = np.argsort(log.vehicle[:n_legs], kind="stable")
    new_index = np.empty(n_legs, np.int64)
    new_index[order] = np.arange(n_legs)
    prev = log.prev_leg[:n_legs][order]
    legs = DrtLegs(
        vehicle=log.vehicle[:n_legs][order],
        from_stop=log.from_stop[:n_legs][order],
        to_stop=log.to_stop[:n_legs][order],
        depart_s=log.depart_s[:n_legs][order],
        arrive_s=log.arrive_s[:n_legs][order],
        length_m=log.length_m[:n_legs][order],
        onboard=log.onboard[:n_legs][order],
        kind=log.kind[:n_legs][order],
        prev_leg=np.where(prev >= 0, new_index[np.maximum(prev, 0)], -1),
    )
    served = np.flatnonzero(book.status == SERVED)
    n = book.status.size
    pickup_leg, dropoff_leg = np.full(n, -1, np.int64), np.full(n, -1, np.int64)
    pickup_s, dropoff_s = np.full(n, np.nan), np.full(n, np.nan)
    pickup_leg[served] = new_index[book.visit_leg[book.pickup_visit[served]]]
    dropoff_leg[served] = new_index[book.visit_leg[book.dropoff_visit[served]]]
    pickup_s[served] = book.visit_arrive_s[book.pickup_visit[served]]
    dropoff_s[served] = book.visit_arrive_s[book.dropoff_visit[served]]
    return DrtResult(
        status=book.status,
        vehicle=book.vehicle,
        pickup_s=pickup_s,
        dropoff_s=dropoff_s,
        direct_s=direct_s,
        direct_m=direct_m,
        offered_wait_s=book.offered_wait_s,
        offered_ride_s=book.offered_ride_s,
        pickup_leg=pickup_leg,
        dropoff_leg=dropoff_leg,
        legs=legs,
    )


class _Zones:
    """Square zones over the stops and the expected requests, for rebalancing."""

    def __init__(self, zone_of_stop: np.ndarray, exp_time_s: np.ndarray, exp_stop: np.ndarray, interval_s: float):
        self.zone_of_stop = zone_of_stop
        self.n_zones = int(zone_of_stop.max()) + 1
        self.n_stops = zone_of_stop.size
        self.exp_time_s = exp_time_s
        self.exp_stop = exp_stop
        self.interval_s = interval_s

    @classmethod
    def build(cls, fleet: DrtFleet, n_stops: int, expected, req_time_s: np.ndarray, req_origin: np.ndarray) -> _Zones:
        xy = fleet.stop_xy
        cell = np.floor((xy - xy.min(axis=0)) / fleet.rebalance_cell_m).astype(np.int64)
        key = cell[:, 0] * (int(cell[:, 1].max()) + 1) + cell[:, 1]
        zone_of_stop = np.unique(key, return_inverse=True)[1].reshape(-1)
        if expected is None:
            exp_t, exp_stop = req_time_s, req_origin
        else:
            if not isinstance(expected, tuple | list) or len(expected) != 2:
                raise ValueError("`expected` must be a pair (time_s, stop) of equal-length arrays")
            exp_t = _float_vector(expected[0], "expected[0] (time_s)")
            exp_stop = _int_vector(expected[1], "expected[1] (stop)")
            if exp_t.size != exp_stop.size:
                raise ValueError(f"`expected` times and stops differ in length: {exp_t.size} and {exp_stop.size}")
            if not np.isfinite(exp_t).all():
                raise ValueError("`expected` times must be finite")
            _check_stops(exp_stop, "expected[1] (stop)", n_stops)
        order = np.argsort(exp_t, kind="stable")
        return cls(zone_of_stop, exp_t[order], exp_stop[order], fleet.rebalance_interval_s)

    def ticks(self, fleet: DrtFleet) -> np.ndarray:
        """Rebalancing instants with some expected demand in the interval that follows."""
        ticks = np.arange(fleet.service_start_s, fleet.service_end_s, self.interval_s)
        lo = np.searchsorted(self.exp_time_s, ticks)
        hi = np.searchsorted(self.exp_time_s, ticks + self.interval_s)
        return ticks[hi > lo]

    def assign(self, sched, now: float, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Idle vehicles to move and the stops to move them to."""
        none = np.empty(0, np.int64), np.empty(0, np.int64)
        lo, hi = np.searchsorted(self.exp_time_s, [now, now + self.interval_s])
        idle = np.flatnonzero(sched.n == 0)
        if hi == lo or idle.size == 0:
            return none
        per_stop = np.bincount(self.exp_stop[lo:hi], minlength=self.n_stops)
        demand = np.bincount(self.zone_of_stop, weights=per_stop, minlength=self.n_zones)
        target = _largest_remainder(idle.size * demand / demand.sum())
        idle_zone = self.zone_of_stop[sched.loc[idle, 0]]
        supply = np.bincount(idle_zone, minlength=self.n_zones)
        deficit = np.maximum(target - supply, 0)
        surplus = np.maximum(supply - target, 0)
        # Vehicles still relocating count as supply but cannot move again yet.
        movable = idle[sched.dep0[idle] <= now]
        movable_zone = self.zone_of_stop[sched.loc[movable, 0]]
        rank = np.empty(movable.size, np.int64)  # rank of each vehicle within its zone, by number
        order = np.lexsort((movable, movable_zone))
        zone_sorted = movable_zone[order]
        starts = np.searchsorted(zone_sorted, zone_sorted)
        rank[order] = np.arange(movable.size) - starts
        rows = movable[rank < surplus[movable_zone]]
        cols = np.repeat(np.arange(self.n_zones), deficit)
        if rows.size == 0 or cols.size == 0:
            return none
        # The busiest stop of each zone (ties: the lowest stop index).
        by_zone = np.lexsort((np.arange(self.n_stops), -per_stop, self.zone_of_stop))
        busiest = by_zone[np.searchsorted(self.zone_of_stop[by_zone], np.arange(self.n_zones))]
        to_stop = busiest[cols]
        cost = times[sched.loc[rows, 0][:, None], to_stop[None, :]]
        finite = np.isfinite(cost)
        big = 1.0 + 2.0 * (cost[finite].max(initial=0.0) * min(cost.shape))
        r, c = linear_sum_assignment(np.where(finite, cost, big))
        keep = finite[r, c]
        return rows[r[keep]].astype(np.int64), to_stop[c[keep]].astype(np.int64)


def _largest_remainder(shares: np.ndarray) -> np.ndarray:
    """Round non-negative shares to integers with the same (rounded) total."""
    floor = np.floor(shares).astype(np.int64)
    left = int(round(shares.sum())) - int(floor.sum())
    if left > 0:
        floor[np.argsort(-(shares - floor), kind="stable")[:left]] += 1
    return floor


# ---------------------------------------------------------------------- operator figures


def operator_table(
    result: DrtResult,
    requests: DrtRequests,
    fleet: DrtFleet,
    *,
    fare_eur: np.ndarray,
    cost_eur_per_vehicle_hour: float,
    cost_eur_per_km: float,
    pickup_s: np.ndarray | None = None,
    dropoff_s: np.ndarray | None = None,
) -> tuple[pd.DataFrame, dict]:
    """The operator's figures per hour of the day and for the whole day.

    Parameters
    ----------
    result
        What :func:`dispatch` returned for ``requests`` and ``fleet``.
    requests, fleet
        The requests and the fleet dispatched.
    fare_eur
        Fare of each request (revenue counts served requests only).
    cost_eur_per_vehicle_hour, cost_eur_per_km
        Operating cost per vehicle-hour of service (the whole fleet over the service
        hours) and per vehicle-km driven.
    pickup_s, dropoff_s
        Actual pickup and dropoff times the caller measured (e.g. legs driven in traffic);
        by default the planned ones.

    Returns
    -------
    table, totals
        ``table``: one row per hour (``hour`` 0..23, more if service runs past midnight):
        requests by submission hour, km and vehicle-hours by leg departure hour, NaN where
        undefined. ``totals``: the day's ``requests, served, rejected, declined,
        outside_hours, served_share, mean_wait_s, p95_wait_s, mean_detour`` (ride / direct
        ride time), ``occupancy`` (passenger-km / vehicle-km), ``empty_km_share``,
        ``passengers_per_vehicle_hour, fleet_km, vehicle_hours, operating_cost_eur,
        fare_revenue_eur`` and ``subsidy_per_trip_eur`` ((cost - revenue) / served); ``None``
        where undefined. Waits and detours are over served requests.

    Raises
    ------
    ValueError
        If an array does not have one value per request.
    """
    n = len(requests)
    if len(result) != n:
        raise ValueError(
            f"`result` has {len(result)} requests but `requests` has {n}; pass the pair dispatched together"
        )
    fare = _float_vector(fare_eur, "fare_eur", n)
    pick = result.pickup_s if pickup_s is None else _float_vector(pickup_s, "pickup_s", n)
    drop = result.dropoff_s if dropoff_s is None else _float_vector(dropoff_s, "dropoff_s", n)
    c_vh = _check_number(cost_eur_per_vehicle_hour, "cost_eur_per_vehicle_hour")
    c_km = _check_number(cost_eur_per_km, "cost_eur_per_km")

    t = requests.time_s
    status = result.status
    served = status == SERVED
    wait = np.where(served, pick - t, np.nan)
    # A rider not yet picked up or set down when the measured run ended has no wait or detour.
    waited = served & np.isfinite(wait)
    detour_ok = served & (result.direct_s > 0) & np.isfinite(result.direct_s) & np.isfinite(drop - pick)
    detour = np.full(n, np.nan)
    np.divide(drop - pick, result.direct_s, out=detour, where=detour_ok)
    legs = result.legs
    km = legs.length_m / 1000.0
    pkm = km * legs.onboard
    empty_km = np.where(legs.onboard == 0, km, 0.0)

    last_s = max(fleet.service_end_s - 1.0, t.max(initial=0.0), legs.depart_s.max(initial=0.0))
    n_hours = max(24, int(last_s // 3600) + 1)
    req_hour = (t // 3600).astype(np.int64)
    leg_hour = np.clip(legs.depart_s // 3600, 0, None).astype(np.int64)
    hours = np.arange(n_hours)

    def per_hour(hour, weights=None):
        return np.bincount(hour, weights=weights, minlength=n_hours)

    frame = pd.DataFrame({"hour": hours})
    for code, name in enumerate(STATUS_NAMES):
        frame[name] = per_hour(req_hour[status == code])
    frame.insert(1, "requests", per_hour(req_hour))
    frame["served_share"] = _ratio(frame["served"].to_numpy(float), frame["requests"].to_numpy(float))
    waits = pd.DataFrame({"hour": req_hour[waited], "wait": wait[waited]})
    grouped = waits.groupby("hour")["wait"]
    frame["mean_wait_s"] = grouped.mean().reindex(hours).to_numpy()
    frame["p95_wait_s"] = grouped.quantile(0.95).reindex(hours).to_numpy()
    frame["mean_detour"] = (
        pd.Series(detour[detour_ok]).groupby(req_hour[detour_ok]).mean().reindex(hours).to_numpy()
    )
    fleet_km = per_hour(leg_hour, km)
    frame["fleet_km"] = fleet_km
    frame["passenger_km"] = per_hour(leg_hour, pkm)
    frame["occupancy"] = _ratio(frame["passenger_km"].to_numpy(), fleet_km)
    frame["empty_km_share"] = _ratio(per_hour(leg_hour, empty_km), fleet_km)
    overlap_h = np.clip(
        np.minimum((hours + 1) * 3600.0, fleet.service_end_s) - np.maximum(hours * 3600.0, fleet.service_start_s),
        0.0, None,
    ) / 3600.0  # fmt: skip
    vehicle_hours = fleet.n_vehicles * overlap_h
    frame["vehicle_hours"] = vehicle_hours
    frame["passengers_per_vehicle_hour"] = _ratio(frame["served"].to_numpy(float), vehicle_hours)
    frame["operating_cost_eur"] = vehicle_hours * c_vh + fleet_km * c_km
    frame["fare_revenue_eur"] = per_hour(req_hour[served], fare[served])
    frame["subsidy_per_trip_eur"] = _ratio(
        (frame["operating_cost_eur"] - frame["fare_revenue_eur"]).to_numpy(), frame["served"].to_numpy(float)
    )

    n_served = int(served.sum())
    total_km = float(km.sum())
    total_vh = fleet.n_vehicles * (fleet.service_end_s - fleet.service_start_s) / 3600.0
    cost = total_vh * c_vh + total_km * c_km
    revenue = float(fare[served].sum())
    totals = {
        "requests": n,
        "served": n_served,
        "rejected": int((status == REJECTED).sum()),
        "declined": int((status == DECLINED).sum()),
        "outside_hours": int((status == OUTSIDE_HOURS).sum()),
        "served_share": _scalar_ratio(n_served, n),
        "mean_wait_s": float(wait[waited].mean()) if waited.any() else None,
        "p95_wait_s": float(np.percentile(wait[waited], 95)) if waited.any() else None,
        "mean_detour": float(detour[detour_ok].mean()) if detour_ok.any() else None,
        "occupancy": _scalar_ratio(float(pkm.sum()), total_km),
        "empty_km_share": _scalar_ratio(float(empty_km.sum()), total_km),
        "passengers_per_vehicle_hour": _scalar_ratio(n_served, total_vh),
        "fleet_km": total_km,
        "vehicle_hours": total_vh,
        "operating_cost_eur": cost,
        "fare_revenue_eur": revenue,
        "subsidy_per_trip_eur": _scalar_ratio(cost - revenue, n_served),
    }
    return frame, totals


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(np.shape(num), np.nan)
    np.divide(num, den, out=out, where=np.asarray(den) > 0)
    return out


def _scalar_ratio(num: float, den: float) -> float | None:
    return float(num) / float(den) if den > 0 else None


_SUMMED = ("requests", "served", "rejected", "declined", "outside_hours", "fleet_km", "vehicle_hours",
           "operating_cost_eur", "fare_revenue_eur", "co2_kg")  # fmt: skip


def combine_daily(dailies: list[dict]) -> dict:
    """One set of daily figures from several (service days, or several services).

    Counts, kilometres, hours, money and CO2 add up; shares and rates are ratios of the sums
    (occupancy and the empty-km share weighted by fleet-km, waits and detours by riders
    served); the p95 wait is the largest of the parts' p95 (an upper bound, as the parts'
    waits are not kept).

    Parameters
    ----------
    dailies
        Dicts as :func:`operator_table` returns (plus ``co2_kg``); ``None`` values count as
        missing.
    """
    total = {key: float(sum(float(d.get(key) or 0.0) for d in dailies)) for key in _SUMMED}

    def weighted(key: str, weight: str) -> float | None:
        pairs = [(float(d.get(weight) or 0.0), float(d[key])) for d in dailies
                 if d.get(key) is not None and np.isfinite(float(d[key]))]  # fmt: skip
        norm = sum(w for w, _ in pairs)
        return sum(w * v for w, v in pairs) / norm if norm > 0 else None

    served, requests, hours = total["served"], total["requests"], total["vehicle_hours"]
    p95 = [float(d["p95_wait_s"]) for d in dailies if d.get("p95_wait_s") is not None]
    return {
        **total,
        "served_share": served / requests if requests > 0 else None,
        "mean_wait_s": weighted("mean_wait_s", "served"),
        "p95_wait_s": max(p95) if p95 else None,
        "mean_detour": weighted("mean_detour", "served"),
        "occupancy": weighted("occupancy", "fleet_km"),
        "empty_km_share": weighted("empty_km_share", "fleet_km"),
        "passengers_per_vehicle_hour": served / hours if hours > 0 else None,
        "subsidy_per_trip_eur": (total["operating_cost_eur"] - total["fare_revenue_eur"]) / served if served > 0 else None,
    }
