"""Streetlight control and energy: per-street level timelines, integrated exactly.

Lamps are controlled per street: all lamps of a street share one controller state, and a
road user's passage along either of the street's one or two directed edges is a passage of
the street. A controller turns the run's passages (:class:`~twin.engine.traversals.Traversals`)
into one piecewise-linear *level timeline* per street (0 = off, 1 = full); the engine then

- switches the lamps off outside the dark intervals (:func:`twin.engine.sun.dark_intervals`):
  a lamp's level at time ``t`` is its street's level if ``t`` lies in a dark interval
  ``[on, off)``, and 0 otherwise;
- integrates power over the run analytically, piece by piece of the timeline (no sampling);
- finds every *dark arrival*: a road user reaching a lamp while it is dark and the lamp is
  below full level. A passage moves at constant speed, so it reaches a lamp at
  ``enter_s + distance / v`` with ``v = length / (exit_s - enter_s)``; the distance from the
  entry is the lamp's ``offset_m`` on the forward edge and ``length - offset_m`` on the
  reverse edge;
- measures the metres walked and cycled in the dark on lit streets (streets with at least
  one lamp), and how many of them were passed while the street was at full level.

All times are twin's wall-clock seconds from local midnight (see :mod:`twin.engine.sun`).

Power model
-----------
Power is proportional to level (LED drivers dim about linearly in power over the usual
dimming range; losses at deep dimming are ignored), so a lamp of rated power ``P`` at level
``l`` draws ``l * P``. Networked controllers (``traffic_stepped``, ``presence``: a node with
a radio and, for presence, sensors on every pole) draw ``standby_power_w`` per lamp for the
*whole run*, day and night, on top of the lamp; ``always_on`` and ``part_night`` are
photocells and timers with no standby. Per-lamp ``energy_kwh`` includes the lamp's share of
standby, and ``standby_kwh`` says how much of the total it is.

Zones
-----
Interventions may give some streets their own controller and lighting parameters
(:class:`~twin.interventions.base.LightingZone`); :meth:`LightingEngine.from_network` then runs
a :class:`~twin.engine.controllers.ZonedController`. A lamp draws standby power only if its
street's zone has a networked controller, at that zone's ``standby_power_w``; a street with
no lamps on cars uses its zone's ``path_design_flow_vph``. The dark intervals are the
scenario's for every zone (a zone's ``on_sun_elevation_deg`` is not used).

The controllers that set each street's level, and how to write one, are in
:mod:`twin.engine.controllers`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

import numpy as np
from numba import njit

from twin.engine._timeline import is_dark, last_at_or_before, level_at
from twin.engine.controllers import (
    CONTROLLERS,
    DAY_S,
    AlwaysOn,
    ControlContext,
    Controller,
    LevelTimelines,
    PartNight,
    Presence,
    StreetPassages,
    TrafficStepped,
    ZonedController,
    _checked_timelines,
)
from twin.engine.traversals import MODE_CODES, Traversals

if TYPE_CHECKING:
    from twin.interventions.base import LightingZone
    from twin.maps.network import StreetNetwork
    from twin.scenario import LightingSpec

__all__ = [
    "CONTROLLERS",
    "AlwaysOn",
    "ControlContext",
    "Controller",
    "LevelTimelines",
    "LightingEngine",
    "LightingResult",
    "PartNight",
    "Presence",
    "StreetPassages",
    "TrafficStepped",
    "ZonedController",
]

_FULL = 1.0 - 1e-9
"""A level at or above this is full."""
_OFF = 1e-9
"""A level at or below this is off."""

_WALK, _BIKE = MODE_CODES["walk"], MODE_CODES["bike"]


# --------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class LightingResult:
    """Energy, service hours and safety of the lights over one run.

    Attributes
    ----------
    controller
        Name of the controller that set the levels.
    energy_kwh
        Per lamp (rows of the lamp table): energy over the run, its share of standby
        included.
    hours_full, hours_dimmed, hours_off
        Per lamp: hours at full level while dark; at a level between 0 and 1 while dark
        (dimmed or ramping); and off (daylight, or level 0 while dark). They add up to the
        run's length.
    dark_arrivals
        Per lamp: road users (all modes) who reached the lamp while it was dark and below
        full level.
    standby_kwh
        Standby energy of networked controllers, all lamps together (part of ``energy_kwh``).
    night_metres_walk_bike
        Metres walked or cycled on lit streets while it was dark.
    night_metres_walk_bike_full
        The part of those metres passed while the street was at full level.
    trip_night_m, trip_night_full_m
        The same two, per trip: index ``k`` is the trip the passages name in their ``trip``
        (the row of the run's trip table), up to the largest one; passages of no trip
        (``trip < 0``) count in the totals only.
    lamps_networked
        Lamps whose street's controller is networked (remotely managed: it can switch, dim
        and meter each street from the network).
    dark_arrivals_total, dark_arrivals_walk_bike
        Dark arrivals of all road users, and of walkers and cyclists only.
    timelines
        The controller's level timelines per street (before daylight switching).
    dark_s
        The dark intervals, clipped to the run.
    street_power_w, street_lamps
        Rated power and number of lamps per street.
    standby_kw
        Standby power of all lamps while the run lasts.
    start_s, end_s
        The run.
    lamp_zone
        Per lamp: the lighting zone its street was in (0 = outside every zone, ``k`` = the
        ``k``-th zone given to :meth:`LightingEngine.from_network`); ``None`` without zones.
    zone_labels
        The label of each zone, index 0 (outside every zone) included; empty without zones.
    """

    controller: str
    energy_kwh: np.ndarray
    hours_full: np.ndarray
    hours_dimmed: np.ndarray
    hours_off: np.ndarray
    dark_arrivals: np.ndarray
    standby_kwh: float
    night_metres_walk_bike: float
    night_metres_walk_bike_full: float
    dark_arrivals_total: int
    dark_arrivals_walk_bike: int
    timelines: LevelTimelines = field(repr=False)
    dark_s: np.ndarray = field(repr=False)
    street_power_w: np.ndarray = field(repr=False)
    street_lamps: np.ndarray = field(repr=False)
    standby_kw: float = 0.0
    start_s: float = 0.0
    end_s: float = DAY_S
    lamp_zone: np.ndarray | None = field(default=None, repr=False)
    zone_labels: tuple[str, ...] = ()
    trip_night_m: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    trip_night_full_m: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    lamps_networked: int = 0

    @property
    def total_kwh(self) -> float:
        """Energy of all lamps over the run, standby included."""
        return float(self.energy_kwh.sum())

    def zone_energy(self) -> dict[str, dict[str, float]]:
        """Lamps and energy (standby included) of the lamps in each lighting zone, by label.

        Zones sharing a label are added up; lamps outside every zone are not listed (they
        are the total less these). Empty without zones.
        """
        out: dict[str, dict[str, float]] = {}
        if self.lamp_zone is None:
            return out
        n_zones = len(self.zone_labels)
        lamps = np.bincount(self.lamp_zone, minlength=n_zones)
        kwh = np.bincount(self.lamp_zone, weights=self.energy_kwh, minlength=n_zones)
        for k in range(1, n_zones):
            entry = out.setdefault(self.zone_labels[k], {"lamps": 0, "energy_kwh": 0.0})
            entry["lamps"] += int(lamps[k])
            entry["energy_kwh"] += float(kwh[k])
        return out

    def power_kw(self, times_s) -> np.ndarray:
        """Total lighting power at the given times, standby included, in kW.

        Standby counts for times within ``[start_s, end_s]``; lamp power at times within a
        dark interval ``[on, off)``.
        """
        times = np.ascontiguousarray(times_s, dtype=float)
        lamp_kw = np.empty(times.size)
        _street_sum_at(self.timelines.ptr, self.timelines.t, self.timelines.level, self.street_power_w / 1000.0,
                       self.dark_s[:, 0].copy(), self.dark_s[:, 1].copy(), times.ravel(), False, lamp_kw)  # fmt: skip
        flat = times.ravel()
        standby = np.where((flat >= self.start_s) & (flat <= self.end_s), self.standby_kw, 0.0)
        return (lamp_kw + standby).reshape(times.shape)

    def demand_kw(self, times_s) -> np.ndarray:
        """Lighting power at the given times as if it were dark, standby included, in kW.

        The controller's levels without daylight switching: what the lamps would draw at that
        moment of the day on a night long enough to cover it. :mod:`twin.economics` integrates
        it over the dark hours of every day of a year. Standby counts for times within
        ``[start_s, end_s]``, as in :meth:`power_kw`.
        """
        times = np.ascontiguousarray(times_s, dtype=float)
        lamp_kw = np.empty(times.size)
        always = np.array([-math.inf]), np.array([math.inf])
        _street_sum_at(self.timelines.ptr, self.timelines.t, self.timelines.level, self.street_power_w / 1000.0,
                       always[0], always[1], times.ravel(), False, lamp_kw)  # fmt: skip
        flat = times.ravel()
        standby = np.where((flat >= self.start_s) & (flat <= self.end_s), self.standby_kw, 0.0)
        return (lamp_kw + standby).reshape(times.shape)

    def lamps_at_full(self, times_s) -> np.ndarray:
        """Number of lamps at full level (and on: it is dark) at the given times."""
        times = np.ascontiguousarray(times_s, dtype=float)
        out = np.empty(times.size)
        _street_sum_at(self.timelines.ptr, self.timelines.t, self.timelines.level, self.street_lamps.astype(float),
                       self.dark_s[:, 0].copy(), self.dark_s[:, 1].copy(), times.ravel(), True, out)  # fmt: skip
        return np.rint(out).astype(np.int64).reshape(times.shape)


# ---------------------------------------------------------------------- engine


class LightingEngine:
    """Evaluates a lighting controller over a run's passages.

    Parameters
    ----------
    lamp_power_w
        Rated power of each lamp, in watts.
    lamp_street
        Street id of each lamp.
    lamp_offset_m
        Distance of each lamp along its street's forward edge, in metres.
    street_length_m
        Length of each street (index = street id), in metres.
    street_design_flow_vph
        Design flow of each street, in road users per hour (``traffic_stepped``).
    spec
        The scenario's lighting section.
    dark_s
        ``(k, 2)`` dark intervals ``[on, off)`` (:func:`twin.engine.sun.dark_intervals`);
        clipped to the run here, and sorted and merged.
    start_s, end_s
        The run, in seconds from local midnight.
    edge_street
        Street of each directed edge of the network.
    edge_forward
        Whether each edge runs along its street's forward direction. On a reverse edge a
        lamp at offset ``x`` is ``length - x`` from the entry.
    controller
        A :class:`Controller`; by default the built-in one ``spec.controller`` names. One
        with a ``street_standby_power_w`` attribute (one value per street, in watts per lamp,
        e.g. :class:`ZonedController`) sets each lamp's standby power; otherwise every lamp
        draws ``spec.standby_power_w`` if the controller is networked, nothing if not.
    """

    def __init__(
        self,
        *,
        lamp_power_w: np.ndarray,
        lamp_street: np.ndarray,
        lamp_offset_m: np.ndarray,
        street_length_m: np.ndarray,
        street_design_flow_vph: np.ndarray,
        spec: LightingSpec,
        dark_s: np.ndarray,
        start_s: float,
        end_s: float,
        edge_street: np.ndarray,
        edge_forward: np.ndarray,
        controller: Controller | None = None,
    ) -> None:
        self.spec = spec
        self.start_s, self.end_s = float(start_s), float(end_s)
        if not (math.isfinite(self.start_s) and math.isfinite(self.end_s) and self.end_s >= self.start_s):
            raise ValueError(f"the run [{start_s}, {end_s}] must be finite and not end before it starts")
        self.street_length_m = np.ascontiguousarray(street_length_m, dtype=float)
        self.street_design_flow_vph = np.ascontiguousarray(street_design_flow_vph, dtype=float)
        n_streets = self.street_length_m.size
        if self.street_design_flow_vph.shape != (n_streets,):
            raise ValueError("`street_design_flow_vph` must have one value per street, like `street_length_m`")
        if np.any(~(self.street_length_m >= 0)) or np.any(~np.isfinite(self.street_length_m)):
            raise ValueError("every street length must be a finite number of metres, 0 or more")
        lit_design = self.street_design_flow_vph
        if np.any(~(lit_design > 0)) or np.any(~np.isfinite(lit_design)):
            raise ValueError("every street design flow must be a positive number of road users per hour")

        self.lamp_power_w = np.ascontiguousarray(lamp_power_w, dtype=float)
        self.lamp_street = np.ascontiguousarray(lamp_street, dtype=np.int64)
        lamp_offset = np.ascontiguousarray(lamp_offset_m, dtype=float)
        if not self.lamp_power_w.shape == self.lamp_street.shape == lamp_offset.shape:
            raise ValueError("`lamp_power_w`, `lamp_street` and `lamp_offset_m` must have one value per lamp")
        if self.lamp_street.size and (self.lamp_street.min() < 0 or self.lamp_street.max() >= n_streets):
            raise ValueError(f"lamp street ids must lie in 0..{n_streets - 1}")
        if np.any(~(self.lamp_power_w >= 0)) or np.any(~np.isfinite(self.lamp_power_w)):
            raise ValueError("every lamp power must be a finite number of watts, 0 or more")
        if np.any(~np.isfinite(lamp_offset)):
            raise ValueError("every lamp offset must be a finite number of metres")
        # Lamps snapped to a street lie on it; rounding may put one a hair past an end.
        self.lamp_offset_m = np.clip(lamp_offset, 0.0, self.street_length_m[self.lamp_street])

        self.edge_street = np.ascontiguousarray(edge_street, dtype=np.int64)
        self.edge_forward = np.ascontiguousarray(edge_forward, dtype=bool)
        if self.edge_street.shape != self.edge_forward.shape:
            raise ValueError("`edge_street` and `edge_forward` must have one value per edge")
        if self.edge_street.size and (self.edge_street.min() < 0 or self.edge_street.max() >= n_streets):
            raise ValueError(f"edge street ids must lie in 0..{n_streets - 1}")

        self.dark_s = _clean_dark(dark_s, self.start_s, self.end_s)
        self.controller = controller if controller is not None else CONTROLLERS[spec.controller]()
        if not isinstance(self.controller, Controller):
            raise TypeError("`controller` needs a `name`, a `networked` flag and a `levels(context)` method")

        # Lamps grouped by street, in order along the forward edge.
        order = np.lexsort((self.lamp_offset_m, self.lamp_street))
        self._lamp_order = order.astype(np.int64)
        self._lamp_ptr = np.zeros(n_streets + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.lamp_street, minlength=n_streets), out=self._lamp_ptr[1:])
        self.street_lamps = np.diff(self._lamp_ptr)
        self.street_power_w = np.bincount(self.lamp_street, weights=self.lamp_power_w, minlength=n_streets)

    @property
    def n_streets(self) -> int:
        """Number of streets."""
        return int(self.street_length_m.size)

    @property
    def n_lamps(self) -> int:
        """Number of lamps."""
        return int(self.lamp_power_w.size)

    @classmethod
    def from_network(
        cls,
        network: StreetNetwork,
        *,
        spec: LightingSpec,
        dark_s: np.ndarray,
        start_s: float,
        end_s: float,
        controller: Controller | None = None,
        zones: Sequence[LightingZone] = (),
    ) -> LightingEngine:
        """Build the engine from a street network's edges and lamps.

        A street's forward edge is the edge its lamps stand on (their ``edge_id``), or its
        first edge when it has no lamps; its length is that edge's. The design flow is the
        summed ``capacity_vph`` of the street's car edges (both directions), and
        ``path_design_flow_vph`` (of the street's zone) for streets closed to cars.

        Parameters
        ----------
        network
            The street network.
        spec, dark_s, start_s, end_s
            As for :class:`LightingEngine`.
        controller
            The controller of the streets outside every zone; by default the built-in one
            ``spec.controller`` names.
        zones
            Lighting zones (:class:`~twin.interventions.base.LightingZone`): their streets
            follow the zone's ``spec`` and controller (by default the built-in one its
            ``spec.controller`` names). Where zones overlap, the later one wins.
        """
        edges, lamps = network.edges, network.lamps
        street = edges["street_id"].to_numpy(np.int64)
        lamp_street = lamps["street_id"].to_numpy(np.int64)
        n_streets = int(max(street.max(initial=-1), lamp_street.max(initial=-1)) + 1)
        n_edges = len(edges)
        # First edge of each street, then the lamps' own edge where there are lamps.
        forward_edge = np.full(n_streets, n_edges, dtype=np.int64)
        positions = np.arange(n_edges, dtype=np.int64)
        np.minimum.at(forward_edge, street, positions)
        forward_edge[lamp_street] = lamps["edge_id"].to_numpy(np.int64)
        has_edge = forward_edge < n_edges
        u, v = edges["u"].to_numpy(np.int64), edges["v"].to_numpy(np.int64)
        fe = forward_edge[street]
        edge_forward = (positions == fe) | ((u == u[fe]) & (v == v[fe]) & (u != v))
        length = edges["length_m"].to_numpy(float)
        street_length = np.where(has_edge, length[np.where(has_edge, forward_edge, 0)], 0.0)
        car = edges["allows_car"].to_numpy(bool)
        design = np.bincount(street, weights=np.where(car, edges["capacity_vph"].to_numpy(float), 0.0),
                             minlength=n_streets)  # fmt: skip
        path_flow: float | np.ndarray = float(spec.path_design_flow_vph)
        if zones:
            controller, street_zone = _zoned_controller(zones, spec=spec, controller=controller, n_streets=n_streets)
            path_flow = np.array([spec.path_design_flow_vph] + [z.spec.path_design_flow_vph for z in zones])[street_zone]
        design = np.where(design > 0, design, path_flow)
        return cls(
            lamp_power_w=lamps["power_w"].to_numpy(float), lamp_street=lamp_street,
            lamp_offset_m=lamps["offset_m"].to_numpy(float), street_length_m=street_length,
            street_design_flow_vph=design, spec=spec, dark_s=dark_s, start_s=start_s, end_s=end_s,
            edge_street=street, edge_forward=edge_forward, controller=controller,
        )  # fmt: skip

    def passages(self, traversals: Traversals) -> StreetPassages:
        """Group a run's passages by street, sorted by entry time."""
        edge = np.asarray(traversals.edge, dtype=np.int64)
        enter = np.ascontiguousarray(traversals.enter_s, dtype=float)
        exit_ = np.ascontiguousarray(traversals.exit_s, dtype=float)
        n = edge.size
        if not (enter.size == exit_.size == np.asarray(traversals.mode).size == n):
            raise ValueError("the traversal arrays must have the same length")
        if n and (edge.min() < 0 or edge.max() >= self.edge_street.size):
            raise ValueError(f"traversal edge ids must lie in 0..{self.edge_street.size - 1}")
        if not (np.isfinite(enter).all() and np.isfinite(exit_).all()):
            raise ValueError("traversal times must be finite")
        if np.any(exit_ < enter):
            bad = int(np.argmax(exit_ < enter))
            raise ValueError(f"passage {bad} leaves its edge ({exit_[bad]}) before it enters it ({enter[bad]})")
        street = self.edge_street[edge]
        order, ptr = _group_by_street(street, enter, self.n_streets)
        return StreetPassages(
            ptr=ptr, street=street[order], enter_s=enter[order], exit_s=exit_[order],
            mode=np.asarray(traversals.mode, dtype=np.int8)[order], forward=self.edge_forward[edge][order],
            row=order, n_rows=n,
        )  # fmt: skip

    def evaluate(self, traversals: Traversals, *, rng: np.random.Generator) -> LightingResult:
        """Run the controller over the passages and integrate energy, hours and safety.

        Parameters
        ----------
        traversals
            Every passage of the run (cars, cyclists, walkers).
        rng
            Random numbers for the controller (the presence sensors' misses).
        """
        passages = self.passages(traversals)
        context = ControlContext(
            spec=self.spec, passages=passages, dark_s=self.dark_s, start_s=self.start_s, end_s=self.end_s,
            street_length_m=self.street_length_m, street_design_flow_vph=self.street_design_flow_vph,
            street_lamps=self.street_lamps, rng=rng,
        )  # fmt: skip
        timelines = self.controller.levels(context)
        timelines = _checked_timelines(timelines, self.n_streets, self.street_lamps > 0, self.controller.name)
        dark_a, dark_b = self.dark_s[:, 0].copy(), self.dark_s[:, 1].copy()
        lit = self.street_lamps > 0

        level_s, full_s, dimmed_s = _street_hours(timelines.ptr, timelines.t, timelines.level, lit, dark_a, dark_b)
        run_h = (self.end_s - self.start_s) / 3600.0
        lamp_street = self.lamp_street
        standby_w, standby_kw = self._standby_w()
        energy = self.lamp_power_w * level_s[lamp_street] / 3.6e6 + standby_w * run_h / 1000.0
        hours_full = full_s[lamp_street] / 3600.0
        hours_dimmed = dimmed_s[lamp_street] / 3600.0
        hours_off = np.maximum(run_h - hours_full - hours_dimmed, 0.0)

        arrivals = np.zeros(self.n_lamps, dtype=np.int64)
        trip = np.asarray(traversals.trip, dtype=np.int64)[passages.row]
        trip_m = np.zeros(int(trip.max()) + 1 if trip.size else 0)
        trip_full_m = np.zeros_like(trip_m)
        street_stats = _passage_safety(
            passages.ptr, passages.enter_s, passages.exit_s, passages.mode, passages.forward, lit,
            self.street_length_m, self._lamp_ptr, self._lamp_order, self.lamp_offset_m,
            timelines.ptr, timelines.t, timelines.level, dark_a, dark_b, arrivals, trip, trip_m, trip_full_m,
        )  # fmt: skip
        zoned = isinstance(self.controller, ZonedController)
        return LightingResult(
            controller=str(self.controller.name), energy_kwh=energy, hours_full=hours_full,
            hours_dimmed=hours_dimmed, hours_off=hours_off, dark_arrivals=arrivals,
            standby_kwh=standby_kw * run_h,
            night_metres_walk_bike=float(street_stats[:, 0].sum()),
            night_metres_walk_bike_full=float(street_stats[:, 1].sum()),
            dark_arrivals_total=int(arrivals.sum()), dark_arrivals_walk_bike=int(street_stats[:, 2].sum()),
            timelines=timelines, dark_s=self.dark_s, street_power_w=self.street_power_w,
            street_lamps=self.street_lamps, standby_kw=standby_kw, start_s=self.start_s, end_s=self.end_s,
            lamp_zone=self.controller.street_zone[lamp_street] if zoned else None,
            zone_labels=self.controller.labels if zoned else (),
            trip_night_m=trip_m, trip_night_full_m=trip_full_m,
            lamps_networked=int(self._street_networked()[lamp_street].sum()),
        )  # fmt: skip

    def _street_networked(self) -> np.ndarray:
        """Whether each street's controller is networked (per zone with zones)."""
        if isinstance(self.controller, ZonedController):
            zone = np.array([bool(c.networked) for c, _ in self.controller.zones], dtype=bool)
            return zone[self.controller.street_zone]
        return np.full(self.n_streets, bool(self.controller.networked))

    def _standby_w(self) -> tuple[float | np.ndarray, float]:
        """Standby power of each lamp (a scalar when all lamps share it), in W, and of all, in kW."""
        per_street = getattr(self.controller, "street_standby_power_w", None)
        if per_street is None:
            standby_w = float(self.spec.standby_power_w) if bool(self.controller.networked) else 0.0
            return standby_w, standby_w * self.n_lamps / 1000.0
        per_street = np.asarray(per_street, dtype=float)
        if per_street.shape != (self.n_streets,) or not (np.isfinite(per_street).all() and (per_street >= 0).all()):
            raise ValueError(f"controller {self.controller.name!r}: `street_standby_power_w` must hold a finite "
                             f"number of watts, 0 or more, for each of the {self.n_streets} streets")  # fmt: skip
        lamp_w = per_street[self.lamp_street]
        return lamp_w, float(lamp_w.sum()) / 1000.0


def _zoned_controller(zones: Sequence[LightingZone], *, spec: LightingSpec, controller: Controller | None,
                      n_streets: int) -> tuple[ZonedController, np.ndarray]:  # fmt: skip
    """The zoned controller of the city's default controller and its lighting zones, and the
    zone of each street (0 = none; later zones win)."""
    street_zone = np.zeros(n_streets, dtype=np.int64)
    for k, zone in enumerate(zones, start=1):
        streets = np.asarray(zone.streets).reshape(-1)
        if streets.size and not np.issubdtype(streets.dtype, np.integer):
            raise ValueError(f"lighting zone {zone.label or k!r}: `streets` must hold integer street ids")
        streets = streets.astype(np.int64)
        bad = (streets < 0) | (streets >= n_streets)
        if bad.any():
            raise ValueError(f"lighting zone {zone.label or k!r}: street {int(streets[np.argmax(bad)])} is not a "
                             f"street of the network (0..{n_streets - 1})")  # fmt: skip
        street_zone[streets] = k
    # One object per built-in, so that zones with equal parameters run as one.
    built: dict[str, Controller] = {}

    def builtin(name: str) -> Controller:
        if name not in built:
            built[name] = CONTROLLERS[name]()
        return built[name]

    pairs = [(controller if controller is not None else builtin(spec.controller), spec)]
    pairs += [(z.controller if z.controller is not None else builtin(z.spec.controller), z.spec) for z in zones]
    labels = ["", *(z.label or f"zone {k}" for k, z in enumerate(zones, start=1))]
    return ZonedController(pairs, street_zone, labels=labels), street_zone


# -------------------------------------------------------------------- checking


def _clean_dark(dark_s, start_s: float, end_s: float) -> np.ndarray:
    """Dark intervals clipped to the run, sorted, with overlapping ones merged."""
    dark = np.asarray(dark_s, dtype=float).reshape(-1, 2)
    if np.any(np.isnan(dark)) or np.any(dark[:, 1] < dark[:, 0]):
        raise ValueError("`dark_s` must hold [on, off) intervals with off >= on")
    dark = np.clip(dark, start_s, end_s)
    dark = dark[dark[:, 1] > dark[:, 0]]
    dark = dark[np.argsort(dark[:, 0], kind="stable")]
    merged: list[list[float]] = []
    for a, b in dark:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return np.asarray(merged, dtype=float).reshape(-1, 2)


# ---------------------------------------------------------------------- kernels


@njit(cache=True)
def _group_by_street(street, enter, n_streets):
    """Order of passages by (street, enter time), stable; and the street offsets."""
    n = street.size
    ptr = np.zeros(n_streets + 1, dtype=np.int64)
    for i in range(n):
        ptr[street[i] + 1] += 1
    for s in range(n_streets):
        ptr[s + 1] += ptr[s]
    fill = ptr[:-1].copy()
    order = np.empty(n, dtype=np.int64)
    for i in range(n):
        s = street[i]
        order[fill[s]] = i
        fill[s] += 1
    for s in range(n_streets):
        lo, hi = ptr[s], ptr[s + 1]
        if hi - lo < 2:
            continue
        ordered = True
        for k in range(lo + 1, hi):
            if enter[order[k]] < enter[order[k - 1]]:
                ordered = False
                break
        if ordered:
            continue
        segment = order[lo:hi].copy()
        keys = np.empty(hi - lo)
        for k in range(hi - lo):
            keys[k] = enter[segment[k]]
        idx = np.argsort(keys, kind="mergesort")
        for k in range(hi - lo):
            order[lo + k] = segment[idx[k]]
    return order, ptr


@njit(cache=True, inline="always")
def _measure_at_least(y0, y1, length, threshold):
    """Time a linear piece from y0 to y1 over ``length`` spends at or above threshold."""
    if y0 >= threshold and y1 >= threshold:
        return length
    if y0 < threshold and y1 < threshold:
        return 0.0
    high = max(y0, y1)
    return length * (high - threshold) / (high - min(y0, y1))


@njit(cache=True, inline="always")
def _measure_at_most(y0, y1, length, threshold):
    """Time a linear piece from y0 to y1 over ``length`` spends at or below threshold."""
    if y0 <= threshold and y1 <= threshold:
        return length
    if y0 > threshold and y1 > threshold:
        return 0.0
    low = min(y0, y1)
    return length * (threshold - low) / (max(y0, y1) - low)


@njit(cache=True)
def _integrate(t, v, lo, hi, a, b):
    """Over [a, b]: the integral of the level (level-seconds), and the seconds at full and
    at off. Exact for the piecewise-linear timeline."""
    area = 0.0
    full = 0.0
    off = 0.0
    k = last_at_or_before(t, lo, hi, a)
    x0 = a
    while x0 < b:
        if k < lo:
            piece_end = t[lo]
        elif k >= hi - 1:
            piece_end = np.inf
        else:
            piece_end = t[k + 1]
        x1 = min(piece_end, b)
        if x1 > x0:
            if k < lo:
                y0 = v[lo]
                y1 = y0
            elif k >= hi - 1:
                y0 = v[hi - 1]
                y1 = y0
            else:
                slope = (v[k + 1] - v[k]) / (t[k + 1] - t[k])
                y0 = v[k] + slope * (x0 - t[k])
                y1 = v[k] + slope * (x1 - t[k])
            length = x1 - x0
            area += 0.5 * (y0 + y1) * length
            full += _measure_at_least(y0, y1, length, _FULL)
            off += _measure_at_most(y0, y1, length, _OFF)
            x0 = x1
        k += 1
    return area, full, off


@njit(cache=True)
def _street_hours(ptr, t, v, lit, dark_a, dark_b):
    """Per street, over the dark intervals: level-seconds, seconds at full, seconds dimmed."""
    n = ptr.size - 1
    level_s = np.zeros(n)
    full_s = np.zeros(n)
    dimmed_s = np.zeros(n)
    for s in range(n):
        lo, hi = ptr[s], ptr[s + 1]
        if not lit[s] or hi == lo:
            continue
        for j in range(dark_a.size):
            area, full, off = _integrate(t, v, lo, hi, dark_a[j], dark_b[j])
            level_s[s] += area
            full_s[s] += full
            dimmed_s[s] += max(dark_b[j] - dark_a[j] - full - off, 0.0)
    return level_s, full_s, dimmed_s


@njit(cache=True)
def _passage_safety(pptr, enter, exit_, mode, forward, lit, length, lamp_ptr, lamp_order, lamp_offset,
                    tptr, t, v, dark_a, dark_b, arrivals, trip, trip_m, trip_full_m):  # fmt: skip
    """Dark arrivals per lamp (into ``arrivals``); per street: night metres walked or
    cycled, the part of them at full light, and walk-and-bike dark arrivals. The night
    metres are also added up per trip (``trip`` of each passage, into ``trip_m`` and
    ``trip_full_m``; a negative trip is no trip)."""
    n_streets = pptr.size - 1
    out = np.zeros((n_streets, 3))
    n_dark = dark_a.size
    for s in range(n_streets):
        if not lit[s]:
            continue
        lo, hi = tptr[s], tptr[s + 1]
        street_m = length[s]
        metres = 0.0
        metres_full = 0.0
        walk_bike_dark = 0
        for i in range(pptr[s], pptr[s + 1]):
            t_in = enter[i]
            duration = exit_[i] - t_in
            active = mode[i] == _WALK or mode[i] == _BIKE
            # Dark arrivals: the road user passes each lamp at enter + distance / speed.
            for q in range(lamp_ptr[s], lamp_ptr[s + 1]):
                lamp = lamp_order[q]
                distance = lamp_offset[lamp] if forward[i] else street_m - lamp_offset[lamp]
                at = t_in + (distance * duration / street_m if street_m > 0 else 0.0)
                if is_dark(dark_a, dark_b, at) and level_at(t, v, lo, hi, at) < _FULL:
                    arrivals[lamp] += 1
                    if active:
                        walk_bike_dark += 1
            if not active:
                continue
            # Metres walked or cycled in the dark, and those at full light.
            here = 0.0
            here_full = 0.0
            if duration <= 0.0:
                if is_dark(dark_a, dark_b, t_in):
                    here = street_m
                    if level_at(t, v, lo, hi, t_in) >= _FULL:
                        here_full = street_m
            else:
                speed = street_m / duration
                j = last_at_or_before(dark_b, 0, n_dark, t_in) + 1  # first interval ending after entry
                while j < n_dark and dark_a[j] < exit_[i]:
                    a = max(dark_a[j], t_in)
                    b = min(dark_b[j], exit_[i])
                    if b > a:
                        _, full, _ = _integrate(t, v, lo, hi, a, b)
                        here += (b - a) * speed
                        here_full += full * speed
                    j += 1
            metres += here
            metres_full += here_full
            if trip[i] >= 0:
                trip_m[trip[i]] += here
                trip_full_m[trip[i]] += here_full
        out[s, 0] = metres
        out[s, 1] = metres_full
        out[s, 2] = walk_bike_dark
    return out


@njit(cache=True)
def _street_sum_at(ptr, t, v, weight, dark_a, dark_b, times, count_full, out):
    """At each time: sum over streets of weight x level (or weight x [level is full]),
    zero outside the dark intervals."""
    n = ptr.size - 1
    for i in range(times.size):
        x = times[i]
        total = 0.0
        if is_dark(dark_a, dark_b, x):
            for s in range(n):
                lo, hi = ptr[s], ptr[s + 1]
                if weight[s] == 0.0 or hi == lo:
                    continue
                level = level_at(t, v, lo, hi, x)
                if count_full:
                    if level >= _FULL:
                        total += weight[s]
                else:
                    total += weight[s] * level
        out[i] = total
