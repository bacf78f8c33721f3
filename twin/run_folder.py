"""The run folder: what one run leaves on disk, and reading it back.

::

    links.parquet          per edge and hour: cars entering, mean travel time and speed
    lights.parquet         per lamp: energy, hours at full and dimmed, dark arrivals
    timeseries.parquet     per step: the city's state (Mesa DataCollector) and the lights
    services.parquet       per transit line or shuttle service and hour: the operators' figures
    kpis.json              the headline figures
    scenario.resolved.yaml the scenario with every default filled in
    meta.json              seed, the map's hash, package versions, wall time, what was written
    trips.parquet          one row per trip      } only when ``outputs.person_level`` is true
    residents.parquet      one row per resident  }

Privacy
-------
By default a run folder holds aggregates only: tables per edge, lamp, step and service, and
figures per group of residents in ``kpis.json``, where a group of fewer than
``outputs.min_group_residents`` (k, default 10) residents is suppressed
(:mod:`twin.metrics.equity`). The per-person tables are written only when the scenario asks
for them with ``outputs.person_level: true``. ``meta.json`` says which: ``person_level``,
``tables`` (the files written), ``min_group_residents`` and ``suppressed_cells`` (how many
figures ``kpis.json`` left out).

``services.parquet`` counts boardings, riders and requests per line or shuttle service and
hour: counts of trips of a service, not of a group of residents defined by who they are,
so they are kept as they are, like the city's trip counts in ``kpis.json``.

The folder is written whole: into a staging folder beside it, then swapped in.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import pandas as pd

from twin._errors import TwinError
from twin._output import write_folder
from twin.metrics.equity import suppressed_cells
from twin.provenance import write_provenance

if TYPE_CHECKING:
    from twin.simulation import RunResult

__all__ = ["PERSON_TABLES", "TABLES", "load_run", "write_run"]

TABLES = ("links", "lights", "timeseries", "services")
"""The tables every run folder holds."""

PERSON_TABLES = ("trips", "residents")
"""The per-person tables, written only with ``outputs.person_level: true``."""


def write_run(result: RunResult, out: str | os.PathLike, *, extra: Callable[[Path], None] | None = None) -> Path:
    """Write ``result`` as a run folder at ``out`` and return its absolute path.

    ``extra``, if given, writes more files (plots) into the staging folder before it is
    swapped in.
    """

    def fill(folder: Path) -> None:
        if extra is not None:
            extra(folder)
        outputs = result.scenario.outputs
        tables = {name: getattr(result, name) for name in TABLES}
        if outputs.person_level:
            tables["trips"] = result.trips
            if len(result.residents):
                tables["residents"] = result.residents
        for name, table in tables.items():
            table.to_parquet(folder / f"{name}.parquet", index=False)
        (folder / "kpis.json").write_text(json.dumps(result.kpis, indent=2) + "\n", encoding="utf-8")
        write_provenance(folder, scenario=result.scenario, network=result.network, wall_time_s=result.wall_time_s,
                         extra={"person_level": bool(outputs.person_level),
                                "tables": [f"{name}.parquet" for name in tables],
                                "min_group_residents": int(outputs.min_group_residents),
                                "suppressed_cells": suppressed_cells(result.kpis.get("equity") or {})})  # fmt: skip

    return write_folder(out, fill)


def load_run(path: str | os.PathLike) -> dict[str, Any]:
    """Read a run folder back: its tables as DataFrames, ``kpis`` and ``meta`` as dicts.

    ``trips`` and ``residents`` are there only when the run wrote them
    (``outputs.person_level``; ``meta["person_level"]`` says so).

    Raises
    ------
    TwinError
        If ``path`` is not a run folder.
    """
    folder = Path(path)
    if not (folder / "kpis.json").is_file():
        raise TwinError(f"{folder}: not a twin run folder (no kpis.json); give the folder `twin run --out` wrote")
    run: dict[str, Any] = {name: pd.read_parquet(folder / f"{name}.parquet") for name in TABLES}
    for name in PERSON_TABLES:
        if (folder / f"{name}.parquet").is_file():
            run[name] = pd.read_parquet(folder / f"{name}.parquet")
    run["kpis"] = json.loads((folder / "kpis.json").read_text(encoding="utf-8"))
    run["meta"] = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    return run
