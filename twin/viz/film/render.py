"""Rendering a film of one or more runs side by side, on one clock.

Each panel is a run's map at night: grey streets on a dark ground, road users as coloured
dots moving along them (cars, buses and shuttles; cyclists; walkers), and the lamps glowing
by their level: a bright halo at full, a dim amber point when dimmed, a dark grey point when
off (all of them in daylight). Above the panels a clock; under each, running counters: the
lights' power now and the energy they used since the film began, the vehicles on the road and
the people walking and cycling. A legend explains the dots.

The picture is drawn once (streets, titles, legend, scale bar, north arrow, attribution);
every frame then restores it and draws only what moves (matplotlib blitting:
``restore_region``, ``draw_artist``), from arrays computed for all frames at once by the
:class:`~twin.viz.film.replay.Replay`. Nothing is rebuilt per frame.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from twin._clock import clock
from twin._errors import TwinError
from twin.engine.traversals import MODE_CODES
from twin.viz.film._glyphs import Glyphs
from twin.viz.film.encode import FilmWriter, film_format
from twin.viz.film.replay import Replay
from twin.viz.map_furniture import add_map_furniture
from twin.viz.style import MODE_COLOURS, OKABE_ITO

__all__ = ["DEFAULTS", "FilmInfo", "render_film", "render_still"]

#: Frames per second and width of one panel in pixels, by format.
DEFAULTS: dict[str, dict[str, float]] = {"mp4": {"fps": 24, "width_px": 640}, "gif": {"fps": 10, "width_px": 360}}

_GROUND = "#0d1117"
_TEXT = "#e6e6e6"
_MUTED = "#9aa0a6"
# Street greys by kind (main, collector, local, path) and their widths at 640 px per panel.
_STREET_GREYS = ("#7a7a7a", "#666666", "#505050", "#3a3a3a")
_STREET_WIDTHS = (1.6, 1.2, 0.8, 0.5)
# Dots by mode code. On a dark ground Okabe-Ito's sky blue reads where its blue (the walk
# colour of printed figures) would vanish.
_MODE_DOT = {MODE_CODES["car"]: MODE_COLOURS["car"], MODE_CODES["bike"]: MODE_COLOURS["bike"],
             MODE_CODES["walk"]: OKABE_ITO[2]}  # fmt: skip
# Marker diameters in points, at 640 px per panel.
_MODE_SIZE = {MODE_CODES["car"]: 6.2, MODE_CODES["bike"]: 4.8, MODE_CODES["walk"]: 3.6}
_LAMP_OFF = np.array(to_rgba("#3c3c3c"))
_LAMP_FULL = np.array(to_rgba("#ffe066"))
_LAMP_HALO = np.array(to_rgba("#ffc83d"))
_DAYLIGHT = "#b9c7d6"


@dataclass(frozen=True)
class FilmInfo:
    """What :func:`render_film` wrote.

    Attributes
    ----------
    path
        The film file.
    frames
        Frames rendered.
    fps
        Frames per second.
    duration_s
        Playing time, in seconds.
    width, height
        Frame size in pixels.
    bytes
        File size.
    start_s, end_s
        The simulated window shown, in seconds from local midnight of the run's date.
    """

    path: Path
    frames: int
    fps: float
    duration_s: float
    width: int
    height: int
    bytes: int
    start_s: float
    end_s: float


def render_film(replays: Sequence[Replay], *, out: str | os.PathLike, start_s: float | None = None,
                end_s: float | None = None, seconds: float = 30.0, fps: float | None = None,
                width_px: int | None = None, progress: Callable[[int, int], None] | None = None) -> FilmInfo:  # fmt: skip
    """Render runs side by side on one clock as an MP4 or GIF film.

    Parameters
    ----------
    replays
        One run, or several on the same map (left to right; the first is the reference the
        others' energy is compared with).
    out
        The film, ``.mp4`` (H.264, yuv420p) or ``.gif``; written whole or not at all.
    start_s, end_s
        The simulated window, in seconds from local midnight of the runs' date (past
        86400 for the next day); by default the runs' whole span.
    seconds
        Playing time of the film.
    fps
        Frames per second (default 24 for MP4, 10 for GIF).
    width_px
        Width of one panel in pixels (default 640 for MP4, 360 for GIF); side by side, the
        frame is as many panels wide.
    progress
        Called after every frame with (frames done, frames in all).

    Returns
    -------
    FilmInfo

    Raises
    ------
    TwinError
        For an unknown film suffix, a window outside the runs, runs on different maps.
    """
    kind = film_format(out)
    fps = float(DEFAULTS[kind]["fps"] if fps is None else fps)
    width_px = int(DEFAULTS[kind]["width_px"] if width_px is None else width_px)
    if not seconds > 0 or not fps > 0:
        raise TwinError(f"{out}: the film needs a positive length and frame rate, not {seconds} s at {fps} fps")
    start_s, end_s = check_window(replays, start_s, end_s)
    n_frames = max(2, int(round(seconds * fps)))
    times = np.linspace(start_s, end_s, n_frames)
    scene = _Scene(replays, times, width_px=width_px, trail_s=times[1] - times[0])
    with FilmWriter(out, width=scene.width, height=scene.height, fps=fps) as writer:
        if kind == "gif":
            # The colours of day and night, of the first and the last frame.
            samples = sorted({0, n_frames - 1, *np.flatnonzero(scene.dark)[:1], *np.flatnonzero(~scene.dark)[:1]})
            writer.palette_from([np.asarray(scene.frame(k)).copy() for k in samples])
        for k in range(n_frames):
            writer.write(scene.frame(k))
            if progress is not None:
                progress(k + 1, n_frames)
    path = Path(out)
    return FilmInfo(path=path, frames=n_frames, fps=fps, duration_s=n_frames * writer.frame_s, width=scene.width,
                    height=scene.height, bytes=path.stat().st_size, start_s=start_s, end_s=end_s)  # fmt: skip


def render_still(replays: Sequence[Replay], *, at_s: float, start_s: float | None = None, width_px: int = 640,
                 trail_s: float = 45.0) -> np.ndarray:  # fmt: skip
    """One frame of the film, as a ``height x width x 4`` RGBA array (e.g. a poster image).

    Parameters
    ----------
    replays
        As for :func:`render_film`.
    at_s
        The moment shown.
    start_s
        Where the energy counter starts; by default the runs' start.
    width_px
        Width of one panel in pixels.
    trail_s
        How far back the fading trail behind each road user reaches (a film uses the time
        between two frames).
    """
    start_s, at_s = check_window(replays, start_s, at_s)
    scene = _Scene(replays, np.array([start_s, at_s]), width_px=width_px, trail_s=trail_s)
    return np.asarray(scene.frame(1)).copy()


def check_window(replays: Sequence[Replay], start_s: float | None, end_s: float | None) -> tuple[float, float]:
    """The window to film, checked against the runs: they share a map and the window lies in all of them."""
    if not replays:
        raise ValueError("give at least one Replay to film")
    first = replays[0]
    for other in replays[1:]:
        if other.map_sha256 != first.map_sha256:
            raise TwinError(f"{other.label}: runs side by side must share a map, and this one's is not "
                            f"{first.label}'s; compare runs of the same city")  # fmt: skip
    run_start = max(r.start_s for r in replays)
    run_end = min(r.end_s for r in replays)
    start = run_start if start_s is None else float(start_s)
    end = run_end if end_s is None else float(end_s)
    if not (run_start <= start < end <= run_end):
        raise TwinError(f"{first.label}: the window {clock(start)} to {clock(end, end=True)} is not within the run, "
                        f"which covers {clock(run_start)} to {clock(run_end, end=True)}; choose a window inside it")  # fmt: skip
    return start, end


# ------------------------------------------------------------------------ scene

_LEVELS = 10  # lamps are drawn at the nearest tenth of full level
_JUST_BEFORE_S = 1e-3  # how long before the window's end its last frame is seen
_TRAIL_ALPHA = (0.45, 0.28, 0.14)  # opacity of a road user's earlier positions, latest first


class _Scene:
    """The figure, its static background and the moving artists, with every frame's state
    computed up front from the replays' arrays.

    Speed tricks: lamps and dots are drawn as markers of one size and colour per group
    (``Line2D``), which Agg stamps from one rasterised marker, not as scatter plots, whose
    per-point sizes and colours cost ten times as much; the clock and counters are stamped
    from pre-rendered glyphs (:mod:`twin.viz.film._glyphs`).
    """

    def __init__(self, replays: Sequence[Replay], times: np.ndarray, *, width_px: int, trail_s: float) -> None:
        self.replays, self.times = list(replays), times
        # The last frame shows the window's end as it was reached, not what follows it: at the
        # end of a run the dark hours, the passages and the timelines end, and the clock would
        # turn to tomorrow. So what it shows is taken a moment before (the energy counter,
        # an integral, at the end itself).
        self.seen = times.astype(float)
        if times.size > 1:
            self.seen[-1] = max(times[-1] - _JUST_BEFORE_S, times[-2])
        self._state = [_PanelState(r, self.seen, times, trail_s=trail_s) for r in self.replays]
        self.dark = self._state[0].dark
        self._build(width_px)

    # ------------------------------------------------------------- layout

    def _build(self, width_px: int) -> None:
        n = len(self.replays)
        minx, miny, maxx, maxy = self.replays[0].bounds
        pad = 0.03 * max(maxx - minx, maxy - miny)  # as add_map_furniture pads
        scale = width_px / 640
        fonts = max(scale, 0.55)
        dpi = 100
        self.clock_glyphs = Glyphs(fontsize=26 * fonts, colour="white", ground=_GROUND, weight="bold", dpi=dpi)
        self.day_glyphs = Glyphs(fontsize=11 * fonts, colour=_MUTED, ground=_GROUND, dpi=dpi)
        self.counter_glyphs = Glyphs(fontsize=11 * fonts, colour=_TEXT, ground=_GROUND, dpi=dpi)
        self.counter_lines = 3 if n > 1 else 2
        margin = round(6 * scale)
        header = margin + self.clock_glyphs.height + self.day_glyphs.height
        title_h = round(34 * scale)
        footer = 2 * margin + self.counter_lines * self.counter_glyphs.height
        legend_h = round((30 if n > 1 else 50) * scale)
        map_h = round(width_px * (maxy - miny + 2 * pad) / (maxx - minx + 2 * pad))
        width = n * width_px + (n * width_px) % 2
        height = header + title_h + map_h + footer + legend_h
        height += height % 2
        self.width, self.height, self.scale = width, height, scale
        fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, facecolor=_GROUND)
        self.fig, self.canvas = fig, FigureCanvasAgg(fig)

        self.panels = []
        for i, replay in enumerate(self.replays):
            left = i * width_px / width
            ax = fig.add_axes((left, (footer + legend_h) / height, width_px / width, map_h / height))
            for kind in (3, 2, 1, 0):
                lines = replay.edge_lines(kind)
                if lines:
                    ax.add_collection(LineCollection(lines, colors=_STREET_GREYS[kind],
                                                     linewidths=_STREET_WIDTHS[kind] * scale, zorder=1))  # fmt: skip
            add_map_furniture(ax, bounds=replay.bounds, crs=replay.crs, attribution=replay.attribution or None,
                              dark=True)  # fmt: skip
            ax.set_axis_off()
            for text in ax.texts:
                text.set_fontsize(text.get_fontsize() * fonts)
            fig.text((i + 0.5) * width_px / width, 1 - (header + title_h / 2) / height, replay.label, ha="center",
                     va="center", color=_TEXT, fontsize=15 * fonts, fontweight="bold")  # fmt: skip
            text_x = round(i * width_px + 14 * scale)
            self.panels.append(self._moving_artists(ax, replay, scale) | {"ax": ax, "x": text_x})
        self.footer_y = height - legend_h - footer + margin
        self._legend(legend_h / height, ncols=6 if n > 1 else 3, fonts=fonts)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(fig.bbox)
        self.clock_y = margin
        self.day_y = self.clock_y + self.clock_glyphs.height

    def _moving_artists(self, ax, replay: Replay, scale: float) -> dict:
        """The artists drawn every frame, created once: the daylight veil, lamps by level, dots by mode."""
        veil = ax.add_patch(Rectangle((0, 0), 1, 1, transform=ax.transAxes, facecolor=_DAYLIGHT, alpha=0.16,
                                      edgecolor="none", zorder=2, animated=True))  # fmt: skip

        def markers(colour, size, alpha=1.0, zorder=3) -> Line2D:
            (line,) = ax.plot([], [], linestyle="none", marker="o", markersize=size, markerfacecolor=colour,
                              markeredgewidth=0, alpha=alpha, zorder=zorder, animated=True)  # fmt: skip
            return line

        halos, cores = [], []
        for q in range(_LEVELS + 1):
            level = q / _LEVELS
            halos.append(markers(tuple(_LAMP_HALO), 11.0 * level * scale, alpha=0.3) if q else None)
            cores.append(markers(_mix(level), (2.2 + 2.4 * level) * scale, zorder=4))
        codes = (MODE_CODES["walk"], MODE_CODES["bike"], MODE_CODES["car"])
        dots = {code: markers(_MODE_DOT[code], _MODE_SIZE[code] * scale, zorder=5 + z) for z, code in enumerate(codes)}
        trails = [{code: markers(_MODE_DOT[code], _MODE_SIZE[code] * scale * (1 - 0.12 * j), alpha=alpha, zorder=4.5)
                   for code in codes} for j, alpha in enumerate(_TRAIL_ALPHA, start=1)]  # fmt: skip
        return {"veil": veil, "halos": halos, "cores": cores, "dots": dots, "trails": trails, "lamp_xy": replay.lamp_xy}

    def _legend(self, height: float, *, ncols: int, fonts: float) -> None:
        def dot(colour, size: float, label: str) -> Line2D:
            return Line2D([], [], linestyle="none", marker="o", markersize=size * fonts, markerfacecolor=colour,
                          markeredgewidth=0, label=label)  # fmt: skip

        handles = [
            dot(_MODE_DOT[MODE_CODES["car"]], 6, "car, bus or shuttle"),
            dot(_MODE_DOT[MODE_CODES["bike"]], 5, "cyclist"),
            dot(_MODE_DOT[MODE_CODES["walk"]], 4.5, "walker"),
            dot(_mix(1.0), 7, "lamp at full"),
            dot(_mix(0.3), 4, "lamp dimmed"),
            dot(_mix(0.0), 3.5, "lamp off"),
        ]
        self.fig.legend(handles=handles, loc="center", bbox_to_anchor=(0.5, height / 2), ncols=ncols, frameon=False,
                        labelcolor=_TEXT, fontsize=10 * fonts, handletextpad=0.3, columnspacing=1.4)  # fmt: skip

    # -------------------------------------------------------------- frames

    def frame(self, k: int) -> memoryview:
        """Draw frame ``k`` over the background; return the canvas's RGBA buffer."""
        canvas = self.canvas
        canvas.restore_region(self.background)
        dark = bool(self.dark[k])
        for panel, state in zip(self.panels, self._state):
            ax = panel["ax"]
            if not dark:
                ax.draw_artist(panel["veil"])
            q = np.rint(state.lamp_levels[k] * _LEVELS).astype(np.int64)
            order = np.argsort(q, kind="stable")
            bounds = np.searchsorted(q[order], np.arange(_LEVELS + 2))
            xy = panel["lamp_xy"]
            for layer in ("halos", "cores"):
                for level, line in enumerate(panel[layer]):
                    rows = order[bounds[level]:bounds[level + 1]]
                    if line is not None and rows.size:
                        line.set_data(xy[rows, 0], xy[rows, 1])
                        ax.draw_artist(line)
            # Oldest trail first, the road users themselves last, on top.
            layers = zip(state.trails[::-1] + [state.positions], panel["trails"][::-1] + [panel["dots"]])
            for positions, lines in layers:
                where, mode = positions.at(k)
                for code, line in lines.items():
                    mine = where[mode == code]
                    if mine.size:
                        line.set_data(mine[:, 0], mine[:, 1])
                        ax.draw_artist(line)
        buffer = canvas.buffer_rgba()
        pixels = np.asarray(buffer)
        centre = self.width // 2
        time_text, day_text = self.header(k)
        self.clock_glyphs.stamp(pixels, time_text, x=centre, y=self.clock_y, align="center")
        self.day_glyphs.stamp(pixels, day_text, x=centre, y=self.day_y, align="center")
        reference = self._state[0].energy_kwh[k]
        compare = "" if len(self.panels) == 1 else "vs left" if len(self.panels) == 2 else f"vs {self.replays[0].label}"
        for i, (panel, state) in enumerate(zip(self.panels, self._state)):
            text = state.counters(k, reference if i else None, compare)
            self.counter_glyphs.stamp(pixels, text, x=panel["x"], y=self.footer_y)
        return buffer


    def header(self, k: int) -> tuple[str, str]:
        """The clock and the line under it of frame ``k``: ``("24:00", "Tue 15 Dec 2026 · dark: lights on")``."""
        last = k == self.times.size - 1
        text = clock(self.times[k], end=last).split(" ")[0]
        light = "dark: lights on" if self.dark[k] else "daylight: lights off"
        return text, f"{_date_text(self.replays[0].date, self.seen[k])} · {light}"


class _PanelState:
    """One run's state at every frame time, computed at once: what is seen at ``seen``, the
    energy used by ``times``."""

    def __init__(self, replay: Replay, seen: np.ndarray, times: np.ndarray, *, trail_s: float) -> None:
        self.positions = replay.positions_at(seen)
        # Where each road user was a moment earlier, drawn fainter: the eye sees which way
        # the dots move even where a frame spans a minute of the night.
        self.trails = [replay.positions_at(seen - trail_s * j / len(_TRAIL_ALPHA))
                       for j in range(1, len(_TRAIL_ALPHA) + 1)]  # fmt: skip
        self.counts = self.positions.counts()
        # Lamps are seen over the time a frame stands for (see Replay.lamp_levels_at).
        self.lamp_levels = replay.lamp_levels_at(seen, over_s=trail_s)
        self.power_kw = replay.power_kw(seen)
        self.energy_kwh = replay.energy_kwh(times)
        dark = np.asarray(replay.dark_s).reshape(-1, 2)
        self.dark = ((seen[:, None] >= dark[:, 0]) & (seen[:, None] < dark[:, 1])).any(axis=1)
        self.since = clock(times[0]).split(" ")[0]

    def counters(self, k: int, reference_kwh: float | None, compare: str) -> str:
        """The counter lines of frame ``k``; ``reference_kwh`` is the first run's energy so far, ``compare``
        names it (empty for a film of one run: no comparison line)."""
        kwh = self.energy_kwh[k]
        change = ""
        if reference_kwh is not None and reference_kwh >= 0.05:
            change = f"{(kwh - reference_kwh) / reference_kwh:+.0%} energy {compare}".replace("-", "−")
        car, bike, walk = (int(c) for c in self.counts[k])
        lines = [f"Lights   {self.power_kw[k]:5.1f} kW now, {kwh:6.1f} kWh since {self.since}",
                 f"         {change}",
                 f"On road  {car:3d} vehicles, {walk:3d} walking, {bike:3d} cycling"]  # fmt: skip
        return "\n".join(lines if compare else lines[::2])


def _mix(level: float) -> tuple[float, ...]:
    """The colour of a lamp's core at ``level``: dark grey when off to warm yellow at full."""
    return tuple(_LAMP_OFF + level * (_LAMP_FULL - _LAMP_OFF))


def _date_text(date: str | None, t: float) -> str:
    day = int(t // 86400)
    if date is None:
        return f"day {day + 1}"
    when = dt.date.fromisoformat(date) + dt.timedelta(days=day)
    return when.strftime("%a %d %b %Y")
