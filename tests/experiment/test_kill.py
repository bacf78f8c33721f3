"""A batch killed with SIGKILL mid-way and resumed loses nothing and runs nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from twin.experiment import run_batch

pytestmark = pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX process groups")

SWEEP = {"lighting.dim_level": [0.2, 0.3, 0.7]}
RUNS = 4 * 3  # the baseline and three sweep points, three replications


def finished(runs_dir) -> list[str]:
    return [p.name for p in runs_dir.iterdir() if not p.name.startswith(".")] if runs_dir.is_dir() else []


def test_sigkill_mid_batch_then_resume_gives_one_result_per_run(tiny, tmp_path):
    out = tmp_path / "batch"
    script = (f"from twin.experiment import run_batch\n"
              f"run_batch({str(tiny)!r}, sweeps={SWEEP!r}, replications=3, workers=2, out={str(out)!r})\n")  # fmt: skip
    # Its own session, so that the kill takes its worker processes too, as a crash would.
    batch = subprocess.Popen([sys.executable, "-c", script], start_new_session=True, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while len(finished(out / "runs")) < RUNS // 3:
            assert batch.poll() is None, batch.stderr.read().decode()
            assert time.monotonic() < deadline, "the batch made no progress"
            time.sleep(0.01)
        os.killpg(batch.pid, signal.SIGKILL)
    finally:
        if batch.poll() is None:
            os.killpg(batch.pid, signal.SIGKILL)
        batch.wait()
        batch.stderr.close()
    assert batch.returncode == -signal.SIGKILL
    before = {name: (out / "runs" / name).stat().st_ino for name in finished(out / "runs")}
    assert RUNS // 3 <= len(before) < RUNS, "killed too late to test anything"
    assert not (out / "runs.parquet").exists() or len(pd.read_parquet(out / "runs.parquet")) < RUNS

    table = run_batch(tiny, sweeps=SWEEP, replications=3, workers=1, out=out, resume=True)

    assert len(table) == RUNS and table["run_id"].is_unique and (table["status"] == "ok").all()
    assert sorted(table["run_id"]) == sorted(finished(out / "runs"))
    assert not [p for p in (out / "runs").iterdir() if p.name.startswith(".")]  # no staging left
    assert all(sorted(reps) == [0, 1, 2] for reps in table.groupby("variant")["replication"].apply(list))
    # The runs finished before the kill were kept, not run again.
    assert {name: (out / "runs" / name).stat().st_ino for name in before} == before
    assert not list((out / "failures").iterdir())
