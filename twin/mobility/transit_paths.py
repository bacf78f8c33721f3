"""Transit paths and their level of service: what mode choice sees of transit.

:func:`level_of_service` finds each trip's best transit path (:class:`TransitPaths`: walk to
a stop, one or more rides, walk on) and its expected in-vehicle, walking and waiting times
(:class:`TransitLevelOfService`), by frequency-based routing on a small graph of the stops
of a :class:`~twin.mobility.timetable.Timetable`. The searches and the pairing of trips
with stops run in compiled (numba) kernels. The riders then follow these paths on the
actual runs (:func:`twin.mobility.riders.simulate_riders`).

Notes
-----
Riders know the headways, not the timetable: the expected wait at a boarding is half the
headway in force when the trip departs (random arrivals), and in-vehicle times are those of
the band's typical (median) run. A path minimises
``in_vehicle + walk_weight * walk + wait_weight * wait + transfer_penalty * transfers``
with at least one ride; transfers happen only at the same junction. Walking uses the walk
network's shortest distances, at most ``max_walk_m`` at each end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse
from numba import njit
from scipy.sparse.csgraph import dijkstra

from twin.mobility.lines import _service_intervals

if TYPE_CHECKING:
    from twin.maps.network import StreetNetwork
    from twin.mobility.timetable import Timetable

__all__ = ["TransitLevelOfService", "TransitPaths", "level_of_service"]


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
        The paths themselves, for :func:`~twin.mobility.riders.simulate_riders`.
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
