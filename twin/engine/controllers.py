"""Lighting controllers: the policies that set each street's light level over time.

A controller turns the run's passages, grouped by street, into one piecewise-linear level
timeline per street (0 = off, 1 = full); :class:`twin.engine.lighting.LightingEngine` then
switches lamps off in daylight and integrates energy and safety.

Built-in controllers (``LightingSpec.controller``)
--------------------------------------------------
``always_on``
    Level 1 whenever dark.
``part_night``
    ``dim_level`` inside the clock window ``[part_night_from_s, part_night_to_s)`` of every
    day of the run (the window wraps midnight when from > to; from == to is no window),
    1 elsewhere while dark.
``traffic_stepped``
    Adaptive lighting in the manner of CEN/TR 13201-1 and UNI 11248: the road users
    entering the street (both directions, all modes) are counted per sample of
    ``flow_sample_s`` (windows aligned to local midnight) and turned into an hourly flow;
    ``ratio = flow / design flow``. A ratio of at least 0.5 calls for the design class
    (level 1), 0.25 to 0.5 for one class lower, below 0.25 for two classes lower. The levels
    are 1, ``(1 + dim_level) / 2`` and ``dim_level``: with the default 0.5 that is
    1 / 0.75 / 0.5, the maintained luminance of classes M3 -> M4 -> M5 in EN 13201-2
    (1.0 / 0.75 / 0.5 cd/m2); the levels are relative to each street's own full level, its
    design class is not modelled. The level steps up at once, at the end of the sample that
    calls for it, and steps down only after two consecutive samples called for less and the
    current level has been held for at least ``min_hold_s``; it then drops to the higher of
    the two levels called for. Each night (dark interval) starts at full. The design flow of
    a street is the summed ``capacity_vph`` of its car edges (both directions); streets
    closed to cars use ``path_design_flow_vph``. Its default of 200 road users per hour is
    twin's assumption, not a standard's figure (CEN/TR 13201-1 picks P classes for paths by
    "normal" or "high" flows of pedestrians and cyclists without a number): a path then
    stays at full above 100 people an hour and drops two classes below 50.
``presence``
    ``dim_level`` when nobody is near. Each passage of a road user raises a request for full
    light over ``[enter_s - lookahead_m / v + sensor_latency_s, exit_s + hold_s]`` with ``v``
    the passage's speed (street length over its duration); the sensors miss each passage
    with probability ``sensor_miss_rate`` (one uniform draw per passage of the
    ``Traversals``, in its row order, from the ``rng`` given to ``evaluate``). Requests on a
    street are merged and the level follows them at a rate of ``(1 - dim_level) / ramp_s``
    per second, up and down (``ramp_s = 0``: steps).

Writing your own controller
---------------------------
A controller is any object with a ``name`` (str), a ``networked`` flag (bool: whether its
lamps draw ``standby_power_w`` for the whole run) and a method
``levels(context: ControlContext) -> LevelTimelines``; pass it as ``controller=`` to
:class:`LightingEngine` (or to ``CityModel``). It gets every passage grouped by street and
sorted by entry time (:class:`StreetPassages`), the street lengths, design flows and lamp
counts, the dark intervals, the scenario's :class:`~twin.scenario.LightingSpec` and a random
generator, and returns each street's commanded level as a piecewise-linear function of time
(:class:`LevelTimelines`). It need not care about daylight: the engine switches lamps off
outside the dark intervals. For example, a controller that keeps busy streets at full and
others at 40 %::

    class BusyOnly:
        name, networked = "busy_only", True

        def levels(self, ctx):
            busy = np.diff(ctx.passages.ptr) > 1000
            return LevelTimelines.constant(ctx.n_streets, np.where(busy, 1.0, 0.4), t=ctx.start_s)

Timelines are evaluated right-continuously: two points at the same time make a step, and the
level at that time is the later point's.

A controller whose lamps draw different standby powers may also have a
``street_standby_power_w`` attribute, one value per street in watts per lamp; the engine then
uses it instead of ``networked`` and ``spec.standby_power_w``.

Zones
-----
:class:`ZonedController` gives different streets different controllers and lighting
parameters (an intervention's :class:`~twin.interventions.base.LightingZone`): each
distinct (controller, parameters) pair runs once, seeing only its own streets as lit, and each
street takes its timeline from its own zone's result. Every zone's controller gets a copy of
the same random generator, so a passage's sensor draw does not depend on how the city is
zoned (common random numbers between a baseline and a variant).
"""


from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, Sequence, runtime_checkable

import numpy as np
from numba import njit

from twin.engine._timeline import values_at

if TYPE_CHECKING:
    from twin.scenario import LightingSpec

__all__ = [
    "CONTROLLERS",
    "AlwaysOn",
    "ControlContext",
    "Controller",
    "LevelTimelines",
    "PartNight",
    "Presence",
    "StreetPassages",
    "TrafficStepped",
    "ZonedController",
]

DAY_S = 86400.0


# ------------------------------------------------------------------ data types


@dataclass(frozen=True, slots=True)
class StreetPassages:
    """The passages of a ``Traversals`` table grouped by street, sorted by entry time.

    Street ``s`` owns rows ``ptr[s]:ptr[s + 1]`` of every array.

    Attributes
    ----------
    ptr
        ``int64`` offsets, length ``n_streets + 1``.
    street
        ``int64`` street of each passage.
    enter_s, exit_s
        ``float64`` times the road user entered and left the street.
    mode
        ``int8`` mode code (:data:`~twin.engine.traversals.MODE_CODES`).
    forward
        ``bool``: whether the passage runs along the street's forward edge (the one lamp
        offsets are measured on).
    row
        ``int64`` row of the passage in the ``Traversals`` table given to ``evaluate``.
    n_rows
        Number of rows of that table (for one random draw per passage in its order).
    """

    ptr: np.ndarray
    street: np.ndarray
    enter_s: np.ndarray
    exit_s: np.ndarray
    mode: np.ndarray
    forward: np.ndarray
    row: np.ndarray
    n_rows: int

    def __len__(self) -> int:
        return int(self.enter_s.size)


@dataclass(frozen=True, slots=True)
class LevelTimelines:
    """One piecewise-linear level timeline per street, in compressed sparse row form.

    Street ``s`` has the points ``(t[k], level[k])`` for ``k`` in ``ptr[s]:ptr[s + 1]``,
    with ``t`` non-decreasing. The level is linear between neighbouring points, constant
    before the first point and after the last, and right-continuous: two points at the same
    time make a step. Levels are fractions of full power, 0 to 1. Every street with lamps
    needs at least one point; streets without lamps may have none.
    """

    ptr: np.ndarray
    t: np.ndarray
    level: np.ndarray

    @property
    def n_streets(self) -> int:
        """Number of streets."""
        return int(self.ptr.size - 1)

    @classmethod
    def constant(cls, n_streets: int, level, *, t: float = 0.0) -> LevelTimelines:
        """Every street at a constant level (a scalar or one value per street)."""
        values = np.broadcast_to(np.asarray(level, dtype=float), (n_streets,)).copy()
        return cls(ptr=np.arange(n_streets + 1, dtype=np.int64), t=np.full(n_streets, float(t)), level=values)

    @classmethod
    def from_points(cls, street, t, level, *, n_streets: int) -> LevelTimelines:
        """Build from unordered points: sorted by street, then time (stable for steps).

        Parameters
        ----------
        street, t, level
            Parallel arrays, one entry per point.
        n_streets
            Number of streets.
        """
        street = np.asarray(street, dtype=np.int64)
        t = np.asarray(t, dtype=float)
        level = np.asarray(level, dtype=float)
        if not street.shape == t.shape == level.shape:
            raise ValueError("`street`, `t` and `level` must have the same length")
        if street.size and (street.min() < 0 or street.max() >= n_streets):
            raise ValueError(f"street ids must lie in 0..{n_streets - 1}")
        order = np.lexsort((t, street))
        ptr = np.zeros(n_streets + 1, dtype=np.int64)
        np.cumsum(np.bincount(street, minlength=n_streets), out=ptr[1:])
        return cls(ptr=ptr, t=t[order], level=level[order])

    def at(self, street: int, times_s) -> np.ndarray:
        """The level of one street at the given times (daylight not applied)."""
        times = np.ascontiguousarray(times_s, dtype=float)
        out = np.empty(times.size)
        lo, hi = int(self.ptr[street]), int(self.ptr[street + 1])
        if hi == lo:
            raise ValueError(f"street {street} has no level timeline")
        values_at(self.t, self.level, lo, hi, times.ravel(), out)
        return out.reshape(times.shape)


@dataclass(frozen=True, slots=True)
class ControlContext:
    """Everything a controller may use to set the street levels.

    Attributes
    ----------
    spec
        The scenario's lighting section.
    passages
        The run's passages grouped by street.
    dark_s
        ``(k, 2)`` sorted dark intervals ``[on, off)`` within the run.
    start_s, end_s
        The run, in seconds from local midnight.
    street_length_m, street_design_flow_vph
        Per street (index = street id).
    street_lamps
        ``int64`` number of lamps per street; streets without lamps need no timeline.
    rng
        The random generator given to :meth:`LightingEngine.evaluate`.
    """

    spec: LightingSpec
    passages: StreetPassages
    dark_s: np.ndarray
    start_s: float
    end_s: float
    street_length_m: np.ndarray
    street_design_flow_vph: np.ndarray
    street_lamps: np.ndarray
    rng: np.random.Generator

    @property
    def n_streets(self) -> int:
        """Number of streets."""
        return int(self.street_length_m.size)

    @property
    def lit(self) -> np.ndarray:
        """Whether each street has lamps."""
        return self.street_lamps > 0


@runtime_checkable
class Controller(Protocol):
    """What :class:`LightingEngine` asks of a controller (see the module documentation).

    Attributes
    ----------
    name
        A short name, reported with the results.
    networked
        Whether each lamp draws ``spec.standby_power_w`` for the whole run (a controller
        node with radio and sensors) rather than nothing (a photocell or timer).
    """

    name: str
    networked: bool

    def levels(self, context: ControlContext) -> LevelTimelines:
        """Return each street's commanded level (0 to 1) as a piecewise-linear timeline."""
        ...


# ---------------------------------------------------------------- controllers


class AlwaysOn:
    """Full level whenever it is dark (a photocell); no standby power."""

    name = "always_on"
    networked = False

    def levels(self, context: ControlContext) -> LevelTimelines:
        return LevelTimelines.constant(context.n_streets, 1.0, t=context.start_s)


class PartNight:
    """``dim_level`` inside the daily clock window ``[part_night_from_s, part_night_to_s)``,
    full elsewhere while dark (a timer); no standby power."""

    name = "part_night"
    networked = False

    def levels(self, context: ControlContext) -> LevelTimelines:
        spec = context.spec
        start, end = context.start_s, context.end_s
        lo, hi = float(spec.part_night_from_s) % DAY_S, float(spec.part_night_to_s) % DAY_S
        dim = float(spec.dim_level)
        points_t, points_v = [], []
        if lo != hi:
            length = hi - lo if hi > lo else DAY_S - lo + hi
            # Windows start once a day, so they are disjoint and come in time order.
            for day in range(math.floor(start / DAY_S) - 1, math.floor(end / DAY_S) + 1):
                a = day * DAY_S + lo
                b = a + length
                if b <= start or a >= end:
                    continue
                points_t += [a, a, b, b]
                points_v += [1.0, dim, dim, 1.0]
        if not points_t:
            points_t, points_v = [start], [1.0]
        t, v = np.asarray(points_t), np.asarray(points_v)
        n = context.n_streets
        return LevelTimelines(ptr=np.arange(n + 1, dtype=np.int64) * t.size, t=np.tile(t, n), level=np.tile(v, n))


class TrafficStepped:
    """Lighting class lowered by measured traffic flow (CEN/TR 13201-1, UNI 11248); see the
    module documentation. Networked: standby power applies."""

    name = "traffic_stepped"
    networked = True

    def levels(self, context: ControlContext) -> LevelTimelines:
        spec = context.spec
        p = context.passages
        dim = float(spec.dim_level)
        levels = np.array([1.0, (1.0 + dim) / 2.0, dim])
        ptr, t, v = _stepped_timelines(
            p.ptr, p.enter_s, context.street_design_flow_vph.astype(float), context.lit,
            np.ascontiguousarray(context.dark_s[:, 0]), np.ascontiguousarray(context.dark_s[:, 1]),
            float(spec.flow_sample_s), float(spec.min_hold_s), levels, float(context.start_s),
        )  # fmt: skip
        return LevelTimelines(ptr=ptr, t=t, level=v)


class Presence:
    """Dim until a road user is sensed, then full ahead of them and for ``hold_s`` after;
    see the module documentation. Networked: standby power applies."""

    name = "presence"
    networked = True

    def levels(self, context: ControlContext) -> LevelTimelines:
        spec = context.spec
        p = context.passages
        # One draw per passage in the order of the Traversals table, whatever the street.
        draws = context.rng.random(p.n_rows)
        seen = draws[p.row] >= float(spec.sensor_miss_rate)
        length = context.street_length_m[p.street]
        duration = p.exit_s - p.enter_s
        # Time to cover the look-ahead at the passage's speed: lookahead / (length / duration).
        with np.errstate(divide="ignore", invalid="ignore"):
            lead = np.where(length > 0, float(spec.lookahead_m) * duration / length, 0.0)
        request_on = p.enter_s - lead + float(spec.sensor_latency_s)
        request_off = p.exit_s + float(spec.hold_s)
        dim = float(spec.dim_level)
        seconds_per_level = float(spec.ramp_s) / (1.0 - dim) if dim < 1.0 else 0.0
        ptr, t, v = _presence_timelines(
            p.ptr, request_on, request_off, seen, context.lit, dim, seconds_per_level, float(context.start_s)
        )
        return LevelTimelines(ptr=ptr, t=t, level=v)


CONTROLLERS: dict[str, type] = {
    "always_on": AlwaysOn,
    "part_night": PartNight,
    "traffic_stepped": TrafficStepped,
    "presence": Presence,
}
"""The built-in controllers by ``LightingSpec.controller`` name."""


class ZonedController:
    """Each street's lights follow the controller and lighting parameters of its zone.

    Parameters
    ----------
    zones
        ``(controller, spec)`` per zone; zone 0 is the city outside every other zone.
    street_zone
        ``int64`` zone of each street (index = street id), into ``zones``.
    labels
        A name per zone, for results; by default ``"zone k"``.

    Attributes
    ----------
    name
        The names of the zones' controllers, distinct ones joined by ``+``.
    networked
        Whether any zone's controller is networked.
    street_standby_power_w
        Standby power per lamp of each street: its zone's ``standby_power_w`` where the zone's
        controller is networked, else 0.

    Notes
    -----
    Zones with the same controller object and equal parameters run as one. Each run sees the
    streets of other zones as unlit (``street_lamps`` 0), so built-in controllers do no work
    for them.
    """

    def __init__(self, zones: Sequence[tuple[Controller, LightingSpec]], street_zone, *,
                 labels: Sequence[str] | None = None) -> None:  # fmt: skip
        self.zones = list(zones)
        if not self.zones:
            raise ValueError("`zones` must hold at least the default zone")
        for controller, _ in self.zones:
            if not isinstance(controller, Controller):
                raise TypeError("every zone's controller needs a `name`, a `networked` flag and a `levels(context)` method")
        self.street_zone = np.ascontiguousarray(street_zone, dtype=np.int64)
        if self.street_zone.ndim != 1 or (self.street_zone.size and (self.street_zone.min() < 0
                                                                     or self.street_zone.max() >= len(self.zones))):  # fmt: skip
            raise ValueError(f"`street_zone` must hold one zone index (0..{len(self.zones) - 1}) per street")
        self.labels = tuple(labels) if labels is not None else tuple(f"zone {k}" for k in range(len(self.zones)))
        if len(self.labels) != len(self.zones):
            raise ValueError(f"`labels` has {len(self.labels)} names for {len(self.zones)} zones")
        # Zones that would compute the same thing run once: group them.
        self._group = np.empty(len(self.zones), dtype=np.int64)
        self._runs: list[tuple[Controller, LightingSpec]] = []
        for k, (controller, spec) in enumerate(self.zones):
            same = [g for g, (c, sp) in enumerate(self._runs) if c is controller and sp == spec]
            if same:
                self._group[k] = same[0]
            else:
                self._group[k] = len(self._runs)
                self._runs.append((controller, spec))
        self.name = "+".join(dict.fromkeys(str(c.name) for c, _ in self._runs))
        self.networked = any(bool(c.networked) for c, _ in self._runs)
        per_zone = np.array([float(spec.standby_power_w) if bool(c.networked) else 0.0 for c, spec in self.zones])
        self.street_standby_power_w = per_zone[self.street_zone]

    def levels(self, context: ControlContext) -> LevelTimelines:
        n = context.n_streets
        if self.street_zone.size != n:
            raise ValueError(f"the zoned controller knows {self.street_zone.size} streets, the city has {n}")
        street_run = self._group[self.street_zone]
        count = np.zeros(n, dtype=np.int64)
        results: list[tuple[np.ndarray, LevelTimelines]] = []
        for g, (controller, spec) in enumerate(self._runs):
            mine = street_run == g
            lamps = np.where(mine, context.street_lamps, 0)
            if not lamps.any():
                continue
            # Each zone sees the same random numbers (common random numbers across zonings).
            own = dataclasses.replace(context, spec=spec, street_lamps=lamps, rng=copy.deepcopy(context.rng))
            timelines = _checked_timelines(controller.levels(own), n, lamps > 0, str(controller.name))
            streets = np.flatnonzero(mine)
            count[streets] = np.diff(timelines.ptr)[streets]
            results.append((streets, timelines))
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(count, out=ptr[1:])
        t, level = np.empty(int(ptr[-1])), np.empty(int(ptr[-1]))
        # Each street's points are copied from its own zone's timelines, all streets of a
        # zone at once (runs of CSR rows, no loop over streets).
        for streets, timelines in results:
            hops = count[streets]
            source = _runs(timelines.ptr[streets], hops)
            target = _runs(ptr[streets], hops)
            t[target] = timelines.t[source]
            level[target] = timelines.level[source]
        return LevelTimelines(ptr=ptr, t=t, level=level)


def _runs(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Positions ``starts[i] .. starts[i] + lengths[i] - 1`` of each run, one after another."""
    before = np.cumsum(lengths) - lengths
    return np.repeat(starts - before, lengths) + np.arange(int(lengths.sum()), dtype=np.int64)


def _checked_timelines(timelines: LevelTimelines, n_streets: int, lit: np.ndarray, name: str) -> LevelTimelines:
    """Check a controller's output, so that a faulty custom controller fails loudly."""
    if not isinstance(timelines, LevelTimelines):
        raise TypeError(f"controller {name!r} returned {type(timelines).__name__}, not LevelTimelines")
    ptr = np.ascontiguousarray(timelines.ptr, dtype=np.int64)
    t = np.ascontiguousarray(timelines.t, dtype=float)
    level = np.ascontiguousarray(timelines.level, dtype=float)
    if ptr.shape != (n_streets + 1,) or ptr[0] != 0 or np.any(np.diff(ptr) < 0) or ptr[-1] != t.size:
        raise ValueError(f"controller {name!r}: `ptr` must be {n_streets + 1} non-decreasing offsets from 0 to len(t)")
    if level.shape != t.shape:
        raise ValueError(f"controller {name!r}: `t` and `level` must have the same length")
    if not (np.isfinite(t).all() and np.isfinite(level).all()):
        raise ValueError(f"controller {name!r}: times and levels must be finite")
    if np.any(level < 0.0) or np.any(level > 1.0):
        raise ValueError(f"controller {name!r}: levels must lie between 0 and 1")
    if t.size > 1:
        backwards = np.diff(t) < 0
        backwards[ptr[1:-1][ptr[1:-1] < t.size] - 1] = False  # a new street may start earlier
        if backwards.any():
            raise ValueError(f"controller {name!r}: the times of a street's timeline must not decrease")
    empty = lit & (np.diff(ptr) == 0)
    if empty.any():
        raise ValueError(f"controller {name!r}: street {int(np.argmax(empty))} has lamps but no level timeline")
    return LevelTimelines(ptr=ptr, t=t, level=level)


# ---------------------------------------------------------------------- kernels


@njit(cache=True, inline="always")
def _count_below(sorted_values, lo, hi, x):
    """Number of values in sorted_values[lo:hi] strictly below x."""
    a, b = lo, hi
    while a < b:
        m = (a + b) >> 1
        if sorted_values[m] < x:
            a = m + 1
        else:
            b = m
    return a - lo


@njit(cache=True)
def _jump(t, v, k, at, from_level, to_level):
    """Write a step from one level to another at time ``at`` as two points; return the next slot."""
    t[k] = at
    v[k] = from_level
    t[k + 1] = at
    v[k + 1] = to_level
    return k + 2


@njit(cache=True)
def _stepped_timelines(pptr, enter, design, lit, dark_a, dark_b, sample_s, min_hold_s, levels, start_s):
    """traffic_stepped: class 0/1/2 (levels[0..2]) per street from counted samples."""
    n_streets = pptr.size - 1
    # Upper bound of points per street: 1 + per night 2 + 2 per sample end inside it.
    n_samples = 0
    for j in range(dark_a.size):
        n_samples += int((dark_b[j] - dark_a[j]) / sample_s) + 2
    per_street = 1 + 2 * dark_a.size + 2 * n_samples
    n_lit = 0
    for s in range(n_streets):
        if lit[s]:
            n_lit += 1
    t = np.empty(n_lit * per_street)
    v = np.empty(n_lit * per_street)
    ptr = np.zeros(n_streets + 1, dtype=np.int64)
    k = 0
    per_hour = 3600.0 / sample_s
    for s in range(n_streets):
        if lit[s]:
            lo, hi = pptr[s], pptr[s + 1]
            t[k] = start_s
            v[k] = levels[0]
            k += 1
            current = 0
            for j in range(dark_a.size):
                # Each night starts at full.
                k = _jump(t, v, k, dark_a[j], levels[current], levels[0])
                current = 0
                since = dark_a[j]
                low_run = 0
                previous_call = 0
                e = (math.floor(dark_a[j] / sample_s) + 1) * sample_s
                while e < dark_b[j]:
                    # Entries in [e - sample, e).
                    before_end = _count_below(enter, lo, hi, e)
                    before_start = _count_below(enter, lo, hi, e - sample_s)
                    count = before_end - before_start
                    ratio = count * per_hour / design[s]
                    call = 0 if ratio >= 0.5 else (1 if ratio >= 0.25 else 2)
                    if call < current:  # more traffic: up at once
                        k = _jump(t, v, k, e, levels[current], levels[call])
                        current = call
                        since = e
                        low_run = 0
                    elif call > current:  # less traffic: down after two samples and the hold
                        low_run += 1
                        if low_run >= 2 and e - since >= min_hold_s:
                            target = min(call, previous_call)
                            k = _jump(t, v, k, e, levels[current], levels[target])
                            current = target
                            since = e
                            low_run = 0
                    else:
                        low_run = 0
                    previous_call = call
                    e += sample_s
        ptr[s + 1] = k
    return ptr, t[:k].copy(), v[:k].copy()


@njit(cache=True)
def _presence_timelines(pptr, request_on, request_off, seen, lit, dim, seconds_per_level, start_s):
    """presence: merge each street's requests for full light and follow them with ramps."""
    n_streets = pptr.size - 1
    # Pass 1: merged request intervals per street, written over a copy of the requests.
    merged_a = np.empty(request_on.size)
    merged_b = np.empty(request_on.size)
    n_merged = np.zeros(n_streets, dtype=np.int64)
    for s in range(n_streets):
        lo, hi = pptr[s], pptr[s + 1]
        if not lit[s] or hi == lo:
            continue
        keys = request_on[lo:hi].copy()
        idx = np.argsort(keys, kind="mergesort")
        m = 0
        for q in range(hi - lo):
            i = lo + idx[q]
            if not seen[i]:
                continue
            a = request_on[i]
            b = request_off[i]
            if b <= a:
                continue
            if m > 0 and a <= merged_b[lo + m - 1]:
                if b > merged_b[lo + m - 1]:
                    merged_b[lo + m - 1] = b
            else:
                merged_a[lo + m] = a
                merged_b[lo + m] = b
                m += 1
        n_merged[s] = m
    # Pass 2: timelines with linear ramps, at most 4 points per merged interval plus 2.
    ptr = np.zeros(n_streets + 1, dtype=np.int64)
    for s in range(n_streets):
        ptr[s + 1] = ptr[s] + ((4 * n_merged[s] + 2) if lit[s] else 0)
    t = np.empty(ptr[-1])
    v = np.empty(ptr[-1])
    out_ptr = np.zeros(n_streets + 1, dtype=np.int64)
    k = 0
    for s in range(n_streets):
        if lit[s]:
            lo = pptr[s]
            m = n_merged[s]
            t[k] = min(start_s, merged_a[lo]) if m > 0 else start_s
            v[k] = dim
            k += 1
            level_end = dim
            end = 0.0
            for q in range(m):
                a = merged_a[lo + q]
                b = merged_b[lo + q]
                level_a = dim
                if q > 0:
                    fall_end = end + (level_end - dim) * seconds_per_level
                    if fall_end <= a:
                        t[k] = fall_end
                        v[k] = dim
                        k += 1
                    else:
                        level_a = level_end - (a - end) / seconds_per_level
                t[k] = a
                v[k] = level_a
                k += 1
                rise_end = a + (1.0 - level_a) * seconds_per_level
                if rise_end <= b:
                    t[k] = rise_end
                    v[k] = 1.0
                    k += 1
                    level_end = 1.0
                else:
                    level_end = level_a + (b - a) / seconds_per_level
                t[k] = b
                v[k] = level_end
                k += 1
                end = b
            if m > 0:
                t[k] = end + (level_end - dim) * seconds_per_level
                v[k] = dim
                k += 1
        out_ptr[s + 1] = k
    return out_ptr, t[:k].copy(), v[:k].copy()
