"""From run folders to a film: what ``twin animate`` does.

The runs are checked first (run folders, one map, a window inside them, a known film
format), so a mistake costs a second, not a re-simulation; then each run is simulated again
(:func:`~twin.viz.film.replay.replay_run`) and the film rendered
(:func:`~twin.viz.film.render.render_film`).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Callable, Sequence

import yaml

from twin._clock import DAY_S, clock, parse_clock
from twin._errors import TwinError
from twin.viz.film.encode import film_format
from twin.viz.film.render import FilmInfo, render_film
from twin.viz.film.replay import replay_run, run_meta

__all__ = ["animate_runs", "film_window", "parse_clock", "run_span"]


def run_span(run_dir: str | os.PathLike) -> tuple[float, float, str | None]:
    """The simulated window of a run folder, ``(start_s, end_s, date)``, from its resolved scenario."""
    folder = Path(run_dir)
    run_meta(folder)
    resolved = yaml.safe_load((folder / "scenario.resolved.yaml").read_text(encoding="utf-8")) or {}
    start = float(resolved.get("start_s", 0.0))
    return start, start + float(resolved.get("duration_s", DAY_S)), resolved.get("date")


def film_window(start: str | None, end: str | None, *, span: tuple[float, float],
                where: str = "") -> tuple[float, float]:  # fmt: skip
    """The simulated window ``--from START --to END`` asks for, within a run's ``span``.

    ``START`` is its first time at or after the run's start; ``END`` its first time after
    ``START`` (so ``--from 18:00 --to 07:00`` ends on the next day). Without them the
    window is the whole run.

    Raises
    ------
    TwinError
        If a time is malformed or the window does not lie within the run.
    """
    run_start, run_end = span
    covers = f"the run covers {clock(run_start)} to {clock(run_end, end=True)}"
    prefix = f"{where}: " if where else ""
    begin = run_start
    if start is not None:
        at = parse_clock(start, option="--from")
        begin = at + DAY_S * math.ceil((run_start - at) / DAY_S)
        if begin >= run_end:
            raise TwinError(f"{prefix}--from {start} is outside the run: {covers}; choose a time inside it")
    finish = run_end
    if end is not None:
        at = parse_clock(end, option="--to")
        finish = at + DAY_S * (math.floor((begin - at) / DAY_S) + 1)
        if finish > run_end:
            raise TwinError(f"{prefix}--to {end} (after {clock(begin)}) is outside the run: {covers}; choose a time "
                            "inside it")  # fmt: skip
    return begin, finish


def animate_runs(runs: Sequence[str | os.PathLike], *, out: str | os.PathLike, start: str | None = None,
                 end: str | None = None, seconds: float = 30.0, fps: float | None = None, width_px: int | None = None,
                 progress: Callable[[str, float, float], None] | None = None) -> FilmInfo:  # fmt: skip
    """Film one run, or several side by side on one clock, from their run folders.

    Parameters
    ----------
    runs
        Run folders (``twin run --out``) on the same map, left to right.
    out
        The film, ``.mp4`` or ``.gif``.
    start, end
        ``HH:MM`` times of day bounding the window (see :func:`film_window`); by default the
        whole run.
    seconds, fps, width_px
        As for :func:`~twin.viz.film.render.render_film`.
    progress
        Called with (stage, done, total): ``"simulating NAME"`` per run (seconds), then
        ``"rendering"`` (frames).

    Raises
    ------
    TwinError
        For a folder that is not a run, runs on different maps, a window outside the runs, an
        unknown film suffix, a missing or changed map, or a re-run that differs from the run.
    """
    film_format(out)
    if fps is not None and not fps > 0:
        raise TwinError(f"--fps {fps}: frames per second must be positive, e.g. --fps 24")
    if not seconds > 0:
        raise TwinError(f"--seconds {seconds}: the film's length must be positive, e.g. --seconds 30")
    if width_px is not None and width_px < 160:
        raise TwinError(f"--width {width_px}: too narrow to read; give 160 pixels or more, e.g. --width 640")
    folders = [Path(r) for r in runs]
    metas = [run_meta(folder) for folder in folders]
    for folder, meta in zip(folders[1:], metas[1:]):
        if meta["map"]["sha256"] != metas[0]["map"]["sha256"]:
            raise TwinError(f"{folder}: --vs needs a run on the same map as {folders[0]}, and its map "
                            f"({meta['map']['source']}) differs; compare runs of one city")  # fmt: skip
    spans = [run_span(folder) for folder in folders]
    shared = (max(s[0] for s in spans), min(s[1] for s in spans))
    if shared[0] >= shared[1] or len({s[2] for s in spans}) > 1:
        raise TwinError(f"{folders[-1]}: --vs needs runs of the same day and hours as {folders[0]}")
    window = film_window(start, end, span=shared, where=str(folders[0]))
    replays = []
    for folder, meta in zip(folders, metas):
        stage = f"simulating {meta.get('scenario', folder.name)}"
        report = None if progress is None else (lambda done, total, stage=stage: progress(stage, done, total))
        replays.append(replay_run(folder, progress=report))
    render = None if progress is None else (lambda done, total: progress("rendering", done, total))
    return render_film(replays, out=out, start_s=window[0], end_s=window[1], seconds=seconds, fps=fps,
                       width_px=width_px, progress=render)  # fmt: skip
