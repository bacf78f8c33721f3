"""Compare two results: run folders or batch folders, as ``twin compare A B`` does.

A is the reference. From a batch, A contributes its baseline's runs and B all its variants;
runs are paired by their replication seed, so two batches run with the same root seed and
replications give paired differences with confidence intervals. Two run folders give one
difference (n = 1, no interval), whatever their seeds.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from twin._errors import TwinError
from twin.experiment.statistics import summarize
from twin.experiment.store import is_batch_folder, row_from_folder

__all__ = ["compare", "load_results"]


def load_results(path: str | os.PathLike) -> tuple[pd.DataFrame, str, bool]:
    """Runs of a batch folder or a run folder as a runs table.

    Returns
    -------
    runs : pandas.DataFrame
        As in ``runs.parquet``; a run folder gives one row named after its scenario.
    baseline : str
        The baseline variant (a run folder's own name).
    single : bool
        Whether ``path`` is a single run folder.

    Raises
    ------
    TwinError
        If ``path`` is neither.
    """
    folder = Path(path)
    if is_batch_folder(folder):
        from twin.experiment.batch import load_batch

        batch = load_batch(folder)
        return batch.runs, batch.baseline, False
    if (folder / "kpis.json").is_file() and (folder / "meta.json").is_file():
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        name = str(meta.get("scenario") or folder.name)
        row = {"run_id": folder.name, "variant": name, "replication": 0, "seed": meta.get("seed"),
               **row_from_folder(folder)}  # fmt: skip
        return pd.DataFrame([row]), name, True
    raise TwinError(f"{folder}: neither a run folder (kpis.json) nor a batch folder (experiment.yaml); "
                    "give a folder that twin run or twin batch wrote")  # fmt: skip


def compare(a: str | os.PathLike, b: str | os.PathLike, *, kpis: Sequence[str] | None = None) -> pd.DataFrame:
    """The summary of B's variants against A's baseline (see :func:`~twin.experiment.statistics.summarize`).

    Raises
    ------
    TwinError
        If A or B is not a result folder, or none of B's runs shares a seed with A's
        baseline runs (run both batches with the same ``--seed``).
    """
    runs_a, baseline, single_a = load_results(a)
    runs_b, _, single_b = load_results(b)
    reference = runs_a[runs_a["variant"] == baseline].copy()
    others = runs_b.copy()
    if single_a and single_b:
        others["seed"] = reference["seed"].iloc[0]  # two single runs: one pair, seeds or not
    clash = others["variant"] == baseline
    others.loc[clash, "variant"] = others.loc[clash, "variant"] + " (B)"
    if not set(others["seed"]) & set(reference["seed"]):
        seeds = ", ".join(str(seed) for seed in sorted(set(reference["seed"]))[:3])
        raise TwinError(f"{b}: none of its runs has the seed of a run of {a}'s baseline ({seeds}), so no difference "
                        "can be paired; run batches with the same --seed, or a single run with --set seed=<a "
                        "replication seed from the batch's experiment.yaml>")  # fmt: skip
    return summarize(pd.concat([reference, others], ignore_index=True), baseline=baseline, kpis=kpis)
