"""The run folder: what one run leaves on disk, and reading it back.

::

    trips.parquet          one row per trip
    links.parquet          per edge and hour: cars entering, mean travel time and speed
    lights.parquet         per lamp: energy, hours at full and dimmed, dark arrivals
    timeseries.parquet     per step: the city's state (Mesa DataCollector) and the lights
    services.parquet       per transit line or shuttle service and hour: the operators' figures
    residents.parquet      one row per resident, only when ``outputs.person_level`` is true
    kpis.json              the headline figures
    scenario.resolved.yaml the scenario with every default filled in
    meta.json              seed, the map's hash, package versions, wall time

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
from twin.provenance import write_provenance

if TYPE_CHECKING:
    from twin.simulation import RunResult

__all__ = ["TABLES", "load_run", "write_run"]

TABLES = ("trips", "links", "lights", "timeseries", "services")


def write_run(result: RunResult, out: str | os.PathLike, *, extra: Callable[[Path], None] | None = None) -> Path:
    """Write ``result`` as a run folder at ``out`` and return its absolute path.

    ``extra``, if given, writes more files (plots) into the staging folder before it is
    swapped in.
    """

    def fill(folder: Path) -> None:
        if extra is not None:
            extra(folder)
        tables = {name: getattr(result, name) for name in TABLES}
        if result.scenario.outputs.person_level and len(result.residents):
            tables["residents"] = result.residents
        for name, table in tables.items():
            table.to_parquet(folder / f"{name}.parquet", index=False)
        (folder / "kpis.json").write_text(json.dumps(result.kpis, indent=2) + "\n", encoding="utf-8")
        write_provenance(folder, scenario=result.scenario, network=result.network, wall_time_s=result.wall_time_s,
                         extra={"person_level": bool(result.scenario.outputs.person_level),
                                "tables": [f"{name}.parquet" for name in tables]})  # fmt: skip

    return write_folder(out, fill)


def load_run(path: str | os.PathLike) -> dict[str, Any]:
    """Read a run folder back: its tables as DataFrames, ``kpis`` and ``meta`` as dicts.

    Raises
    ------
    TwinError
        If ``path`` is not a run folder.
    """
    folder = Path(path)
    if not (folder / "kpis.json").is_file():
        raise TwinError(f"{folder}: not a twin run folder (no kpis.json); give the folder `twin run --out` wrote")
    run: dict[str, Any] = {name: pd.read_parquet(folder / f"{name}.parquet") for name in TABLES}
    run["kpis"] = json.loads((folder / "kpis.json").read_text(encoding="utf-8"))
    run["meta"] = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    return run
