"""Compiled core of the DRT dispatcher (:mod:`twin.mobility.drt`).

Each vehicle's plan is one row of fixed-size arrays (:class:`Schedules`). Slot 0 is the
vehicle's committed point: the stop it stands at or is driving to, which no insertion may
come before. Slots ``1..n`` are its planned stops, each a visit at which one or more
riders board or alight. Per slot the arrays hold the stop, the planned arrival, the latest
arrival the riders' promises allow, the slack (the least time to spare at this or any later
slot), the riders aboard when leaving, and the length of the leg arriving at the slot.

There are no earliest times, so a delay at a slot shifts every later slot by the same
amount; an insertion that delays slot ``k`` by ``D`` is allowed iff ``D <= slack[k]``. That
makes every pickup-dropoff position pair an O(1) check. Once a vehicle has left its
committed point, the next slot becomes the committed point and its leg is written to the
log (:class:`Log`): a planned stop's times are final only then.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

SERVED, REJECTED, DECLINED, OUTSIDE_HOURS = 0, 1, 2, 3
SERVICE, REBALANCE, TO_DEPOT = 0, 1, 2

# Slots of the counts array.
N_LEGS = 0
N_VISITS = 1


class Schedules(NamedTuple):
    """The vehicles' plans, one row per vehicle; slot 0 is the committed point."""

    loc: np.ndarray  # int64 (V, S) stop of each slot
    arr: np.ndarray  # float64 (V, S) planned arrival
    latest: np.ndarray  # float64 (V, S) latest arrival the slot's riders were promised
    slack: np.ndarray  # float64 (V, S) min over this and later slots of latest - arr
    load: np.ndarray  # int64 (V, S) riders aboard when leaving the slot
    leg_m: np.ndarray  # float64 (V, S) length of the leg arriving at the slot
    visit: np.ndarray  # int64 (V, S) visit id (pickups and dropoffs refer to it), -1 if none
    n: np.ndarray  # int64 (V,) planned slots after the committed point
    dep0: np.ndarray  # float64 (V,) when the vehicle leaves (or, if idle, is free at) slot 0
    last_leg: np.ndarray  # int64 (V,) the vehicle's last logged leg, -1 before its first


class Log(NamedTuple):
    """Every leg driven, in the order it was committed."""

    vehicle: np.ndarray  # int32
    from_stop: np.ndarray  # int64
    to_stop: np.ndarray  # int64
    depart_s: np.ndarray  # float64
    arrive_s: np.ndarray  # float64
    length_m: np.ndarray  # float64
    onboard: np.ndarray  # int16
    kind: np.ndarray  # int8
    prev_leg: np.ndarray  # int64


class Bookings(NamedTuple):
    """Outcome per request, and the leg and arrival of each visit."""

    status: np.ndarray  # int8 per request
    vehicle: np.ndarray  # int32 per request
    pickup_visit: np.ndarray  # int64 per request
    dropoff_visit: np.ndarray  # int64 per request
    offered_wait_s: np.ndarray  # float64 per request
    offered_ride_s: np.ndarray  # float64 per request
    visit_leg: np.ndarray  # int64 per visit
    visit_arrive_s: np.ndarray  # float64 per visit


def make_schedules(start_stop: np.ndarray, n_slots: int, free_s: float) -> Schedules:
    n_vehicles = start_stop.size
    loc = np.zeros((n_vehicles, n_slots), np.int64)
    loc[:, 0] = start_stop
    arr = np.zeros((n_vehicles, n_slots), np.float64)
    arr[:, 0] = free_s
    return Schedules(
        loc=loc,
        arr=arr,
        latest=np.full((n_vehicles, n_slots), np.inf),
        slack=np.full((n_vehicles, n_slots), np.inf),
        load=np.zeros((n_vehicles, n_slots), np.int64),
        leg_m=np.zeros((n_vehicles, n_slots), np.float64),
        visit=np.full((n_vehicles, n_slots), -1, np.int64),
        n=np.zeros(n_vehicles, np.int64),
        dep0=np.full(n_vehicles, free_s, np.float64),
        last_leg=np.full(n_vehicles, -1, np.int64),
    )


def make_log(capacity: int) -> Log:
    return Log(
        vehicle=np.empty(capacity, np.int32),
        from_stop=np.empty(capacity, np.int64),
        to_stop=np.empty(capacity, np.int64),
        depart_s=np.empty(capacity, np.float64),
        arrive_s=np.empty(capacity, np.float64),
        length_m=np.empty(capacity, np.float64),
        onboard=np.empty(capacity, np.int16),
        kind=np.empty(capacity, np.int8),
        prev_leg=np.empty(capacity, np.int64),
    )


def grown_log(log: Log, used: int, need: int) -> Log:
    """Return ``log``, or a copy with room for ``need`` more legs after the ``used`` ones."""
    capacity = log.vehicle.size
    if used + need <= capacity:
        return log
    while used + need > capacity:
        capacity *= 2
    new = make_log(capacity)
    for old, fresh in zip(log, new):
        fresh[:used] = old[:used]
    return new


def make_bookings(n_requests: int) -> Bookings:
    n_visits = 2 * n_requests  # a request opens at most two visits
    return Bookings(
        status=np.full(n_requests, REJECTED, np.int8),
        vehicle=np.full(n_requests, -1, np.int32),
        pickup_visit=np.full(n_requests, -1, np.int64),
        dropoff_visit=np.full(n_requests, -1, np.int64),
        offered_wait_s=np.full(n_requests, np.nan),
        offered_ride_s=np.full(n_requests, np.nan),
        visit_leg=np.full(n_visits, -1, np.int64),
        visit_arrive_s=np.full(n_visits, np.nan),
    )


# ---------------------------------------------------------------------- compiled core


@njit(cache=True)
def _log_leg(log, counts, sched, v, from_stop, to_stop, depart_s, arrive_s, length_m, onboard, kind):
    k = counts[N_LEGS]
    log.vehicle[k] = v
    log.from_stop[k] = from_stop
    log.to_stop[k] = to_stop
    log.depart_s[k] = depart_s
    log.arrive_s[k] = arrive_s
    log.length_m[k] = length_m
    log.onboard[k] = onboard
    log.kind[k] = kind
    log.prev_leg[k] = sched.last_leg[v]
    sched.last_leg[v] = k
    counts[N_LEGS] = k + 1
    return k


@njit(cache=True)
def _commit_next(sched, log, book, counts, v, dwell_s):
    """The vehicle has left its committed point: log the leg to slot 1, which becomes slot 0."""
    leg = _log_leg(
        log, counts, sched, v, sched.loc[v, 0], sched.loc[v, 1], sched.dep0[v], sched.arr[v, 1],
        sched.leg_m[v, 1], sched.load[v, 0], SERVICE,
    )  # fmt: skip
    visit = sched.visit[v, 1]
    book.visit_leg[visit] = leg
    book.visit_arrive_s[visit] = sched.arr[v, 1]
    sched.dep0[v] = sched.arr[v, 1] + dwell_s
    n = sched.n[v]
    for k in range(n):
        sched.loc[v, k] = sched.loc[v, k + 1]
        sched.arr[v, k] = sched.arr[v, k + 1]
        sched.latest[v, k] = sched.latest[v, k + 1]
        sched.slack[v, k] = sched.slack[v, k + 1]
        sched.load[v, k] = sched.load[v, k + 1]
        sched.leg_m[v, k] = sched.leg_m[v, k + 1]
        sched.visit[v, k] = sched.visit[v, k + 1]
    sched.n[v] = n - 1


@njit(cache=True)
def advance(sched, log, book, counts, t_s, dwell_s):
    """Commit every slot whose vehicle has left the slot before it by ``t_s``.

    The log needs room for ``n_vehicles * n_slots`` more legs.
    """
    for v in range(sched.n.size):
        while sched.n[v] > 0 and sched.dep0[v] < t_s:
            _commit_next(sched, log, book, counts, v, dwell_s)


@njit(cache=True)
def best_insertion(sched, times, o, d, latest_pickup, latest_arrival, t_s, seats, dwell_s, t_request=0.0,
                   rider_weight=0.0):  # fmt: skip
    """Cheapest feasible insertion of a pickup at ``o`` and a dropoff at ``d`` over all vehicles.

    The pickup goes after slot ``i`` (or joins slot ``i`` if that slot is at ``o``), the
    dropoff after slot ``j >= i`` (or joins slot ``j + 1`` if that slot is at ``d``). The
    cost is the increase of the schedule's end, i.e. the driving and dwelling added, plus
    ``rider_weight`` times the new rider's time from the request to the dropoff
    (``t_d - t_request``).

    Returns
    -------
    vehicle, i, j, join_pickup, join_dropoff, pickup_s, dropoff_s, cost
        ``vehicle`` is -1 if no vehicle can serve the request. Ties go to the lowest
        vehicle, then the earliest positions.
    """
    n_vehicles, n_slots = sched.loc.shape
    best_cost = np.inf
    best_v, best_i, best_j = -1, -1, -1
    best_jp, best_jd = False, False
    best_to, best_td = np.nan, np.nan
    for v in range(n_vehicles):
        n = sched.n[v]
        free_slots = n_slots - 1 - n
        if free_slots <= 0:
            continue
        dep0 = sched.dep0[v]
        if n == 0 and dep0 < t_s:
            dep0 = t_s
        # Pruning: no later slot reaches the pickup sooner than slot 0 does (triangle
        # inequality of fastest paths), so most vehicles are skipped here.
        if dep0 + times[sched.loc[v, 0], o] > latest_pickup:
            continue
        end_s = dep0 if n == 0 else sched.arr[v, n] + dwell_s
        for i in range(n + 1):
            if i == 0:
                dep_i = dep0
            else:
                if sched.arr[v, i] > latest_pickup:
                    break
                dep_i = sched.arr[v, i] + dwell_s
            if sched.load[v, i] >= seats:
                continue
            loc_i = sched.loc[v, i]
            if i > 0 and loc_i == o:
                join_p = True
                t_o = sched.arr[v, i]
                p_dep, p_loc, delay_p, used = dep_i, loc_i, 0.0, 0
            else:
                if i < n and sched.loc[v, i + 1] == o:
                    continue  # joining slot i + 1 is as early and adds no stop
                join_p = False
                t_o = dep_i + times[loc_i, o]
                if t_o > latest_pickup:
                    continue
                p_dep, p_loc, used = t_o + dwell_s, o, 1
                delay_p = 0.0
                if i < n:
                    delay_p = p_dep + times[o, sched.loc[v, i + 1]] - sched.arr[v, i + 1]
                    if delay_p > sched.slack[v, i + 1]:
                        continue
            for j in range(i, n + 1):
                if j == i:
                    prev_dep, prev_loc = p_dep, p_loc
                else:
                    if sched.load[v, j] >= seats:
                        break  # the rider would be aboard leaving slot j
                    if sched.arr[v, j] + delay_p > latest_arrival:
                        break
                    prev_dep, prev_loc = sched.arr[v, j] + dwell_s + delay_p, sched.loc[v, j]
                if j < n and sched.loc[v, j + 1] == d:
                    if used > free_slots:
                        continue
                    join_d = True
                    t_d = sched.arr[v, j + 1] + delay_p
                    if t_d > latest_arrival:
                        continue
                    cost = delay_p
                else:
                    if j > i and prev_loc == d:
                        continue  # joining slot j (tried at j - 1) is better
                    if used + 1 > free_slots:
                        continue
                    join_d = False
                    t_d = prev_dep + times[prev_loc, d]
                    if t_d > latest_arrival:
                        continue
                    if j < n:
                        cost = t_d + dwell_s + times[d, sched.loc[v, j + 1]] - sched.arr[v, j + 1]
                        if cost > sched.slack[v, j + 1]:
                            continue
                    else:
                        cost = t_d + dwell_s - end_s
                cost += rider_weight * (t_d - t_request)
                if cost < best_cost:
                    best_cost = cost
                    best_v, best_i, best_j = v, i, j
                    best_jp, best_jd = join_p, join_d
                    best_to, best_td = t_o, t_d
    return best_v, best_i, best_j, best_jp, best_jd, best_to, best_td, best_cost


@njit(cache=True)
def _put(sched, v, k, loc, arr, latest, load, leg_m, visit):
    sched.loc[v, k] = loc
    sched.arr[v, k] = arr
    sched.latest[v, k] = latest
    sched.load[v, k] = load
    sched.leg_m[v, k] = leg_m
    sched.visit[v, k] = visit


@njit(cache=True)
def insert(sched, book, counts, times, lengths, v, i, j, join_p, join_d, t_o, t_d, o, d,
           latest_pickup, latest_arrival, t_s, dwell_s, request):  # fmt: skip
    """Apply an insertion found by :func:`best_insertion` and book the request on it."""
    n = sched.n[v]
    if n == 0 and sched.dep0[v] < t_s:
        sched.dep0[v] = t_s
    loc = sched.loc[v].copy()
    arr = sched.arr[v].copy()
    latest = sched.latest[v].copy()
    load = sched.load[v].copy()
    leg_m = sched.leg_m[v].copy()
    visit = sched.visit[v].copy()

    out = i + 1  # slots 0..i stay as they are
    if join_p:
        sched.latest[v, i] = min(latest[i], latest_pickup)
        sched.load[v, i] = load[i] + 1
        pickup_visit = visit[i]
        p_loc = loc[i]
        delay_p = 0.0
    else:
        pickup_visit = counts[N_VISITS]
        counts[N_VISITS] += 1
        _put(sched, v, out, o, t_o, latest_pickup, load[i] + 1, lengths[loc[i], o], pickup_visit)
        out += 1
        p_loc = o
        delay_p = 0.0
        if i < n:
            delay_p = t_o + dwell_s + times[o, loc[i + 1]] - arr[i + 1]
    for k in range(i + 1, j + 1):  # riders' slots passed with the new rider aboard
        m = lengths[o, loc[k]] if (k == i + 1 and not join_p) else leg_m[k]
        _put(sched, v, out, loc[k], arr[k] + delay_p, latest[k], load[k] + 1, m, visit[k])
        out += 1
    if join_d:
        k = j + 1
        m = lengths[o, loc[k]] if (k == i + 1 and not join_p) else leg_m[k]
        _put(sched, v, out, loc[k], arr[k] + delay_p, min(latest[k], latest_arrival), load[k], m, visit[k])
        out += 1
        dropoff_visit = visit[k]
        delay_d = delay_p
        rest = j + 2
    else:
        prev_loc = p_loc if j == i else loc[j]
        dropoff_visit = counts[N_VISITS]
        counts[N_VISITS] += 1
        _put(sched, v, out, d, t_d, latest_arrival, load[j], lengths[prev_loc, d], dropoff_visit)
        out += 1
        delay_d = 0.0
        rest = j + 1
        if j < n:
            delay_d = t_d + dwell_s + times[d, loc[j + 1]] - arr[j + 1]
            k = j + 1
            _put(sched, v, out, loc[k], arr[k] + delay_d, latest[k], load[k], lengths[d, loc[k]], visit[k])
            out += 1
            rest = j + 2
    for k in range(rest, n + 1):
        _put(sched, v, out, loc[k], arr[k] + delay_d, latest[k], load[k], leg_m[k], visit[k])
        out += 1
    n = out - 1
    sched.n[v] = n
    slack = np.inf
    for k in range(n, 0, -1):
        slack = min(slack, sched.latest[v, k] - sched.arr[v, k])
        sched.slack[v, k] = slack
    book.pickup_visit[request] = pickup_visit
    book.dropoff_visit[request] = dropoff_visit


@njit(cache=True)
def dispatch_requests(sched, book, counts, requests, origin, dest, time_s, latest_pickup, latest_arrival,
                      budget_s, wait_weight, times, lengths, t_s, seats, dwell_s, rider_weight=0.0):  # fmt: skip
    """Offer each request, in the order given, its cheapest insertion; book it if accepted."""
    for r in requests:
        o, d = origin[r], dest[r]
        v, i, j, join_p, join_d, t_o, t_d, _ = best_insertion(
            sched, times, o, d, latest_pickup[r], latest_arrival[r], t_s, seats, dwell_s, time_s[r], rider_weight
        )
        if v < 0:
            book.status[r] = REJECTED
            continue
        wait_s = t_o - time_s[r]
        ride_s = t_d - t_o
        book.offered_wait_s[r] = wait_s
        book.offered_ride_s[r] = ride_s
        if wait_weight * wait_s + ride_s <= budget_s[r]:
            insert(sched, book, counts, times, lengths, v, i, j, join_p, join_d, t_o, t_d, o, d,
                   latest_pickup[r], latest_arrival[r], t_s, dwell_s, r)  # fmt: skip
            book.status[r] = SERVED
            book.vehicle[r] = v
        else:
            book.status[r] = DECLINED


@njit(cache=True)
def drive_empty(sched, log, counts, vehicles, to_stop, depart_s, times, lengths, kind):
    """Send idle vehicles, empty, to a stop; each is free there on arrival (no dwell)."""
    for k in range(vehicles.size):
        v = vehicles[k]
        a, b = sched.loc[v, 0], to_stop[k]
        arrive = depart_s[k] + times[a, b]
        _log_leg(log, counts, sched, v, a, b, depart_s[k], arrive, lengths[a, b], 0, kind)
        sched.loc[v, 0] = b
        sched.arr[v, 0] = arrive
        sched.load[v, 0] = 0
        sched.visit[v, 0] = -1
        sched.dep0[v] = arrive


@njit(cache=True)
def path_sums(pred, sources, indptr, indices, slot_time_s, slot_length_m, targets, out_time_s, out_length_m):
    """Sum true times and lengths along the shortest-path trees of a Dijkstra search.

    Row ``r`` of ``pred`` is the predecessor tree from node ``sources[r]`` (SciPy marks
    the root and unreached nodes with a negative value). The edge ``p -> c`` of the tree is
    the CSR slot of ``c`` among ``p``'s out-slots. Each node is summed once per row,
    walking up the tree only as far as the first node already summed.
    """
    n_rows, n_nodes = pred.shape
    t = np.empty(n_nodes)
    m = np.empty(n_nodes)
    done = np.zeros(n_nodes, np.bool_)
    stack = np.empty(n_nodes, np.int64)
    for r in range(n_rows):
        done[:] = False
        s = sources[r]
        t[s] = 0.0
        m[s] = 0.0
        done[s] = True
        for k in range(targets.size):
            node = targets[k]
            top = 0
            while not done[node]:
                p = pred[r, node]
                if p < 0:  # not reached from the source
                    t[node] = np.inf
                    m[node] = np.inf
                    done[node] = True
                    break
                stack[top] = node
                top += 1
                node = p
            while top > 0:
                top -= 1
                c = stack[top]
                p = pred[r, c]
                q = indptr[p]
                while indices[q] != c:
                    q += 1
                t[c] = t[p] + slot_time_s[q]
                m[c] = m[p] + slot_length_m[q]
                done[c] = True
            out_time_s[r, k] = t[targets[k]]
            out_length_m[r, k] = m[targets[k]]
