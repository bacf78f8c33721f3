"""Run an experiment as a batch: plan, run what is not done yet, gather the rows, summarise.

:func:`run_batch` is what ``twin batch`` calls; :func:`load_batch` reads a batch folder
back. The folder's layout is described in :mod:`twin.experiment.store`.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twin._errors import TwinError
from twin.experiment._task import RunTask, execute
from twin.experiment.design import Experiment, Plan, Variant, describe, plan, with_options
from twin.experiment.executors import Executor, check_options, make_executor
from twin.experiment.files import experiment_from, variant_from_file
from twin.experiment.statistics import summarize
from twin.experiment.store import PLAN_COLUMNS, BatchFolder, RunKeys, is_batch_folder, row_from_folder, write_atomic

__all__ = ["Batch", "default_out", "load_batch", "run_batch"]

#: Seconds between rewrites of ``runs.parquet`` while a batch runs.
CHECKPOINT_S = 30.0

Progress = Callable[[int, int, int], None]
"""Called with (runs done, runs failed, runs in all) as runs finish."""


def default_out(experiment_plan: Plan) -> Path:
    """``<the baseline's outputs.dir>/../<name>-batch``: beside the baseline's own run folder."""
    return Path(experiment_plan.baseline.scenario.outputs.dir).parent / f"{experiment_plan.experiment.name}-batch"


def prepare(target: str | os.PathLike | Experiment, *, variants: Sequence[str | os.PathLike | Variant] = (),
            sweeps: Mapping[str, Sequence[Any]] | None = None, overrides: Sequence[str] = (),
            replications: int | None = None, seed: int | None = None) -> Plan:  # fmt: skip
    """The plan of an experiment with the options of :func:`run_batch`; every scenario is checked."""
    extra = [v if isinstance(v, Variant) else variant_from_file(v) for v in variants]
    if isinstance(overrides, str):
        overrides = [overrides]
    experiment = with_options(experiment_from(target), variants=extra, sweeps=sweeps, overrides=tuple(overrides),
                              replications=replications, seed=seed)  # fmt: skip
    return plan(experiment)


def run_batch(target: str | os.PathLike | Experiment | Plan, *, variants: Sequence[str | os.PathLike | Variant] = (),
              sweeps: Mapping[str, Sequence[Any]] | None = None, overrides: Sequence[str] = (),
              replications: int | None = None, seed: int | None = None, workers: int | None = None,
              dask: Any = None, out: str | os.PathLike | None = None, resume: bool = False,
              progress: Progress | None = None) -> pd.DataFrame:  # fmt: skip
    """Run an experiment: every variant (and sweep point) times every replication.

    Parameters
    ----------
    target
        A scenario file (the baseline), an experiment file (with a top-level ``baseline:``),
        an :class:`~twin.experiment.design.Experiment`, or a :class:`~twin.experiment.design.Plan`
        made already (then ``variants`` to ``seed`` are not used).
    variants
        More variants: scenario files, files of interventions to add to the baseline (see
        :func:`~twin.experiment.design.variant_from_file`), or ``Variant`` objects.
    sweeps
        Scenario keys and the values to try, e.g. ``{"lighting.dim_level": [0.2, 0.3]}``:
        every combination is tried on every variant (on the baseline if there are none).
    overrides
        ``key=value`` changes for every run, as ``--set`` takes them.
    replications
        Runs per variant (default: the experiment's, or 1).
    seed
        The root seed of the replications (default: the experiment's, or the baseline's).
    workers
        Local worker processes (default: one per core); 1 runs here, one run at a time.
    dask
        A Dask scheduler address, ``local:N`` for a local cluster of N worker processes, or
        a :class:`distributed.Client`.
    out
        The batch folder (default: ``<name>-batch`` beside the baseline's output folder).
    resume
        Continue the batch in ``out``: finished runs are kept, the others are run.
    progress
        Called with (done, failed, total) as runs finish.

    Returns
    -------
    pandas.DataFrame
        ``runs.parquet``: one row per run, sorted by variant (baseline first) and
        replication, with ``run_id, variant, replication, seed, status, error, wall_time_s,
        path``, ``sweep.<key>`` per swept key, and the KPIs as dotted names. ``attrs``
        holds ``folder`` and ``baseline``; :func:`load_batch` gives the summary.

    Raises
    ------
    TwinError
        Bad input (a scenario, an override, a sweep), or a folder that may not be written.
        A run that fails is not an error: its row says ``failed`` and the others go on.
    """
    if isinstance(target, Plan):
        experiment_plan = target
    else:
        experiment_plan = prepare(target, variants=variants, sweeps=sweeps, overrides=overrides,
                                  replications=replications, seed=seed)  # fmt: skip
    check_options(workers=workers, dask=dask)
    folder = BatchFolder(out if out is not None else default_out(experiment_plan))
    folder.check(resume=resume)
    with contextlib.ExitStack() as stack:  # closed in reverse: executor, folder lock, then cluster
        # A cluster that cannot be reached fails the batch before anything is written.
        executor = make_executor(dask=dask) if dask is not None else None
        if executor is not None:
            stack.callback(executor.close)
        stack.enter_context(folder.open(resume=resume))
        folder.write_experiment(describe(experiment_plan))
        runs = _Runs(experiment_plan, folder)
        tasks = runs.to_do()
        if progress is not None:
            progress(runs.done, runs.failed, runs.total)
        if runs.waiting:
            if executor is None:
                executor = make_executor(workers=workers, runs=runs.waiting)
                stack.callback(executor.close)
            _run(executor, tasks, runs, folder, progress)
        table = runs.table()
        folder.write_runs(table)
        folder.write_summary(summarize(table, baseline=experiment_plan.baseline.name))
    table.attrs.update(folder=str(folder.root), baseline=experiment_plan.baseline.name)
    return table


def _run(executor: Executor, tasks: Iterator[RunTask], runs: _Runs, folder: BatchFolder,
         progress: Progress | None) -> None:  # fmt: skip
    """Run ``tasks``, keeping their rows in ``runs`` and a checkpoint of them in the folder."""
    last = time.monotonic()
    try:
        for task, outcome in executor.map_unordered(execute, tasks):
            runs.record(task, outcome)
            if progress is not None:
                progress(runs.done, runs.failed, runs.total)
            if time.monotonic() - last > CHECKPOINT_S:
                folder.write_runs(runs.table())
                last = time.monotonic()
    except BaseException:
        # Interrupted (Ctrl-C) or broken: keep a table of what is done; --resume does the rest.
        if runs.rows:
            folder.write_runs(runs.table())
        raise
    finally:
        runs.warn()


class _Runs:
    """The rows of a batch as they come in: finished ones from disk, new ones from workers."""

    def __init__(self, experiment_plan: Plan, folder: BatchFolder) -> None:
        self.plan = experiment_plan
        self.folder = folder
        self.total = experiment_plan.n_runs
        self.rows: dict[int, dict[str, Any]] = {}
        self.failed = 0
        self._warnings: dict[tuple[type[Warning], str], None] = {}
        self._keys = RunKeys()
        self._copies: dict[str, list[int]] = {}  # run key -> plan rows sharing the run planned first
        self._sweep = experiment_plan.swept_keys
        self._numeric = {key: all(_is_number(v.point.get(key)) for v in experiment_plan.variants if key in v.point)
                         for key in self._sweep}  # fmt: skip

    @property
    def done(self) -> int:
        return len(self.rows)

    def _plan_row(self, index: int, key: str) -> dict[str, Any]:
        replications = len(self.plan.seeds)
        variant, replication = self.plan.variants[index // replications], index % replications
        row = {"run_id": key, "variant": variant.name, "replication": replication, "seed": self.plan.seeds[replication]}
        for name in self._sweep:
            value = variant.point.get(name)
            if self._numeric[name]:
                row[f"sweep.{name}"] = np.nan if value is None else float(value)
            else:
                row[f"sweep.{name}"] = value if value is None or isinstance(value, str) else json.dumps(value)
        return row

    def to_do(self) -> Iterator[RunTask]:
        """Read the rows of runs that have a run folder; return the tasks of the others.

        The tasks are made as the executor asks for them, so a long plan is not held twice.
        """
        waiting: list[tuple[int, str]] = []
        first: dict[str, int] = {}
        for index, variant, replication, seed in self.plan.runs():
            key = self._keys.key(variant.scenario.model_copy(update={"seed": seed}))
            if key in first:
                # The same scenario and seed as a run already planned (a variant equal to the
                # baseline, say): it is run once and its row is shared.
                self._copies.setdefault(key, []).append(index)
                continue
            first[key] = index
            if self.folder.finished(key):
                self.rows[index] = {**self._plan_row(index, key), **row_from_folder(self.folder.run_folder(key))}
            else:
                waiting.append((index, key))
        for key, indices in self._copies.items():
            if first[key] in self.rows:
                self._share(first[key], key)
        self.waiting = len(waiting)
        return (self._task(index, key) for index, key in waiting)

    def _task(self, index: int, key: str) -> RunTask:
        replications = len(self.plan.seeds)
        variant, replication = self.plan.variants[index // replications], index % replications
        seed = self.plan.seeds[replication]
        label = {"variant": variant.name, "replication": replication, "seed": seed}
        return RunTask(index, key, variant.scenario.model_copy(update={"seed": seed}), self.folder.run_folder(key),
                       self.folder.failure_file(key), label)  # fmt: skip

    def record(self, task: RunTask, outcome: Any) -> None:
        """Keep a finished run's row."""
        if isinstance(outcome, BaseException):
            # The worker never returned (it died, or the cluster gave up on the run): record it here.
            error = f"{type(outcome).__name__}: {outcome or 'the worker process running it stopped'}"
            record = {"run_id": task.key, **task.label, "error": error, "folder": str(task.folder),
                      "traceback": "".join(traceback.format_exception(outcome))}  # fmt: skip
            write_atomic(task.failure, (json.dumps(record, indent=2) + "\n").encode("utf-8"))
            outcome = {"status": "failed", "error": error, "wall_time_s": np.nan, "warnings": []}
        for item in outcome.pop("warnings", []):
            self._warnings.setdefault(tuple(item), None)
        if outcome["status"] != "ok":
            self.failed += 1 + len(self._copies.get(task.key, ()))
        self.rows[task.index] = {**self._plan_row(task.index, task.key), **outcome}
        self._share(task.index, task.key)

    def _share(self, index: int, key: str) -> None:
        """Give the plan's other rows of the same run the row of ``index``."""
        for copy in self._copies.get(key, ()):
            self.rows[copy] = {**self.rows[index], **self._plan_row(copy, key)}

    def warn(self) -> None:
        """Issue each distinct warning of the runs once."""
        for category, message in self._warnings:
            warnings.warn(message, category if isinstance(category, type) else UserWarning, stacklevel=4)
        self._warnings.clear()

    def table(self) -> pd.DataFrame:
        """The rows so far, in plan order (variant, then replication)."""
        rows = [self.rows[index] for index in sorted(self.rows)]
        table = pd.DataFrame(rows)
        for column in PLAN_COLUMNS:
            if column not in table:
                table[column] = pd.Series(dtype=object)
        table["path"] = np.where(table["status"] == "ok", "runs/" + table["run_id"].astype(str), None)
        table["error"] = table["error"].astype(object).where(table["error"].notna(), None)
        first = [*PLAN_COLUMNS, *(f"sweep.{key}" for key in self._sweep)]
        return table[[*first, *(c for c in table.columns if c not in first)]]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# ------------------------------------------------------------------ reading back


@dataclass(frozen=True)
class Batch:
    """A batch folder read back.

    Attributes
    ----------
    folder
        The batch folder.
    runs
        ``runs.parquet``.
    experiment
        ``experiment.yaml``: the resolved experiment.
    """

    folder: Path
    runs: pd.DataFrame
    experiment: dict[str, Any]

    @property
    def baseline(self) -> str:
        """The baseline variant's name."""
        return self.experiment["baseline"]["variant"]

    def summary(self, *, kpis: Sequence[str] | None = None) -> pd.DataFrame:
        """Per variant and KPI: mean, sd, and the paired difference to the baseline with its 95% CI."""
        return summarize(self.runs, baseline=self.baseline, kpis=kpis)

    def load_run(self, run_id: str) -> dict[str, Any]:
        """One run's folder (see :func:`twin.run_folder.load_run`)."""
        from twin.run_folder import load_run

        return load_run(self.folder / "runs" / run_id)

    def failures(self) -> pd.DataFrame:
        """The failed runs' records: variant, replication, seed, error and traceback."""
        failed = set(self.runs.loc[self.runs["status"] != "ok", "run_id"])
        files = sorted((self.folder / "failures").glob("*.json"))
        records = [json.loads(path.read_text(encoding="utf-8")) for path in files if path.stem in failed]
        columns = ["run_id", "variant", "replication", "seed", "error", "traceback", "folder"]
        return pd.DataFrame(records, columns=columns)


def load_batch(path: str | os.PathLike) -> Batch:
    """Read a batch folder: its runs table and its experiment.

    Raises
    ------
    TwinError
        If ``path`` is not a batch folder or has no ``runs.parquet`` yet.
    """
    folder = Path(path).resolve()
    if not is_batch_folder(folder):
        raise TwinError(f"{folder}: not a twin batch folder (no experiment.yaml); give the folder `twin batch` wrote")
    store = BatchFolder(folder)
    if not store.runs_table.is_file():
        raise TwinError(f"{folder}: the batch has no runs.parquet yet; finish it with twin batch --resume")
    return Batch(folder=folder, runs=pd.read_parquet(store.runs_table), experiment=store.read_experiment())
