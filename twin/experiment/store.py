"""The batch folder: where a batch keeps its runs, and how it finds them again.

::

    OUT/experiment.yaml     the fully resolved experiment: variants, scenarios, seeds
    OUT/runs/<key>/         one run folder per finished run (see twin.run_folder)
    OUT/failures/<key>.json a run that raised: its variant, seed, error and traceback
    OUT/runs.parquet        one row per run: variant, replication, seed, status, KPIs
    OUT/summary.csv         per variant and KPI: mean, sd, paired difference, 95% CI

A run's key is the first 16 hex digits of the SHA-256 of its resolved scenario (seed
included, output folder left out, input files by the SHA-256 of their content), so a
changed map or trip table makes new runs rather than reusing old ones. A run
folder is swapped in whole once written, so a run is finished exactly when its folder
holds ``kpis.json``: a batch stopped at any moment, even by SIGKILL, is resumed by running
what has no folder yet, and nothing is lost or run twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from twin._errors import TwinError
from twin.scenario import Scenario

__all__ = ["FORMAT", "PLAN_COLUMNS", "BatchFolder", "RunKeys", "flatten_kpis", "is_batch_folder", "row_from_folder"]

FORMAT = "twin-batch/1"
"""The ``format:`` of ``experiment.yaml``: how twin recognises a folder it wrote."""

PLAN_COLUMNS = ("run_id", "variant", "replication", "seed", "status", "error", "wall_time_s", "path")
"""The columns of ``runs.parquet`` before the swept keys (``sweep.<key>``) and the KPIs."""


def flatten_kpis(kpis: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested KPIs as dotted names: ``{"energy": {"lighting_kwh": 5}}`` -> ``{"energy.lighting_kwh": 5}``.

    List items get their index (``traffic.relative_gap.0``); ``None`` becomes NaN.
    """
    flat: dict[str, Any] = {}
    for key, value in kpis.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_kpis(value, f"{name}."))
        elif isinstance(value, list | tuple):
            flat.update(flatten_kpis({str(i): item for i, item in enumerate(value)}, f"{name}."))
        else:
            flat[name] = math.nan if value is None else value
    return flat


def row_from_folder(folder: Path) -> dict[str, Any]:
    """The ``runs.parquet`` figures of a finished run folder: status, wall time and KPIs."""
    kpis = json.loads((folder / "kpis.json").read_text(encoding="utf-8"))
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    return {"status": "ok", "error": None, "wall_time_s": meta.get("wall_time_s"), **flatten_kpis(kpis)}


class RunKeys:
    """Keys of runs: a hash of what decides a run's results.

    The hashes of input files are kept, so a map is read once however many runs use it.
    """

    def __init__(self) -> None:
        self._files: dict[Path, str] = {}

    def _file(self, path: Path) -> str:
        if path not in self._files:
            digest = hashlib.sha256()
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            self._files[path] = "sha256:" + digest.hexdigest()
        return self._files[path]

    def content(self, scenario: Scenario) -> dict[str, Any]:
        """The scenario as hashed: without its name, description and output folder, input files by
        their content.

        Every text value that is the absolute path of an existing file (the map, a trip
        table, an intervention's district file) stands for the file's SHA-256.
        """
        data = scenario.model_dump(mode="json")
        data["outputs"].pop("dir", None)
        # Labels do not change results: a variant renamed keeps its runs, and a variant that
        # is the baseline under another name (a sweep point at the baseline's value) shares them.
        data.pop("name", None)
        data.pop("description", None)
        # Prices and appraisal rules are read after the runs (twin economics), never by one.
        data.pop("costs", None)
        return self._files_by_content(data)

    def _files_by_content(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {key: self._files_by_content(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._files_by_content(item) for item in value]
        if isinstance(value, str) and os.path.isabs(value) and os.path.isfile(value):
            return self._file(Path(value))
        return value

    def key(self, scenario: Scenario) -> str:
        """16 hex digits of the SHA-256 of :meth:`content` as canonical JSON."""
        text = json.dumps(self.content(scenario), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def is_batch_folder(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a folder ``twin batch`` wrote."""
    marker = Path(path) / "experiment.yaml"
    if not marker.is_file():
        return False
    try:
        data = yaml.safe_load(marker.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and data.get("format") == FORMAT


class BatchFolder:
    """A batch folder on disk (see the module's documentation).

    Parameters
    ----------
    root
        The folder.
    """

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root).resolve()
        self.runs_dir = self.root / "runs"
        self.failures_dir = self.root / "failures"
        self.experiment_file = self.root / "experiment.yaml"
        self.runs_table = self.root / "runs.parquet"
        self.summary_file = self.root / "summary.csv"
        self._lock: Any = None

    # -------------------------------------------------------------- opening

    @contextlib.contextmanager
    def open(self, *, resume: bool) -> Iterator[BatchFolder]:
        """Make (or, with ``resume``, reopen) the folder and hold it for this batch alone.

        Raises
        ------
        TwinError
            If the folder is a file, a folder twin did not write, a batch folder and
            ``resume`` is false, or in use by another batch.
        """
        self.check(resume=resume)
        try:
            for folder in (self.runs_dir, self.failures_dir):
                folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise TwinError(f"{self.root}: cannot write here ({error.strerror}); choose another --out") from None
        with self._locked():
            self._clean()
            yield self

    def check(self, *, resume: bool) -> None:
        """Raise :class:`TwinError` unless a batch may write into the folder."""
        root = self.root
        if root.is_file():
            raise TwinError(f"{root}: is a file; --out needs a folder name")
        if not root.is_dir() or not any(root.iterdir()):
            return
        if not is_batch_folder(root):
            raise TwinError(f"{root}: exists and is not a twin batch folder; choose a new --out or empty it first")
        if not resume:
            raise TwinError(f"{root}: holds a batch already; pass --resume to finish it (finished runs are kept) "
                            "or choose another --out")  # fmt: skip

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; one batch per folder is on the user
            yield
            return
        with open(self.root / ".lock", "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise TwinError(f"{self.root}: another twin batch is writing here; wait for it or choose "
                                "another --out") from None  # fmt: skip
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _clean(self) -> None:
        """Remove what a killed batch left half-written: staging folders and temporary files."""
        for entry in self.runs_dir.iterdir():
            if entry.name.startswith("."):
                shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)
        for folder in (self.failures_dir, self.root):
            for entry in folder.glob(".*.tmp"):
                entry.unlink(missing_ok=True)

    # -------------------------------------------------------------- runs

    def run_folder(self, key: str) -> Path:
        return self.runs_dir / key

    def failure_file(self, key: str) -> Path:
        return self.failures_dir / f"{key}.json"

    def finished(self, key: str) -> bool:
        """Whether the run ``key`` has its run folder."""
        return (self.run_folder(key) / "kpis.json").is_file()

    # -------------------------------------------------------------- tables

    def write_experiment(self, description: Mapping[str, Any]) -> None:
        text = yaml.safe_dump({"format": FORMAT, **description}, sort_keys=False, allow_unicode=True)
        write_atomic(self.experiment_file, text.encode("utf-8"))

    def read_experiment(self) -> dict[str, Any]:
        return yaml.safe_load(self.experiment_file.read_text(encoding="utf-8"))

    def write_runs(self, table: pd.DataFrame) -> None:
        write_atomic(self.runs_table, table.to_parquet(index=False))

    def write_summary(self, table: pd.DataFrame) -> None:
        write_atomic(self.summary_file, table.to_csv(index=False).encode("utf-8"))


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
