"""Explicit trip tables: demand from a city's own model instead of a synthetic population.

A scenario's ``demand: {trips: FILE.csv}`` names a CSV file with a header line and one line per
trip::

    trip_id,origin_node,dest_node,depart_s,mode
    t1,r0c0,r5c7,28800,car
    t2,r3c2,r3c9,29100,bike

``origin_node`` and ``dest_node`` are node ids of the map (its ``node_id`` column), compared
as text, so integer OSM ids work as written. ``depart_s`` is the departure in seconds from
midnight (it may exceed 86,400 for trips after midnight), ``mode`` one of ``car``, ``bike``
and ``walk``. An optional ``person_id`` column (a whole number per traveller) links trips of one
person; other columns are ignored. Blank lines are skipped.

:func:`read_trip_table` checks everything a run would trip over later and reports the first
problem as a :class:`~twin._errors.ScenarioError` of one line, naming the file, the line (the
header is line 1), the column and what to do.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from twin._errors import ScenarioError
from twin.maps.network import MODES, StreetNetwork
from twin.population.plans import PURPOSES, TRIP_COLUMNS

__all__ = ["REQUIRED_COLUMNS", "read_trip_table"]

REQUIRED_COLUMNS = ("trip_id", "origin_node", "dest_node", "depart_s", "mode")
"""Columns a trip table must have; ``person_id`` is optional."""

_HEADER = ",".join(REQUIRED_COLUMNS)


def read_trip_table(path: str | os.PathLike[str], network: StreetNetwork) -> pd.DataFrame:
    """Read and check a trip table CSV against the network.

    Parameters
    ----------
    path
        The CSV file (``demand.trips`` of a scenario, already made absolute).
    network
        The street network whose node ids the table uses.

    Returns
    -------
    pandas.DataFrame
        One row per trip in file order, with the columns of
        :func:`twin.population.plans.build_plans` plus ``mode``: ``trip_id`` (``int64`` if every
        id is a whole number, else the ids as text), ``person_id`` (``int64``; -1 where the
        file gives none), ``tour_id`` (-1), ``seq`` (0), ``purpose`` (``"given"``),
        ``origin_node`` and ``dest_node`` (``int64`` node positions, rows of
        ``network.nodes``), ``depart_s`` (``float64``) and ``mode`` (categorical of car, bike,
        walk).

    Raises
    ------
    ScenarioError
        One line naming the file, line, column and fix, if the file is missing, empty or not
        UTF-8 text, a column is missing, a line has more fields than the header, a trip id is
        empty or used twice, a node id is not in the map, ``depart_s`` is not a number or is
        negative, a mode is unknown, the mode cannot use a trip's node, or a ``person_id`` is
        not a whole number.
    """
    where = str(path)
    table = _read(Path(path), where)
    table.columns = [str(c).strip() for c in table.columns]
    for column in REQUIRED_COLUMNS:
        if column not in table.columns:
            close = difflib.get_close_matches(column, table.columns, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ScenarioError(
                f"{where}: line 1: no column {column!r}; {hint}the header must name {_HEADER}"
            )
    keep = list(REQUIRED_COLUMNS) + (["person_id"] if "person_id" in table.columns else [])
    table = table[keep].apply(lambda col: col.str.strip())
    blank = (table == "").all(axis=1).to_numpy()
    line = np.flatnonzero(~blank) + 2  # the header is line 1, the first row line 2
    table = table.loc[~blank].reset_index(drop=True)
    if table.empty:
        raise ScenarioError(f"{where}: the header has no trips below it; add one line per trip")

    problems = _Problems(where, line)
    trip_id = table["trip_id"].to_numpy(dtype=object)
    problems.check(trip_id == "", "trip_id", lambda i: "is empty; give every trip an id")
    first_use = pd.Series(np.arange(len(table))).groupby(trip_id).transform("min").to_numpy()
    problems.check(
        (first_use != np.arange(len(table))) & (trip_id != ""), "trip_id",
        lambda i: f"{trip_id[i]!r} is already used on line {line[first_use[i]]}; give each "
        "trip its own id",
    )  # fmt: skip

    ids = pd.Index(network.nodes["node_id"].astype(str).to_numpy(dtype=object))
    positions = {}
    for column in ("origin_node", "dest_node"):
        given = table[column].to_numpy(dtype=object)
        positions[column] = ids.get_indexer(given)
        problems.check(
            positions[column] < 0, column,
            lambda i, given=given: _unknown_node(given[i], ids, network),
        )  # fmt: skip

    depart_text = table["depart_s"].to_numpy(dtype=object)
    depart = pd.to_numeric(table["depart_s"], errors="coerce").to_numpy(dtype=np.float64)
    problems.check(
        ~np.isfinite(depart), "depart_s",
        lambda i: f"{depart_text[i]!r} is not a number; give the departure in seconds from "
        "midnight, e.g. 28800 for 08:00",
    )  # fmt: skip
    problems.check(
        depart < 0, "depart_s",
        lambda i: f"{depart_text[i]} is negative; give seconds from midnight, 0 or more",
    )

    mode = table["mode"].to_numpy(dtype=object)
    problems.check(~np.isin(mode, MODES), "mode", lambda i: _unknown_mode(mode[i]))
    for name in MODES:
        usable = np.zeros(network.n_nodes, dtype=bool)
        usable[network.mode_nodes(name)] = True
        for column in ("origin_node", "dest_node"):
            pos = positions[column]
            problems.check(
                (mode == name) & (pos >= 0) & ~usable[np.maximum(pos, 0)], column,
                lambda i, column=column, name=name: f"node {table[column].iloc[i]!r} cannot be "
                f"used by {name} (no street there that {name} trips may take); choose a node on "
                f"such a street or another mode",
            )  # fmt: skip

    person = np.full(len(table), -1, dtype=np.int64)
    if "person_id" in table.columns:
        text = table["person_id"].to_numpy(dtype=object)
        whole = np.array([bool(re.fullmatch(r"\d{1,18}", t)) for t in text], dtype=bool)
        problems.check(
            ~whole & (text != ""), "person_id",
            lambda i: f"{text[i]!r} is not a whole number; give each traveller a number "
            "(0 or more), or leave the cell empty",
        )  # fmt: skip
        person[whole] = text[whole].astype(np.int64)
    problems.raise_first()

    n = len(table)
    out = pd.DataFrame(
        {
            "trip_id": _ids(trip_id),
            "person_id": person,
            "tour_id": np.full(n, -1, dtype=np.int32),
            "seq": np.zeros(n, dtype=np.int32),
            "purpose": pd.Categorical(["given"] * n, categories=PURPOSES),
            "origin_node": positions["origin_node"].astype(np.int64),
            "dest_node": positions["dest_node"].astype(np.int64),
            "depart_s": depart,
            "mode": pd.Categorical(mode.astype(str), categories=MODES),
        }
    )
    return out[[*TRIP_COLUMNS, "mode"]]


def _read(path: Path, where: str) -> pd.DataFrame:
    """The CSV as text cells, or a ScenarioError saying why it cannot be read."""
    if not path.exists():
        raise ScenarioError(
            f"{where}: no such trip table; check demand.trips (relative paths start from the "
            "scenario's folder)"
        )
    if path.is_dir():
        raise ScenarioError(f"{where}: is a folder; give the trip table's .csv file")
    try:
        return pd.read_csv(
            path, dtype=str, keep_default_na=False, skip_blank_lines=False, encoding="utf-8-sig"
        )
    except pd.errors.EmptyDataError:
        raise ScenarioError(
            f"{where}: the file is empty; its first line must be the header {_HEADER}"
        ) from None
    except pd.errors.ParserError as exc:
        found = re.search(r"line (\d+)", str(exc))
        at = f"line {found.group(1)}: " if found else ""
        raise ScenarioError(
            f"{where}: {at}more fields than the header has columns; check for a stray comma "
            "and quote text that contains one"
        ) from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{where}: is not UTF-8 text; save it as UTF-8 CSV") from None
    except OSError as exc:
        raise ScenarioError(f"{where}: cannot read the file ({exc.strerror})") from None


def _ids(trip_id: np.ndarray) -> np.ndarray:
    """Trip ids as ``int64`` if all are whole numbers that stay distinct, else as text."""
    if all(re.fullmatch(r"[+-]?\d{1,18}", t) for t in trip_id):
        numbers = trip_id.astype(np.int64)
        if np.unique(numbers).size == numbers.size:
            return numbers
    return trip_id.astype(str)


def _unknown_node(value: str, ids: pd.Index, network: StreetNetwork) -> str:
    if value == "":
        return "is empty; give a node id of the map"
    hint = ""
    if len(ids) <= 100_000:
        close = difflib.get_close_matches(value, ids.tolist(), n=1, cutoff=0.8)
        hint = f"did you mean {close[0]!r}? " if close else ""
    return (
        f"{value!r} is not a node id of the map {network.source}; {hint}use ids from its "
        f"node_id column, e.g. {ids[0]!r}"
    )


def _unknown_mode(value: str) -> str:
    close = difflib.get_close_matches(value.lower(), MODES, n=1, cutoff=0.5)
    hint = f"did you mean {close[0]!r}? " if close else ""
    shown = "is empty" if value == "" else f"{value!r} is not a mode"
    return f"{shown}; {hint}use one of {', '.join(MODES)}"


class _Problems:
    """Collects the first failing row of each check; raises the one on the earliest line."""

    def __init__(self, where: str, line: np.ndarray) -> None:
        self.where, self.line = where, line
        self.found: list[tuple[int, int, str, str]] = []

    def check(self, bad: np.ndarray, column: str, message) -> None:
        rows = np.flatnonzero(bad)
        if rows.size:
            i = int(rows[0])
            others = rows.size - 1
            more = f" ({others} more line{'s' if others > 1 else ''} like it)" if others else ""
            self.found.append((int(self.line[i]), len(self.found), column, message(i) + more))

    def raise_first(self) -> None:
        if self.found:
            line, _, column, message = min(self.found)
            raise ScenarioError(f"{self.where}: line {line}: column {column}: {message}")
