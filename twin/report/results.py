"""What a report is about, read from disk: a run, two results compared, or a batch.

:func:`load_results` turns the folders ``twin report`` is given into one :class:`Results`:
the runs (one row each, with its run folder), the variants with the baseline first, the
summary of paired differences (exactly what ``twin batch`` and ``twin compare`` compute),
and each variant's resolved scenario and provenance. Section builders read everything they
show from it.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml

from twin._errors import TwinError

__all__ = ["Results", "load_results"]

Kind = Literal["run", "comparison", "batch"]


@dataclass
class Results:
    """Runs and their summary, as a report needs them.

    Attributes
    ----------
    kind
        ``"run"`` (one run folder), ``"comparison"`` (B against A) or ``"batch"``.
    sources
        The folders given, in order.
    runs
        One row per run: ``variant, replication, seed, status, error``, the KPIs as dotted
        names, and ``folder`` (the run folder's absolute path; ``None`` for a failed run).
    baseline
        The variant the others are compared with.
    summary
        :func:`twin.experiment.statistics.summarize` of the runs against ``baseline``.
    scenarios
        Variant -> its resolved scenario as plain data (``scenario.resolved.yaml``).
    metas
        Variant -> ``meta.json`` of its first finished run (empty if none finished).
    replications
        Runs planned per variant.
    root_seed
        The batch's root seed (``None`` for run folders).
    """

    kind: Kind
    sources: tuple[Path, ...]
    runs: pd.DataFrame
    baseline: str
    summary: pd.DataFrame
    scenarios: dict[str, dict[str, Any]]
    metas: dict[str, dict[str, Any]]
    replications: int
    root_seed: int | None = None
    _networks: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def variants(self) -> list[str]:
        """Every variant, the baseline first, then in the order of the runs."""
        names = list(dict.fromkeys(self.runs["variant"]))
        return [self.baseline, *(name for name in names if name != self.baseline)]

    @property
    def others(self) -> list[str]:
        """The variants compared with the baseline."""
        return self.variants[1:]

    @property
    def ok(self) -> pd.DataFrame:
        """The runs that finished."""
        return self.runs[self.runs["status"] == "ok"]

    @property
    def failed(self) -> pd.DataFrame:
        """The runs that raised (their rows of ``runs``)."""
        return self.runs[self.runs["status"] != "ok"]

    def folders(self, variant: str) -> list[tuple[int, Path]]:
        """``(replication, run folder)`` of the variant's finished runs, by replication."""
        rows = self.ok[self.ok["variant"] == variant].sort_values("replication")
        return [(int(r), Path(f)) for r, f in zip(rows["replication"], rows["folder"])]

    def table(self, name: str, *, variants: Sequence[str] | None = None) -> pd.DataFrame:
        """One table of every finished run (``lights``, ``timeseries``, ...), with ``variant`` and ``replication``."""
        parts = []
        for variant in variants if variants is not None else self.variants:
            for replication, folder in self.folders(variant):
                table = pd.read_parquet(folder / f"{name}.parquet")
                parts.append(table.assign(variant=variant, replication=replication))
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["variant", "replication"])

    def network(self, variant: str | None = None):
        """The street network of a variant's map (the baseline's by default), loaded once.

        Raises
        ------
        TwinError
            If the map cannot be loaded here (a map file moved since the run, say).
        """
        from twin.maps.spec import network_from_spec
        from twin.scenario.map_spec import MapSpec

        variant = variant or self.baseline
        scenario = self.scenarios[variant]
        key = json.dumps(scenario["map"], sort_keys=True)
        if key not in self._networks:
            from pydantic import ValidationError

            from twin._errors import MapWarning

            try:
                spec = MapSpec.model_validate(scenario["map"])
                with warnings.catch_warnings():
                    # The run reported what loading the map changed; a report need not repeat it.
                    warnings.simplefilter("ignore", MapWarning)
                    spacing = scenario.get("traffic", {}).get("vehicle_spacing_m", 7.5)
                    self._networks[key] = network_from_spec(spec, vehicle_spacing_m=spacing)
            except (ValidationError, OSError) as error:
                raise TwinError(f"{scenario['map']}: cannot load the map of {variant!r} ({error})") from None
        return self._networks[key]


def load_results(paths: Sequence[str | os.PathLike]) -> Results:
    """Read one run or batch folder, or two to compare (B against A, as ``twin compare A B``).

    Raises
    ------
    TwinError
        If a folder is neither a run folder nor a batch folder, if more than two are given,
        or if two results share no replication seed (see :func:`twin.experiment.compare.compare`).
    """
    from twin.experiment.compare import compare
    from twin.experiment.statistics import summarize

    folders = tuple(Path(p) for p in paths)
    if not 1 <= len(folders) <= 2:
        raise TwinError(f"{len(folders)} folders given; give one run or batch folder, or two to compare")
    if len(folders) == 1:
        runs, baseline, single, experiment = _runs_of(folders[0])
        experiments = [experiment]
        kind: Kind = "run" if single else "batch"
        summary = summarize(runs, baseline=baseline)
    else:
        runs_a, baseline, single_a, experiment_a = _runs_of(folders[0])
        runs_b, _, single_b, experiment = _runs_of(folders[1])
        experiments = [experiment_a, experiment]
        summary = compare(folders[0], folders[1])  # raises when no seed pairs
        # The runs as compare() pairs them: A's baseline against all of B, B's clashing name marked.
        others = runs_b.copy()
        if single_a and single_b:
            others["seed"] = runs_a["seed"].iloc[0]
        clash = others["variant"] == baseline
        others.loc[clash, "variant"] = others.loc[clash, "variant"] + " (B)"
        runs = pd.concat([runs_a[runs_a["variant"] == baseline], others], ignore_index=True)
        kind = "comparison"
    scenarios, metas = {}, {}
    for variant in dict.fromkeys(runs["variant"]):
        scenarios[variant], metas[variant] = _scenario_of(runs, variant, experiments)
    replications = int(runs.groupby("variant")["replication"].nunique().max()) if len(runs) else 0
    if experiment:
        replications = int(experiment.get("replications") or replications)
    return Results(kind=kind, sources=folders, runs=runs, baseline=baseline, summary=summary, scenarios=scenarios,
                   metas=metas, replications=replications,
                   root_seed=experiment.get("root_seed") if experiment else None)  # fmt: skip


def _runs_of(folder: Path) -> tuple[pd.DataFrame, str, bool, dict[str, Any]]:
    """A run or batch folder's runs (with each run's ``folder``), baseline, whether it is one run, and experiment."""
    from twin.experiment.compare import load_results as load_runs

    runs, baseline, single = load_runs(folder)  # raises the one-line error for anything else
    runs = runs.copy()
    if single:
        runs["folder"] = [str(folder.resolve())]
        return runs, baseline, True, {}
    from twin.experiment.batch import load_batch

    batch = load_batch(folder)
    paths = runs["path"] if "path" in runs else pd.Series(None, index=runs.index)
    runs["folder"] = [str(batch.folder / p) if isinstance(p, str) and s == "ok" else None
                      for p, s in zip(paths, runs["status"])]  # fmt: skip
    return runs, baseline, False, batch.experiment


def _scenario_of(runs: pd.DataFrame, variant: str, experiments: Sequence[dict[str, Any]]) -> tuple[dict, dict]:
    """A variant's resolved scenario and meta.json: from its first finished run, else from experiment.yaml."""
    rows = runs[(runs["variant"] == variant) & (runs["status"] == "ok")].sort_values("replication")
    if len(rows):
        folder = Path(rows["folder"].iloc[0])
        scenario = yaml.safe_load((folder / "scenario.resolved.yaml").read_text(encoding="utf-8"))
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        return scenario, meta
    name = variant.removesuffix(" (B)")
    for experiment in experiments:
        for planned in experiment.get("variants", []):
            if planned["name"] == name:
                return dict(planned["scenario"]), {}
    raise TwinError(f"{variant}: no finished run and no scenario in experiment.yaml; finish the batch with "
                    "twin batch --resume")  # fmt: skip
