"""Tests of twin.engine.sun against an independent implementation of the NOAA solar equations.

The reference below is written from NOAA's *General Solar Position Calculations* (the
equations of the NOAA Solar Calculator spreadsheet), not from astral, and iterates each event
to the sun's position at the event itself. Elevations are geometric (no refraction), as in
twin.engine.sun; sunrise and sunset are at -0.833 deg.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo

import numpy as np
import pytest

from twin.engine.sun import dark_intervals, sun_times

DAY = 86400.0
HELSINKI = {"latitude": 60.17, "longitude": 24.94, "timezone": "Europe/Helsinki"}
TROMSO = {"latitude": 69.65, "longitude": 18.96, "timezone": "Europe/Oslo"}
J2000 = 2451545.0


# ------------------------------------------------------------------ NOAA reference


def _julian_day(moment: dt.datetime) -> float:
    """Julian day of an aware datetime."""
    epoch = dt.datetime(2000, 1, 1, 12, tzinfo=dt.timezone.utc)
    return J2000 + (moment - epoch).total_seconds() / DAY


def _moment(jd: float) -> dt.datetime:
    return dt.datetime(2000, 1, 1, 12, tzinfo=dt.timezone.utc) + dt.timedelta(days=jd - J2000)


def _declination_and_eot(jd: float) -> tuple[float, float]:
    """Solar declination (deg) and equation of time (minutes) at Julian day ``jd``."""
    t = (jd - J2000) / 36525.0
    l0 = (280.46646 + t * (36000.76983 + t * 0.0003032)) % 360.0
    m = 357.52911 + t * (35999.05029 - 0.0001537 * t)
    e = 0.016708634 - t * (0.000042037 + 0.0000001267 * t)
    mr = math.radians(m)
    c = (math.sin(mr) * (1.914602 - t * (0.004817 + 0.000014 * t))
         + math.sin(2 * mr) * (0.019993 - 0.000101 * t) + math.sin(3 * mr) * 0.000289)  # fmt: skip
    omega = math.radians(125.04 - 1934.136 * t)
    apparent = math.radians(l0 + c - 0.00569 - 0.00478 * math.sin(omega))
    eps0 = 23.0 + (26.0 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60.0) / 60.0
    eps = math.radians(eps0 + 0.00256 * math.cos(omega))
    declination = math.degrees(math.asin(math.sin(eps) * math.sin(apparent)))
    y = math.tan(eps / 2) ** 2
    l0r = math.radians(l0)
    eot = 4.0 * math.degrees(
        y * math.sin(2 * l0r) - 2 * e * math.sin(mr) + 4 * e * y * math.sin(mr) * math.cos(2 * l0r)
        - 0.5 * y * y * math.sin(4 * l0r) - 1.25 * e * e * math.sin(2 * mr)
    )  # fmt: skip
    return declination, eot


def noaa_elevation(lat: float, lon: float, moment: dt.datetime) -> float:
    """Geometric elevation of the sun's centre, in degrees, at an aware datetime."""
    jd = _julian_day(moment)
    declination, eot = _declination_and_eot(jd)
    utc = moment.astimezone(dt.timezone.utc)
    minutes = utc.hour * 60 + utc.minute + utc.second / 60 + utc.microsecond / 6e7
    hour_angle = math.radians((minutes + eot + 4.0 * lon) / 4.0 - 180.0)
    la, de = math.radians(lat), math.radians(declination)
    cos_zenith = math.sin(la) * math.sin(de) + math.cos(la) * math.cos(de) * math.cos(hour_angle)
    return 90.0 - math.degrees(math.acos(max(-1.0, min(1.0, cos_zenith))))


def noaa_event(place: dict, date: dt.date, elevation: float, rising: bool) -> float | None:
    """Wall-clock seconds from local midnight of ``date`` at which the sun crosses
    ``elevation`` before (rising) or after (setting) that day's solar noon; None if it
    does not."""
    tz = zoneinfo.ZoneInfo(place["timezone"])
    lat, lon = place["latitude"], place["longitude"]
    local_noon = _julian_day(dt.datetime.combine(date, dt.time(12), tzinfo=tz))
    jd = local_noon
    for _ in range(5):
        declination, eot = _declination_and_eot(jd)
        midnight = math.floor(jd - 0.5) + 0.5
        noon = midnight + (720.0 - 4.0 * lon - eot) / 1440.0
        noon += round(local_noon - noon)  # the solar noon of this local day
        la, de = math.radians(lat), math.radians(declination)
        cos_ha = (math.cos(math.radians(90.0 - elevation)) - math.sin(la) * math.sin(de)) / (math.cos(la) * math.cos(de))
        if abs(cos_ha) > 1.0:
            return None
        ha_deg = math.degrees(math.acos(cos_ha))
        jd = noon + (-1 if rising else 1) * 4.0 * ha_deg / 1440.0
    local = _moment(jd).astimezone(tz)
    return (local.date() - date).days * DAY + local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6


def _clock(seconds: float) -> str:
    return f"{int(seconds // 3600):02d}:{int(seconds % 3600 // 60):02d}"


# ------------------------------------------------------------------------ tests


@pytest.mark.parametrize("date", [dt.date(2026, 12, 15), dt.date(2026, 6, 15)])
def test_helsinki_sunrise_and_sunset_match_noaa(date):
    times = sun_times(date=date, **HELSINKI)
    for key, elevation, rising in [
        ("sunrise_s", -0.833, True), ("sunset_s", -0.833, False),
        ("civil_dawn_s", -6.0, True), ("civil_dusk_s", -6.0, False),
    ]:  # fmt: skip
        expected = noaa_event(HELSINKI, date, elevation, rising)
        assert times[key] == pytest.approx(expected, abs=60), (key, _clock(times[key]), _clock(expected))


def test_helsinki_published_times():
    # Sunrise and sunset are roughly where every almanac puts them (EET in December, EEST in
    # June): a sanity check on the time zone handling, not on the equations.
    december = sun_times(date=dt.date(2026, 12, 15), **HELSINKI)
    june = sun_times(date=dt.date(2026, 6, 15), **HELSINKI)
    assert _clock(december["sunrise_s"]) in {"09:18", "09:19", "09:20", "09:21", "09:22", "09:23"}
    assert _clock(december["sunset_s"]) in {"15:10", "15:11", "15:12", "15:13"}
    assert _clock(june["sunrise_s"]) in {"03:52", "03:53", "03:54", "03:55"}
    assert _clock(june["sunset_s"]) in {"22:46", "22:47", "22:48", "22:49", "22:50"}
    # In June civil dusk comes after midnight: it belongs to the evening of the 15th.
    assert DAY < june["civil_dusk_s"] < DAY + 3600


def test_helsinki_dark_intervals_match_noaa_and_december_is_long():
    lengths = {}
    for date in (dt.date(2026, 12, 15), dt.date(2026, 6, 15)):
        dark = dark_intervals(date=date, elevation_deg=-3.0, start_s=0.0, end_s=DAY, **HELSINKI)
        assert dark.shape == (2, 2)
        assert dark[0, 0] == 0.0 and dark[1, 1] == DAY
        assert dark[0, 1] == pytest.approx(noaa_event(HELSINKI, date, -3.0, True), abs=60)
        assert dark[1, 0] == pytest.approx(noaa_event(HELSINKI, date, -3.0, False), abs=60)
        lengths[date.month] = float(np.sum(dark[:, 1] - dark[:, 0]))
    assert lengths[12] / 3600 == pytest.approx(17.26, abs=0.1)  # NOAA: about 17 h 16 min
    assert lengths[6] / 3600 < 5.0
    assert lengths[12] > 3.5 * lengths[6]


def test_sunset_threshold_reproduces_sun_times():
    date = dt.date(2026, 12, 15)
    times = sun_times(date=date, **HELSINKI)
    dark = dark_intervals(date=date, elevation_deg=-0.833, start_s=0.0, end_s=DAY, **HELSINKI)
    assert dark[0, 1] == pytest.approx(times["sunrise_s"], abs=1)
    assert dark[1, 0] == pytest.approx(times["sunset_s"], abs=1)


def test_tromso_polar_night_and_midnight_sun():
    # 15 December: the sun's centre climbs to about -2.9 deg at noon, so at -3 deg there is
    # a short light spell (about 41 minutes); at the horizon it is polar night.
    date = dt.date(2026, 12, 15)
    dark = dark_intervals(date=date, elevation_deg=-3.0, start_s=0.0, end_s=DAY, **TROMSO)
    assert dark.shape == (2, 2)
    light_on, light_off = dark[0, 1], dark[1, 0]
    assert light_on == pytest.approx(noaa_event(TROMSO, date, -3.0, True), abs=90)
    assert light_off == pytest.approx(noaa_event(TROMSO, date, -3.0, False), abs=90)
    assert 30 * 60 < light_off - light_on < 50 * 60
    assert -3.0 < noaa_elevation(69.65, 18.96, dt.datetime(2026, 12, 15, 11, 40, tzinfo=zoneinfo.ZoneInfo("Europe/Oslo")))
    times = sun_times(date=date, **TROMSO)
    assert times["sunrise_s"] is None and times["sunset_s"] is None
    assert times["civil_dawn_s"] == pytest.approx(noaa_event(TROMSO, date, -6.0, True), abs=90)
    assert dark_intervals(date=date, elevation_deg=-0.833, start_s=0.0, end_s=DAY, **TROMSO).tolist() == [[0.0, DAY]]

    # Winter solstice: the noon sun stays below -3 deg, dark all day (and for several days).
    solstice = dt.date(2026, 12, 21)
    assert noaa_event(TROMSO, solstice, -3.0, True) is None
    assert dark_intervals(date=solstice, elevation_deg=-3.0, start_s=0.0, end_s=DAY, **TROMSO).tolist() == [[0.0, DAY]]
    assert dark_intervals(date=solstice, elevation_deg=-3.0, start_s=-DAY, end_s=3 * DAY, **TROMSO).tolist() == [
        [-DAY, 3 * DAY]
    ]

    # June: midnight sun, never dark; no sunrise, sunset or civil twilight.
    june = dt.date(2026, 6, 15)
    assert dark_intervals(date=june, elevation_deg=-3.0, start_s=0.0, end_s=3 * DAY, **TROMSO).shape == (0, 2)
    assert all(sun_times(date=june, **TROMSO)[key] is None for key in ("sunrise_s", "sunset_s", "civil_dusk_s"))


@pytest.mark.parametrize(("date", "shift_s"), [(dt.date(2026, 3, 28), 3600.0), (dt.date(2026, 10, 24), -3600.0)])
def test_daylight_saving_change(date, shift_s):
    # EU clocks go forward on 29 March 2026 and back on 25 October 2026 (at 03:00/04:00 local).
    dark = dark_intervals(date=date, elevation_deg=-3.0, start_s=0.0, end_s=2 * DAY, **HELSINKI)
    assert dark.shape == (3, 2)
    next_day = date + dt.timedelta(days=1)
    rise1 = noaa_event(HELSINKI, date, -3.0, True)
    set1 = noaa_event(HELSINKI, date, -3.0, False)
    rise2 = noaa_event(HELSINKI, next_day, -3.0, True)
    set2 = noaa_event(HELSINKI, next_day, -3.0, False)
    expected = [[0.0, rise1], [set1, DAY + rise2], [DAY + set2, 2 * DAY]]
    np.testing.assert_allclose(dark, expected, atol=60)
    # Wall-clock times jump by the hour: sunrise is about an hour later (spring) or earlier
    # (autumn) on the clock, give or take the few minutes the day itself changes.
    assert dark[1, 1] - DAY - dark[0, 1] == pytest.approx(shift_s, abs=5 * 60)
    times = sun_times(date=next_day, **HELSINKI)
    assert times["sunrise_s"] == pytest.approx(noaa_event(HELSINKI, next_day, -0.833, True), abs=60)


@pytest.mark.parametrize(
    ("place", "date", "days"),
    [
        (HELSINKI, dt.date(2026, 3, 27), 4),
        (TROMSO, dt.date(2026, 11, 24), 7),  # polar night begins (at -0.833 deg) about 27 November
        (TROMSO, dt.date(2026, 5, 15), 7),  # midnight sun begins about 18 May
        ({"latitude": 1.87, "longitude": -157.4, "timezone": "Pacific/Kiritimati"}, dt.date(2026, 12, 15), 3),
        ({"latitude": 61.22, "longitude": -149.9, "timezone": "America/Anchorage"}, dt.date(2026, 11, 1), 3),
        ({"latitude": -36.85, "longitude": 174.76, "timezone": "Pacific/Auckland"}, dt.date(2026, 4, 4), 3),
    ],
)
@pytest.mark.parametrize("elevation", [-0.833, -3.0])
def test_dark_intervals_agree_with_sampled_elevation(place, date, days, elevation):
    start, end = -3 * 3600.0, days * DAY
    dark = dark_intervals(date=date, elevation_deg=elevation, start_s=start, end_s=end, **place)
    assert np.all(np.diff(dark.ravel()) > 0)
    tz = zoneinfo.ZoneInfo(place["timezone"])
    times = np.arange(start + 150.0, end, 300.0)
    is_dark = (times[:, None] >= dark[:, 0]) & (times[:, None] < dark[:, 1])
    near_edge = np.min(np.abs(times[:, None] - dark.ravel()[None, :]), axis=1) < 180 if dark.size else np.zeros(times.size, bool)
    for t, got, edge in zip(times, is_dark.any(axis=1), near_edge):
        if edge:
            continue
        day = math.floor(t / DAY)
        moment = dt.datetime.combine(date + dt.timedelta(days=day), dt.time(), tzinfo=tz) + dt.timedelta(seconds=t - day * DAY)
        # Wall-clock times inside a skipped DST hour do not exist; fold=0 reads them as before.
        expected = noaa_elevation(place["latitude"], place["longitude"], moment) < elevation
        assert got == expected, (t / 3600, got)


def test_bad_run_is_refused():
    with pytest.raises(ValueError, match="end_s"):
        dark_intervals(date=dt.date(2026, 1, 1), elevation_deg=-3.0, start_s=10.0, end_s=0.0, **HELSINKI)
