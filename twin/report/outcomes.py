"""Sections 2 and 5: the headline outcomes with 95% intervals, and who gains or loses.

The numbers are the summary's (:func:`twin.experiment.statistics.summarize`), shown rounded;
each number's cell keeps the exact value in ``data-value``. A change reads in words
("lower, and the 95% interval excludes zero"); with one run per variant there is no
interval, and the tables say so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from twin.report._format import Kpi, finite, kpi, number, percent, sentence_case, signed
from twin.report.sections import Bullets, Cell, Paragraph, Section, Table

if TYPE_CHECKING:
    from twin.report.build import Context

__all__ = ["EQUITY_MEASURES", "change_phrase", "equity_section", "headline_kpis", "headline_section", "key_findings"]

EQUITY_MEASURES = {
    "mean_daily_travel_min": Kpi("mean_daily_travel_min", "Minutes travelling a day per resident", "min"),
    "mean_daily_paid_eur": Kpi("mean_daily_paid_eur", "Money paid for travel a day per resident (fares, tolls, bundle)",
                               "EUR"),
    "arrived_share": Kpi("arrived_share", "Share of the group's trips that arrived", "% of trips", 100.0,
                         "percentage points"),
}  # fmt: skip
#: A clear change smaller than this share of the baseline is called negligible (0.1%).
NEGLIGIBLE = 0.001
_GROUPS = {"income": ("income group", ("low", "middle", "high")), "smartphone": ("smartphone", ("yes", "no"))}


def headline_kpis(summary: pd.DataFrame) -> list[str]:
    """The headline KPIs a report shows: :data:`HEADLINE_KPIS`, service ones only when some variant has them."""
    from twin.experiment.statistics import HEADLINE_KPIS, SERVICE_KPIS

    names = []
    for name in HEADLINE_KPIS:
        rows = summary[summary["kpi"] == name]
        if not len(rows) or (name in SERVICE_KPIS and not (rows["mean"].fillna(0) != 0).any()):
            continue
        names.append(name)
    return names


def _row(summary: pd.DataFrame, variant: str, name: str) -> pd.Series | None:
    rows = summary[(summary["variant"] == variant) & (summary["kpi"] == name)]
    return rows.iloc[0] if len(rows) else None


def _value(row: pd.Series | None, column: str, scale: float) -> Cell:
    value = None if row is None else row[column]
    return Cell(number(value * scale if finite(value) else None), value if finite(value) else None)


def change_phrase(row: pd.Series, spec: Kpi) -> str:
    """A variant's change of a KPI in words: "39% lower (95% CI 38% to 40%)" or "+0.6 percentage points"."""
    rel, base = row["rel_change"], row["baseline_mean"]
    word = "lower" if row["diff_mean"] < 0 else "higher"
    if spec.scale == 100.0 or not finite(rel):  # shares: points, not a percentage of a percentage
        text = f"{signed(row['diff_mean'] * spec.scale)} {spec.delta_unit}"
        if finite(row["ci_low"]):
            text += f" (95% CI {signed(row['ci_low'] * spec.scale)} to {signed(row['ci_high'] * spec.scale)})"
        return text
    text = f"{percent(abs(rel), digits=3)} {word}"
    if finite(row["ci_low"]) and finite(base) and base != 0:
        low, high = sorted((abs(row["ci_low"] / base), abs(row["ci_high"] / base)))
        if (row["ci_low"] > 0) == (row["ci_high"] > 0):
            text += f" (95% CI {percent(low, digits=3)} to {percent(high, digits=3)})"
    return text


def _clear(row: pd.Series) -> bool:
    return row["n_pairs"] >= 2 and finite(row["ci_low"]) and (row["ci_low"] > 0 or row["ci_high"] < 0)


def key_findings(summary: pd.DataFrame, *, baseline: str, kpis: list[str]) -> list[str]:
    """Per variant, its clear changes (interval excluding zero), largest relative change first."""
    findings = []
    for variant in dict.fromkeys(summary["variant"]):
        if variant == baseline:
            continue
        rows = summary[(summary["variant"] == variant) & summary["kpi"].isin(kpis) & (summary["n_pairs"] > 0)]
        if not len(rows):
            findings.append(f"{variant}: no run pairs with the baseline, so nothing can be compared.")
            continue
        single = int(rows["n_pairs"].max()) < 2
        chosen = rows if single else rows[rows.apply(_clear, axis=1)]
        chosen = chosen[chosen["diff_mean"] != 0]
        order = chosen.assign(size=chosen["rel_change"].abs().fillna(chosen["diff_mean"].abs())).sort_values(
            "size", ascending=False)  # fmt: skip
        phrases = [f"{sentence_case(kpi(r.kpi).label)} {change_phrase(r, kpi(r.kpi))}"
                   for _, r in order.head(4).iterrows()]  # fmt: skip
        if single:
            note = " (one run each: no interval, so none of this is a measured certainty)"
            findings.append(f"{variant}: " + ("; ".join(phrases) or "no change in the headline figures") + "." + note)
        elif phrases:
            others = len(rows) - len(chosen)
            tail = f" The other {others} headline figures show no clear change." if others else ""
            findings.append(f"{variant}: " + "; ".join(phrases) + "." + tail)
        else:
            findings.append(f"{variant}: no headline figure changes clearly (every 95% interval includes zero).")
    return findings


def headline_section(context: Context) -> Section:
    """Per headline KPI, the baseline's value and each variant's change with its 95% CI and a verdict."""
    results = context.results
    summary = results.summary
    names = headline_kpis(summary)
    blocks: list = []
    if not results.others:
        rows = []
        for name in names:
            spec = kpi(name)
            row = _row(summary, results.baseline, name)
            rows.append((Cell(spec.label), _value(row, "mean", spec.scale), Cell(spec.unit)))
        runs = len(results.ok)
        what = "One run" if runs == 1 else f"The baseline alone, {runs} runs (their mean)"
        blocks.append(Paragraph(f"{what}, nothing to compare it with: these are its figures. Give two run folders or "
                                "a batch with variants to see changes with confidence intervals.",
                                tone="lead"))  # fmt: skip
        blocks.append(Table(caption=f"Headline figures of {results.baseline}", columns=("Figure", "Value", "Unit"),
                            rows=tuple(rows)))  # fmt: skip
        return Section(id="outcomes", title="Headline outcomes", blocks=tuple(blocks))
    n = int(summary.loc[summary["variant"] != results.baseline, "n_pairs"].max())
    lead = ("Each variant against the baseline, run by run with the same seeds. The 95% confidence interval is a "
            "range drawn so that it holds the true change 19 times in 20 (for this model and its assumptions); a "
            "change whose interval excludes zero is unlikely to be chance.") if n >= 2 else (
            "One run of each variant (n = 1): the changes below are single differences and no confidence interval "
            "is possible; run a batch with replications (-r 5) to know how sure they are.")  # fmt: skip
    if n == 0:
        lead = ("No variant has a run paired with a finished baseline run (same seed), so no change can be "
                "measured; the table shows each variant's own mean where it has one. See the failed runs above.")
    blocks.append(Paragraph(lead, tone="lead"))
    blocks.append(Bullets(items=tuple(key_findings(summary, baseline=results.baseline, kpis=names))))
    rows = []
    for name in names:
        spec = kpi(name)
        base = _row(summary, results.baseline, name)
        cells = [Cell(f"{spec.label} ({spec.unit})"), _value(base, "mean", spec.scale)]
        for variant in results.others:
            row = _row(summary, variant, name)
            if row is not None and not finite(row["diff_mean"]) and finite(row["mean"]):
                # A figure only the variant has (a shuttle's wait): its level, not a change.
                cells.append(Cell(f"{number(row['mean'] * spec.scale)} {spec.unit} (the baseline has none)",
                                  row["mean"]))  # fmt: skip
            else:
                cells.append(Cell("-") if row is None else _change_cell(row, spec))
        rows.append(tuple(cells))
    blocks.append(Table(
        caption="Headline figures: the baseline's mean, and each variant's change with its 95% confidence interval",
        columns=("Figure", f"{results.baseline} (baseline)", *(f"{v}: change [95% CI]" for v in results.others)),
        rows=tuple(rows),
        note="The words after each interval say whether the change is clear (its 95% interval excludes zero) and "
             "call a clear change under 0.1% of the baseline negligible. Relative changes are against the "
             "baseline's mean; changes of shares are in percentage points. Runs per variant: "
             + ", ".join(f"{v} {int(_runs(summary, v))}" for v in [results.baseline, *results.others]) + "."))
    return Section(id="outcomes", title="Headline outcomes with 95% confidence intervals", blocks=tuple(blocks))


def equity_section(context: Context) -> Section:
    """Per income group and by smartphone access: travel minutes, money paid and trips arrived, and their changes."""
    results = context.results
    summary = results.summary
    blocks: list = []
    if not summary["kpi"].str.startswith("equity.").any():
        blocks.append(Paragraph("No equity figures: the runs used a trip table, which has no residents to group.",
                                tone="note"))  # fmt: skip
        return Section(id="equity", title="Who gains and who loses", blocks=tuple(blocks))
    blocks.append(Paragraph("The same figures for groups of residents: by income group, and by whether they have a "
                            "smartphone (app-only services leave out those without). Minutes count the trips that "
                            "arrived, so read them with the share of trips that arrived.", tone="lead"))  # fmt: skip
    for dimension, (label, groups) in _GROUPS.items():
        for measure, spec in EQUITY_MEASURES.items():
            rows = []
            for group in groups:
                name = f"equity.{dimension}.{group}.{measure}"
                residents = _row(summary, results.baseline, f"equity.{dimension}.{group}.residents")
                base = _row(summary, results.baseline, name)
                if base is None:
                    continue
                cells = [Cell(group), _value(residents, "mean", 1.0), _value(base, "mean", spec.scale)]
                for variant in results.others:
                    row = _row(summary, variant, name)
                    cells.append(Cell("-") if row is None else _equity_cell(row, spec))
                rows.append(tuple(cells))
            if rows:
                columns = (label.capitalize(), "Residents", f"{results.baseline} ({spec.unit})",
                           *(f"{v}: change ({spec.delta_unit}) [95% CI]" for v in results.others))  # fmt: skip
                blocks.append(Table(caption=f"{spec.label}, by {label}", columns=columns, rows=tuple(rows)))
    from twin.report.plots import equity_figures

    blocks.extend(equity_figures(context))
    return Section(id="equity", title="Who gains and who loses", blocks=tuple(blocks))


def _runs(summary: pd.DataFrame, variant: str) -> int:
    rows = summary[summary["variant"] == variant]
    return int(rows["n"].max()) if len(rows) else 0


def _change_cell(row: pd.Series, spec: Kpi) -> Cell:
    """A variant's change of a headline figure: "-205 (-39%) [-206 to -204] lower"."""
    diff = row["diff_mean"]
    if not finite(diff):
        return Cell("-")
    if diff == 0 and (not finite(row["diff_sd"]) or row["diff_sd"] == 0):
        return Cell("no change", 0.0)
    text = signed(diff * spec.scale)
    if spec.scale != 100.0 and finite(row["rel_change"]):
        text += f" ({percent(row['rel_change'], signed_=True)})"
    if row["n_pairs"] >= 2 and finite(row["ci_low"]):
        text += f" [{signed(row['ci_low'] * spec.scale)} to {signed(row['ci_high'] * spec.scale)}]"
        if not _clear(row):
            text += " no clear change"
        elif finite(row["rel_change"]) and abs(row["rel_change"]) < NEGLIGIBLE:
            text += " lower, but negligible" if diff < 0 else " higher, but negligible"
        else:
            text += " lower" if diff < 0 else " higher"
    else:
        text += " (one run: no interval)"
    return Cell(text, diff)


def _equity_cell(row: pd.Series, spec: Kpi) -> Cell:
    diff = row["diff_mean"]
    if not finite(diff):
        return Cell("-")
    if diff == 0 and (not finite(row["diff_sd"]) or row["diff_sd"] == 0):
        return Cell("0 (no change)", 0.0)
    text = signed(diff * spec.scale)
    if row["n_pairs"] >= 2 and finite(row["ci_low"]):
        text += f" [{signed(row['ci_low'] * spec.scale)} to {signed(row['ci_high'] * spec.scale)}]"
        text += "" if _clear(row) else " (no clear change)"
    return Cell(text, diff)
