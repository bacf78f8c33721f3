"""Experiments at scale: many runs of variants, sweeps and replications, and their statistics.

::

    from twin.experiment import run_batch, load_batch
    runs = run_batch("scenarios/helsinki-baseline.yaml", sweeps={"lighting.dim_level": [0.2, 0.5]},
                     overrides=["lighting.controller=presence"], replications=5, out="runs/dim")
    summary = load_batch("runs/dim").summary()   # paired differences with 95% CIs

Modules: :mod:`~twin.experiment.design` (variants, sweeps, seeds), :mod:`~twin.experiment.files`
(experiment files, variant files, ``--sweep``),
:mod:`~twin.experiment.store` (the batch folder), :mod:`~twin.experiment.executors` (local
processes, Dask), :mod:`~twin.experiment.statistics` (paired differences),
:mod:`~twin.experiment.batch` (:func:`run_batch`) and :mod:`~twin.experiment.compare`.
Names are imported on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_LAZY = {
    "Experiment": "twin.experiment.design",
    "Variant": "twin.experiment.design",
    "Sweep": "twin.experiment.design",
    "load_experiment": "twin.experiment.files",
    "replication_seeds": "twin.experiment.design",
    "run_batch": "twin.experiment.batch",
    "load_batch": "twin.experiment.batch",
    "Batch": "twin.experiment.batch",
    "summarize": "twin.experiment.statistics",
    "compare": "twin.experiment.compare",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'twin.experiment' has no attribute {name!r}")
