"""Paired differences and t confidence intervals, against calculations by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from twin.experiment.statistics import SUMMARY_COLUMNS, kpi_columns, paired_difference, summarize

# t(0.975) quantiles from a printed table (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2).
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776}


def test_paired_difference_by_hand():
    baseline = np.array([10.0, 12.0, 11.0, 13.0])
    variant = np.array([8.0, 9.5, 9.0, 10.5])
    # differences -2, -2.5, -2, -2.5: mean -2.25, sd sqrt(4 * 0.0625 / 3) = 0.288675
    d = paired_difference(variant, baseline)
    assert d["n_pairs"] == 4
    assert d["diff_mean"] == pytest.approx(-2.25)
    assert d["diff_sd"] == pytest.approx(math.sqrt(0.25 / 3))
    half = T975[3] * math.sqrt(0.25 / 3) / 2
    assert d["ci_low"] == pytest.approx(-2.25 - half, abs=1e-3)
    assert d["ci_high"] == pytest.approx(-2.25 + half, abs=1e-3)
    assert d["baseline_mean"] == pytest.approx(11.5)
    assert d["rel_change"] == pytest.approx(-2.25 / 11.5)


def test_one_pair_has_a_difference_but_no_interval_and_none_has_nothing():
    d = paired_difference(np.array([3.0]), np.array([1.0]))
    assert d["diff_mean"] == 2.0 and d["rel_change"] == 2.0
    assert math.isnan(d["diff_sd"]) and math.isnan(d["ci_low"]) and math.isnan(d["ci_high"])
    empty = paired_difference(np.array([]), np.array([]))
    assert empty["n_pairs"] == 0 and math.isnan(empty["diff_mean"])
    assert math.isnan(paired_difference(np.array([1.0, 2.0]), np.array([0.0, 0.0]))["rel_change"])


def test_pairing_cancels_noise_the_replications_share():
    # The baseline varies a lot between seeds; the variant is the baseline minus 1 +- 0.1.
    baseline = np.array([100.0, 140.0, 80.0, 120.0])
    variant = baseline - np.array([1.1, 0.9, 1.0, 1.0])
    d = paired_difference(variant, baseline)
    assert d["ci_high"] < 0  # excludes zero, though the two means' spreads overlap widely
    assert np.std(baseline, ddof=1) > 20


def runs_table() -> pd.DataFrame:
    return pd.DataFrame({
        "run_id": list("abcdefgh"),
        "variant": ["base"] * 3 + ["dim"] * 3 + ["bad"] * 2,
        "replication": [0, 1, 2, 0, 1, 2, 0, 1],
        "seed": [5, 6, 7, 5, 6, 7, 5, 6],
        "status": ["ok", "ok", "ok", "ok", "failed", "ok", "failed", "failed"],
        "error": [None, None, None, None, "boom", None, "x", "y"],
        "wall_time_s": [1.0] * 8,
        "path": ["runs/x"] * 8,
        "sweep.lighting.dim_level": [np.nan, np.nan, np.nan, 0.3, 0.3, 0.3, 0.1, 0.1],
        "energy.lighting_kwh": [10.0, 12.0, 14.0, 7.0, np.nan, 8.0, np.nan, np.nan],
        "safety.night_walk_bike_share_full_light": [1.0, np.nan, 0.8, 0.5, np.nan, 0.4, np.nan, np.nan],
        "run.wall_time_s": [0.5] * 8,
    })  # fmt: skip


def test_kpi_columns_leave_out_the_plan_the_sweep_and_the_timings():
    assert kpi_columns(runs_table()) == ["energy.lighting_kwh", "safety.night_walk_bike_share_full_light"]


def test_summary_pairs_by_seed_over_successful_runs_only():
    summary = summarize(runs_table(), baseline="base")
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    assert list(summary["variant"]) == ["base", "base", "dim", "dim", "bad", "bad"]
    row = summary.set_index(["variant", "kpi"])
    base = row.loc[("base", "energy.lighting_kwh")]
    assert (base["n"], base["mean"], base["sd"]) == (3, 12.0, 2.0)
    assert base["n_pairs"] == 0 and math.isnan(base["diff_mean"])
    dim = row.loc[("dim", "energy.lighting_kwh")]
    # The failed replication 1 is left out: pairs (7 - 10) and (8 - 14), differences -3 and -6.
    assert (dim["n"], dim["n_pairs"], dim["mean"]) == (2, 2, 7.5)
    assert dim["diff_mean"] == -4.5 and dim["baseline_mean"] == 12.0
    assert dim["diff_sd"] == pytest.approx(math.sqrt(4.5))
    half = T975[1] * math.sqrt(4.5) / math.sqrt(2)
    assert dim["ci_low"] == pytest.approx(-4.5 - half, abs=1e-2) and dim["ci_high"] == pytest.approx(-4.5 + half, abs=1e-2)
    assert dim["rel_change"] == pytest.approx(-4.5 / 12.0)
    share = row.loc[("dim", "safety.night_walk_bike_share_full_light")]
    # The baseline has no value for seed 6 either; only seeds 5 and 7 pair.
    assert share["n_pairs"] == 2 and share["diff_mean"] == pytest.approx(((0.5 - 1.0) + (0.4 - 0.8)) / 2)
    bad = row.loc[("bad", "energy.lighting_kwh")]
    assert bad["n"] == 0 and bad["n_pairs"] == 0 and math.isnan(bad["mean"])


def test_summary_of_chosen_kpis_only():
    summary = summarize(runs_table(), baseline="base", kpis=["energy.lighting_kwh"])
    assert set(summary["kpi"]) == {"energy.lighting_kwh"} and len(summary) == 3
