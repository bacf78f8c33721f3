"""Reading a batch for the business case: its finished runs, their files, the costs to use.

Private plumbing of :func:`twin.economics.business_case`: a batch folder (or two result
folders, B against A's baseline, paired by seed as ``twin compare`` pairs them) as a list of
finished runs with their ``kpis.json``, resolved scenario and ``meta.json``; each run's
``timeseries.parquet`` columns the year of lighting needs; the map's centre; and the
``costs`` section with ``--set costs.KEY=VALUE`` overrides, checked against the schema.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from twin._errors import TwinError
from twin.scenario.costs import CostsSpec

__all__ = ["Run", "centre_of", "costs_from", "load_runs", "timeseries_of"]


@dataclass
class Run:
    """A finished run: its variant, seed, folder and files."""

    variant: str
    seed: int
    folder: Path
    kpis: dict[str, Any]
    scenario: dict[str, Any]
    meta: dict[str, Any]


def _runs_of(path: Path) -> tuple[pd.DataFrame, str, bool, int | None]:
    """Runs (with ``folder``), baseline, whether a single run folder, and the root seed."""
    from twin.experiment.compare import load_results

    runs, baseline, single = load_results(path)  # the one-line error for a folder that is neither
    runs = runs.copy()
    if single:
        runs["folder"] = [str(path.resolve())]
        return runs, baseline, True, None
    from twin.experiment.batch import load_batch

    batch = load_batch(path)
    paths = runs["path"] if "path" in runs else pd.Series(None, index=runs.index)
    runs["folder"] = [str(batch.folder / p) if isinstance(p, str) and s == "ok" else None
                      for p, s in zip(paths, runs["status"])]  # fmt: skip
    return runs, baseline, False, batch.experiment.get("root_seed")


def load_runs(paths: Sequence[str | os.PathLike]) -> tuple[list[Run], str, list[str], int, list[str]]:
    """Finished runs, the baseline, the variants in order, the root seed, notes."""
    folders = [Path(p) for p in paths]
    if not 1 <= len(folders) <= 2:
        raise TwinError(f"{len(folders)} folders given; give a batch folder, or two result folders (B against A)")
    notes: list[str] = []
    if len(folders) == 1:
        runs, baseline, single, root = _runs_of(folders[0])
        if single:
            raise TwinError(f"{folders[0]}: one run has no difference to value; give a batch folder with a baseline and "
                            "a variant (twin batch BASELINE --variant V), or two folders: twin economics A B")  # fmt: skip
    else:
        runs_a, baseline, single_a, root_a = _runs_of(folders[0])
        runs_b, _, single_b, root_b = _runs_of(folders[1])
        others = runs_b.copy()
        if single_a and single_b:
            others["seed"] = runs_a["seed"].iloc[0]  # two single runs: one pair, seeds or not
        clash = others["variant"] == baseline
        others.loc[clash, "variant"] = others.loc[clash, "variant"] + " (B)"
        runs = pd.concat([runs_a[runs_a["variant"] == baseline], others], ignore_index=True)
        root = root_b if root_b is not None else root_a
    ok = runs[runs["status"] == "ok"]
    failed = len(runs) - len(ok)
    if failed:
        notes.append(f"{failed} of {len(runs)} runs failed and are left out; their pairs are missing.")
    loaded = []
    for row in ok.itertuples(index=False):
        folder = Path(row.folder)
        loaded.append(Run(variant=str(row.variant), seed=int(row.seed), folder=folder,
                           kpis=json.loads((folder / "kpis.json").read_text(encoding="utf-8")),
                           scenario=yaml.safe_load((folder / "scenario.resolved.yaml").read_text(encoding="utf-8")),
                           meta=json.loads((folder / "meta.json").read_text(encoding="utf-8"))))  # fmt: skip
    if not any(r.variant == baseline for r in loaded):
        raise TwinError(f"{folders[0]}: no run of the baseline {baseline!r} finished; finish the batch with "
                        "twin batch --resume")
    variants = [v for v in dict.fromkeys(runs["variant"]) if v != baseline]
    if not variants:
        raise TwinError(f"{folders[0]}: the batch has only its baseline; add a variant (twin batch ... --variant V)")
    seed = int(root) if root is not None else int(min(r.seed for r in loaded if r.variant == baseline))
    return loaded, baseline, variants, seed, notes


def costs_from(scenario: Mapping[str, Any], overrides: Sequence[str] = (), *, source: str = "costs") -> CostsSpec:
    """The ``costs`` of a resolved scenario (defaults where it has none) with ``costs.KEY=VALUE`` overrides.

    Raises
    ------
    TwinError
        An override of a key outside ``costs``, or a value the schema refuses (one line per
        problem, naming the key and the fix).
    """
    from pydantic import BaseModel, ConfigDict, Field, ValidationError

    from twin._errors import ScenarioError
    from twin.scenario.load import _parse_override, apply_overrides
    from twin.scenario._messages import format_validation_error

    class _Costs(BaseModel):  # the costs alone, with the key path a scenario gives them
        model_config = ConfigDict(extra="forbid")
        costs: CostsSpec = Field(default_factory=CostsSpec)

    for text in overrides:
        key = text.partition("=")[0].strip()
        if not key.startswith("costs."):
            raise TwinError(f"--set {text}: twin economics changes only the costs section; write costs.KEY=VALUE, "
                            "e.g. --set costs.energy_tariff_eur_per_kwh=0.12 (other keys need new runs)")  # fmt: skip
    data = {"costs": dict(scenario.get("costs") or {})}
    try:
        data = apply_overrides(data, list(overrides))
        return _Costs.model_validate(data).costs
    except ScenarioError as error:
        raise TwinError(str(error)) from None
    except ValidationError as error:
        overridden = [_parse_override(text, prefix="")[0] for text in overrides]
        raise TwinError(format_validation_error(error, source=source, overridden=overridden)) from None


def timeseries_of(folder: Path) -> pd.DataFrame:
    """The columns of a run's ``timeseries.parquet`` a year of lighting needs (``lighting_demand_kw`` if it has it)."""
    import pyarrow.parquet as pq

    path = folder / "timeseries.parquet"
    names = set(pq.read_schema(path).names)
    return pd.read_parquet(path, columns=[c for c in ("time_s", "lighting_demand_kw") if c in names])


def centre_of(run: Run, cache: dict[str, tuple[float, float]]) -> tuple[float, float]:
    """The map's centre from meta.json, or from loading the map (runs written before it was recorded)."""
    recorded = (run.meta.get("map") or {}).get("centre_lonlat")
    if recorded:
        return float(recorded[0]), float(recorded[1])
    key = json.dumps(run.scenario["map"], sort_keys=True)
    if key not in cache:
        import warnings

        from twin._errors import MapWarning
        from twin.maps.spec import network_from_spec
        from twin.scenario.map_spec import MapSpec

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MapWarning)  # the run reported them
            try:
                network = network_from_spec(MapSpec.model_validate(run.scenario["map"]))
            except (OSError, ValueError) as error:
                raise TwinError(f"{run.folder}: its meta.json has no map centre and the map cannot be loaded here "
                                f"({error}); run the batch again with this twin") from None  # fmt: skip
        cache[key] = network.centre_lonlat()
    return cache[key]
