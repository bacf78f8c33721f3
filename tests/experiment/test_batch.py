"""Batches end to end on the tiny town: rows, run folders, resume, failures, and executors."""

from __future__ import annotations

import json
import math
import shutil
import signal
from concurrent.futures.process import BrokenProcessPool

import numpy as np
import pandas as pd
import pytest

from twin._errors import ScenarioError
from twin.experiment import Variant, load_batch, run_batch
from twin.experiment.executors import ProcessExecutor
from twin.experiment.store import PLAN_COLUMNS
from twin.run_folder import load_run
from twin.scenario import load_scenario
from twin.simulation import run

SWEEP = {"lighting.dim_level": [0.2, 0.3]}


def results(table: pd.DataFrame) -> pd.DataFrame:
    """What must not depend on how a batch ran: all but the wall-clock timings."""
    return table[[c for c in table.columns if c != "wall_time_s" and not c.startswith("run.")]]


@pytest.fixture(scope="module")
def dask_client():
    """A real LocalCluster of two worker processes, shared by this module's tests."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        with distributed.Client(cluster) as client:
            yield client


@pytest.fixture(scope="module")
def serial(tmp_path_factory, tiny_text):
    """The tiny town's dim-level sweep, 3 replications, run in this process."""
    root = tmp_path_factory.mktemp("serial")
    (root / "tiny.yaml").write_text(tiny_text)
    table = run_batch(root / "tiny.yaml", sweeps=SWEEP, replications=3, workers=1, out=root / "batch")
    return root, table


def test_one_row_per_run_in_plan_order_with_a_run_folder_each(serial):
    root, table = serial
    assert len(table) == 9 and table["run_id"].is_unique
    assert list(table.columns[: len(PLAN_COLUMNS)]) == list(PLAN_COLUMNS)
    assert list(table["variant"]) == ["tiny"] * 3 + ["tiny[lighting.dim_level=0.2]"] * 3 + ["tiny[lighting.dim_level=0.3]"] * 3
    assert list(table["replication"]) == [0, 1, 2] * 3
    assert table["seed"].nunique() == 3 and (table.groupby("replication")["seed"].nunique() == 1).all()
    assert (table["status"] == "ok").all() and table["error"].isna().all()
    assert table["sweep.lighting.dim_level"].iloc[3:].tolist() == [0.2] * 3 + [0.3] * 3
    assert table["sweep.lighting.dim_level"].iloc[:3].isna().all()
    batch = root / "batch"
    assert sorted(p.name for p in (batch / "runs").iterdir()) == sorted(table["run_id"])
    pd.testing.assert_frame_equal(pd.read_parquet(batch / "runs.parquet"), table, check_dtype=False)
    assert table.attrs == {"folder": str(batch), "baseline": "tiny"}


def test_a_run_folder_is_what_twin_run_gives_for_that_variant_and_seed(serial):
    root, table = serial
    row = table.iloc[4]
    folder = load_run(root / "batch" / row["path"])
    assert folder["meta"]["seed"] == row["seed"] and folder["meta"]["scenario"] == row["variant"]
    alone = run(load_scenario(root / "tiny.yaml", overrides=[f"seed={row['seed']}", "lighting.dim_level=0.2"]))
    assert alone.kpis["energy"] == folder["kpis"]["energy"]
    assert row["energy.lighting_kwh"] == alone.kpis["energy"]["lighting_kwh"]
    assert row["mode_shares.car"] == alone.kpis["mode_shares"]["car"]


def test_summary_csv_and_load_batch(serial):
    root, table = serial
    batch = load_batch(root / "batch")
    assert batch.baseline == "tiny" and batch.experiment["root_seed"] == 3
    assert batch.experiment["seeds"] == sorted(set(table["seed"]), key=list(table["seed"]).index)
    summary = pd.read_csv(root / "batch" / "summary.csv")
    pd.testing.assert_frame_equal(summary, batch.summary(), check_dtype=False)
    energy = summary[summary["kpi"] == "energy.lighting_kwh"].set_index("variant")
    # Dimming to 20% saves more than dimming to 30%, and both intervals exclude zero.
    assert energy.loc["tiny[lighting.dim_level=0.2]", "ci_high"] < energy.loc["tiny[lighting.dim_level=0.3]", "ci_low"]
    assert energy.loc["tiny[lighting.dim_level=0.3]", "ci_high"] < 0
    assert not any(k.startswith("run.") for k in summary["kpi"])
    assert batch.load_run(table["run_id"].iloc[0])["kpis"]["energy"]["lighting_kwh"] == table["energy.lighting_kwh"].iloc[0]


def test_resume_runs_only_what_is_missing_and_more_replications_keep_the_first(serial, tmp_path):
    root, table = serial
    out = tmp_path / "batch"
    first = run_batch(root / "tiny.yaml", sweeps=SWEEP, replications=2, workers=1, out=out)
    folders = {p.name: p.stat().st_ino for p in (out / "runs").iterdir()}
    calls = []
    more = run_batch(root / "tiny.yaml", sweeps=SWEEP, replications=3, workers=1, out=out, resume=True,
                     progress=lambda done, failed, total: calls.append((done, failed, total)))  # fmt: skip
    assert calls[0] == (6, 0, 9) and calls[-1] == (9, 0, 9) and len(calls) == 4
    assert {p.name: p.stat().st_ino for p in (out / "runs").iterdir() if p.name in folders} == folders
    pd.testing.assert_frame_equal(results(more), results(table))
    pd.testing.assert_frame_equal(results(more[more["replication"] < 2]).reset_index(drop=True), results(first))
    again = run_batch(root / "tiny.yaml", sweeps=SWEEP, replications=3, workers=1, out=out, resume=True)
    pd.testing.assert_frame_equal(again, more)


def test_a_failing_variant_is_recorded_and_the_others_complete(tiny, failing_variant, tmp_path):
    out = tmp_path / "batch"
    table = run_batch(tiny, variants=[failing_variant], sweeps=None, replications=2, workers=1, out=out)
    assert list(table["status"]) == ["ok", "ok", "failed", "failed"]
    failed = table[table["status"] == "failed"]
    assert failed["error"].str.startswith("ScenarioError: ").all() and failed["error"].str.contains("r9c9").all()
    assert failed["path"].isna().all() and failed["energy.lighting_kwh"].isna().all()
    records = load_batch(out).failures()
    assert list(records["run_id"]) == list(failed["run_id"]) or set(records["run_id"]) == set(failed["run_id"])
    record = json.loads((out / "failures" / f"{failed['run_id'].iloc[0]}.json").read_text())
    assert record["variant"] == "broken" and record["replication"] == 0 and record["seed"] == table["seed"].iloc[0]
    assert "Traceback (most recent call last)" in record["traceback"] and "r9c9" in record["traceback"]
    assert sorted(p.name for p in (out / "runs").iterdir()) == sorted(table.loc[table["status"] == "ok", "run_id"])
    # Resuming tries the failed runs again (they may have failed for a passing reason).
    again = run_batch(tiny, variants=[failing_variant], replications=2, workers=1, out=out, resume=True)
    assert list(again["status"]) == ["ok", "ok", "failed", "failed"]


def test_a_variant_equal_to_the_baseline_shares_its_runs(tiny, tmp_path):
    # The tiny town's presence lights dim to 0.5 already: that sweep point is the baseline.
    out = tmp_path / "batch"
    table = run_batch(tiny, sweeps={"lighting.dim_level": [0.3, 0.5]}, replications=2, workers=1, out=out)
    assert list(table["variant"]) == ["tiny"] * 2 + ["tiny[lighting.dim_level=0.3]"] * 2 + ["tiny[lighting.dim_level=0.5]"] * 2
    assert (table["status"] == "ok").all()
    assert list(table["run_id"].iloc[4:]) == list(table["run_id"].iloc[:2])  # run once, listed twice
    assert len(list((out / "runs").iterdir())) == 4
    same = load_batch(out).summary(kpis=["energy.lighting_kwh"]).set_index("variant").loc["tiny[lighting.dim_level=0.5]"]
    assert same["diff_mean"] == 0 and same["ci_low"] == 0 and same["ci_high"] == 0
    assert list(table["sweep.lighting.dim_level"].iloc[4:]) == [0.5, 0.5]
    # Renamed, the scenario keeps its runs: the label is not part of the run key.
    renamed = tmp_path / "renamed.yaml"
    renamed.write_text(tiny.read_text().replace("name: tiny", "name: town"))
    before = {p.name: p.stat().st_ino for p in (out / "runs").iterdir()}
    again = run_batch(renamed, sweeps={"lighting.dim_level": [0.3, 0.5]}, replications=2, workers=1, out=out,
                      resume=True)  # fmt: skip
    assert list(again["variant"].iloc[:2]) == ["town", "town"]
    assert list(again["run_id"]) == list(table["run_id"])
    assert {p.name: p.stat().st_ino for p in (out / "runs").iterdir()} == before  # nothing ran again


def test_an_area_that_misses_the_map_stops_the_batch_before_any_run(tiny, tmp_path):
    # Valid keys and degrees, but the box lies in the Gulf of Guinea: only the map can tell.
    nowhere = Variant(name="nowhere", interventions=({"type": "car_free_zone", "area": {"bbox": [0, 0, 0.001, 0.001]}},))
    out = tmp_path / "batch"
    with pytest.raises(ScenarioError, match=r"^variant 'nowhere': .*car_free_zone: area: the bbox .* selects no street of the map"):
        run_batch(tiny, variants=[nowhere], workers=1, out=out)
    assert not out.exists()


def test_a_run_that_failed_for_a_passing_reason_succeeds_on_resume_and_loses_its_record(tiny, tmp_path):
    out = tmp_path / "batch"
    key = run_batch(tiny, workers=1, out=out)["run_id"].iloc[0]
    # Something in the way of the run folder (not a twin folder: never replaced) fails the run...
    shutil.rmtree(out / "runs" / key)
    (out / "runs" / key).mkdir()
    (out / "runs" / key / "notes.txt").write_text("mine")
    table = run_batch(tiny, workers=1, out=out, resume=True)
    assert table["status"].iloc[0] == "failed" and "is not a twin output folder" in table["error"].iloc[0]
    assert (out / "failures" / f"{key}.json").is_file() and len(load_batch(out).failures()) == 1
    # ... and once it is moved away, resuming runs it and drops the failure record.
    shutil.rmtree(out / "runs" / key)
    table = run_batch(tiny, workers=1, out=out, resume=True)
    assert table["status"].iloc[0] == "ok" and not (out / "failures" / f"{key}.json").exists()
    assert load_batch(out).failures().empty


def test_bit_identical_kpis_in_this_process_in_local_processes_and_on_dask(serial, dask_client, tmp_path):
    root, table = serial
    pooled = run_batch(root / "tiny.yaml", sweeps=SWEEP, replications=3, workers=2, out=tmp_path / "pool")
    on_dask = run_batch(root / "tiny.yaml", sweeps=SWEEP, replications=3, dask=dask_client, out=tmp_path / "dask")
    pd.testing.assert_frame_equal(results(pooled), results(table), check_exact=True)
    pd.testing.assert_frame_equal(results(on_dask), results(table), check_exact=True)
    for name in table["run_id"]:
        kpis = [json.loads((folder / "runs" / name / "kpis.json").read_text())
                for folder in (root / "batch", tmp_path / "pool", tmp_path / "dask")]  # fmt: skip
        for k in kpis:
            k.pop("run")
        assert kpis[0] == kpis[1] == kpis[2]


def test_dask_collects_failures_like_the_local_executor(tiny, failing_variant, dask_client, tmp_path):
    table = run_batch(tiny, variants=[failing_variant], dask=dask_client, out=tmp_path / "dask")
    assert list(table["status"]) == ["ok", "failed"] and table["error"].iloc[1].startswith("ScenarioError: ")
    assert (tmp_path / "dask" / "failures" / f"{table['run_id'].iloc[1]}.json").is_file()


def test_the_process_pool_holds_only_a_few_runs_ahead():
    pulled = []

    def tasks():
        for i in range(40):
            pulled.append(i)
            yield -i

    executor = ProcessExecutor(2)
    try:
        outcomes = []
        for task, outcome in executor.map_unordered(abs, tasks()):
            outcomes.append((task, outcome))
            if len(outcomes) == 1:
                assert len(pulled) <= 2 * 2 + 1
    finally:
        executor.close()
    assert sorted(o for _, o in outcomes) == list(range(40))


@pytest.mark.parametrize("workers", [1, 2])
def test_a_worker_that_dies_fails_only_the_run_that_killed_it(workers):
    # raise_signal(SIGWINCH) returns (the signal is ignored); raise_signal(SIGKILL) kills the worker.
    # The runs under way beside the killer are run again, one at a time, and succeed.
    tasks = [signal.SIGWINCH, signal.SIGKILL] + [signal.SIGWINCH] * 6
    executor = ProcessExecutor(workers)
    try:
        outcomes = list(executor.map_unordered(signal.raise_signal, tasks))
    finally:
        executor.close()
    assert len(outcomes) == 8
    broken = [task for task, outcome in outcomes if isinstance(outcome, BrokenProcessPool)]
    assert broken == [signal.SIGKILL]
    assert all(outcome is None for task, outcome in outcomes if task != signal.SIGKILL)


def test_sweep_columns_of_text_values_are_text(tiny, tmp_path):
    table = run_batch(tiny, sweeps={"lighting.controller": ["always_on", "part_night"]}, workers=1, out=tmp_path / "b")
    column = table["sweep.lighting.controller"]
    assert pd.isna(column.iloc[0]) and column.iloc[1:].tolist() == ["always_on", "part_night"]
    always = table[table["variant"] == "tiny[lighting.controller=always_on]"]
    assert not math.isnan(always["energy.lighting_kwh"].iloc[0]) and np.isfinite(table["energy.lighting_kwh"]).all()


def test_an_intervention_variant_runs_on_the_baselines_seeds(tiny, write, tmp_path):
    led = write("led.yaml", "- {type: led_retrofit, power_ratio: 0.5}\n")
    table = run_batch(tiny, variants=[led], overrides=["lighting.controller=always_on"], replications=2, workers=1,
                      out=tmp_path / "b")  # fmt: skip
    assert (table["status"] == "ok").all() and list(table["variant"]) == ["tiny", "tiny", "led", "led"]
    base, variant = table.iloc[:2], table.iloc[2:]
    # Lamps always on at half their power use half the energy; the people, same seeds, do the same.
    assert np.allclose(variant["energy.lighting_kwh"].to_numpy(), base["energy.lighting_kwh"].to_numpy() / 2, rtol=1e-4)
    assert variant["mode_shares.car"].tolist() == base["mode_shares.car"].tolist()
    energy = load_batch(tmp_path / "b").summary(kpis=["energy.lighting_kwh"]).set_index("variant").loc["led"]
    assert energy["rel_change"] == pytest.approx(-0.5, rel=1e-3)
