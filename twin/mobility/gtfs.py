"""Lines from a GTFS feed: each route's usual stop pattern and its headways by hour.

A GTFS feed (a zip file or a folder of ``.txt`` tables, https://gtfs.org/schedule/reference/)
lists every trip of every route with its stop times. twin's lines are simpler: a stop
sequence and headway bands (:class:`twin.mobility.transit.Line`). :func:`read_gtfs` reduces
a feed to them:

- **Service day.** With ``calendar.txt``, only trips of services running on one day count:
  ``service_date`` if given (``calendar_dates.txt`` exceptions applied), otherwise the
  weekday (Monday to Friday) with the most trips. Without a calendar every trip counts.
- **Stops.** For each route and ``direction_id`` (1 becomes ``"<name> (return)"``), the stop
  sequence most trips follow (ties: the longer, then the first in order). Stops are snapped
  to the nearest junction buses and pedestrians can use, as for a scenario's lines. A feed usually covers
  more than the map: a line is cut to its longest stretch of stops within
  :data:`~twin.mobility.transit.SNAP_MAX_M` of the map (with a warning), and left out if
  fewer than two remain.
- **Headways.** The first departures of *all* the route's trips in that direction (short
  workings included), or the departures ``frequencies.txt`` lays out for a frequency-based
  trip, are counted per clock hour; an hour with ``n`` departures has a headway of
  ``3600 / n`` s. Consecutive hours with the same count form one band, starting at its
  first departure; service ends one headway after the last departure before an hour
  without any. A feed's own running times are not used: buses drive the map's streets.

Only what twin uses is read: ``stops.txt``, ``routes.txt``, ``trips.txt`` and
``stop_times.txt`` are required; ``calendar.txt``, ``calendar_dates.txt`` and
``frequencies.txt`` are used when present; ``agency.txt`` and the rest are ignored.
"""

from __future__ import annotations

import datetime
import io
import math
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from twin._errors import MapWarning, ScenarioError
from twin.mobility.lines import SNAP_MAX_M, Line, project_points, snap_stops

if TYPE_CHECKING:
    from twin.maps.network import StreetNetwork

__all__ = ["read_gtfs", "LINE_DEFAULTS"]

_REQUIRED = {
    "stops.txt": ("stop_id", "stop_lat", "stop_lon"),
    "routes.txt": ("route_id",),
    "trips.txt": ("route_id", "service_id", "trip_id"),
    "stop_times.txt": ("trip_id", "stop_id", "stop_sequence"),
}
_OPTIONAL = {
    "calendar.txt": ("service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
                     "start_date", "end_date"),  # fmt: skip
    "calendar_dates.txt": ("service_id", "date", "exception_type"),
    "frequencies.txt": ("trip_id", "start_time", "end_time", "headway_secs"),
}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = r"^\s*(\d+):(\d{2}):(\d{2})\s*$"

#: Vehicle figures of a line from a feed (GTFS has none), as a scenario line's defaults.
LINE_DEFAULTS = ("capacity", "dwell_s", "cost_eur_per_vehicle_hour", "cost_eur_per_km", "co2_kg_per_km")


def read_gtfs(
    path,
    network: StreetNetwork,
    *,
    where: str = "services.transit.gtfs",
    defaults=None,
    service_date: datetime.date | None = None,
) -> list[Line]:
    """Read a GTFS feed's routes as lines on a network.

    Parameters
    ----------
    path
        A GTFS zip file (its tables may sit in a folder inside) or a folder of its tables.
    network
        The street network the lines run on.
    where
        Where the feed is named, for error messages.
    defaults
        Vehicle figures for every line: a mapping with any of :data:`LINE_DEFAULTS`, or a
        :class:`~twin.scenario.services.LineSpec`; missing ones take a scenario line's
        defaults.
    service_date
        The day whose services count (see the module notes); by default the busiest weekday.

    Returns
    -------
    list of Line
        By route in the order of ``routes.txt``, direction 0 before 1.

    Raises
    ------
    ScenarioError
        If the feed or one of its required tables or columns is missing, a time or a
        coordinate is malformed, a trip names an unknown stop, no trip runs on the day, or
        no line has two stops on the map.
    """
    feed = _Feed(Path(path), where=where)
    vehicle = _vehicle_figures(defaults)
    stops = feed.table("stops.txt")
    routes = feed.table("routes.txt")
    trips = feed.table("trips.txt")
    stop_times = feed.table("stop_times.txt")
    frequencies = feed.table("frequencies.txt", required=False)

    services = _active_services(feed, trips, service_date)
    if services is not None:
        trips = trips[trips["service_id"].isin(services)]
        if trips.empty:
            day = service_date.isoformat() if service_date else "any weekday"
            raise ScenarioError(f"{where}: no trip of the feed runs on {day}; check calendar.txt or the date")
    if "direction_id" not in trips.columns:
        trips = trips.assign(direction_id="0")
    trips = trips.assign(direction_id=trips["direction_id"].replace("", "0"))

    stop_times = stop_times[stop_times["trip_id"].isin(trips["trip_id"])].copy()
    stop_times["seq"] = _integers(stop_times["stop_sequence"], "stop_times.txt", "stop_sequence", where)
    stop_times = stop_times.sort_values(["trip_id", "seq"], kind="stable")
    firsts = stop_times.drop_duplicates("trip_id")
    first_text = firsts["departure_time"] if "departure_time" in firsts.columns else firsts["arrival_time"]
    if "departure_time" in firsts.columns and "arrival_time" in firsts.columns:
        first_text = first_text.where(first_text.str.strip() != "", firsts["arrival_time"])
    first_s = pd.Series(_seconds(first_text, "stop_times.txt", "departure_time", where), index=firsts["trip_id"])
    patterns = stop_times.groupby("trip_id", sort=False)["stop_id"].agg(tuple)
    trips = trips[trips["trip_id"].isin(patterns.index)].assign(
        pattern=lambda t: t["trip_id"].map(patterns), first_s=lambda t: t["trip_id"].map(first_s)
    )
    by_trip = _frequency_departures(frequencies, where)

    known = stops.set_index("stop_id")
    lat = pd.to_numeric(known["stop_lat"], errors="coerce")
    lon = pd.to_numeric(known["stop_lon"], errors="coerce")
    used = pd.unique(stop_times["stop_id"])
    missing = [s for s in used if s not in known.index]
    if missing:
        raise ScenarioError(f"{where}: stop_times.txt names stop {missing[0]!r}, which stops.txt lacks; "
                            "the feed is incomplete")  # fmt: skip
    bad = lat[used].isna() | lon[used].isna()
    if bad.any():
        raise ScenarioError(f"{where}: stops.txt gives stop {bad.index[bad.to_numpy()][0]!r} no numeric stop_lat "
                            "and stop_lon; GTFS gives them in degrees")  # fmt: skip

    route_order = {rid: i for i, rid in enumerate(routes["route_id"])}
    names = _route_names(routes)
    groups = sorted(trips.groupby(["route_id", "direction_id"], sort=False),
                    key=lambda kv: (route_order.get(kv[0][0], len(route_order)), kv[0][1]))  # fmt: skip
    wanted: list[tuple[str, tuple, tuple]] = []
    for (route_id, direction), group in groups:
        counts = group["pattern"].value_counts(sort=False)
        pattern = min(counts.items(), key=lambda kv: (-kv[1], -len(kv[0]), kv[0]))[0]
        times = [by_trip[t] if t in by_trip else np.array([s]) for t, s in zip(group["trip_id"], group["first_s"])]
        bands = _bands(np.concatenate(times))
        name = names.get(route_id, route_id)
        if direction == "1":
            name = f"{name} (return)"
        wanted.append((name, pattern, bands))

    all_stops = list(dict.fromkeys(s for _, pattern, _ in wanted for s in pattern))
    xy = project_points(np.column_stack([lon[all_stops].to_numpy(), lat[all_stops].to_numpy()]), "EPSG:4326", network)
    node_of, dist_of = snap_stops(xy, network)
    index = {s: i for i, s in enumerate(all_stops)}
    lines, cut, dropped = [], 0, 0
    for name, pattern, bands in wanted:
        at = np.array([index[s] for s in pattern])
        near = dist_of[at] <= SNAP_MAX_M
        lo, hi = _longest_run(near)
        nodes = node_of[at][lo:hi]
        keep = np.ones(nodes.size, dtype=bool)
        keep[1:] = nodes[1:] != nodes[:-1]
        nodes = nodes[keep]
        if nodes.size < 2:
            dropped += 1
            continue
        cut += hi - lo < len(pattern)
        lines.append(Line(name=name, stop_nodes=nodes.astype(np.int64), headways=bands, **vehicle))
    if not lines and wanted:
        raise ScenarioError(
            f"{where}: no line of the feed has two stops within {SNAP_MAX_M:.0f} m of a street on the map "
            f"(the nearest stop is {np.min(dist_of) / 1000:.1f} km away); is the feed for this map?"
        )
    if cut or dropped:
        warnings.warn(
            f"{where}: {cut} line(s) of the feed run partly off the map and were cut to their stretch on it; "
            f"{dropped} had fewer than two stops on the map and were left out",
            MapWarning, stacklevel=2,
        )  # fmt: skip
    return lines


class _Feed:
    """The tables of a feed in a zip file or a folder, read as text."""

    def __init__(self, path: Path, *, where: str) -> None:
        self.path, self.where = path, where
        if not path.exists():
            raise ScenarioError(f"{where}: {path} does not exist; give a GTFS zip file or a folder of its .txt tables")
        self._zip_names: dict[str, str] | None = None
        if path.is_file():
            try:
                with zipfile.ZipFile(path) as archive:
                    self._zip_names = {Path(n).name: n for n in archive.namelist() if not n.endswith("/")}
            except zipfile.BadZipFile:
                raise ScenarioError(f"{where}: {path} is not a zip file; give a GTFS zip file or a folder") from None

    def table(self, name: str, *, required: bool = True) -> pd.DataFrame | None:
        if self._zip_names is not None:
            if name not in self._zip_names:
                return self._missing(name, required)
            with zipfile.ZipFile(self.path) as archive:
                data = archive.read(self._zip_names[name])
        else:
            file = self.path / name
            if not file.is_file():
                return self._missing(name, required)
            data = file.read_bytes()
        try:
            frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
            raise ScenarioError(f"{self.where}: {name} of {self.path} is not a readable CSV table ({error})") from None
        frame.columns = [str(c).strip() for c in frame.columns]
        frame = frame.apply(lambda column: column.str.strip())
        needed = _REQUIRED.get(name) or _OPTIONAL.get(name, ())
        for column in needed:
            if column not in frame.columns:
                raise ScenarioError(f"{self.where}: {name} of {self.path} has no column {column!r}; "
                                    "see https://gtfs.org/schedule/reference/")  # fmt: skip
        if name == "stop_times.txt" and not {"departure_time", "arrival_time"} & set(frame.columns):
            raise ScenarioError(f"{self.where}: stop_times.txt of {self.path} has neither departure_time nor "
                                "arrival_time")  # fmt: skip
        return frame

    def _missing(self, name: str, required: bool) -> None:
        if required:
            raise ScenarioError(
                f"{self.where}: the feed {self.path} has no {name}; a GTFS feed needs "
                f"{', '.join(_REQUIRED)}"
            )
        return None


def _vehicle_figures(defaults) -> dict:
    from twin.scenario.services import LineSpec

    figures = {key: LineSpec.model_fields[key].default for key in LINE_DEFAULTS}
    if defaults is None:
        return figures
    if isinstance(defaults, Mapping):
        unknown = set(defaults) - set(LINE_DEFAULTS)
        if unknown:
            raise ValueError(f"`defaults` takes {', '.join(LINE_DEFAULTS)}, not {', '.join(sorted(unknown))}")
        figures.update(defaults)
    else:
        figures.update({key: getattr(defaults, key) for key in LINE_DEFAULTS})
    figures["capacity"] = int(figures["capacity"])
    return figures


def _active_services(feed: _Feed, trips: pd.DataFrame, service_date: datetime.date | None) -> set | None:
    """Services running on the day (see the module notes); None when the feed has no calendar."""
    calendar = feed.table("calendar.txt", required=False)
    dates = feed.table("calendar_dates.txt", required=False)
    if service_date is None:
        if calendar is None:
            return None
        counts = [trips["service_id"].isin(calendar.loc[calendar[day] == "1", "service_id"]).sum()
                  for day in _WEEKDAYS[:5]]  # fmt: skip
        day = _WEEKDAYS[int(np.argmax(counts))]
        return set(calendar.loc[calendar[day] == "1", "service_id"])
    ymd = service_date.strftime("%Y%m%d")
    active: set = set()
    if calendar is not None:
        day = _WEEKDAYS[service_date.weekday()]
        runs = (calendar[day] == "1") & (calendar["start_date"] <= ymd) & (calendar["end_date"] >= ymd)
        active = set(calendar.loc[runs, "service_id"])
    if dates is not None:
        today = dates[dates["date"] == ymd]
        active |= set(today.loc[today["exception_type"] == "1", "service_id"])
        active -= set(today.loc[today["exception_type"] == "2", "service_id"])
    if calendar is None and dates is None:
        return None
    return active


def _seconds(texts: pd.Series, table: str, column: str, where: str) -> np.ndarray:
    """Seconds after midnight of GTFS times (``H:MM:SS``, past 24:00 allowed)."""
    parts = texts.astype(str).str.extract(_TIME)
    bad = parts[0].isna()
    if bad.any():
        raise ScenarioError(f"{where}: {table} has {column} {texts[bad.to_numpy()].iloc[0]!r}, not a time; "
                            "GTFS times are HH:MM:SS")  # fmt: skip
    h, m, s = (parts[i].astype(np.int64).to_numpy() for i in range(3))
    return (h * 3600 + m * 60 + s).astype(np.float64)


def _integers(texts: pd.Series, table: str, column: str, where: str) -> np.ndarray:
    values = pd.to_numeric(texts, errors="coerce")
    bad = values.isna() | (values != values.round())
    if bad.any():
        raise ScenarioError(f"{where}: {table} has {column} {texts[bad.to_numpy()].iloc[0]!r}, not a whole number")
    return values.to_numpy(dtype=np.int64)


def _frequency_departures(frequencies: pd.DataFrame | None, where: str) -> dict[str, np.ndarray]:
    """Departures of frequency-based trips: every headway from start_time until end_time."""
    if frequencies is None or frequencies.empty:
        return {}
    start = _seconds(frequencies["start_time"], "frequencies.txt", "start_time", where)
    end = _seconds(frequencies["end_time"], "frequencies.txt", "end_time", where)
    headway = _integers(frequencies["headway_secs"], "frequencies.txt", "headway_secs", where).astype(np.float64)
    if (headway <= 0).any():
        raise ScenarioError(f"{where}: frequencies.txt has a headway_secs of 0 or less; give seconds between runs")
    out: dict[str, list[np.ndarray]] = {}
    for trip, a, b, h in zip(frequencies["trip_id"], start, end, headway):
        out.setdefault(trip, []).append(a + h * np.arange(max(0, math.ceil((b - a) / h))))
    return {trip: np.concatenate(times) for trip, times in out.items()}


def _bands(departures_s: np.ndarray) -> tuple[tuple[float, float], ...]:
    """Headway bands from departure times: ``3600 / n`` for an hour with ``n`` departures."""
    t = np.unique(departures_s[np.isfinite(departures_s)])
    if not t.size:
        return ((0.0, math.inf),)
    hours, first, counts = np.unique(np.floor(t / 3600.0), return_index=True, return_counts=True)
    bands: list[tuple[float, float]] = []
    prev_hour, prev_count, last, headway = None, None, 0.0, math.inf
    for hour, i, count in zip(hours, first, counts):
        if prev_hour is not None and hour != prev_hour + 1:
            if last + headway < t[i]:
                bands.append((float(last + headway), math.inf))
            prev_count = None
        if count != prev_count:
            headway = float(3600.0 / count)
            bands.append((float(t[i]), headway))
        prev_hour, prev_count, last = hour, count, t[i + count - 1]
    bands.append((float(last + headway), math.inf))
    return tuple(bands)


def _route_names(routes: pd.DataFrame) -> dict[str, str]:
    """A route's short name, else its long name, else its id; made unique with the id."""
    short = routes["route_short_name"] if "route_short_name" in routes.columns else pd.Series("", index=routes.index)
    long = routes["route_long_name"] if "route_long_name" in routes.columns else pd.Series("", index=routes.index)
    name = short.where(short != "", long).where(lambda s: s != "", routes["route_id"])
    twice = name.duplicated(keep=False)
    name = name.where(~twice, name + " [" + routes["route_id"] + "]")
    return dict(zip(routes["route_id"], name))


def _longest_run(mask: np.ndarray) -> tuple[int, int]:
    """``(lo, hi)`` of the longest stretch of True values (the first of equal ones)."""
    best, start = (0, 0), None
    for i, value in enumerate(list(mask) + [False]):
        if value and start is None:
            start = i
        elif not value and start is not None:
            if i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    return best
