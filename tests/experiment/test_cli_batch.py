"""``twin batch`` and ``twin compare``: what a planner types, sees, and the exit codes."""

from __future__ import annotations

import pandas as pd
import pytest

from twin.cli import main


def twin(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_batch_writes_the_folder_prints_the_table_and_exits_0(capsys, tiny, tmp_path):
    out = tmp_path / "batch"
    code, stdout, err = twin(capsys, "batch", tiny, "--sweep", "lighting.dim_level=0.2,0.3", "-r", "2",
                             "--workers", "1", "--out", out, "--quiet")  # fmt: skip
    assert code == 0, err
    assert "energy.lighting_kwh" in stdout and "tiny[lighting.dim_level=0.2]" in stdout and "95% CI" in stdout
    assert f"Wrote batch folder {out}" in stdout
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 6 and (runs["status"] == "ok").all()
    assert (out / "summary.csv").is_file() and (out / "experiment.yaml").is_file()


def test_an_existing_batch_folder_needs_resume(capsys, tiny, tmp_path):
    out = tmp_path / "batch"
    assert twin(capsys, "batch", tiny, "--workers", "1", "--out", out, "-q")[0] == 0
    code, stdout, err = twin(capsys, "batch", tiny, "--workers", "1", "--out", out, "-q")
    assert code == 2 and stdout == ""
    assert err == f"error: {out}: holds a batch already; pass --resume to finish it (finished runs are kept) " \
                  "or choose another --out\n"  # fmt: skip
    code, _, err = twin(capsys, "batch", tiny, "--workers", "1", "--out", out, "-q", "--resume")
    assert code == 0, err


def test_a_folder_twin_did_not_write_is_refused(capsys, tiny, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("")
    code, _, err = twin(capsys, "batch", tiny, "--out", tmp_path / "mine", "--resume", "-q")
    assert code == 2 and "is not a twin batch folder" in err and len(err.splitlines()) == 1


def test_some_failed_runs_exit_1_and_say_where_the_tracebacks_are(capsys, tiny, failing_variant, tmp_path):
    out = tmp_path / "batch"
    code, stdout, err = twin(capsys, "batch", tiny, "--variant", failing_variant, "--workers", "1", "--out", out, "-q")
    assert code == 1
    assert f"1 of 2 runs failed; errors and tracebacks in {out / 'failures'}" in err
    assert "(first: broken, replication 0: ScenarioError:" in err and "Traceback" not in err
    assert f"Wrote batch folder {out}" in stdout


def test_bad_sweep_syntax_is_one_line_and_exit_2(capsys, tiny, tmp_path):
    code, stdout, err = twin(capsys, "batch", tiny, "--sweep", "lighting.dim_level", "--out", tmp_path / "b")
    assert code == 2 and stdout == ""
    assert err.startswith("error: --sweep 'lighting.dim_level': no '=' in the sweep; write KEY=V1,V2,...")
    assert len(err.splitlines()) == 1 and not (tmp_path / "b").exists()


def test_a_bad_sweep_value_fails_before_any_run(capsys, tiny, tmp_path):
    code, _, err = twin(capsys, "batch", tiny, "--sweep", "lighting.dim_level=0.2,1.5", "--out", tmp_path / "b")
    assert code == 2
    assert err.startswith("error: variant 'tiny[lighting.dim_level=1.5]': ") and "1.5 is above 1.0" in err
    assert len(err.splitlines()) == 1 and not (tmp_path / "b").exists()


def test_a_missing_variant_file_is_a_user_error(capsys, tiny, tmp_path):
    code, _, err = twin(capsys, "batch", tiny, "--variant", tmp_path / "nope.yaml", "--out", tmp_path / "b")
    assert code == 2 and "nope.yaml: no such variant file" in err


def test_experiment_file_as_target(capsys, tiny, write, tmp_path):
    exp = write("exp.yaml", "name: study\nbaseline: tiny.yaml\nreplications: 2\n"
                            "variants:\n  - {name: dim, set: {lighting.dim_level: 0.25}}\n")  # fmt: skip
    code, stdout, err = twin(capsys, "batch", exp, "--workers", "1", "-q", "--out", tmp_path / "b")
    assert code == 0, err
    runs = pd.read_parquet(tmp_path / "b" / "runs.parquet")
    assert list(runs["variant"]) == ["tiny", "tiny", "dim", "dim"]


def test_default_folder_is_beside_the_baselines_outputs(capsys, tiny, tmp_path, monkeypatch):
    code, stdout, err = twin(capsys, "batch", tiny, "--workers", "1", "-q")
    assert code == 0, err
    # outputs.dir is out/tiny, relative to the scenario's folder.
    assert (tmp_path / "out" / "tiny-batch" / "runs.parquet").is_file()


def test_compare_two_batches_and_two_run_folders(capsys, tiny, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert twin(capsys, "batch", tiny, "-r", "2", "--workers", "1", "--out", a, "-q")[0] == 0
    assert twin(capsys, "batch", tiny, "-r", "2", "--workers", "1", "--out", b, "-q", "--set", "lighting.dim_level=0.2")[0] == 0
    code, stdout, err = twin(capsys, "compare", a, b, "--kpi", "energy.lighting_kwh", "--out", tmp_path / "c.csv")
    assert code == 0, err
    assert "energy.lighting_kwh" in stdout and "tiny (B)" in stdout and "mode_shares.car" not in stdout
    table = pd.read_csv(tmp_path / "c.csv")
    row = table[(table["variant"] == "tiny (B)") & (table["kpi"] == "energy.lighting_kwh")].iloc[0]
    assert row["n_pairs"] == 2 and row["ci_high"] < 0

    runs_a = pd.read_parquet(a / "runs.parquet")
    runs_b = pd.read_parquet(b / "runs.parquet")
    code, stdout, err = twin(capsys, "compare", a / runs_a["path"].iloc[0], b / runs_b["path"].iloc[1], "--kpi",
                             "energy.lighting_kwh", "--out", tmp_path / "d.csv")  # fmt: skip
    assert code == 0, err
    table = pd.read_csv(tmp_path / "d.csv")
    row = table[(table["variant"] == "tiny (B)") & (table["kpi"] == "energy.lighting_kwh")].iloc[0]
    assert row["n_pairs"] == 1 and pd.isna(row["ci_low"])
    assert row["diff_mean"] == pytest.approx(runs_b["energy.lighting_kwh"].iloc[1] - runs_a["energy.lighting_kwh"].iloc[0])
    assert not (tmp_path / "e.csv").exists()


def test_compare_refuses_what_is_not_a_result_and_an_unknown_kpi(capsys, tiny, tmp_path):
    code, _, err = twin(capsys, "compare", tmp_path, tmp_path)
    assert code == 2 and "neither a run folder" in err
    assert twin(capsys, "batch", tiny, "--workers", "1", "--out", tmp_path / "a", "-q")[0] == 0
    code, _, err = twin(capsys, "compare", tmp_path / "a", tmp_path / "a", "--kpi", "energy.lightin_kwh")
    assert code == 2 and "did you mean 'energy.lighting_kwh'?" in err


def test_compare_batches_without_shared_seeds_says_so(capsys, tiny, tmp_path):
    assert twin(capsys, "batch", tiny, "--workers", "1", "--out", tmp_path / "a", "-q")[0] == 0
    assert twin(capsys, "batch", tiny, "--workers", "1", "--out", tmp_path / "b", "-q", "--seed", "99")[0] == 0
    code, _, err = twin(capsys, "compare", tmp_path / "a", tmp_path / "b")
    assert code == 2 and "same --seed" in err


def test_bad_dask_options_are_user_errors_before_anything_is_written(capsys, tiny, tmp_path):
    code, _, err = twin(capsys, "batch", tiny, "--dask", "local:x", "--out", tmp_path / "b")
    assert code == 2 and err == "error: --dask local:x: give the number of local workers, e.g. --dask local:2\n"
    code, _, err = twin(capsys, "batch", tiny, "--dask", "local:2", "--workers", "2", "--out", tmp_path / "b")
    assert code == 2 and "give one" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "b").exists()
