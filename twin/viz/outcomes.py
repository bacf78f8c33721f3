"""What a batch found: KPI changes against the baseline, mode shares, and who gains or loses.

Every function takes the summary table of :func:`twin.experiment.statistics.summarize`
(``summary.csv``): one row per variant and KPI with the mean, and for the variants other
than the baseline the paired difference ``diff_mean`` with its 95% confidence interval
``ci_low``..``ci_high`` (NaN with one replication).

One reading rule runs through the figures: a change whose 95% interval excludes zero is
drawn solid; one whose interval includes zero is drawn faded with a dashed edge, and a note
under the figure says why. Variants keep their colour and hatch from
:func:`twin.viz.style.variant_style` (the baseline is variant 0) in every figure.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from twin.viz.style import MODE_COLOURS, MODE_HATCHES, OKABE_ITO, variant_style

__all__ = ["plot_equity", "plot_kpi_changes", "plot_mode_shares"]

MODE_ORDER = ("car", "bike", "walk", "transit", "drt")
_MODE_NAMES = {"car": "car", "bike": "bike", "walk": "walk", "transit": "bus/tram", "drt": "shuttle (on demand)"}

# Known equity dimensions and groups in reading order; others follow in the order of the table.
_DIMENSIONS = ("income", "smartphone", "age", "district")
_GROUP_ORDER = {"income": ("low", "middle", "high"), "smartphone": ("yes", "no")}
_DIMENSION_TITLES = {"income": "By income", "smartphone": "By smartphone access", "age": "By age",
                     "district": "By district"}  # fmt: skip
_GROUP_NAMES = {("income", "low"): "low income", ("income", "middle"): "middle income",
                ("income", "high"): "high income", ("smartphone", "yes"): "with smartphone",
                ("smartphone", "no"): "no smartphone"}  # fmt: skip

_LABEL_BOX = {"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.85, "edgecolor": "none"}
_MINUS = "\u2212"  # a true minus sign, as wide as the plus
_FADED_ALPHA = 0.3
_WIDE_PERCENT = 6.0  # mode share segments at least this wide carry their percentage
_SUMMARY_NEEDS = ("variant", "kpi", "mean")
_CHANGE_NEEDS = ("n_pairs", "diff_mean", "ci_low", "ci_high")


def _check(summary: pd.DataFrame, needed: Sequence[str]) -> None:
    if not isinstance(summary, pd.DataFrame):
        raise ValueError(f"`summary` must be a pandas DataFrame (summarize's table), not {type(summary).__name__}")
    missing = [column for column in needed if column not in summary.columns]
    if missing:
        raise ValueError(f"`summary` lacks the column(s) {missing}; give the table of "
                         "twin.experiment.statistics.summarize (a batch's summary.csv)")  # fmt: skip


def _variants(summary: pd.DataFrame, baseline: str) -> list[str]:
    """The variants in order of first appearance, the baseline first."""
    names = list(dict.fromkeys(summary["variant"].astype(str)))
    if baseline not in names:
        raise ValueError(f"baseline {baseline!r} is not a variant of `summary`; its variants are {names}")
    return [baseline] + [name for name in names if name != baseline]


def _lookup(summary: pd.DataFrame) -> dict[tuple[str, str], pd.Series]:
    return {(str(row.variant), str(row.kpi)): row for row in summary.itertuples(index=False)}


def _fmt(value: float, *, signed: bool = False, digits: int = 3) -> str:
    """A number for a label: ``digits`` significant digits, thousands separated, a true minus sign."""
    if value is None or not np.isfinite(value):
        return "n/a"
    if value == 0:
        text = "0"
    elif abs(value) >= 1000:
        text = f"{value:+,.0f}" if signed else f"{value:,.0f}"
    else:
        decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(value)))))
        text = f"{value:+.{decimals}f}" if signed else f"{value:.{decimals}f}"
    return text.replace("-", _MINUS)


def _unit(label: str) -> str | None:
    """The unit in a label's closing parentheses: "Lighting energy (kWh/day)" -> "kWh/day"."""
    match = re.search(r"\(([^()]*)\)\s*$", label)
    return match.group(1) if match else None


def _clear(low: float, high: float) -> bool:
    """Whether a confidence interval excludes zero."""
    return bool(np.isfinite(low) and np.isfinite(high) and (low > 0 or high < 0))


def _faded(low: float, high: float) -> bool:
    """Whether a change is drawn faded: its interval exists and includes zero (and is not exactly 0)."""
    return bool(np.isfinite(low) and np.isfinite(high) and low <= 0 <= high and (low, high) != (0, 0))


def _bar_style(index: int, *, faded: bool) -> dict:
    style = variant_style(index)
    return {"facecolor": to_rgba(style.colour, _FADED_ALPHA if faded else 1.0), "hatch": style.hatch,
            "edgecolor": "black", "linewidth": 0.8, "linestyle": "--" if faded else "-"}  # fmt: skip


def _message(title: str, text: str, *, figsize: tuple[float, float] = (7.0, 2.5)) -> Figure:
    """A figure that says in words why there is nothing to draw."""
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.5, "\n".join(textwrap.wrap(text, 70)), ha="center", va="center", fontsize=10,
            transform=ax.transAxes)  # fmt: skip
    fig.suptitle(title)
    return fig


def _note(fig: Figure, text: str) -> None:
    """A grey note under the figure, wrapped to its width."""
    width = int(fig.get_figwidth() * 15)
    fig.supxlabel("\n".join(textwrap.wrap(text, width)), fontsize=8, color="0.25")


def _interval_note(rows: Sequence, baseline: str) -> str:
    """The note under a figure of changes: what bars and whiskers are, and the faded rule."""
    pairs = sorted({int(row.n_pairs) for row in rows if np.isfinite(row.diff_mean)})
    with_ci = [row for row in rows if np.isfinite(row.ci_low) and np.isfinite(row.ci_high)]
    runs = f"{pairs[0]}" if len(pairs) == 1 else f"{pairs[0]}-{pairs[-1]}" if pairs else "0"
    if not with_ci:
        return (f"Bars: difference to {baseline}, {runs} run(s) each; no confidence interval with one run, "
                "so a small difference may be chance.")  # fmt: skip
    note = f"Bars: mean difference to {baseline} over {runs} paired runs; whiskers: 95% confidence interval."
    if any(_faded(row.ci_low, row.ci_high) for row in with_ci):
        note += " Faded, dashed bars: the interval includes\u00a00, the change may be chance."
    return note


def _ci_errorbar(ax, positions: np.ndarray, rows: Sequence, *, horizontal: bool) -> None:
    """Whiskers from ``ci_low`` to ``ci_high`` around each ``diff_mean`` (none where NaN)."""
    diff = np.array([row.diff_mean for row in rows], dtype=float)
    low = np.array([row.ci_low for row in rows], dtype=float)
    high = np.array([row.ci_high for row in rows], dtype=float)
    has = np.isfinite(low) & np.isfinite(high) & np.isfinite(diff)
    if not has.any():
        return
    error = np.vstack([diff[has] - low[has], high[has] - diff[has]])
    xy = (diff[has], positions[has]) if horizontal else (positions[has], diff[has])
    ax.errorbar(*xy, **{"xerr" if horizontal else "yerr": error}, fmt="none", ecolor="black", elinewidth=1.3,
                capsize=4, capthick=1.3, zorder=4, label="_95% CI")  # fmt: skip


def plot_kpi_changes(summary: pd.DataFrame, *, kpis: Mapping[str, str], baseline: str, title: str,
                     ncols: int = 3) -> Figure:  # fmt: skip
    """Small multiples of each variant's change against the baseline, one panel per KPI.

    A horizontal bar per variant shows ``diff_mean`` with its 95% CI as whiskers and a label
    with the change and the relative change; the zero line is labelled with the baseline's
    own value. Bars whose interval includes zero are faded with a dashed edge.

    Parameters
    ----------
    summary
        The table of :func:`twin.experiment.statistics.summarize`.
    kpis
        KPI column to panel title with unit, e.g. ``{"energy.lighting_kwh": "Lighting
        energy (kWh/day)"}``, in the order of the panels. KPIs the summary lacks (or with
        no difference for any variant) are skipped.
    baseline
        The baseline variant.
    title
        What the reader should see, e.g. "Adaptive lighting saves 39% of lighting energy;
        travel is unchanged".
    ncols
        Panels per row at most.

    Returns
    -------
    matplotlib.figure.Figure
        With a message instead of panels when there is nothing to compare.

    Raises
    ------
    ValueError
        If columns are missing or ``baseline`` is not in the summary.
    """
    _check(summary, _SUMMARY_NEEDS + _CHANGE_NEEDS)
    names = _variants(summary, baseline)
    others = names[1:]
    rows = _lookup(summary)
    panels = [kpi for kpi in kpis
              if any((v, kpi) in rows and np.isfinite(rows[v, kpi].diff_mean) for v in others)]  # fmt: skip
    if not others:
        return _message(title, f"Only the baseline {baseline!r} was run: there is no variant to compare it with. "
                               "Run a batch with one or more --variant scenarios.")  # fmt: skip
    if not panels:
        return _message(title, f"None of the KPIs {list(kpis)} has a difference to {baseline!r} in this summary.")
    ncols = max(1, min(ncols, len(panels)))
    nrows = math.ceil(len(panels) / ncols)
    height = nrows * (0.42 * len(others) + 1.5) + 0.9
    fig = Figure(figsize=(3.4 * ncols + 1.6, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharey=True, squeeze=False)
    positions = np.arange(len(others), dtype=float)
    shown = []
    for ax, kpi in zip(axes.flat, panels):
        mine = [rows.get((v, kpi)) for v in others]
        mine = [row if row is not None else _empty_row() for row in mine]
        shown += mine
        for j, (name, row) in enumerate(zip(others, mine)):
            ax.barh(positions[j], np.nan_to_num(row.diff_mean), height=0.62,
                    **_bar_style(names.index(name), faded=_faded(row.ci_low, row.ci_high)))  # fmt: skip
        _ci_errorbar(ax, positions, mine, horizontal=True)
        _label_changes(ax, positions, mine)
        ax.axvline(0, color="black", lw=1.1, zorder=3)
        base = rows.get((baseline, kpi))
        if base is not None and np.isfinite(base.mean):
            _label_zero(ax, f"baseline {_fmt(base.mean)}")
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
        label = kpis[kpi]
        unit = _unit(label)
        ax.set_title("\n".join(textwrap.wrap(label, 34)), fontsize=10)
        ax.set_xlabel(f"change ({unit})" if unit else "change")
        ax.grid(axis="x", alpha=0.3)
    for ax in axes.flat[len(panels):]:
        ax.set_axis_off()
    first = axes[0, 0]
    first.set_yticks(positions, ["\n".join(textwrap.wrap(name, 18)) for name in others])
    first.set_ylim(len(others) - 0.45, -1.1)  # the row above the first bar holds the baseline's value
    fig.suptitle(title)
    _note(fig, _interval_note(shown, baseline))
    return fig


def _empty_row():
    return pd.Series({"diff_mean": np.nan, "ci_low": np.nan, "ci_high": np.nan, "rel_change": np.nan,
                      "n_pairs": 0})  # fmt: skip


def _label_changes(ax, positions: np.ndarray, rows: Sequence) -> None:
    """Write each change (and relative change) beyond its bar and whisker; widen the axis for them."""
    ends = [0.0]
    for row in rows:
        ends += [v for v in (row.diff_mean, row.ci_low, row.ci_high) if np.isfinite(v)]
    low, high = min(ends), max(ends)
    span = (high - low) or 1.0
    # A label takes about a third of a panel's width: leave that much beyond the bars on their side.
    ax.set_xlim(low - (0.75 * span if low < 0 else 0.08 * span), high + (0.75 * span if high > 0 else 0.08 * span))
    for y, row in zip(positions, rows):
        diff = row.diff_mean
        if not np.isfinite(diff):
            continue
        low = row.ci_low if np.isfinite(row.ci_low) else diff
        high = row.ci_high if np.isfinite(row.ci_high) else diff
        if diff == 0 and low == 0 and high == 0:
            text = "no change"
        else:
            text = _fmt(diff, signed=True)
            rel = getattr(row, "rel_change", np.nan)
            if np.isfinite(rel) and diff != 0:
                text += f" ({_fmt(100 * rel, signed=True, digits=2)}%)"
        right = diff > 0 or (diff == 0 and ax.get_xlim()[1] > -ax.get_xlim()[0])
        ax.annotate(text, xy=(max(high, diff) if right else min(low, diff), y), xytext=(5 if right else -5, 0),
                    textcoords="offset points", ha="left" if right else "right", va="center", fontsize=8,
                    zorder=5)  # fmt: skip


def _label_zero(ax, text: str) -> None:
    """Write ``text`` at the top of the zero line, on the side with more room."""
    xmin, xmax = ax.get_xlim()
    where = (0 - xmin) / (xmax - xmin)
    ha, dx = ("right", -3) if where > 0.6 else ("left", 3) if where < 0.4 else ("center", 0)
    ax.annotate(text, xy=(0, 1), xycoords=("data", "axes fraction"), xytext=(dx, -3), textcoords="offset points",
                ha=ha, va="top", fontsize=8, bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none", "pad": 1})


def _mode_kpis(summary: pd.DataFrame) -> list[str]:
    """The modes of the ``mode_shares.*`` rows: known ones in their order, then the others."""
    found = list(dict.fromkeys(k[len("mode_shares."):] for k in summary["kpi"].astype(str)
                               if k.startswith("mode_shares.")))  # fmt: skip
    return [m for m in MODE_ORDER if m in found] + [m for m in found if m not in MODE_ORDER]


def plot_mode_shares(summary: pd.DataFrame, *, baseline: str, title: str) -> Figure:
    """One stacked horizontal bar of the mode shares per variant, the baseline on top.

    Modes are coloured and hatched after :data:`~twin.viz.style.MODE_COLOURS` and
    :data:`~twin.viz.style.MODE_HATCHES`; modes no variant uses are left out; segments of
    at least 6% carry their percentage. Each variant's label gives the change of its car
    share against the baseline in percentage points with its 95% CI.

    Parameters
    ----------
    summary
        The table of :func:`twin.experiment.statistics.summarize` with ``mode_shares.<mode>``
        rows (mean shares 0..1).
    baseline
        The baseline variant.
    title
        What the reader should see, e.g. "With MaaS, 2% of trips move to shuttles and buses".

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If columns or the ``mode_shares.*`` rows are missing, or ``baseline`` is not in the summary.
    """
    _check(summary, _SUMMARY_NEEDS)
    names = _variants(summary, baseline)
    modes = _mode_kpis(summary)
    if not modes:
        raise ValueError("`summary` has no mode_shares.<mode> rows; summarise the runs with the KPIs mode_shares.*")
    rows = _lookup(summary)
    share = np.array([[rows[v, f"mode_shares.{m}"].mean if (v, f"mode_shares.{m}") in rows else np.nan
                       for m in modes] for v in names], dtype=float) * 100  # fmt: skip
    used = np.nansum(share, axis=0) > 0
    modes, share = [m for m, u in zip(modes, used) if u], np.nan_to_num(share[:, used])
    fig = Figure(figsize=(9.0, 1.6 + 0.75 * len(names)), layout="constrained")
    ax = fig.add_subplot()
    positions = np.arange(len(names), dtype=float)
    left = np.zeros(len(names))
    spare = iter(OKABE_ITO[1:])
    narrow: list[list[str]] = [[] for _ in names]
    for k, mode in enumerate(modes):
        colour = MODE_COLOURS.get(mode) or next(spare, "0.5")
        ax.barh(positions, share[:, k], left=left, height=0.6, color=colour, hatch=MODE_HATCHES.get(mode, "++"),
                edgecolor="white", linewidth=0.8, label=_MODE_NAMES.get(mode, mode))  # fmt: skip
        for y, x0, width in zip(positions, left, share[:, k]):
            if width >= _WIDE_PERCENT:
                ax.text(x0 + width / 2, y, f"{width:.0f}%", ha="center", va="center", fontsize=9, bbox=_LABEL_BOX)
        for i, width in enumerate(share[:, k]):
            if 0 < width < _WIDE_PERCENT:
                narrow[i].append(f"{_MODE_NAMES.get(mode, mode)} {width:.1f}%")
        left += share[:, k]
    # Segments too narrow for their percentage get it in a line under the bar's right end.
    for y, end, words in zip(positions, left, narrow):
        if words:
            ax.text(end, y + 0.33, ", ".join(words), ha="right", va="top", fontsize=8)
    ax.set_yticks(positions, [_mode_label(name, baseline, rows) for name in names], fontsize=9)
    ax.set_ylim(len(names) - 0.45, -0.45)
    ax.set_xlim(0, max(100.0, float(left.max(initial=0))))
    ax.set_xlabel("share of trips (%)")
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    fig.legend(loc="outside lower center", ncols=len(modes), frameon=False, fontsize=9)
    fig.suptitle(title)
    return fig


def _mode_label(name: str, baseline: str, rows: Mapping) -> str:
    """A variant's name, and its car share's change in percentage points with the 95% CI."""
    wrapped = "\n".join(textwrap.wrap(name, 26))
    if name == baseline:
        return f"{wrapped}\n(baseline)"
    row = rows.get((name, "mode_shares.car"))
    if row is None or not np.isfinite(getattr(row, "diff_mean", np.nan)):
        return wrapped
    points = [100 * v for v in (row.diff_mean, row.ci_low, row.ci_high)]
    if all(v == 0 for v in points):
        return f"{wrapped}\ncar share unchanged"
    change = f"car share {points[0]:+.1f} pp"
    if np.isfinite(points[1]) and np.isfinite(points[2]):
        change += f" (CI {points[1]:+.1f} to {points[2]:+.1f})"
    return wrapped + "\n" + change.replace("-", _MINUS)


def _equity_rows(summary: pd.DataFrame, measure: str) -> dict[str, list[str]]:
    """Dimension -> groups of the ``equity.<dimension>.<group>.<measure>`` rows, in reading order."""
    kpis = summary["kpi"].astype(str)
    equity = kpis[kpis.str.startswith("equity.")]
    suffix = f".{measure}"
    found: dict[str, list[str]] = {}
    for kpi in dict.fromkeys(equity):
        if not kpi.endswith(suffix):
            continue
        dimension, _, group = kpi[len("equity."):-len(suffix)].partition(".")
        if dimension and group:
            found.setdefault(dimension, []).append(group)
    if not found and len(equity):
        measures = sorted({k.rsplit(".", 1)[-1] for k in equity})
        raise ValueError(f"`summary` has no equity rows for the measure {measure!r}; it has {measures}")
    order = [d for d in _DIMENSIONS if d in found] + [d for d in found if d not in _DIMENSIONS]
    result = {}
    for dimension in order:
        groups = list(dict.fromkeys(found[dimension]))
        known = _GROUP_ORDER.get(dimension, ())
        result[dimension] = [g for g in known if g in groups] + [g for g in groups if g not in known]
    return result


def plot_equity(summary: pd.DataFrame, *, measure: str, label: str, baseline: str, title: str) -> Figure:
    """One panel per equity dimension (income, smartphone access, ...): a value per group.

    With variants, grouped bars of each variant's change against the baseline with 95% CI
    per group (the baseline's level is written under each group); with the baseline only
    (a single run or a batch without variants), the level of each group (with the 95% CI of
    its mean when there are replications).

    Parameters
    ----------
    summary
        The table of :func:`twin.experiment.statistics.summarize`; the rows used are
        ``equity.<dimension>.<group>.<measure>``. Dimensions and groups are found in the
        KPI names; known ones (income low, middle, high; smartphone yes, no) keep their order.
    measure
        The measure, e.g. ``"mean_daily_travel_min"``, ``"mean_daily_paid_eur"``,
        ``"arrived_share"``.
    label
        The measure's name with unit, e.g. "Travel time per resident (min/day)".
    baseline
        The baseline variant.
    title
        What the reader should see, e.g. "MaaS shortens travel for smartphone owners only".

    Returns
    -------
    matplotlib.figure.Figure
        With a message instead of panels when the summary has no equity rows.

    Raises
    ------
    ValueError
        If columns are missing, ``baseline`` is not in the summary, or the summary has
        equity rows but none for ``measure``.
    """
    _check(summary, _SUMMARY_NEEDS)
    names = _variants(summary, baseline)
    dimensions = _equity_rows(summary, measure)
    if not dimensions:
        return _message(title, "This summary has no equity figures (runs with a given trip table have no residents).")
    rows = _lookup(summary)
    has_change = set(_CHANGE_NEEDS) <= set(summary.columns)
    others = [v for v in names[1:] if has_change and any(
        np.isfinite(getattr(rows.get((v, f"equity.{d}.{g}.{measure}")), "diff_mean", np.nan))
        for d, groups in dimensions.items() for g in groups)]  # fmt: skip
    sizes = [len(groups) for groups in dimensions.values()]
    per_group = 0.5 + 0.35 * max(1, len(others))
    fig = Figure(figsize=(max(7.0, 1.4 + per_group * sum(sizes) + 0.6 * len(sizes)), 4.8), layout="constrained")
    axes = fig.subplots(1, len(sizes), sharey=True, squeeze=False, width_ratios=sizes)[0]
    unit = _unit(label)
    shown = []
    for ax, (dimension, groups) in zip(axes, dimensions.items()):
        x = np.arange(len(groups), dtype=float)
        kpis = [f"equity.{dimension}.{g}.{measure}" for g in groups]
        levels = [rows[baseline, k].mean if (baseline, k) in rows else np.nan for k in kpis]
        names_of = [_GROUP_NAMES.get((dimension, g), g) for g in groups]
        if others:
            width = 0.8 / len(others)
            for j, variant in enumerate(others):
                mine = [rows.get((variant, k)) if (variant, k) in rows else _empty_row() for k in kpis]
                shown += mine
                at = x - 0.4 + width * (j + 0.5)
                for xi, row in zip(at, mine):
                    ax.bar(xi, np.nan_to_num(row.diff_mean), width=width * 0.92,
                           **_bar_style(names.index(variant), faded=_faded(row.ci_low, row.ci_high)))  # fmt: skip
                    if row.diff_mean == 0:  # a bar of height 0 is invisible: say it
                        ax.annotate("0", xy=(xi, 0), xytext=(0, 2), textcoords="offset points", ha="center",
                                    va="bottom", fontsize=7)  # fmt: skip
                _ci_errorbar(ax, at, mine, horizontal=False)
            ax.axhline(0, color="black", lw=1.1, zorder=3)
            ticks = [f"{n}\n(baseline {_fmt(v)})" for n, v in zip(names_of, levels)]
        else:
            mean = np.array(levels, dtype=float)
            ax.bar(x, mean, width=0.6, color="0.6", edgecolor="black", linewidth=0.8)
            runs = [int(rows[baseline, k].n) if (baseline, k) in rows and "n" in summary else 1 for k in kpis]
            sd = np.array([getattr(rows.get((baseline, k)), "sd", np.nan) for k in kpis], dtype=float)
            half = _t_half_width(sd, np.array(runs))
            if np.isfinite(half).any():
                ax.errorbar(x, mean, yerr=half, fmt="none", ecolor="black", capsize=4, elinewidth=1.3, label="_95% CI")
            for xi, value, h in zip(x, mean, np.nan_to_num(half)):
                if np.isfinite(value):
                    ax.annotate(_fmt(value), xy=(xi, value + h), xytext=(0, 3), textcoords="offset points",
                                ha="center", va="bottom", fontsize=8)  # fmt: skip
            ticks = names_of
        ax.set_xticks(x, ticks, fontsize=8.5, rotation=0 if len(groups) <= 4 else 30,
                      ha="center" if len(groups) <= 4 else "right")  # fmt: skip
        ax.set_title(_DIMENSION_TITLES.get(dimension, f"By {dimension}"), fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
    if others:
        axes[0].set_ylabel(f"change vs {baseline}" + (f" ({unit})" if unit else ""))
        # Beside the last panel rather than a figure legend: constrained layout then keeps it off the title.
        axes[-1].legend(handles=[Patch(label=v, **_bar_style(names.index(v), faded=False)) for v in others],
                        loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=9)  # fmt: skip
        _note(fig, _interval_note(shown, baseline).replace("Bars:", f"{label}, bars:"))
    else:
        axes[0].set_ylabel(label)
        n = int(summary.loc[summary["variant"] == baseline, "n"].max()) if "n" in summary else 1
        _note(fig, f"{baseline}: mean over {n} run(s)" + ("; whiskers: 95% confidence interval of the mean."
                                                          if n >= 2 else "."))  # fmt: skip
    fig.suptitle(title)
    return fig


def _t_half_width(sd: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Half-width of the 95% t-interval of a mean: t(0.975, n-1) sd / sqrt(n); NaN for n < 2."""
    from scipy import stats

    ok = (n >= 2) & np.isfinite(sd)
    half = np.full(sd.shape, np.nan)
    half[ok] = stats.t.ppf(0.975, n[ok] - 1) * sd[ok] / np.sqrt(n[ok])
    return half
