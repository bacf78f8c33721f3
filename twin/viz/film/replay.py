"""What a film shows, as arrays: streets, passages, lamps and their level timelines.

A :class:`Replay` holds one run's moving state in the plain arrays the renderer needs, and
answers the questions a frame asks: where is everyone at these times
(:meth:`Replay.positions_at`), how bright is each lamp (:meth:`Replay.lamp_levels_at`), how
much energy have the lights used so far (:meth:`Replay.energy_kwh`). Build one from a model
you hold (:meth:`Replay.from_model`) or from a run folder (:func:`replay_run`).

Run folders hold no trajectories (person-level movement is private data), so
:func:`replay_run` simulates the run again from its ``scenario.resolved.yaml``: runs are
deterministic, and the re-run's KPIs are checked against the folder's ``kpis.json``.

Where a road user is
--------------------
The traffic engine records when each road user entered and left each edge, not where it was
in between. A film places it at the fraction ``(t - enter) / (exit - enter)`` of the edge's
line, as if it moved at constant speed along the edge. A car that waited in a queue at the
end of an edge therefore creeps along the whole edge instead of driving up and stopping.
Cars appear once they enter their first edge and only finished passages are drawn, so a car
still on its edge when the run ends is not shown on it.
"""

from __future__ import annotations

import json
import math
import os
import time
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import shapely
from numba import njit

from twin._errors import MapWarning, TwinError
from twin.engine._timeline import is_dark, last_at_or_before, level_at
from twin.engine.controllers import LevelTimelines
from twin.engine.traversals import Traversals

if TYPE_CHECKING:
    from twin.model import CityModel

__all__ = ["EDGE_KINDS", "Positions", "Replay", "replay_run"]

#: How a street is drawn: main roads, collectors, local streets, paths (no cars).
EDGE_KINDS: tuple[str, ...] = ("main", "collector", "local", "path")
_MAIN = ("motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link")
_COLLECTOR = ("secondary", "secondary_link", "tertiary", "tertiary_link")


@dataclass(frozen=True, eq=False)
class Positions:
    """Where the road users are at each of several times, grouped by time.

    The users at time ``k`` are rows ``ptr[k]:ptr[k + 1]`` of ``xy`` and ``mode``.

    Attributes
    ----------
    ptr
        ``int64``, one more than the number of times.
    xy
        ``(n, 2)`` positions in the map's CRS, in metres.
    mode
        ``int8`` travel mode of each, coded as in :data:`~twin.engine.traversals.MODE_CODES`
        (buses and shuttles are cars).
    """

    ptr: np.ndarray
    xy: np.ndarray
    mode: np.ndarray

    def at(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Positions and modes at the ``k``-th time."""
        lo, hi = self.ptr[k], self.ptr[k + 1]
        return self.xy[lo:hi], self.mode[lo:hi]

    def counts(self) -> np.ndarray:
        """``(n_times, 3)`` road users under way at each time, by mode code (car, bike, walk)."""
        n_times = self.ptr.size - 1
        time_of = np.repeat(np.arange(n_times), np.diff(self.ptr))
        flat = np.bincount(time_of * 3 + self.mode.astype(np.int64), minlength=n_times * 3)
        return flat.reshape(n_times, 3)


@dataclass(frozen=True, eq=False)
class Replay:
    """One run's streets, passages and lights, as arrays.

    Attributes
    ----------
    label
        What the film calls the run (its scenario's name).
    map_sha256
        The map's SHA-256 (of the file, or of a synthetic town's parameters): films side by
        side must share it.
    crs
        The map's projected CRS (anything :class:`pyproj.CRS` accepts).
    attribution
        The map data's credit, shown on the film.
    date
        The run's date, ``YYYY-MM-DD``, shown with the clock.
    edge_ptr, edge_xy
        Each edge's line, from its tail node to its head node: edge ``e`` has the points
        ``edge_xy[edge_ptr[e]:edge_ptr[e + 1]]`` (at least two each).
    edge_kind
        ``int8`` index into :data:`EDGE_KINDS` of each edge, for the street's line width.
    passages
        The run's passages (:meth:`twin.model.CityModel.passages`).
    lamp_xy, lamp_street
        Each lamp's position and its street (the row of ``timelines`` it follows).
    timelines
        The controller's level timelines per street (before daylight switching).
    street_power_w
        Rated lamp power per street, in watts.
    standby_kw
        Standby power of all networked lamp controllers, drawn for the whole run.
    dark_s
        ``(k, 2)`` sorted intervals ``[on, off)`` the lights were on, within the run.
    start_s, end_s
        The run, in seconds from local midnight of ``date``.
    """

    label: str
    map_sha256: str
    crs: Any
    attribution: str
    date: str | None
    edge_ptr: np.ndarray
    edge_xy: np.ndarray
    edge_kind: np.ndarray
    passages: Traversals = field(repr=False)
    lamp_xy: np.ndarray = field(repr=False)
    lamp_street: np.ndarray = field(repr=False)
    timelines: LevelTimelines = field(repr=False)
    street_power_w: np.ndarray = field(repr=False)
    standby_kw: float = 0.0
    dark_s: np.ndarray = field(default_factory=lambda: np.empty((0, 2)), repr=False)
    start_s: float = 0.0
    end_s: float = 86400.0

    def __post_init__(self) -> None:
        hops = np.diff(self.edge_ptr)
        if hops.size and hops.min() < 2:
            raise ValueError(f"edge {int(np.argmin(hops))} has fewer than two points")
        if self.lamp_xy.shape != (self.lamp_street.size, 2):
            raise ValueError("`lamp_xy` must hold one (x, y) per lamp, like `lamp_street`")
        if self.lamp_street.size and self.lamp_street.max() >= self.timelines.n_streets:
            raise ValueError(f"lamp street ids must lie in 0..{self.timelines.n_streets - 1}")
        if self.street_power_w.shape != (self.timelines.n_streets,):
            raise ValueError("`street_power_w` must hold one value per street of `timelines`")
        if not self.end_s > self.start_s:
            raise ValueError(f"the run [{self.start_s}, {self.end_s}] must end after it starts")

    # ----------------------------------------------------------------- building

    @classmethod
    def from_model(cls, model: CityModel, *, label: str | None = None) -> Replay:
        """Take what a film needs from a model that has run (:meth:`CityModel.run`).

        Parameters
        ----------
        model
            A finished :class:`~twin.model.CityModel`.
        label
            What the film calls it; by default the scenario's name.
        """
        result = model.lighting_result
        if result is None:
            raise ValueError("the model has not run yet; call model.run() before filming it")
        network = model.network
        edges, nodes = network.edges, network.nodes
        coords, owner = shapely.get_coordinates(edges.geometry.array, return_index=True)
        n_edges = len(edges)
        ptr = np.zeros(n_edges + 1, dtype=np.int64)
        np.cumsum(np.bincount(owner, minlength=n_edges), out=ptr[1:])
        # A line may be stored against its edge's direction (the two edges of a two-way
        # street often share one geometry): turn it to run from the tail node to the head.
        node_xy = nodes[["x", "y"]].to_numpy(float)
        first = coords[ptr[:-1]]
        tail, head = node_xy[edges["u"].to_numpy(np.int64)], node_xy[edges["v"].to_numpy(np.int64)]
        backwards = np.hypot(*(first - head).T) < np.hypot(*(first - tail).T)
        index = np.arange(coords.shape[0])
        flipped = ptr[owner] + ptr[owner + 1] - 1 - index
        coords = coords[np.where(backwards[owner], flipped, index)]
        road_class = edges["road_class"].astype(str).to_numpy()
        path = ~edges["allows_car"].to_numpy(bool)
        kind = np.select([path, np.isin(road_class, _MAIN), np.isin(road_class, _COLLECTOR)], [3, 0, 1],
                         default=2).astype(np.int8)  # fmt: skip
        lamps = network.lamps
        spec = model.spec
        return cls(
            label=label if label is not None else spec.name, map_sha256=model.base_network.source_hash,
            crs=network.crs, attribution=network.attribution, date=str(spec.date) if spec.date else None,
            edge_ptr=ptr, edge_xy=np.ascontiguousarray(coords), edge_kind=kind, passages=model.passages(),
            lamp_xy=shapely.get_coordinates(lamps.geometry.array).reshape(-1, 2),
            lamp_street=lamps["street_id"].to_numpy(np.int64), timelines=result.timelines,
            street_power_w=np.asarray(result.street_power_w, dtype=float), standby_kw=float(result.standby_kw),
            dark_s=np.asarray(result.dark_s, dtype=float).reshape(-1, 2), start_s=model.start_s, end_s=model.end_s,
        )  # fmt: skip

    # ----------------------------------------------------------------- the map

    @property
    def n_edges(self) -> int:
        """Number of edges."""
        return int(self.edge_ptr.size - 1)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(minx, miny, maxx, maxy)`` of the streets."""
        lo, hi = self.edge_xy.min(axis=0), self.edge_xy.max(axis=0)
        return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])

    def edge_lines(self, kind: int | None = None) -> list[np.ndarray]:
        """The lines of the edges (of one :data:`EDGE_KINDS` index), for a ``LineCollection``."""
        rows = np.arange(self.n_edges) if kind is None else np.flatnonzero(self.edge_kind == kind)
        return [self.edge_xy[self.edge_ptr[e]:self.edge_ptr[e + 1]] for e in rows]

    @cached_property
    def _edge_key(self) -> np.ndarray:
        """Per point: its edge id plus its fraction of the edge's length (0 at the tail, 1 at
        the head), one sorted key for every edge, so one ``searchsorted`` finds the segment
        of many (edge, fraction) pairs at once."""
        steps = np.hypot(*np.diff(self.edge_xy, axis=0).T)
        owner = np.repeat(np.arange(self.n_edges), np.diff(self.edge_ptr))
        steps[(self.edge_ptr[1:-1] - 1)] = 0.0  # no step from one edge's last point to the next edge's first
        along = np.concatenate(([0.0], np.cumsum(steps)))
        along -= along[self.edge_ptr[:-1]][owner]
        total = along[self.edge_ptr[1:] - 1][owner]
        fraction = np.divide(along, total, out=np.zeros_like(along), where=total > 0)
        return owner + fraction

    def edge_points(self, edge: np.ndarray, fraction: np.ndarray) -> np.ndarray:
        """``(n, 2)`` points at ``fraction`` (0 to 1) of each edge's line, from tail to head."""
        edge = np.asarray(edge, dtype=np.int64)
        fraction = np.clip(np.asarray(fraction, dtype=float), 0.0, 1.0)
        key = self._edge_key
        query = edge + fraction
        j = np.searchsorted(key, query, side="right") - 1
        j = np.clip(j, self.edge_ptr[edge], self.edge_ptr[edge + 1] - 2)
        span = key[j + 1] - key[j]
        share = np.divide(query - key[j], span, out=np.zeros_like(query), where=span > 0)
        share = np.clip(share, 0.0, 1.0)[:, None]
        return self.edge_xy[j] * (1.0 - share) + self.edge_xy[j + 1] * share

    # ---------------------------------------------------------- road users

    def positions_at(self, times_s) -> Positions:
        """Every road user on an edge at each time: cars (buses and shuttles too), cyclists, walkers.

        A passage is on its edge for ``enter_s <= t < exit_s``, at the fraction
        ``(t - enter_s) / (exit_s - enter_s)`` of the edge's line.

        Parameters
        ----------
        times_s
            Non-decreasing times, in seconds from local midnight.
        """
        times = np.asarray(times_s, dtype=float).reshape(-1)
        if times.size and np.any(np.diff(times) < 0):
            raise ValueError("`times_s` must be non-decreasing")
        p = self.passages
        if times.size == 0 or len(p) == 0:
            return Positions(ptr=np.zeros(times.size + 1, np.int64), xy=np.empty((0, 2)), mode=np.empty(0, np.int8))
        keep = np.flatnonzero((p.exit_s > times[0]) & (p.enter_s <= times[-1]) & (p.exit_s > p.enter_s))
        enter, exit_ = p.enter_s[keep], p.exit_s[keep]
        first = np.searchsorted(times, enter, side="left")  # first time at or after entry
        stop = np.searchsorted(times, exit_, side="left")  # first time at or after exit
        n = np.maximum(stop - first, 0)
        starts = np.cumsum(n) - n
        row = np.repeat(np.arange(keep.size), n)
        k = np.repeat(first, n) + np.arange(row.size) - np.repeat(starts, n)
        order = np.argsort(k, kind="stable")
        row, k = row[order], k[order]
        ptr = np.zeros(times.size + 1, dtype=np.int64)
        np.cumsum(np.bincount(k, minlength=times.size), out=ptr[1:])
        fraction = (times[k] - enter[row]) / (exit_[row] - enter[row])
        xy = self.edge_points(p.edge[keep][row], fraction)
        return Positions(ptr=ptr, xy=xy, mode=p.mode[keep][row].astype(np.int8))

    # ---------------------------------------------------------------- lights

    def lamp_levels_at(self, times_s, *, over_s: float = 0.0) -> np.ndarray:
        """``(n_times, n_lamps)`` level of each lamp (0 off, 1 full): its street's level while
        dark, 0 in daylight.

        Parameters
        ----------
        times_s
            The times.
        over_s
            Average the level over the ``over_s`` seconds before each time, as a camera's
            exposure does (0: the level at the time). A film uses the time between frames, so
            a lamp that lit up for a passer-by between two frames glows in proportion instead
            of blinking at random.
        """
        times = np.ascontiguousarray(times_s, dtype=float).reshape(-1)
        streets, inverse = np.unique(self.lamp_street, return_inverse=True)
        if over_s > 0:
            tl = self.timelines
            dark = np.ascontiguousarray(self.dark_s, dtype=float).reshape(-1, 2)
            levels = np.zeros((times.size, streets.size))
            _mean_levels(tl.ptr, tl.t, tl.level, streets.astype(np.int64), dark[:, 0].copy(), dark[:, 1].copy(), times,
                         float(over_s), levels)  # fmt: skip
        else:
            levels = self._street_levels(streets.astype(np.int64), times)
        return levels[:, inverse.reshape(-1)]

    def power_kw(self, times_s) -> np.ndarray:
        """Lighting power at each time, standby included, in kW (as :meth:`LightingResult.power_kw`)."""
        times = np.ascontiguousarray(times_s, dtype=float).reshape(-1)
        streets = np.flatnonzero(self.street_power_w > 0).astype(np.int64)
        lamps_kw = self._street_levels(streets, times) @ (self.street_power_w[streets] / 1000.0)
        return lamps_kw + np.where((times >= self.start_s) & (times <= self.end_s), self.standby_kw, 0.0)

    def energy_kwh(self, times_s) -> np.ndarray:
        """Energy the lights used from the first time to each time, standby included, in kWh.

        Exact for the piecewise-linear level timelines (no sampling): each piece is
        integrated at its midpoint.

        Parameters
        ----------
        times_s
            Non-decreasing times; the first one is where the count starts (0 kWh).
        """
        times = np.ascontiguousarray(times_s, dtype=float).reshape(-1)
        if times.size and np.any(np.diff(times) < 0):
            raise ValueError("`times_s` must be non-decreasing")
        out = np.zeros(times.size)
        if times.size == 0:
            return out
        tl = self.timelines
        weight = self.street_power_w / 1000.0
        dark = np.ascontiguousarray(self.dark_s, dtype=float).reshape(-1, 2)
        _level_seconds(tl.ptr, tl.t, tl.level, weight, dark[:, 0].copy(), dark[:, 1].copy(), times, out)
        inside = np.clip(times, self.start_s, self.end_s)
        return (out + self.standby_kw * (inside - inside[0])) / 3600.0

    def _street_levels(self, streets: np.ndarray, times: np.ndarray) -> np.ndarray:
        tl = self.timelines
        dark = np.ascontiguousarray(self.dark_s, dtype=float).reshape(-1, 2)
        out = np.zeros((times.size, streets.size))
        _levels_at(tl.ptr, tl.t, tl.level, streets, dark[:, 0].copy(), dark[:, 1].copy(), times, out)
        return out


# ---------------------------------------------------------------------- kernels


@njit(cache=True)
def _levels_at(ptr, t, v, streets, dark_a, dark_b, times, out):
    """Level of each given street at each time, 0 outside the dark intervals."""
    for i in range(times.size):
        x = times[i]
        if not is_dark(dark_a, dark_b, x):
            continue
        for j in range(streets.size):
            s = streets[j]
            lo, hi = ptr[s], ptr[s + 1]
            if hi > lo:
                out[i, j] = level_at(t, v, lo, hi, x)


@njit(cache=True)
def _area(t, v, lo, hi, x0, x1):
    """Integral of one timeline over [x0, x1]: between two of its points it is linear, so
    each piece is exactly its length times its level at its midpoint."""
    k = last_at_or_before(t, lo, hi, x0)
    area = 0.0
    x = x0
    while x < x1:
        end = t[k + 1] if k + 1 < hi else np.inf
        y = min(end, x1)
        if y > x:
            area += (y - x) * level_at(t, v, lo, hi, 0.5 * (x + y))
            x = y
        k += 1
    return area


@njit(cache=True)
def _mean_levels(ptr, t, v, streets, dark_a, dark_b, times, span, out):
    """Mean level of each given street over [time - span, time], 0 outside the dark intervals."""
    for j in range(streets.size):
        s = streets[j]
        lo, hi = ptr[s], ptr[s + 1]
        if hi == lo:
            continue
        for i in range(times.size):
            a, b = times[i] - span, times[i]
            total = 0.0
            for d in range(dark_a.size):
                x0, x1 = max(a, dark_a[d]), min(b, dark_b[d])
                if x1 > x0:
                    total += _area(t, v, lo, hi, x0, x1)
            out[i, j] = total / span


@njit(cache=True)
def _level_seconds(ptr, t, v, weight, dark_a, dark_b, times, out):
    """out[k] += sum over streets of weight x the level-seconds while dark from times[0] to times[k]."""
    for s in range(ptr.size - 1):
        lo, hi = ptr[s], ptr[s + 1]
        if weight[s] == 0.0 or hi == lo:
            continue
        total = 0.0
        for k in range(1, times.size):
            a, b = times[k - 1], times[k]
            for j in range(dark_a.size):
                x0, x1 = max(a, dark_a[j]), min(b, dark_b[j])
                if x1 > x0:
                    total += _area(t, v, lo, hi, x0, x1)
            out[k] += weight[s] * total


# -------------------------------------------------------------- run folders


def replay_run(run_dir: str | os.PathLike, *, label: str | None = None,
               progress: Callable[[float, float], None] | None = None) -> Replay:  # fmt: skip
    """Simulate a run folder's run again and take its :class:`Replay`.

    The map file must be the one the run used (its SHA-256 is in ``meta.json``), and the
    re-run must give the KPIs in ``kpis.json`` (timings aside): otherwise the film would
    not show the run.

    Parameters
    ----------
    run_dir
        A folder ``twin run`` wrote.
    label
        What the film calls the run; by default its scenario's name.
    progress
        Called after every simulated step with (seconds done, seconds in the run).

    Raises
    ------
    TwinError
        If ``run_dir`` is not a run folder, its map is missing or changed, or the re-run
        differs from the run.
    """
    import yaml

    from twin.maps.io import file_hash
    from twin.model import CityModel
    from twin.scenario import load_scenario
    from twin.simulation import collect_result

    folder = Path(run_dir)
    meta = run_meta(folder)
    resolved = folder / "scenario.resolved.yaml"
    map_file = (yaml.safe_load(resolved.read_text(encoding="utf-8")) or {}).get("map", {}).get("file")
    if map_file is not None:
        path = Path(map_file)
        if not path.is_file():
            raise TwinError(f"{path}: the map of run {folder} is missing; put it back, or make the run again with "
                            "`twin run`")  # fmt: skip
        if file_hash(path) != meta["map"]["sha256"]:
            raise TwinError(f"{path}: the map changed since run {folder} was made (its SHA-256 is not meta.json's); "
                            "make the run again with `twin run` to animate it")  # fmt: skip
    scenario = load_scenario(resolved)
    with warnings.catch_warnings():
        # The map's warnings were shown when the run was made.
        warnings.simplefilter("ignore", MapWarning)
        model = CityModel(scenario)
    if model.base_network.source_hash != meta["map"]["sha256"]:
        raise TwinError(f"{folder}: the map is not the one in meta.json (map.sha256); make the run again with "
                        "`twin run` to animate it")  # fmt: skip
    model.run(progress=progress)
    kpis = json.loads(json.dumps(collect_result(model, started=time.perf_counter()).kpis))
    recorded = json.loads((folder / "kpis.json").read_text(encoding="utf-8"))
    differs = _first_difference({k: v for k, v in kpis.items() if k != "run"},
                                {k: v for k, v in recorded.items() if k != "run"})  # fmt: skip
    if differs is not None:
        raise TwinError(f"{folder}: simulating the run again gave other results ({differs} differs from kpis.json): "
                        "it was made with a different version of twin or its packages; make it again with "
                        "`twin run`")  # fmt: skip
    return Replay.from_model(model, label=label)


def run_meta(folder: Path) -> dict[str, Any]:
    """``meta.json`` of a run folder, after checking the folder holds what a replay needs."""
    for name in ("kpis.json", "meta.json", "scenario.resolved.yaml"):
        if not (folder / name).is_file():
            raise TwinError(f"{folder}: not a twin run folder (no {name}); give a folder `twin run --out` wrote")
    return json.loads((folder / "meta.json").read_text(encoding="utf-8"))


def _first_difference(a: Any, b: Any, key: str = "") -> str | None:
    """The dotted key of the first value that differs (floats to 1e-9), or ``None``."""
    if isinstance(a, dict) and isinstance(b, dict):
        for name in sorted(set(a) | set(b)):
            if name not in a or name not in b:
                return f"{key}{name}"
            found = _first_difference(a[name], b[name], f"{key}{name}.")
            if found is not None:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return key.rstrip(".")
        for i, (x, y) in enumerate(zip(a, b)):
            found = _first_difference(x, y, f"{key}{i}.")
            if found is not None:
                return found
        return None
    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            if (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
                return None
        return key.rstrip(".")
    return None if a == b else key.rstrip(".")
