"""Summaries of a batch: per variant and KPI, the mean, and the paired difference to the baseline.

Run ``r`` of every variant shares its seed with run ``r`` of the baseline (common random
numbers), so the difference of a variant is measured pair by pair: for the ``n``
replications where both runs succeeded and the KPI has a value,

- ``diff_mean`` and ``diff_sd`` are the mean and standard deviation of ``variant - baseline``;
- the 95% confidence interval is ``diff_mean ± t(0.975, n - 1) · diff_sd / sqrt(n)``
  (Student's t; none when ``n < 2``);
- ``rel_change`` is ``diff_mean`` over the baseline's mean on the same replications.

Noise common to both runs of a pair cancels in the difference, so the interval is narrower
than that of two independent samples of the same size.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["HEADLINE_KPIS", "SERVICE_KPIS", "SUMMARY_COLUMNS", "kpi_columns", "paired_difference", "summarize"]

SUMMARY_COLUMNS = (
    "variant", "kpi", "n", "mean", "sd", "n_pairs", "baseline_mean", "diff_mean", "diff_sd",
    "ci_low", "ci_high", "rel_change",
)  # fmt: skip
"""The columns of :func:`summarize`'s table and of ``summary.csv``."""

HEADLINE_KPIS = (
    "energy.lighting_kwh",
    "co2_kg.total",
    "mean_travel_time_min.car",
    "mean_travel_time_min.walk",
    "mode_shares.car",
    "safety.night_walk_bike_share_full_light",
    "safety.dark_arrivals_walk_bike",
    "vehicle_km",
    "road_vehicle_km",
    "mode_shares.transit",
    "mode_shares.drt",
    "services.drt.mean_wait_s",
    "services.maas.net_subsidy_per_ride_eur",
)
"""The KPIs ``twin batch`` and ``twin compare`` print; ``summary.csv`` holds them all."""

SERVICE_KPIS = frozenset({"mode_shares.transit", "mode_shares.drt", "services.drt.mean_wait_s",
                          "services.maas.net_subsidy_per_ride_eur"})  # fmt: skip
"""Headline KPIs printed only when a variant has the service (otherwise they are zero or empty)."""

_NOT_KPIS = frozenset({"run_id", "variant", "replication", "seed", "status", "error", "wall_time_s", "path"})


def kpi_columns(runs: pd.DataFrame) -> list[str]:
    """The numeric KPI columns of a runs table: not the plan's, the swept keys or ``run.*`` timings."""
    return [
        column for column in runs.columns
        if column not in _NOT_KPIS and not column.startswith(("sweep.", "run."))
        and pd.api.types.is_numeric_dtype(runs[column]) and not pd.api.types.is_bool_dtype(runs[column])
    ]  # fmt: skip


def paired_difference(variant: np.ndarray, baseline: np.ndarray, *, confidence: float = 0.95) -> dict[str, float]:
    """Mean, sd and t confidence interval of ``variant - baseline``, pair by pair.

    Parameters
    ----------
    variant, baseline
        Equal-length arrays; position ``i`` of both is one pair.
    confidence
        Of the two-sided interval.

    Returns
    -------
    dict
        ``n_pairs``, ``baseline_mean``, ``diff_mean``, ``diff_sd``, ``ci_low``, ``ci_high``,
        ``rel_change`` (NaN where undefined: no pairs, ``n < 2`` for sd and interval, a
        baseline mean of 0 for the relative change).

    Examples
    --------
    >>> d = paired_difference(np.array([2.0, 4.0, 6.0]), np.array([1.0, 2.0, 3.0]))
    >>> d["diff_mean"], round(d["ci_high"], 4)
    (2.0, 4.4841)
    """
    from scipy import stats

    variant = np.asarray(variant, dtype=float)
    baseline = np.asarray(baseline, dtype=float)
    n = len(variant)
    out = dict.fromkeys(("baseline_mean", "diff_mean", "diff_sd", "ci_low", "ci_high", "rel_change"), np.nan)
    out["n_pairs"] = n
    if n == 0:
        return out
    diff = variant - baseline
    out["baseline_mean"] = float(np.mean(baseline))
    out["diff_mean"] = float(np.mean(diff))
    if out["baseline_mean"] != 0:
        out["rel_change"] = out["diff_mean"] / out["baseline_mean"]
    if n >= 2:
        out["diff_sd"] = float(np.std(diff, ddof=1))
        half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * out["diff_sd"] / np.sqrt(n)
        out["ci_low"], out["ci_high"] = out["diff_mean"] - half, out["diff_mean"] + half
    return out


def summarize(runs: pd.DataFrame, *, baseline: str, kpis: Sequence[str] | None = None,
              pair_on: str = "seed") -> pd.DataFrame:  # fmt: skip
    """Per variant and KPI: n, mean, sd, and the paired difference to ``baseline``.

    Parameters
    ----------
    runs
        One row per run with ``variant``, ``status``, the ``pair_on`` column and KPI columns
        (a batch's ``runs.parquet``). Failed runs are left out.
    baseline
        The variant the others are compared with; its own difference columns are NaN.
    kpis
        The KPI columns to summarise; default: every numeric KPI but the ``run.*`` timings.
    pair_on
        The column that pairs a variant's runs with the baseline's (the replication seed).

    Returns
    -------
    pandas.DataFrame
        The columns :data:`SUMMARY_COLUMNS`, one row per variant and KPI, variants in the
        order they first appear in ``runs``.
    """
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    columns = list(kpis) if kpis is not None else kpi_columns(runs)
    variants = list(dict.fromkeys(runs["variant"]))
    reference = ok[ok["variant"] == baseline].drop_duplicates(pair_on).set_index(pair_on)
    rows = []
    for name in variants:
        mine = ok[ok["variant"] == name].drop_duplicates(pair_on).set_index(pair_on)
        common = mine.index.intersection(reference.index, sort=False)
        for column in columns:
            values = mine[column].to_numpy(float) if column in mine else np.array([])
            values = values[~np.isnan(values)]
            row = {"variant": name, "kpi": column, "n": len(values),
                   "mean": float(np.mean(values)) if len(values) else np.nan,
                   "sd": float(np.std(values, ddof=1)) if len(values) > 1 else np.nan}  # fmt: skip
            if name == baseline or column not in reference or column not in mine:
                row.update(dict.fromkeys(SUMMARY_COLUMNS[5:], np.nan), n_pairs=0)
            else:
                a = reference.loc[common, column].to_numpy(float)
                b = mine.loc[common, column].to_numpy(float)
                both = ~(np.isnan(a) | np.isnan(b))
                row.update(paired_difference(b[both], a[both]))
            rows.append(row)
    table = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    return table.astype({"n": "int64", "n_pairs": "int64"})
