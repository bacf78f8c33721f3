"""The demo a new user runs first: the bundled city with and without two interventions.

``twin demo`` runs the bundled Helsinki baseline, adaptive lighting and Mobility-as-a-Service
as a small batch (a few replications each, paired seeds), renders a film of the evening with
the baseline and adaptive lighting side by side, and writes one HTML report with both. The
demo folder is written whole: staged beside ``out``, then swapped in.

::

    out/batch/        the batch folder (runs.parquet, summary.csv, runs/<key>/ ...)
    out/film.mp4      the baseline and the first variant side by side
    out/report.html   the report, film inlined; opens with no network
    out/meta.json     what the demo ran, and the package versions
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from twin._errors import TwinError
from twin.maps.network import StreetNetwork

__all__ = ["BUNDLED_FILM_WINDOW", "BUNDLED_SCENARIOS", "DemoResult", "bundled_scenarios", "run_demo", "sample_car_trips"]

#: The bundled baseline and its variants, relative to the twin checkout.
BUNDLED_SCENARIOS: tuple[str, ...] = (
    "scenarios/helsinki-baseline.yaml",
    "scenarios/helsinki-adaptive-lighting.yaml",
    "scenarios/helsinki-maas.yaml",
)

#: The bundled film's window: a December evening, from an hour before the lights come on
#: (about 15:37) to midnight, when the evening's walkers are home.
BUNDLED_FILM_WINDOW: tuple[str, str] = ("14:30", "24:00")


@dataclass(frozen=True)
class DemoResult:
    """What the demo wrote.

    Attributes
    ----------
    folder
        The demo folder.
    runs
        The batch's runs table (``batch/runs.parquet``).
    summary
        Per variant and KPI: mean and the paired difference to the baseline with its 95% CI.
    report
        The HTML report.
    film
        The film, or ``None`` when none was asked for.
    timings
        Seconds spent on the batch, the film and the report.
    """

    folder: Path
    runs: pd.DataFrame
    summary: pd.DataFrame
    report: Path
    film: Path | None
    timings: dict[str, float]


def bundled_scenarios() -> list[Path]:
    """The bundled demo scenarios: in the current folder, or in the checkout twin is installed from."""
    for root in (Path.cwd(), Path(__file__).resolve().parents[1]):
        paths = [root / name for name in BUNDLED_SCENARIOS]
        if all(path.is_file() for path in paths):
            return paths
    raise TwinError(f"{BUNDLED_SCENARIOS[0]}: the bundled scenarios are not here; run from the twin folder or name "
                    "a baseline scenario file")  # fmt: skip


def sample_car_trips(network: StreetNetwork, n: int, *, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` origin-destination pairs among the nodes cars can leave, uniformly, origin != destination."""
    candidates = network.mode_nodes("car")
    if candidates.size < 2:
        raise ValueError("the network has fewer than two nodes with car access; cannot sample trips")
    first = rng.integers(0, candidates.size, size=n)
    # Draw among the other candidates, then skip over the origin: uniform over destinations != origin.
    second = rng.integers(0, candidates.size - 1, size=n)
    second += second >= first
    return candidates[first], candidates[second]


def run_demo(*, out: str | os.PathLike, baseline: str | os.PathLike | None = None,
             variants: Sequence[str | os.PathLike] | None = None, replications: int = 3, workers: int | None = None,
             overrides: Sequence[str] = (), film: bool = True, film_seconds: float = 30.0,
             window: tuple[str, str] | None = None, film_width_px: int = 640,
             batch_progress: Callable[[int, int, int], None] | None = None,
             film_progress: Callable[[str, float, float], None] | None = None) -> DemoResult:  # fmt: skip
    """Run a baseline and its variants as a batch, film the first variant against the baseline, and write the report.

    Parameters
    ----------
    out
        The demo folder; replaced whole if it holds an earlier demo.
    baseline, variants
        Scenario files. Without ``baseline``, the bundled Helsinki baseline with adaptive
        lighting and MaaS (:data:`BUNDLED_SCENARIOS`); with a ``baseline`` only, no variants.
    replications
        Runs per variant (paired seeds).
    workers
        Local worker processes for the batch (default: one per core).
    overrides
        ``key=value`` changes for every run, as ``--set`` takes them.
    film
        Render the film (and inline it in the report).
    film_seconds, film_width_px
        The film's length, and the width of each of its two panels.
    window
        The film's ``(from, to)`` as ``HH:MM``; default :data:`BUNDLED_FILM_WINDOW` for the bundled city,
        else the whole run.
    batch_progress, film_progress
        Called with (done, failed, total) runs, and with (stage, done, total) while the film's
        runs are simulated again and its frames rendered.

    Raises
    ------
    TwinError
        Bad input: a scenario, an override, a window outside the run, a folder that may not
        be replaced. Nothing is written then.
    """
    from twin._output import write_folder
    from twin.experiment.batch import prepare, run_batch
    from twin.experiment.statistics import summarize
    from twin.provenance import package_versions
    from twin.report.build import build_report
    from twin.viz.film import film_window

    if baseline is None:
        bundled = bundled_scenarios()
        baseline, variants = bundled[0], bundled[1:] if variants is None else variants
        window = window or BUNDLED_FILM_WINDOW
    variants = list(variants or [])
    # Everything a user can get wrong is checked before anything runs.
    plan = prepare(baseline, variants=variants, overrides=overrides, replications=replications)
    if film and window is not None:  # refused now, not after the batch
        scenario = plan.baseline.scenario
        film_window(*window, span=(scenario.start_s, scenario.start_s + scenario.duration_s), where=str(baseline))
    timings: dict[str, float] = {}
    written: dict[str, object] = {}

    def fill(folder: Path) -> None:
        started = time.perf_counter()
        runs = run_batch(plan, workers=workers, out=folder / "batch", progress=batch_progress)
        timings["batch_s"] = time.perf_counter() - started
        written["runs"] = runs
        film_path = None
        if film:
            started = time.perf_counter()
            film_path = _render_film(folder, runs, baseline=plan.baseline.name, window=window,
                                     seconds=film_seconds, width_px=film_width_px, progress=film_progress)  # fmt: skip
            timings["film_s"] = time.perf_counter() - started
        started = time.perf_counter()
        build_report([folder / "batch"], out=folder / "report.html", film=film_path)
        timings["report_s"] = time.perf_counter() - started
        meta = {"kind": "twin-demo", "baseline": str(Path(baseline).resolve()),
                "variants": [str(Path(v).resolve()) for v in variants], "replications": replications,
                "root_seed": plan.root_seed, "overrides": list(overrides), "film": film_path is not None,
                "timings_s": timings, "versions": package_versions()}  # fmt: skip
        (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    folder = write_folder(out, fill)
    runs = written["runs"]
    return DemoResult(folder=folder, runs=runs, summary=summarize(runs, baseline=plan.baseline.name),
                      report=folder / "report.html", film=folder / "film.mp4" if film else None,
                      timings=timings)  # fmt: skip


def _render_film(folder: Path, runs: pd.DataFrame, *, baseline: str, window: tuple[str, str] | None, seconds: float,
                 width_px: int, progress: Callable[[str, float, float], None] | None) -> Path | None:  # fmt: skip
    """Film replication 0 of the baseline beside replication 0 of the first variant (the baseline alone if none)."""
    from twin.viz.film import animate_runs

    first = runs[(runs["replication"] == 0) & (runs["status"] == "ok")]
    order = [baseline] + [name for name in dict.fromkeys(first["variant"]) if name != baseline][:1]
    paths = [folder / "batch" / first.loc[first["variant"] == name, "path"].iloc[0] for name in order
             if (first["variant"] == name).any()]  # fmt: skip
    if not paths:
        return None
    out = folder / "film.mp4"
    start, end = window if window is not None else (None, None)
    animate_runs(paths, out=out, start=start, end=end, seconds=seconds, width_px=width_px, progress=progress)
    return out
