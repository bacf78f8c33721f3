"""The business case of a batch: every variant against the baseline, in money, over years.

:func:`business_case` reads a batch folder (or two result folders, B against A, paired by
seed as ``twin compare`` pairs them; :mod:`twin.economics._runs`), annualises every run (:mod:`twin.economics.annual`),
values it (:mod:`twin.economics.cashflows`), pairs each variant's runs with the baseline's
by replication seed and gives, per variant and for the city budget and for society:

- the cash flow line by line over the appraisal years (year 0 = today);
- NPV at ``costs.discount_rate``, IRR, simple and discounted payback and the benefit-cost
  ratio (:mod:`twin.economics.measures`), each with its 95% bootstrap interval and
  ``P(NPV > 0)`` (:mod:`twin.economics.uncertainty`);
- the city's cash flow under each financing model (:mod:`twin.economics.financing`).

The cash flows are the mean differences over the pairs; the yearly lines are the same every
year (no growth, no change in prices: a real appraisal at constant prices).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twin._errors import TwinError
from twin.economics._runs import Run, centre_of, costs_from, load_runs, timeseries_of
from twin.economics.annual import AnnualLighting, annual_lighting, quantities
from twin.economics.cashflows import (
    ANNUAL_LINES,
    LINES,
    SAVINGS_LINES,
    Purchase,
    appraisal_years,
    capital_flows,
    money,
    purchases,
)
from twin.economics.financing import FinancingModel, compare_financing
from twin.economics.measures import bcr, discount_factors, discounted_payback, irr, payback
from twin.economics.uncertainty import MIN_RESAMPLES, bootstrap_rng, interval, resample_means
from twin.scenario.costs import CostsSpec

__all__ = ["BusinessCase", "Estimate", "Measures", "VariantCase", "business_case", "costs_from"]

PERSPECTIVES = {"city": "City budget", "society": "Society (city, residents, climate)"}


# ------------------------------------------------------------------ results


@dataclass(frozen=True)
class Estimate:
    """A point estimate and its 95% interval (``None`` bounds without one; ``inf`` for "never")."""

    value: float | None
    low: float | None = None
    high: float | None = None

    @property
    def has_interval(self) -> bool:
        return self.low is not None

    def as_dict(self) -> dict[str, Any]:
        def plain(x: float | None) -> float | None:
            return None if x is None or not math.isfinite(x) else float(x)

        return {"value": plain(self.value), "ci": None if self.low is None else [plain(self.low), plain(self.high)]}


@dataclass(frozen=True)
class Measures:
    """One perspective's measures of a variant's business case.

    Attributes
    ----------
    npv_eur
        Net present value at the discount rate.
    irr
        Internal rate of return (a fraction); ``None`` when the NPV never changes sign.
    payback_years, discounted_payback_years
        Years until the (discounted) running sum first reaches 0; ``None``: never.
    bcr
        PV of the lines that gain over PV of the lines that cost (above 1 iff NPV > 0).
    p_npv_positive
        Share of bootstrap resamples with NPV > 0 (``None`` with one pair).
    pv_benefits_eur, pv_costs_eur
        The two sums of the BCR (costs positive).
    """

    npv_eur: Estimate
    irr: Estimate
    payback_years: Estimate
    discounted_payback_years: Estimate
    bcr: Estimate
    p_npv_positive: float | None
    pv_benefits_eur: float
    pv_costs_eur: float

    def as_dict(self) -> dict[str, Any]:
        return {"npv_eur": self.npv_eur.as_dict(), "irr": self.irr.as_dict(), "payback_years": self.payback_years.as_dict(),
                "discounted_payback_years": self.discounted_payback_years.as_dict(), "bcr": self.bcr.as_dict(),
                "p_npv_positive": self.p_npv_positive, "pv_benefits_eur": self.pv_benefits_eur,
                "pv_costs_eur": self.pv_costs_eur}  # fmt: skip


@dataclass
class VariantCase:
    """One variant against the baseline.

    Attributes
    ----------
    variant
        Its name.
    pairs
        Replication pairs with the baseline (same seed, both finished).
    lines
        Per line key: the mean difference in EUR a year (recurring lines) or its present
        value (``capital``, ``residual``), with the 95% interval of recurring ones.
    quantities
        Mean yearly differences in physical units (``lighting_kwh``, ``co2_t``,
        ``travel_h``, ``car_km``).
    cashflows
        Years ``0 ... T`` by line (EUR), the mean over the pairs.
    city, society
        The measures of each perspective.
    financing, bond_schedule
        The financing models of the city's cash flow, and the bond's repayment schedule.
    capital_eur
        What the variant buys in year 0 beyond the baseline.
    bought
        The variant's interventions as bought (of its first paired run).
    """

    variant: str
    pairs: int
    lines: dict[str, dict[str, Any]]
    quantities: dict[str, Estimate]
    cashflows: pd.DataFrame
    city: Measures
    society: Measures
    financing: dict[str, FinancingModel] = field(default_factory=dict)
    bond_schedule: pd.DataFrame | None = None
    capital_eur: float = 0.0
    bought: list[Purchase] = field(default_factory=list)

    def measures(self, perspective: str) -> Measures:
        return self.city if perspective == "city" else self.society


@dataclass
class BusinessCase:
    """The business case of every variant of a batch against its baseline.

    Attributes
    ----------
    sources
        The folders read.
    baseline
        The baseline variant.
    costs
        The prices and rules used.
    years
        Appraisal years ``T`` (cash flows run over years ``0 ... T``).
    resamples, seed
        The bootstrap's resamples and root seed.
    lighting
        Per variant (baseline included): the year's lighting energy by the year's nights,
        the simulated day's, 365 times the day, and the method (means over the runs).
    variants
        One :class:`VariantCase` per variant other than the baseline, in the batch's order.
    notes
        What the reader must know (single pairs, scaled lighting, skipped runs).
    """

    sources: tuple[Path, ...]
    baseline: str
    costs: CostsSpec
    years: int
    resamples: int
    seed: int
    lighting: dict[str, dict[str, Any]]
    variants: list[VariantCase]
    notes: list[str]

    def as_dict(self) -> dict[str, Any]:
        """Everything as JSON-ready data."""
        out: dict[str, Any] = {
            "sources": [str(p) for p in self.sources], "baseline": self.baseline,
            "appraisal_years": self.years, "discount_rate": self.costs.discount_rate,
            "bootstrap": {"resamples": self.resamples, "root_seed": self.seed, "level": 0.95},
            "costs": self.costs.model_dump(mode="json"), "lighting": self.lighting, "notes": list(self.notes),
            "variants": {},
        }  # fmt: skip
        for case in self.variants:
            out["variants"][case.variant] = {
                "pairs": case.pairs,
                "capital_eur": case.capital_eur,
                "bought": [dataclasses.asdict(p) for p in case.bought],
                "city": case.city.as_dict(),
                "society": case.society.as_dict(),
                "lines": case.lines,
                "quantities_per_year": {k: v.as_dict() for k, v in case.quantities.items()},
                "cashflows_eur": {column: [float(x) for x in case.cashflows[column]] for column in case.cashflows},
                "financing": {key: {"label": m.label, "applies": m.applies, "npv_eur": m.npv_eur,
                                    "upfront_eur": m.upfront_eur, "worst_year": m.worst_year, "worst_eur": m.worst_eur,
                                    "feasible": m.feasible, "note": m.note,
                                    "flows_eur": None if m.flows_eur is None else [float(x) for x in m.flows_eur]}
                              for key, m in case.financing.items()},  # fmt: skip
                "bond_schedule": None if case.bond_schedule is None else case.bond_schedule.to_dict(orient="records"),
            }
        return out

    def cashflow_table(self) -> pd.DataFrame:
        """Every cash flow in one long table: ``variant, table, name, year, eur``.

        ``table`` is ``line`` (the business case line by line, and ``city`` and ``society``
        totals) or ``financing`` (the city's net flow under each model that applies).
        """
        rows = []
        for case in self.variants:
            for name in case.cashflows.columns:
                for year, value in enumerate(case.cashflows[name]):
                    rows.append((case.variant, "line", name, year, float(value)))
            for key, model in case.financing.items():
                if model.flows_eur is not None:
                    for year, value in enumerate(model.flows_eur):
                        rows.append((case.variant, "financing", key, year, float(value)))
        return pd.DataFrame(rows, columns=["variant", "table", "name", "year", "eur"])

    def write(self, out: str | os.PathLike) -> tuple[Path, Path]:
        """Write the JSON to ``out`` and the cash flows as CSV beside it (``<stem>-cashflows.csv``), each whole."""
        out = Path(out)
        if out.suffix.lower() != ".json":
            raise TwinError(f"--out {out}: the business case is written as JSON; give a name like economics.json")
        csv_path = out.with_name(f"{out.stem}-cashflows.csv")
        _write_whole(out, (json.dumps(self.as_dict(), indent=2) + "\n").encode("utf-8"))
        _write_whole(csv_path, self.cashflow_table().to_csv(index=False).encode("utf-8"))
        return out, csv_path


def _write_whole(path: Path, data: bytes) -> None:
    """``data`` into a temporary file beside ``path``, then renamed over it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise TwinError(f"--out {path}: cannot write here ({error.strerror}); choose another --out") from None
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


# ------------------------------------------------------------------ the case


def business_case(paths: str | os.PathLike | Sequence[str | os.PathLike], *, overrides: Sequence[str] = (),
                  costs: CostsSpec | None = None, resamples: int = 2000) -> BusinessCase:  # fmt: skip
    """The business case of a batch (or of B against A) in money, with intervals and financing models.

    Parameters
    ----------
    paths
        A batch folder, or two result folders (run or batch), B against A's baseline.
    overrides
        ``costs.KEY=VALUE`` changes to the baseline's ``costs`` section.
    costs
        Instead of the baseline's section: these prices and rules (``overrides`` then unused).
    resamples
        Bootstrap resamples (at least 1000).

    Raises
    ------
    TwinError
        A folder that is not a result, a single run folder, no finished baseline run, or a
        costs key or value the schema refuses.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    if resamples < MIN_RESAMPLES:
        raise TwinError(f"resamples={resamples}: use at least {MIN_RESAMPLES} for stable 95% intervals")
    runs, baseline, variants, seed, notes = load_runs(paths)
    first = next(r for r in runs if r.variant == baseline)
    if costs is None:
        costs = costs_from(first.scenario, overrides, source=f"{Path(paths[0])} (the baseline's costs)")
    centres: dict[str, tuple[float, float]] = {}
    years_of: dict[int, AnnualLighting] = {}
    lines_of: dict[int, dict[str, float]] = {}
    quantity_of: dict[int, dict[str, float]] = {}
    bought_of: dict[int, list[Purchase]] = {}
    for index, run in enumerate(runs):
        timeseries = timeseries_of(run.folder)
        lighting = annual_lighting(timeseries, kpis=run.kpis, scenario=run.scenario, centre_lonlat=centre_of(run, centres),
                                   days=costs.lighting_days)  # fmt: skip
        q = quantities(run.kpis, lighting, scenario=run.scenario, travel_days=costs.travel_days_per_year)
        bought = purchases(run.kpis)
        years_of[index], quantity_of[index], bought_of[index] = lighting, q, bought
        lines_of[index] = money(q, bought, costs, scenario=run.scenario)
    years = appraisal_years(costs, [p for bought in bought_of.values() for p in bought])
    if any(y.method == "scaled" for y in years_of.values()):
        notes.append("Some runs have no lighting_demand_kw (written by an older twin, or shorter than a day): their "
                     "year of lighting is the day's lamp energy scaled by the year's dark hours.")  # fmt: skip
    hidden = sorted({group for run in runs for group, entry in ((run.kpis.get("equity") or {}).get("income") or {}).items()
                     if (entry or {}).get("suppressed")})  # fmt: skip
    if hidden:
        notes.append(f"Income group(s) {', '.join(hidden)} have too few residents to report (outputs.min_group_residents): "
                     "their travel time and payments are left out of the society view.")  # fmt: skip
    lighting = _lighting_summary(runs, years_of)
    by_seed = {(r.variant, r.seed): i for i, r in enumerate(runs)}
    cases = []
    for variant in variants:
        pairs = [(by_seed[(baseline, r.seed)], i) for i, r in enumerate(runs)
                 if r.variant == variant and (baseline, r.seed) in by_seed]  # fmt: skip
        if not pairs:
            notes.append(f"{variant}: no run pairs with a baseline run of the same seed, so it has no business case.")
            continue
        cases.append(_variant_case(variant, pairs, lines_of, quantity_of, bought_of, costs=costs, years=years,
                                   resamples=resamples, seed=seed))  # fmt: skip
        if len(pairs) == 1:
            notes.append(f"{variant}: one pair of runs, so no interval and no P(NPV > 0): run more replications (-r).")
    return BusinessCase(sources=tuple(Path(p) for p in paths), baseline=baseline, costs=costs, years=years,
                        resamples=resamples, seed=seed, lighting=lighting, variants=cases, notes=notes)  # fmt: skip


def _lighting_summary(runs: list[Run], years_of: dict[int, AnnualLighting]) -> dict[str, dict[str, Any]]:
    out = {}
    for variant in dict.fromkeys(r.variant for r in runs):
        mine = [years_of[i] for i, r in enumerate(runs) if r.variant == variant]
        out[variant] = {
            "kwh_year": float(np.mean([y.kwh for y in mine])),
            "kwh_day": float(np.mean([y.kwh_day for y in mine])),
            "kwh_365_days": float(np.mean([y.kwh_day * 365 for y in mine])),
            "dark_hours_year": mine[0].dark_hours,
            "dark_hours_day": mine[0].day_dark_hours,
            "days": mine[0].days,
            "method": ", ".join(sorted({y.method for y in mine})),
        }
    return out


def _variant_case(variant: str, pairs: list[tuple[int, int]], lines_of, quantity_of, bought_of, *, costs: CostsSpec,
                  years: int, resamples: int, seed: int) -> VariantCase:  # fmt: skip
    annual = np.array([[lines_of[v][k] - lines_of[b][k] for k in ANNUAL_LINES] for b, v in pairs])
    capital, residual = np.zeros(years + 1), np.zeros(years + 1)
    for b, v in pairs:
        cap_v, res_v = capital_flows(bought_of[v], years=years, residual_value=costs.residual_value)
        cap_b, res_b = capital_flows(bought_of[b], years=years, residual_value=costs.residual_value)
        capital += (cap_v - cap_b) / len(pairs)
        residual += (res_v - res_b) / len(pairs)
    rate = costs.discount_rate
    discount = discount_factors(rate, years)
    mean = annual.mean(axis=0)
    rng = bootstrap_rng(seed, variant)
    resampled = resample_means(annual, resamples=resamples, rng=rng) if len(pairs) > 1 else None
    table = pd.DataFrame({key: np.r_[0.0, np.full(years, mean[j])] for j, key in enumerate(ANNUAL_LINES)})
    table["capital"], table["residual"] = capital, residual
    table = table[[line.key for line in LINES]]
    city_keys = [line.key for line in LINES if line.perspective == "city"]
    table["city"] = table[city_keys].sum(axis=1)
    table["society"] = table[[line.key for line in LINES]].sum(axis=1)
    measures = {}
    for perspective, keys in (("city", city_keys), ("society", [line.key for line in LINES])):
        measures[perspective] = _measures(mean, resampled, capital, residual, keys, discount, rate)
    lines = {}
    annuity_factor = float(discount[1:].sum())
    for line in LINES:
        if line.key in ANNUAL_LINES:
            j = ANNUAL_LINES.index(line.key)
            ci = None if resampled is None else list(interval(resampled[:, j]))
            lines[line.key] = {"label": line.label, "perspective": line.perspective, "eur_per_year": float(mean[j]),
                               "ci": ci, "pv_eur": float(mean[j] * annuity_factor)}  # fmt: skip
        else:
            flows = capital if line.key == "capital" else residual
            lines[line.key] = {"label": line.label, "perspective": line.perspective, "eur_per_year": None, "ci": None,
                               "pv_eur": float(flows @ discount)}  # fmt: skip
    physical = _physical(pairs, quantity_of, seed=seed, variant=variant, resamples=resamples)
    capital_eur = float(max(-capital[0], 0.0))
    savings = table[list(SAVINGS_LINES)].sum(axis=1).to_numpy()
    cash = (table["city"] - table["residual"]).to_numpy()  # the residual value is not cash
    financing, schedule = compare_financing(cash, capital_eur=capital_eur, savings_eur=savings, terms=costs.financing,
                                            discount_rate=rate)  # fmt: skip
    return VariantCase(variant=variant, pairs=len(pairs), lines=lines, quantities=physical, cashflows=table,
                       city=measures["city"], society=measures["society"], financing=financing, bond_schedule=schedule,
                       capital_eur=capital_eur, bought=bought_of[pairs[0][1]])  # fmt: skip


def _measures(mean: np.ndarray, resampled: np.ndarray | None, capital: np.ndarray, residual: np.ndarray,
              keys: list[str], discount: np.ndarray, rate: float) -> Measures:  # fmt: skip
    """The measures of one perspective (its line ``keys``) at the mean and over the resamples."""
    columns = [ANNUAL_LINES.index(k) for k in keys if k in ANNUAL_LINES]
    fixed = [flows for name, flows in (("capital", capital), ("residual", residual)) if name in keys]
    annuity_factor = discount[1:].sum()
    fixed_pv = np.array([flows @ discount for flows in fixed])

    def evaluate(means: np.ndarray) -> dict[str, np.ndarray]:
        means = np.atleast_2d(means)
        recurring = means[:, columns].sum(axis=1)
        flows = np.zeros((len(means), discount.size))
        flows[:, 1:] = recurring[:, None]
        for extra in fixed:
            flows += extra[None, :]
        pv_lines = np.column_stack([means[:, columns] * annuity_factor, np.broadcast_to(fixed_pv, (len(means), len(fixed)))])
        return {"npv": flows @ discount, "irr": irr(flows), "payback": payback(flows), "total": flows.sum(axis=1),
                "discounted": discounted_payback(flows, rate), "bcr": bcr(pv_lines), "pv": pv_lines}  # fmt: skip

    point = evaluate(mean)
    pv = point["pv"][0]
    benefits, costs_ = float(np.clip(pv, 0, None).sum()), float(-np.clip(pv, None, 0).sum())
    sums = point["npv"], point["irr"], point["payback"], point["discounted"], point["bcr"]
    values = [float(x[0]) for x in sums]
    values = [None if (math.isnan(v) or math.isinf(v)) else v for v in values]
    if resampled is None:
        estimates = [Estimate(v) for v in values]
        chance = None
    else:
        spread = evaluate(resampled)
        irrs = spread["irr"].copy()
        missing = np.isnan(irrs)
        # No IRR in a resample: its NPV has one sign at every rate, so its IRR lies below any
        # rate (it never repays) or above any (it costs nothing); percentiles keep that order.
        irrs[missing] = np.where(spread["total"][missing] < 0, -np.inf, np.inf)
        bcrs = np.where(np.isnan(spread["bcr"]), np.inf, spread["bcr"])  # nothing costs: all gain
        estimates = [Estimate(values[0], *interval(spread["npv"])), Estimate(values[1], *interval(irrs)),
                     Estimate(values[2], *interval(spread["payback"])),
                     Estimate(values[3], *interval(spread["discounted"])), Estimate(values[4], *interval(bcrs))]  # fmt: skip
        chance = float(np.mean(spread["npv"] > 0))
    return Measures(npv_eur=estimates[0], irr=estimates[1], payback_years=estimates[2],
                    discounted_payback_years=estimates[3], bcr=estimates[4], p_npv_positive=chance,
                    pv_benefits_eur=benefits, pv_costs_eur=costs_)  # fmt: skip


def _physical(pairs, quantity_of, *, seed: int, variant: str, resamples: int) -> dict[str, Estimate]:
    """Mean yearly differences in physical units, with their intervals."""
    names = {"lighting_kwh": lambda q: q["lighting_kwh"],
             "co2_t": lambda q: (q["lighting_co2_kg"] + q["traffic_co2_kg"]) / 1000.0,
             "travel_h": lambda q: sum(q[f"travel_h.{g}"] for g in ("low", "middle", "high")),
             "car_km": lambda q: q["car_km"]}  # fmt: skip
    diffs = np.array([[get(quantity_of[v]) - get(quantity_of[b]) for get in names.values()] for b, v in pairs])
    mean = diffs.mean(axis=0)
    if len(pairs) == 1:
        return {name: Estimate(float(mean[j])) for j, name in enumerate(names)}
    resampled = resample_means(diffs, resamples=resamples, rng=bootstrap_rng(seed, variant + "/quantities"))
    return {name: Estimate(float(mean[j]), *interval(resampled[:, j])) for j, name in enumerate(names)}
