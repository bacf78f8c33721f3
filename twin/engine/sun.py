"""The sun clock: when it is dark enough for the streetlights, from the NOAA solar equations.

Sun positions and times come from :mod:`astral`, which implements the NOAA solar position
equations. Every elevation here is the *geometric* elevation of the sun's centre, without
atmospheric refraction, as in the standard definitions: sunrise and sunset are at
-0.833 deg (the standard allowance for refraction at the horizon and the sun's radius, so
that the upper limb touches the horizon) and civil twilight ends at -6 deg. A photocell set
to "-3 deg" therefore switches when the centre of the sun is 3 deg below the geometric
horizon, and :func:`dark_intervals` with ``elevation_deg=-0.833`` reproduces sunset and
sunrise.

Times are *wall-clock* seconds from local midnight of the scenario's date in its IANA time
zone: 15:12 on that date is ``54720``, 07:30 on the next day ``86400 + 27000``, whatever
daylight saving time does in between. On the day DST starts the wall clock skips an hour
(that day has 23 real hours in 86,400 wall-clock seconds) and on the day it ends it repeats
one; every engine of twin shares this clock.

How crossings are found
-----------------------
Between a solar midnight and the next solar noon the sun only climbs, and between a noon and
the next midnight it only sinks (astral's ``midnight`` and ``noon`` give these transits).
So each half-day crosses a given elevation at most once, and does so exactly when the
elevations at its two ends lie on either side of it. The crossing time is
``astral.sun.time_at_elevation`` (RISING or SETTING) for the half-day's UTC date, or the
date before or after, whichever lands inside the half-day; failing that (near a polar
transition, where astral raises ``ValueError`` or returns a neighbouring day's event) it is
found by bisection on astral's elevation. Asking ``time_at_elevation`` once per date is not
enough by itself: its answer for a UTC date is wrapped into that date, so an event that
drifts across 00:00 UTC from one day to the next (Tromsø sunrise in mid-May, about 23:50
UTC) is returned for neither date and a whole day would turn dark. Half-days without a
crossing are polar night or midnight sun: the elevation at their ends (at solar noon, the
day's highest sun) decides them.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo

import numpy as np
from astral import Observer, SunDirection
from astral.sun import elevation as _astral_elevation
from astral.sun import midnight as _astral_midnight
from astral.sun import noon as _astral_noon
from astral.sun import time_at_elevation

__all__ = ["CIVIL_ELEVATION_DEG", "SUNRISE_ELEVATION_DEG", "dark_intervals", "sun_times"]

DAY_S = 86400.0

SUNRISE_ELEVATION_DEG = -0.833
"""Geometric elevation of the sun's centre at sunrise and sunset (NOAA): refraction at the
horizon (about 0.567 deg) plus the sun's apparent radius (about 0.267 deg)."""

CIVIL_ELEVATION_DEG = -6.0
"""Geometric elevation of the sun's centre at civil dawn and dusk."""

_MARGIN_DAYS = 2
"""Extra days of transits on each side of a run: a local day can be up to 14 h from its UTC
date (Pacific/Kiritimati), and the state at the run's start needs the half-day before it."""

_BISECT_S = 0.01
"""Precision of crossings found by bisection, in seconds."""

_UTC = dt.timezone.utc


def _zone(timezone: str | dt.tzinfo) -> dt.tzinfo:
    return zoneinfo.ZoneInfo(timezone) if isinstance(timezone, str) else timezone


def _wall_seconds(moment: dt.datetime, date: dt.date, tz: dt.tzinfo) -> float:
    """Wall-clock seconds from local midnight of ``date`` to the aware datetime ``moment``."""
    local = moment.astimezone(tz)
    days = (local.date() - date).days
    return days * DAY_S + local.hour * 3600.0 + local.minute * 60.0 + local.second + local.microsecond / 1e6


def _elevation(observer: Observer, moment: dt.datetime) -> float:
    return _astral_elevation(observer, moment, with_refraction=False)


def _transits(observer: Observer, first: dt.date, last: dt.date) -> tuple[list[tuple[dt.datetime, float]], list[bool]]:
    """Solar midnights and noons of the UTC dates ``first`` to ``last`` in time order, each
    with the sun's elevation then, and whether each is a noon."""
    moments = []
    day = first
    while day <= last:
        moments.append((_astral_midnight(observer, day), False))
        moments.append((_astral_noon(observer, day), True))
        day += dt.timedelta(days=1)
    moments.sort()
    return [(moment, _elevation(observer, moment)) for moment, _ in moments], [is_noon for _, is_noon in moments]


def _crossing(observer: Observer, elevation_deg: float, a: tuple[dt.datetime, float],
              b: tuple[dt.datetime, float]) -> dt.datetime | None:  # fmt: skip
    """The moment the sun crosses ``elevation_deg`` between transits ``a`` and ``b`` (one
    climbing or sinking half-day), or None if it does not."""
    (ta, ea), (tb, eb) = a, b
    if (ea < elevation_deg) == (eb < elevation_deg):
        return None
    rising = eb > ea
    direction = SunDirection.RISING if rising else SunDirection.SETTING
    for day in sorted({ta.date(), tb.date(), ta.date() - dt.timedelta(days=1), tb.date() + dt.timedelta(days=1)}):
        try:
            moment = time_at_elevation(observer, elevation_deg, day, direction, tzinfo=_UTC, with_refraction=False)
        except ValueError:
            continue
        if ta <= moment <= tb:
            return moment
    lo, hi = ta, tb  # the elevation is below the threshold at lo when rising, at hi when sinking
    while (hi - lo).total_seconds() > _BISECT_S:
        mid = lo + (hi - lo) / 2
        if (_elevation(observer, mid) < elevation_deg) == rising:
            lo = mid
        else:
            hi = mid
    return lo + (hi - lo) / 2


def dark_intervals(
    *,
    latitude: float,
    longitude: float,
    date: dt.date,
    timezone: str | dt.tzinfo,
    elevation_deg: float,
    start_s: float,
    end_s: float,
) -> np.ndarray:
    """Intervals within ``[start_s, end_s]`` when the sun is below ``elevation_deg``.

    Parameters
    ----------
    latitude, longitude
        The place, in degrees (north and east positive).
    date
        The local date whose midnight is time 0.
    timezone
        IANA time zone name (``"Europe/Helsinki"``) or a ``tzinfo``.
    elevation_deg
        Geometric elevation of the sun's centre below which it is dark (lights on):
        ``LightingSpec.on_sun_elevation_deg``.
    start_s, end_s
        The run, in wall-clock seconds from local midnight of ``date``; it may span several
        days, and ``start_s`` may be negative.

    Returns
    -------
    numpy.ndarray
        ``float64`` array of shape ``(k, 2)``: sorted, disjoint ``[on, off)`` intervals
        clipped to the run; ``k = 0`` if it is never dark.
    """
    if not end_s >= start_s:
        raise ValueError(f"`end_s` ({end_s}) must not be before `start_s` ({start_s})")
    if not -90.0 <= latitude <= 90.0:
        raise ValueError(f"`latitude` must be between -90 and 90 degrees, not {latitude}")
    tz = _zone(timezone)
    observer = Observer(latitude=latitude, longitude=longitude, elevation=0.0)
    transits, _ = _transits(
        observer,
        date + dt.timedelta(days=math.floor(start_s / DAY_S) - _MARGIN_DAYS),
        date + dt.timedelta(days=math.floor(end_s / DAY_S) + _MARGIN_DAYS),
    )
    # Dark stretches open at a sinking crossing and close at a climbing one.
    bounds = [-math.inf] if transits[0][1] < elevation_deg else []
    for a, b in zip(transits[:-1], transits[1:]):
        moment = _crossing(observer, elevation_deg, a, b)
        if moment is not None:
            bounds.append(_wall_seconds(moment, date, tz))
    if len(bounds) % 2:
        bounds.append(math.inf)
    pairs = np.clip(np.asarray(bounds, dtype=float).reshape(-1, 2), start_s, end_s)
    return np.ascontiguousarray(pairs[pairs[:, 1] > pairs[:, 0]])


def sun_times(*, latitude: float, longitude: float, date: dt.date, timezone: str | dt.tzinfo) -> dict[str, float | None]:
    """Dawn, sunrise, solar noon, sunset and dusk of one local day, for reports.

    The events belong to the solar day of the date's solar noon: dawn and sunrise are the
    crossings between the solar midnight before that noon and the noon, sunset and dusk
    those between the noon and the next solar midnight. So in a Helsinki June, civil dusk
    comes at 00:36 of the *next* day (more than 86,400 s), and an event may also fall before
    midnight (negative).

    Returns
    -------
    dict
        ``civil_dawn_s``, ``sunrise_s``, ``solar_noon_s``, ``sunset_s`` and ``civil_dusk_s``:
        wall-clock seconds from local midnight of ``date``, or ``None`` when the sun does not
        cross that elevation (polar night, midnight sun, white nights).
    """
    tz = _zone(timezone)
    observer = Observer(latitude=latitude, longitude=longitude, elevation=0.0)
    transits, is_noon = _transits(observer, date - dt.timedelta(days=2), date + dt.timedelta(days=2))
    # The solar noon of the local date: the noon nearest to local midday.
    noon_at = min(
        (i for i in range(1, len(transits) - 1) if is_noon[i]),
        key=lambda i: abs(_wall_seconds(transits[i][0], date, tz) - DAY_S / 2),
    )
    before, noon, after = transits[noon_at - 1], transits[noon_at], transits[noon_at + 1]

    def at(elevation_deg: float, a, b) -> float | None:
        moment = _crossing(observer, elevation_deg, a, b)
        return None if moment is None else _wall_seconds(moment, date, tz)

    return {
        "civil_dawn_s": at(CIVIL_ELEVATION_DEG, before, noon),
        "sunrise_s": at(SUNRISE_ELEVATION_DEG, before, noon),
        "solar_noon_s": _wall_seconds(noon[0], date, tz),
        "sunset_s": at(SUNRISE_ELEVATION_DEG, noon, after),
        "civil_dusk_s": at(CIVIL_ELEVATION_DEG, noon, after),
    }
