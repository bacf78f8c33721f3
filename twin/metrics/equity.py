"""Who gains and who loses: each resident's day, split by who they are and where they live.

Measures (:data:`MEASURES`), per group of residents, from the run's trip table:

- ``mean_daily_travel_min``: minutes travelling per resident (arrived trips, door to door,
  waits included), over all residents of the group;
- ``mean_daily_paid_eur``: money paid per resident (fares, road tolls, and a subscriber's
  bundle price per travel day);
- ``arrived_share``: the share of the group's trips in the run that arrived (a trip stranded
  at a stop adds no minutes, so read the minutes with it);
- ``mean_night_walk_bike_m``: metres walked or cycled per resident on lit streets in the
  dark (the lighting engine's per-trip sums, :class:`~twin.engine.lighting.LightingResult`);
- ``night_full_light_share``: the share of those metres passed at full light;
- ``mean_jobs_30min_<mode>``: jobs reachable from home within 30 minutes by walking,
  cycling, car and transit, per resident (:mod:`twin.metrics.access`).

Shares are ratios of the group's sums (trips, metres), means are over all its residents,
so a group's figures weighted by its residents (or its trips or metres) give back the
city's.

Dimensions (:data:`DIMENSIONS`): ``income`` (low, middle, high), ``smartphone`` (yes, no),
``age`` (child 0-17, adult 18-64, senior 65+: the synthetic population's age groups) and,
when the scenario has districts (:mod:`twin.population.districts`), ``district`` (the
district of the resident's home, ``outside`` for homes in none).

Privacy
-------
A group of fewer than ``k`` residents (``outputs.min_group_residents``, default 10) is
suppressed: its measures are ``null``, ``residents`` is ``null`` with
``residents_fewer_than: k``, and ``suppressed`` is true. Every group carries
``suppressed``, so a reader never mistakes a missing figure for a zero.

The inequality of a change
--------------------------
For a pair of groups of a dimension, the worse-off and the better-off (:data:`PAIRS`: low
against high income, no smartphone against a smartphone, seniors against adults), and a
measure whose direction is known (:attr:`Measure.better`), each group's *gain* is its change
against the baseline, signed so that a gain is an improvement (fewer minutes, more jobs).
:func:`inequality` reports, per variant:

- the **gain gap** ``gain(worse-off) - gain(better-off)``, in the measure's unit: positive
  when the change favours the worse-off group (it narrows the gap), negative when it
  widens it; with its 95% interval when the runs are given (per replication, a paired
  difference of differences);
- the **gain ratio** ``gain(worse-off) / gain(better-off)``, e.g. the lowest income group's
  gain in daily travel minutes over the highest group's: 1 is an equal gain, above 1 the
  worse-off gain more, between 0 and 1 less, below 0 the groups move in opposite
  directions. It is left out (``NaN``) when the better-off group's change is not clear (its
  95% interval includes 0, or it is 0), as a ratio to nearly nothing means nothing.

For a single run, :func:`level_ratios` gives the same pairs' ratio of levels
(worse-off / better-off), e.g. minutes travelling of low against high income; ``kpis.json``
carries it under ``inequality``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from twin.model import CityModel

__all__ = ["DIMENSIONS", "MEASURES", "PAIRS", "Measure", "equity_kpis", "inequality", "level_ratios",
           "resident_table", "suppressed_cells"]  # fmt: skip


@dataclass(frozen=True)
class Measure:
    """One equity measure: its key in ``kpis.json``, how it reads, and which way is better."""

    name: str
    label: str
    unit: str
    scale: float = 1.0
    change_unit: str | None = None
    better: Literal["lower", "higher"] | None = None

    @property
    def delta_unit(self) -> str:
        return self.change_unit or self.unit


MEASURES: dict[str, Measure] = {m.name: m for m in (
    Measure("mean_daily_travel_min", "Minutes travelling a day per resident", "min", better="lower"),
    Measure("mean_daily_paid_eur", "Money paid for travel a day per resident (fares, tolls, bundle)", "EUR",
            better="lower"),
    Measure("arrived_share", "Share of the group's trips that arrived", "% of trips", 100.0, "percentage points",
            better="higher"),
    Measure("mean_night_walk_bike_m", "Metres walked or cycled in the dark on lit streets a day per resident", "m"),
    Measure("night_full_light_share", "Walking and cycling in the dark under full light", "% of metres", 100.0,
            "percentage points", better="higher"),
    Measure("mean_jobs_30min_transit", "Jobs within 30 min of home on foot or by bus", "jobs", better="higher"),
    Measure("mean_jobs_30min_car", "Jobs within 30 min of home by car (morning peak)", "jobs", better="higher"),
    Measure("mean_jobs_30min_bike", "Jobs within 30 min of home by bike", "jobs", better="higher"),
    Measure("mean_jobs_30min_walk", "Jobs within 30 min of home on foot", "jobs", better="higher"),
)}  # fmt: skip
"""The measures of every group, in reading order."""

DIMENSIONS: dict[str, tuple[str, ...]] = {
    "income": ("low", "middle", "high"),
    "smartphone": ("yes", "no"),
    "age": ("child", "adult", "senior"),
    "district": (),  # the districts file's names, then "outside"
}
"""The dimensions residents are split by, and their groups in reading order."""

PAIRS: dict[str, tuple[str, str]] = {"income": ("low", "high"), "smartphone": ("no", "yes"), "age": ("senior", "adult")}
"""Per dimension, the worse-off and the better-off group the inequality of a change compares."""

GROUP_WORDS: dict[tuple[str, str], str] = {
    ("income", "low"): "low income", ("income", "middle"): "middle income", ("income", "high"): "high income",
    ("smartphone", "yes"): "with a smartphone", ("smartphone", "no"): "without a smartphone",
    ("age", "child"): "children (0-17)", ("age", "adult"): "adults (18-64)", ("age", "senior"): "seniors (65+)",
}  # fmt: skip
"""How a group reads in a sentence; districts read by their name."""

_JOB_COLUMNS = tuple(f"jobs_30min_{mode}" for mode in ("walk", "bike", "car", "transit"))


def resident_table(model: CityModel) -> pd.DataFrame:
    """The model's residents with what the equity split needs beyond their attributes.

    Adds ``district`` (a categorical of the districts' names and ``outside``, when the
    scenario has districts) and ``jobs_30min_<mode>`` (when ``outputs.job_access`` is on).
    Empty for a given trip table.
    """
    residents = model.residents
    if not len(residents):
        return residents
    residents = residents.copy()
    outputs = model.spec.outputs
    from twin.population.districts import OUTSIDE, district_names, districts_source, home_districts

    source = districts_source(model.spec, model.base_network)
    if source is not None:
        path, layer = source
        labels = home_districts(model.base_network, residents["home_node"].to_numpy(np.int64), path=path, layer=layer,
                                column=outputs.district_column)  # fmt: skip
        names = list(dict.fromkeys(district_names(_file_names(path, layer, outputs.district_column))))
        categories = [*(n for n in names if n != OUTSIDE), OUTSIDE]
        residents["district"] = pd.Categorical(labels, categories=categories)
    if outputs.job_access:
        from twin.metrics.access import job_access

        residents = residents.join(job_access(model, residents))
    return residents


def _file_names(path, layer, column) -> np.ndarray:
    import pyogrio

    return pyogrio.read_dataframe(path, layer=layer, columns=[column], read_geometry=False)[column].astype(
        "string").fillna("outside").to_numpy(dtype=object)  # fmt: skip


def person_outcomes(trips: pd.DataFrame, residents: pd.DataFrame, *, bundle_eur_per_day: float = 0.0) -> pd.DataFrame:
    """Each resident's day from the trip table: one row per resident (``person_id`` = row).

    Columns ``travel_min``, ``paid_eur``, ``trips_made`` (in the run), ``trips_arrived``,
    ``night_m``, ``night_full_m``, and the residents' ``jobs_30min_<mode>`` when present.
    """
    n = len(residents)
    person = trips["person_id"].to_numpy(np.int64)
    ok = (person >= 0) & (person < n)
    status = trips["status"].to_numpy()
    arrived = ok & (status == "arrived")
    minutes = np.bincount(person[arrived], weights=trips["duration_s"].to_numpy(float)[arrived] / 60, minlength=n)
    paid = np.zeros(len(trips))
    for column in ("fare_eur", "toll_eur"):
        if column in trips:
            paid += np.nan_to_num(trips[column].to_numpy(float))
    money = np.bincount(person[ok], weights=paid[ok], minlength=n)
    if "maas_subscriber" in residents:
        money = money + residents["maas_subscriber"].to_numpy(bool) * bundle_eur_per_day
    in_run = ok & (status != "outside_run")
    table = {"travel_min": minutes, "paid_eur": money,
             "trips_made": np.bincount(person[in_run], minlength=n).astype(float),
             "trips_arrived": np.bincount(person[arrived], minlength=n).astype(float)}  # fmt: skip
    for column in ("night_m", "night_full_m"):
        values = np.nan_to_num(trips[column].to_numpy(float)) if column in trips else np.zeros(len(trips))
        table[column] = np.bincount(person[ok], weights=values[ok], minlength=n)
    for column in _JOB_COLUMNS:
        if column in residents:
            table[column] = residents[column].to_numpy(float)
    return pd.DataFrame(table)


def equity_kpis(trips: pd.DataFrame, residents: pd.DataFrame | None, *, bundle_eur_per_day: float = 0.0,
                min_residents: int = 10) -> dict[str, Any]:  # fmt: skip
    """The ``equity`` section of ``kpis.json``: every measure per group of every dimension.

    Parameters
    ----------
    trips
        The run's trip table (``person_id``, ``status``, ``duration_s``, fares, tolls,
        ``night_m``, ``night_full_m``).
    residents
        The residents (``income``, ``smartphone``, ``age_group``, optionally ``district``,
        ``maas_subscriber`` and ``jobs_30min_<mode>``), ``person_id`` = row.
    bundle_eur_per_day
        A MaaS subscriber's bundle price per travel day.
    min_residents
        ``k``: groups of fewer residents are suppressed.

    Returns
    -------
    dict
        ``{dimension: {group: {"residents", "suppressed", measures...}}}``; empty without
        residents (a given trip table).
    """
    if residents is None or not len(residents) or "person_id" not in trips:
        return {}
    person = person_outcomes(trips, residents, bundle_eur_per_day=bundle_eur_per_day)
    result: dict[str, Any] = {}
    for dimension, (labels, groups) in _dimensions(residents).items():
        result[dimension] = {group: _group(person, labels == group, min_residents) for group in groups}
    return result


def _dimensions(residents: pd.DataFrame) -> dict[str, tuple[np.ndarray, tuple[str, ...]]]:
    found = {
        "income": (residents["income"].astype(str).to_numpy(), DIMENSIONS["income"]),
        "smartphone": (np.where(residents["smartphone"].to_numpy(bool), "yes", "no"), DIMENSIONS["smartphone"]),
    }
    if "age_group" in residents:
        found["age"] = (residents["age_group"].astype(str).to_numpy(), DIMENSIONS["age"])
    if "district" in residents:
        district = residents["district"]
        groups = tuple(district.cat.categories) if isinstance(district.dtype, pd.CategoricalDtype) else tuple(
            sorted(set(district.astype(str))))  # fmt: skip
        found["district"] = (district.astype(str).to_numpy(), groups)
    return found


def _group(person: pd.DataFrame, chosen: np.ndarray, k: int) -> dict[str, Any]:
    n = int(chosen.sum())
    names = [m for m in MEASURES if not m.startswith("mean_jobs_") or m.removeprefix("mean_") in person]
    if n < k:
        return {"residents": None, "residents_fewer_than": int(k), "suppressed": True, **dict.fromkeys(names)}
    mine = person[chosen]
    made, night = mine["trips_made"].sum(), mine["night_m"].sum()
    values = {
        "mean_daily_travel_min": _round(mine["travel_min"].mean(), 3),
        "mean_daily_paid_eur": _round(mine["paid_eur"].mean(), 4),
        "arrived_share": _round(mine["trips_arrived"].sum() / made, 4) if made else None,
        "mean_night_walk_bike_m": _round(mine["night_m"].mean(), 2),
        "night_full_light_share": _round(mine["night_full_m"].sum() / night, 4) if night > 0 else None,
    }
    for name in names:
        if name.startswith("mean_jobs_"):
            values[name] = _round(mine[name.removeprefix("mean_")].mean(), 2)
    return {"residents": n, "suppressed": False, **{name: values[name] for name in names}}


def _round(value: float, digits: int) -> float | None:
    value = float(value)
    return None if not np.isfinite(value) else round(value, digits)


def suppressed_cells(equity: dict[str, Any]) -> int:
    """The figures ``equity`` leaves out for privacy: per suppressed group, its residents and measures."""
    return sum(sum(1 for key, value in group.items() if value is None and key in (*MEASURES, "residents"))
               for groups in equity.values() for group in groups.values() if group.get("suppressed"))  # fmt: skip


def level_ratios(equity: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """Per dimension of :data:`PAIRS` and measure: the worse-off group's level over the better-off's.

    E.g. ``["income"]["mean_daily_travel_min"]``: minutes travelling of low-income residents
    over those of high-income residents. ``None`` where a group is suppressed or the
    better-off group's level is 0.
    """
    ratios: dict[str, dict[str, float | None]] = {}
    for dimension, (worse, better) in PAIRS.items():
        groups = equity.get(dimension) or {}
        if worse not in groups or better not in groups:
            continue
        ratios[dimension] = {}
        for name in MEASURES:
            a, b = groups[worse].get(name), groups[better].get(name)
            if name in groups[worse]:
                ratios[dimension][name] = _round(a / b, 4) if a is not None and b else None
    return ratios


def inequality(summary: pd.DataFrame, *, baseline: str, runs: pd.DataFrame | None = None) -> pd.DataFrame:
    """The inequality of each variant's change: gain gap and gain ratio of each pair of :data:`PAIRS`.

    Parameters
    ----------
    summary
        :func:`twin.experiment.statistics.summarize`'s table (rows
        ``equity.<dimension>.<group>.<measure>``).
    baseline
        The variant the others are compared with.
    runs
        The runs table (``variant``, ``replication``, ``status`` and the KPIs): when given,
        the gain gap gets its 95% interval from the runs, pair by pair.

    Returns
    -------
    pandas.DataFrame
        One row per variant, dimension and measure with a direction: ``worse_off``,
        ``better_off``, ``gain_worse_off``, ``gain_better_off`` (changes signed so that a
        gain is an improvement, in the measure's stored unit), ``gap`` (the first less the
        second), ``gap_ci_low``, ``gap_ci_high`` (NaN without runs or with fewer than two
        pairs) and ``ratio``. See the module notes.
    """
    from twin.experiment.statistics import paired_difference

    columns = ["variant", "dimension", "measure", "worse_off", "better_off", "gain_worse_off", "gain_better_off",
               "gap", "gap_ci_low", "gap_ci_high", "ratio"]  # fmt: skip
    rows = []
    indexed = summary.set_index(["variant", "kpi"])
    for variant in dict.fromkeys(summary["variant"]):
        if variant == baseline:
            continue
        for dimension, (worse, better) in PAIRS.items():
            for name, measure in MEASURES.items():
                if measure.better is None:
                    continue
                keys = [(variant, f"equity.{dimension}.{group}.{name}") for group in (worse, better)]
                if not all(key in indexed.index for key in keys):
                    continue
                sign = -1.0 if measure.better == "lower" else 1.0
                low, high = (indexed.loc[key] for key in keys)
                gain_w, gain_b = sign * low["diff_mean"], sign * high["diff_mean"]
                clear = np.isfinite(gain_b) and gain_b != 0 and not (
                    high["n_pairs"] >= 2 and high["ci_low"] <= 0 <= high["ci_high"])  # fmt: skip
                ci = (np.nan, np.nan)
                if runs is not None:
                    ci = _gap_interval(runs, baseline, variant, dimension, worse, better, name, sign, paired_difference)
                rows.append({"variant": variant, "dimension": dimension, "measure": name, "worse_off": worse,
                             "better_off": better, "gain_worse_off": gain_w, "gain_better_off": gain_b,
                             "gap": gain_w - gain_b, "gap_ci_low": ci[0], "gap_ci_high": ci[1],
                             "ratio": gain_w / gain_b if clear else np.nan})  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def _gap_interval(runs, baseline, variant, dimension, worse, better, name, sign, paired_difference):
    """95% interval of the gain gap: per replication, (worse - better) of the variant against the baseline's."""
    a, b = (f"equity.{dimension}.{group}.{name}" for group in (worse, better))
    if a not in runs or b not in runs:
        return np.nan, np.nan
    ok = runs[runs["status"] == "ok"]
    gap = ok.assign(gap=sign * (ok[a] - ok[b])).set_index(["variant", "replication"])["gap"]
    if variant not in gap.index.get_level_values(0) or baseline not in gap.index.get_level_values(0):
        return np.nan, np.nan
    pairs = pd.concat([gap.loc[variant], gap.loc[baseline]], axis=1, join="inner").dropna()
    result = paired_difference(pairs.iloc[:, 0].to_numpy(float), pairs.iloc[:, 1].to_numpy(float))
    return result["ci_low"], result["ci_high"]
