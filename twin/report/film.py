"""Section 4, the animation: a film given as a file, or one rendered from the runs.

A given ``.mp4`` plays in a ``<video>`` element and a ``.gif`` shows as an image, both
inlined as data URIs. Without one, the film is rendered by :mod:`twin.viz.film`: the runs
are replayed (re-simulated from their scenario and seed) and drawn side by side on one
clock, the baseline left and the first variant that changes anything right, replication 0
of each. A short film
at a modest width keeps the report small.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from twin._errors import TwinError
from twin.report._format import clock, date_words, number
from twin.report.sections import Film, Paragraph, Section

if TYPE_CHECKING:
    from twin.report.build import Context
    from twin.report.results import Results

__all__ = ["FILM_FPS", "FILM_SECONDS", "FILM_TYPES", "FILM_WIDTH_PX", "check_film", "film_section", "film_window"]

FILM_TYPES = {".mp4": "video/mp4", ".gif": "image/gif"}
"""Film files a report can inline, by suffix."""

FILM_SECONDS = 20.0
FILM_FPS = 24
FILM_WIDTH_PX = 480
"""A rendered film: 20 s at 24 frames a second, each side 480 pixels wide (one run alone: 640)."""


def check_film(path: str | os.PathLike) -> Path:
    """``path`` if it is an MP4 or GIF file that exists.

    Raises
    ------
    TwinError
        Naming the file and the fix.
    """
    film = Path(path)
    if film.suffix.lower() not in FILM_TYPES:
        raise TwinError(f"--film {film}: a report inlines an .mp4 or a .gif film; make one with twin animate, or "
                        "leave --film out to render one")  # fmt: skip
    if not film.is_file():
        raise TwinError(f"--film {film}: no such file; check the path, or leave --film out to render a film")
    return film


def film_window(results: Results, start_s: float | None, end_s: float | None) -> tuple[float, float]:
    """The film's window, by default the baseline's whole run; the given times must lie within it.

    Raises
    ------
    TwinError
        If the window is empty or outside the run.
    """
    scenario = results.scenarios[results.baseline]
    run_start = float(scenario.get("start_s", 0.0))
    run_end = run_start + float(scenario.get("duration_s", 86400.0))
    start = run_start if start_s is None else float(start_s)
    end = run_end if end_s is None else float(end_s)
    if end <= start and end_s is not None and start_s is not None:
        end += 86400.0  # --from 18:00 --to 07:00: through midnight
    if not (run_start <= start < end <= run_end):
        raise TwinError(f"--from/--to: {clock(start)} to {clock(end, end=True)} is not within the run "
                        f"({clock(run_start)} to {clock(run_end, end=True)} of {scenario['date']}); choose times within "
                        "it, e.g. --from 15:00 --to 24:00 for the evening")  # fmt: skip
    return start, end


def film_section(context: Context) -> Section:
    """The film, or a sentence on how to add one."""
    option = context.film
    if option is False:
        return Section(id="film", title="The animation", blocks=(Paragraph(
            "This report was made without an animation (--no-film). To add one, make the report again without "
            "--no-film (twin renders a 20-second film of the baseline and the first variant side by side), or pass "
            "a film made with twin animate: twin report FOLDER --film FILM.mp4 --out report.html.", tone="note"),))
    if option is True:
        return Section(id="film", title="The animation", blocks=(_rendered(context),))
    film = check_film(option)
    mime = FILM_TYPES[film.suffix.lower()]
    return Section(id="film", title="The animation", blocks=(Film(
        title=f"The film {film.name}", data=film.read_bytes(), mime=mime,
        description="Vehicles and people as moving dots along the streets, lamps glowing by their level, with a "
                    "clock; given with --film."),))  # fmt: skip


def _rendered(context: Context) -> Film:
    from twin.viz.film.render import render_film
    from twin.viz.film.replay import replay_run

    results = context.results
    shown = [results.baseline, *_first_changed(results)]
    replication, folders = _pair(results, shown)
    start, end = context.film_window
    replays = [replay_run(folder, label=variant, progress=context.stage(f"replaying {variant}"))
               for variant, folder in zip(shown, folders)]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="twin-report-film-") as tmp:
        out = Path(tmp) / "film.mp4"
        render_film(replays, out=out, start_s=start, end_s=end, seconds=FILM_SECONDS, fps=FILM_FPS,
                    width_px=FILM_WIDTH_PX if len(replays) > 1 else 640,
                    progress=context.stage("rendering the film"))  # fmt: skip
        data = out.read_bytes()
    scenario = results.scenarios[results.baseline]
    sides = f"left {shown[0]}, right {shown[1]}" if len(shown) > 1 else shown[0]
    title = (f"{sides}: {clock(start)} to {clock(end, end=True)} of {date_words(scenario['date'])} in "
             f"{number(FILM_SECONDS)} seconds")  # fmt: skip
    return Film(title=title, data=data, mime="video/mp4",
                description=f"Replication {replication} of each, on one clock: vehicles and people as moving dots "
                            "along the streets, streetlights glowing by their level, with the clock and running "
                            "counters of energy used and vehicles on the road.")  # fmt: skip


def _first_changed(results: Results) -> list[str]:
    """The first variant that changes something (a batch compared with itself has the baseline again as B)."""
    summary = results.summary
    for variant in results.others:
        rows = summary[(summary["variant"] == variant) & (summary["n_pairs"] > 0)]
        if (rows["diff_mean"].fillna(0) != 0).any():
            return [variant]
    return results.others[:1]


def _pair(results: Results, variants: list[str]) -> tuple[int, list[Path]]:
    """The first replication every shown variant finished, and their run folders."""
    finished = [dict(results.folders(variant)) for variant in variants]
    common = sorted(set.intersection(*(set(f) for f in finished))) if finished else []
    if not common:
        raise TwinError(f"{', '.join(variants)}: no replication finished in every variant, so no film can be "
                        "rendered; pass --no-film, or --film FILE")  # fmt: skip
    return common[0], [f[common[0]] for f in finished]


def progress_adapter(report: Callable[[str, float, float], None] | None, stage: str) -> Callable[..., Any] | None:
    """A progress callback for :mod:`twin.viz.film` that reports as ``report(stage, done, total)``.

    It takes ``(done, total)`` or a fraction done.
    """
    if report is None:
        return None

    def progress(done: float, total: float | None = None, *_: Any) -> None:
        report(stage, float(done), float(total) if total is not None else 1.0)

    return progress
