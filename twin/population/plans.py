"""Daily activity plans: each resident's home-based tours and their trips on one weekday.

:func:`build_plans` turns residents into a trip table. Every resident either stays home or
makes one or more *tours* that start and end at home. A tour visits one main activity and, with
probability ``plans.stop_share``, a second one on the way back (home - work - shop - home).

Who goes where
--------------
- A share ``plans.mobile_share`` of residents leaves home at all (MiD 2017: 88% on weekdays,
  85% over all days of the week).
- Mobile workers and pupils make a *primary* tour to their workplace or school with
  probability ``plans.commute_share``, always as their first tour of the day.
- Everybody mobile makes ``Poisson(lambda * a)`` further tours to shop, run errands or for
  leisure, and a mobile person without a primary tour at least one. The relative rate ``a`` is
  :data:`EXTRA_TOUR_RATE` by person type (people with a job make fewer extra tours than
  retirees; the rates are assumptions).
- ``lambda`` is solved in closed form so that the expected number of trips per resident equals
  ``trips_per_person`` (MiD 2017: 3.1 per person per day): a mobile resident makes on average
  ``(2 + stop_share) * (1 + lambda * a)`` trips. A rate too low even for one tour per mobile
  resident lowers the mobile share instead.
- Purposes of extra tours and stops are drawn from :data:`PURPOSE_SHARES` by person type
  (leisure is the largest trip purpose in MiD 2017, ahead of shopping; the split per person
  type is an assumption).
- Destinations: workplaces come from the residents table; school, shop, errand and leisure
  destinations are drawn by :func:`twin.population.places.gravity_choice` from the trip's
  origin (home, or the main activity for a stop) with the decays ``plans.destination_decay_m``
  (order-of-magnitude choices: schools and shops near home, leisure further), shops and errands
  weighted by commercial frontage, school and leisure over all eligible nodes.

When
----
- Work departures ~ Normal(``work_depart_mean_s`` = 07:40, sd 50 min) and school departures
  ~ Normal(07:25, sd 15 min) make the morning peak in the hour 07:00-08:00.
- Time at work ~ Normal(8 h 45 incl. breaks, sd 45 min), or Normal(5 h, sd 45 min) on a
  part-time day (``part_time_share`` 0.3; Destatis: about 3 in 10 employees work part time);
  at school ~ Normal(6 h 15, sd 1 h). Both are clipped to at least 1 h.
- Shop, errand and leisure durations are lognormal with medians 30 min, 20 min and 1 h 30 and
  log-sd 0.6, at least 5 min (assumed values, to be replaced by a survey's distributions).
- Extra tours want to leave home at a time drawn from :data:`TOUR_START_PROFILE` (a morning
  and an afternoon mode for shopping and errands, an evening mode near 19:00 for leisure, so
  leisure returns spread past 22:00). A tour never starts before the previous one has
  returned plus :data:`MIN_TIME_AT_HOME_S`; when it would, it is pushed later. A tour pushed
  past :data:`LATEST_TOUR_START_S` (23:00) is dropped, and as many trips are given back as
  stops on tours of residents whose day ends by 21:00, so the trip rate holds (on the defaults
  about 0.5% of trips move this way, raising the share of tours with a stop by about 1 point).
- Together, returns from work (about 16:00-18:00) and evening tours make the afternoon peak at
  17:00-18:00, above the morning peak, as in US household travel surveys (NHTS 2001 weekday
  trips: most start in the hour from 17:00, about 9% of them, the second most from 07:00;
  FHWA Highway Statistics 2006 table NT-3, BTS Transportation Statistics Annual Report 2005
  table 4-8). The default day gives about 9% from 07:00 and 9.3% from 17:00.
- Planned travel times use :data:`PLANNING_SPEED_MPS` over :data:`PLANNING_DETOUR` times the
  straight-line distance plus :data:`PLANNING_OVERHEAD_S`, since modes are chosen later; the
  engines simulate the actual times. ``depart_s`` may exceed 86,400 s (after midnight, as in
  MATSim plans) for a few late returns; a one-day run leaves those trips out.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

import numpy as np
import pandas as pd

from twin.maps.network import StreetNetwork
from twin.population.places import eligible_nodes, gravity_choice, node_weights
from twin.scenario.schema import PopulationSpec

__all__ = [
    "EXTRA_TOUR_RATE",
    "LATEST_TOUR_START_S",
    "MIN_TIME_AT_HOME_S",
    "PERSON_TYPES",
    "PLANNING_DETOUR",
    "PLANNING_OVERHEAD_S",
    "PLANNING_SPEED_MPS",
    "PURPOSES",
    "PURPOSE_SHARES",
    "TOUR_START_PROFILE",
    "TRIP_COLUMNS",
    "build_plans",
    "person_types",
]

PURPOSES = ("home", "work", "school", "shop", "errand", "leisure", "given")
"""Trip purposes (the activity at the trip's destination); ``given`` marks trips read from a
trip table, whose purpose is unknown."""

TRIP_COLUMNS = (
    "trip_id", "person_id", "tour_id", "seq", "purpose", "origin_node", "dest_node", "depart_s",
)  # fmt: skip
"""Columns of the table :func:`build_plans` returns, in order."""

PERSON_TYPES = ("worker", "pupil", "child", "adult", "senior")
"""Person types plans depend on: employed adults, children at school or childcare, other
children, other adults, seniors."""

EXTRA_TOUR_RATE: Mapping[str, float] = MappingProxyType(
    {"worker": 0.6, "pupil": 0.7, "child": 0.8, "adult": 1.0, "senior": 1.0}
)
"""Relative rate of shop, errand and leisure tours by person type (an assumption)."""

_EXTRA = ("shop", "errand", "leisure")
PURPOSE_SHARES: Mapping[str, tuple[float, float, float]] = MappingProxyType(
    {
        "worker": (0.35, 0.20, 0.45),
        "pupil": (0.15, 0.10, 0.75),
        "child": (0.30, 0.30, 0.40),
        "adult": (0.40, 0.25, 0.35),
        "senior": (0.40, 0.25, 0.35),
    }
)
"""Shares of shop, errand and leisure among extra tours and stops, by person type."""

TOUR_START_PROFILE: Mapping[str, tuple[tuple[float, float, float], ...]] = MappingProxyType(
    {
        "shop": ((0.55, 10.5, 1.5), (0.45, 17.0, 1.5)),
        "errand": ((0.60, 10.0, 1.5), (0.40, 15.0, 1.5)),
        "leisure": ((0.35, 14.5, 2.0), (0.65, 19.0, 1.2)),
    }
)
"""Wished departure of an extra tour by purpose: a mixture of normals, each ``(weight, mean
hour, sd hours)``, clipped to 06:00-22:00."""

MIN_TIME_AT_HOME_S = 900.0
"""Least time at home between two tours."""

LATEST_TOUR_START_S = 23 * 3600.0
"""No tour leaves home later than this (23:00); see :func:`build_plans`."""

PLANNING_SPEED_MPS = 5.0
"""Door-to-door speed for planned travel times (18 km/h, between walking and driving)."""

PLANNING_DETOUR = 1.3
"""Network distance over straight-line distance, typical of street grids (1.2-1.4)."""

PLANNING_OVERHEAD_S = 120.0
"""Fixed time per planned trip (getting out, parking, locking the bike)."""

_CODE = {name: i for i, name in enumerate(PURPOSES)}
_TOP_UP_ROUNDS = 4
"""Most schedules drawn while giving back the trips of dropped tours."""
_FIRST_HOUR, _LAST_HOUR = 6.0, 22.0


def person_types(residents: pd.DataFrame) -> np.ndarray:
    """Return each resident's index into :data:`PERSON_TYPES`."""
    age = residents["age_group"]
    return np.select(
        [residents["employed"].to_numpy(bool), residents["student"].to_numpy(bool),
         (age == "child").to_numpy(bool), (age == "adult").to_numpy(bool)],
        [0, 1, 2, 3], default=4,
    ).astype(np.int8)  # fmt: skip


def build_plans(
    residents: pd.DataFrame,
    network: StreetNetwork,
    spec: PopulationSpec,
    *,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Draw one weekday of home-based tours for every resident.

    Parameters
    ----------
    residents
        The table of :func:`twin.population.residents.synthesize_residents`.
    network
        The street network the residents live on.
    spec
        ``trips_per_person`` and the ``plans`` settings.
    rng
        The random generator to draw from.

    Returns
    -------
    pandas.DataFrame
        One row per trip, ordered by person and then by time, columns :data:`TRIP_COLUMNS`:

        ``trip_id``
            ``int64``, ``0 .. n-1`` (also the row).
        ``person_id``
            ``int64``, the resident.
        ``tour_id``
            ``int32``, the resident's tour counter (0, 1, ...).
        ``seq``
            ``int32``, the trip's place in the resident's day (0, 1, ...).
        ``purpose``
            Categorical of :data:`PURPOSES`: the activity at the destination.
        ``origin_node``, ``dest_node``
            ``int64`` node positions; each tour starts and ends at the resident's home, and
            each trip starts where the previous one ended.
        ``depart_s``
            ``float64`` planned departure in seconds from midnight, non-decreasing within a
            resident.
    """
    p = spec.plans
    n = len(residents)
    ptype = person_types(residents)
    home = residents["home_node"].to_numpy(np.int64)
    work = residents["work_node"].to_numpy(np.int64)

    # --- how many tours: the expected trips per resident equal trips_per_person.
    rate = np.array([EXTRA_TOUR_RATE[t] for t in PERSON_TYPES])[ptype]
    per_tour = 2.0 + p.stop_share
    mobile_share = p.mobile_share
    lam = 0.0
    if n and mobile_share > 0:
        lam = (spec.trips_per_person / (per_tour * mobile_share) - 1.0) / rate.mean()
        if lam < 0:
            lam, mobile_share = 0.0, spec.trips_per_person / per_tour
    mobile = rng.random(n) < mobile_share
    commuter = (ptype <= 1) & mobile & (rng.random(n) < p.commute_share)
    extra = rng.poisson(lam * rate) * mobile + (mobile & ~commuter)
    n_tours = commuter.astype(np.int64) + extra

    # --- one row per tour; the primary tour comes first in a person's list.
    person = np.repeat(np.arange(n, dtype=np.int64), n_tours)
    first = np.repeat(np.cumsum(n_tours) - n_tours, n_tours)
    primary = commuter[person] & (np.arange(person.size) == first)
    t_type = ptype[person]
    main = np.where(primary, np.where(t_type == 0, _CODE["work"], _CODE["school"]), 0)
    main[~primary] = _draw_extra(rng, t_type[~primary])
    has_stop = rng.random(person.size) < p.stop_share
    stop = np.where(has_stop, _draw_extra(rng, t_type), 0)

    wished = np.empty(person.size)
    _wished_starts(rng, wished, main, p)

    order = np.lexsort((wished, ~primary, person))
    person, primary, main, has_stop, stop, wished = (
        a[order] for a in (person, primary, main, has_stop, stop, wished)
    )
    k = np.arange(person.size) - np.repeat(np.cumsum(n_tours) - n_tours, n_tours)

    # --- where and how long.
    xy = network.nodes[["x", "y"]].to_numpy(dtype=np.float64)
    nodes = eligible_nodes(network)
    weights = {kind: node_weights(network, nodes, kind) for kind in ("shops", "any")}
    place = _Places(nodes, weights, xy, p, rng)
    tour_home = home[person]
    main_node = np.where(main == _CODE["work"], work[person], -1)
    for purpose in ("school", "shop", "errand", "leisure"):
        rows = np.flatnonzero(main == _CODE[purpose])
        main_node[rows] = place(tour_home[rows], purpose)
    stop_node = np.full(person.size, -1, dtype=np.int64)
    _add_stops(np.flatnonzero(has_stop), stop, stop_node, main_node, ptype[person], place, draw=False)
    main_s = _durations(rng, main, p)
    stop_s = _durations(rng, stop, p)

    # --- when. A tour that could only leave home after LATEST_TOUR_START_S is dropped; as many
    # trips are given back as stops on tours of residents whose day ends early, so that the
    # mean number of trips stays trips_per_person.
    tours = (person, tour_home, k, wished, main_node, stop_node, has_stop, main_s, stop_s)
    drawn = int((2 + has_stop).sum())
    for round_ in range(_TOP_UP_ROUNDS):
        depart0, depart1, depart2, home_at = _schedule(xy, *tours, n=n)
        keep = depart0 <= LATEST_TOUR_START_S
        lost = drawn - int((2 + has_stop[keep]).sum())
        spare = np.flatnonzero(
            keep & ~has_stop & (home_at[person] <= LATEST_TOUR_START_S - 2 * 3600.0)
        )
        if lost <= 0 or not spare.size or round_ == _TOP_UP_ROUNDS - 1:
            break
        rows = np.sort(rng.choice(spare, min(lost, spare.size), replace=False))
        has_stop[rows] = True
        _add_stops(rows, stop, stop_node, main_node, ptype[person], place, draw=True)
        stop_s[rows] = _durations(rng, stop[rows], p)

    # --- one row per trip: out, (stop,) back. Dropped tours are each person's last ones.
    kept = np.flatnonzero(keep)
    legs = 2 + has_stop[kept].astype(np.int64)
    tour = np.repeat(kept, legs)
    leg = np.arange(tour.size) - np.repeat(np.cumsum(legs) - legs, legs)
    back = leg == (2 + has_stop[tour]) - 1
    origin = np.select([leg == 0, leg == 1], [tour_home[tour], main_node[tour]], stop_node[tour])
    dest = np.select([back, leg == 0], [tour_home[tour], main_node[tour]], stop_node[tour])
    purpose = np.select([back, leg == 0], [_CODE["home"], main[tour]], stop[tour])
    depart = np.select([leg == 0, leg == 1], [depart0[tour], depart1[tour]], depart2[tour])
    trip_person = person[tour]
    per_person = np.bincount(trip_person, minlength=n)
    first_trip = np.repeat(np.cumsum(per_person) - per_person, per_person)
    return pd.DataFrame(
        {
            "trip_id": np.arange(tour.size, dtype=np.int64),
            "person_id": trip_person,
            "tour_id": k[tour].astype(np.int32),
            "seq": (np.arange(tour.size) - first_trip).astype(np.int32),
            "purpose": pd.Categorical.from_codes(purpose.astype(np.int8), PURPOSES),
            "origin_node": origin.astype(np.int64),
            "dest_node": dest.astype(np.int64),
            "depart_s": np.round(depart),
        }
    )


class _Places:
    """Draws gravity destinations of one purpose; holds what every draw needs."""

    def __init__(self, nodes, weights, xy, plans, rng) -> None:
        self.nodes, self.weights, self.xy, self.plans, self.rng = nodes, weights, xy, plans, rng

    def __call__(self, anchor: np.ndarray, purpose: str) -> np.ndarray:
        kind = "shops" if purpose in ("shop", "errand") else "any"
        return gravity_choice(
            anchor, self.nodes, self.weights[kind], xy=self.xy,
            decay_m=self.plans.destination_decay_m[purpose], rng=self.rng,
        )  # fmt: skip


def _add_stops(rows, stop, stop_node, main_node, types, place: _Places, *, draw: bool) -> None:
    """Give the tours ``rows`` a stop after their main activity: purpose (if ``draw``) and place."""
    if draw:
        stop[rows] = _draw_extra(place.rng, types[rows])
    for purpose in _EXTRA:
        sub = rows[stop[rows] == _CODE[purpose]]
        stop_node[sub] = place(main_node[sub], purpose)


def _schedule(xy, person, home, k, wished, main_node, stop_node, has_stop, main_s, stop_s, *, n):
    """Departure times of each tour's trips, tour k of every person at once.

    Returns the departures from home, from the main activity and from the stop (equal to the
    second when there is none), and when each person is home for the last time.
    """
    depart0, depart1, depart2 = (np.empty(person.size) for _ in range(3))
    home_at = np.full(n, -np.inf)
    out = _plan_time(xy, home, main_node)
    via = np.where(has_stop, _plan_time(xy, main_node, stop_node), 0.0)
    back = _plan_time(xy, np.where(has_stop, stop_node, main_node), home)
    by_k = np.argsort(k, kind="stable")
    bounds = np.searchsorted(k[by_k], np.arange(int(k.max(initial=-1)) + 2))
    for kk in range(bounds.size - 1):
        rows = by_k[bounds[kk] : bounds[kk + 1]]
        who = person[rows]
        depart0[rows] = np.maximum(wished[rows], home_at[who] + MIN_TIME_AT_HOME_S)
        depart1[rows] = depart0[rows] + out[rows] + main_s[rows]
        depart2[rows] = depart1[rows] + np.where(has_stop[rows], via[rows] + stop_s[rows], 0.0)
        home_at[who] = depart2[rows] + back[rows]
    return depart0, depart1, depart2, home_at


def _draw_extra(rng: np.random.Generator, types: np.ndarray) -> np.ndarray:
    """Draw shop, errand or leisure (as purpose codes) with the shares of each person type."""
    cdf = np.cumsum([PURPOSE_SHARES[t] for t in PERSON_TYPES], axis=1)
    cdf /= cdf[:, -1:]
    pick = (rng.random(types.size)[:, None] >= cdf[types]).sum(axis=1)
    return np.array([_CODE[x] for x in _EXTRA])[np.minimum(pick, len(_EXTRA) - 1)]


def _wished_starts(rng: np.random.Generator, out: np.ndarray, main: np.ndarray, p) -> None:
    """Fill ``out`` with each tour's wished departure from home, in seconds."""
    for purpose, mean, sd in (
        ("work", p.work_depart_mean_s, p.work_depart_sd_s),
        ("school", p.school_depart_mean_s, p.school_depart_sd_s),
    ):
        rows = np.flatnonzero(main == _CODE[purpose])
        out[rows] = np.clip(rng.normal(mean, sd, rows.size), 0.0, 86400.0)
    for purpose, parts in TOUR_START_PROFILE.items():
        rows = np.flatnonzero(main == _CODE[purpose])
        w = np.array([part[0] for part in parts])
        which = np.searchsorted(np.cumsum(w) / w.sum(), rng.random(rows.size), side="right")
        which = np.minimum(which, len(parts) - 1)
        mean = np.array([part[1] for part in parts])[which]
        sd = np.array([part[2] for part in parts])[which]
        hours = np.clip(rng.normal(mean, sd), _FIRST_HOUR, _LAST_HOUR)
        out[rows] = hours * 3600.0


def _durations(rng: np.random.Generator, purpose: np.ndarray, p) -> np.ndarray:
    """Time spent at each activity, in seconds (0 where ``purpose`` is 0, i.e. none)."""
    out = np.zeros(purpose.size)
    rows = np.flatnonzero(purpose == _CODE["work"])
    part_time = rng.random(rows.size) < p.part_time_share
    mean = np.where(part_time, p.part_time_duration_mean_s, p.work_duration_mean_s)
    out[rows] = np.maximum(rng.normal(mean, p.work_duration_sd_s), 3600.0)
    rows = np.flatnonzero(purpose == _CODE["school"])
    out[rows] = np.maximum(
        rng.normal(p.school_duration_mean_s, p.school_duration_sd_s, rows.size), 3600.0
    )
    for name, median in (
        ("shop", p.shop_duration_median_s),
        ("errand", p.errand_duration_median_s),
        ("leisure", p.leisure_duration_median_s),
    ):
        rows = np.flatnonzero(purpose == _CODE[name])
        out[rows] = np.maximum(median * rng.lognormal(0.0, p.duration_log_sd, rows.size), 300.0)
    return out


def _plan_time(xy: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Planned door-to-door travel time between node positions, in seconds."""
    dist = np.hypot(xy[a, 0] - xy[b, 0], xy[a, 1] - xy[b, 1])
    return PLANNING_OVERHEAD_S + PLANNING_DETOUR * dist / PLANNING_SPEED_MPS
