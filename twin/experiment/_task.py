"""One run of a batch, as a worker does it: simulate, write the run folder, return a row.

The worker writes the run folder (or the failure record) itself and sends back only the
row of figures, so the process that collects the rows holds no run's tables.
"""

from __future__ import annotations

import json
import time
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twin.experiment.store import flatten_kpis, write_atomic
from twin.scenario import Scenario

__all__ = ["RunTask", "execute"]


@dataclass(frozen=True)
class RunTask:
    """What a worker needs for one run.

    Attributes
    ----------
    index
        The run's position in the plan.
    key
        The run's key.
    scenario
        The resolved scenario, seed included.
    folder
        The run folder to write.
    failure
        Where to record the error if the run raises.
    label
        ``variant``, ``replication`` and ``seed``, for the failure record.
    """

    index: int
    key: str
    scenario: Scenario
    folder: Path
    failure: Path
    label: dict[str, Any]


def execute(task: RunTask) -> dict[str, Any]:
    """Run ``task``; return its row (status, error, wall time, KPIs) and its warnings.

    A run that raises is not an error here: its error and traceback go to ``task.failure``
    and the row says ``status: failed``. A run that succeeds removes an earlier failure
    record of the same run. Warnings are returned under ``warnings`` as distinct
    ``(category, message)`` pairs rather than printed once per run.
    """
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            from twin.simulation import run

            result = run(task.scenario)
            result.write(task.folder)
        except Exception as error:  # noqa: BLE001 - any failure of a run is recorded, the batch goes on
            record = {
                "run_id": task.key, **task.label, "error": f"{type(error).__name__}: {error}",
                "traceback": traceback.format_exc(), "folder": str(task.folder),
            }  # fmt: skip
            write_atomic(task.failure, (json.dumps(record, indent=2) + "\n").encode("utf-8"))
            row = {"status": "failed", "error": record["error"], "wall_time_s": round(time.perf_counter() - started, 3)}
        else:
            task.failure.unlink(missing_ok=True)
            row = {"status": "ok", "error": None, "wall_time_s": round(result.wall_time_s, 3),
                   **flatten_kpis(result.kpis)}  # fmt: skip
    seen = dict.fromkeys((w.category, str(w.message)) for w in caught)
    row["warnings"] = list(seen)
    return row
