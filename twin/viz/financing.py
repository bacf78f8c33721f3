"""How each way of paying moves the city's money: cumulative cash flow per financing model.

One panel per variant that buys something (capital in year 0), one line per financing model
of :mod:`twin.economics.financing`: the city's cumulative net cash flow over the appraisal
years, undiscounted, at constant prices. A line below zero is money the city is out of
pocket; where it crosses zero the measure has paid for itself; its end is what the city has
gained (or lost) in cash over the years. Each model keeps its colour, line style and marker
in every panel (Okabe-Ito, so the lines read without colour too), and its end value is
written beside the line.
"""

from __future__ import annotations

import math
import textwrap
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from twin.viz.style import variant_style

if TYPE_CHECKING:
    from twin.economics.case import BusinessCase

__all__ = ["MODEL_ORDER", "plot_financing"]

MODEL_ORDER = ("city", "bond", "esco", "lease")
_SHORT = {"city": "pay upfront", "bond": "bond", "esco": "ESCO", "lease": "lease"}
_LEGEND = {"city": "city pays upfront", "bond": "municipal bond (level repayments)",
           "esco": "energy-performance contract (ESCO takes a share of the savings)",
           "lease": "lease (yearly fee, no upfront cost)"}  # fmt: skip
_MINUS = "\u2212"
_HOW_TO_READ = ("How to read: each line adds up the city's money year by year under one way of paying. A line that "
                "starts below zero is money paid upfront; where it crosses zero the measure has paid for itself; its "
                "end is the cash gained or lost over the years. Dashed grey lines mark equipment replaced at the end "
                "of its life. A faint line is an ESCO contract no ESCO would accept on these terms. NPV values the "
                "same flows today, at the discount rate.")  # fmt: skip


def _money(value: float) -> str:
    """EUR with a unit that fits: 12 k, 1.3 M; a true minus sign."""
    size = abs(value)
    if size >= 1e6:
        text = f"{value / 1e6:,.1f} M"
    elif size >= 1e3:
        text = f"{value / 1e3:,.0f} k"
    else:
        text = f"{value:,.0f}"
    return text.replace("-", _MINUS)


def _scale(values: np.ndarray) -> tuple[float, str]:
    """The divisor and unit of an axis in EUR: thousands or millions."""
    size = float(np.nanmax(np.abs(values))) if values.size else 0.0
    return (1e6, "million EUR") if size >= 5e6 else (1e3, "thousand EUR")


def plot_financing(case: BusinessCase, *, title: str | None = None, ncols: int = 2) -> Figure:
    """The city's cumulative cash flow under each financing model, one panel per variant.

    Parameters
    ----------
    case
        A business case (:func:`twin.economics.business_case`).
    title
        What the reader should see; by default one says which model leaves the city best
        off at the end of the first panel's appraisal.
    ncols
        Panels per row at most.

    Returns
    -------
    matplotlib.figure.Figure
        With a message instead of panels when no variant buys anything.
    """
    panels = [v for v in case.variants if v.capital_eur > 0]
    if not panels:
        fig = Figure(figsize=(7.0, 2.5), layout="constrained")
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.text(0.5, 0.5, "No variant buys anything in year 0, so there is nothing to finance.", ha="center",
                va="center", transform=ax.transAxes)  # fmt: skip
        fig.suptitle(title or "Financing models: nothing to compare")
        return fig
    ncols = max(1, min(ncols, len(panels)))
    nrows = math.ceil(len(panels) / ncols)
    fig = Figure(figsize=(6.4 * ncols, 4.4 * nrows + 1.2), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[len(panels):]:
        ax.set_axis_off()
    if len(axes) > len(panels):
        axes[len(panels)].text(0.02, 0.95, "\n".join(textwrap.wrap(_HOW_TO_READ, 58)), va="top", ha="left",
                               fontsize=9, color="0.2", transform=axes[len(panels)].transAxes)  # fmt: skip
    handles = {}
    for ax, variant in zip(axes, panels):
        models = [variant.financing[k] for k in MODEL_ORDER if k in variant.financing and variant.financing[k].applies]
        cumulative = {m.key: np.cumsum(m.flows_eur) for m in models}
        divisor, unit = _scale(np.concatenate(list(cumulative.values())))
        years = np.arange(len(next(iter(cumulative.values()))))
        ax.axhline(0.0, color="0.35", lw=0.9, zorder=1)
        capital = variant.cashflows["capital"].to_numpy()
        for year in np.flatnonzero(capital[1:] < 0) + 1:
            ax.axvline(year, color="0.6", lw=0.8, linestyle=(0, (2, 2)), zorder=1)
            ax.annotate("replacement", xy=(year, 1.0), xycoords=("data", "axes fraction"), xytext=(2, -2),
                        textcoords="offset points", fontsize=7, color="0.4", va="top", rotation=90)  # fmt: skip
        ends = []
        for m in models:
            style = variant_style(MODEL_ORDER.index(m.key))
            values = cumulative[m.key] / divisor
            (line,) = ax.plot(years, values, color=style.colour, linestyle=style.linestyle, marker=style.marker,
                              markevery=5, markersize=5, lw=2.0 if m.feasible else 1.2,
                              alpha=1.0 if m.feasible else 0.6, zorder=3)  # fmt: skip
            handles.setdefault(m.key, line)
            name = _SHORT[m.key] + ("" if m.feasible else ", would not sign")
            ends.append((values[-1], f"{name}: {_money(values[-1] * divisor)} cash, NPV {_money(m.npv_eur)}",
                         style.colour))  # fmt: skip
        _label_ends(ax, ends, years[-1])
        ax.set_title("\n".join(textwrap.wrap(_verdict(variant.variant, models, case.costs.discount_rate), 62)),
                     fontsize=10)  # fmt: skip
        ax.set_xlabel("years from the investment")
        ax.set_ylabel(f"city's cumulative net cash flow ({unit})")
        ax.set_xticks([t for t in MaxNLocator(integer=True).tick_values(0, years[-1]) if 0 <= t <= years[-1]])
        ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:,.0f}".replace("-", _MINUS)))
        ax.set_xlim(0, years[-1] * 1.55)
        ax.grid(axis="y", color="0.9", lw=0.6)
    fig.legend([handles[k] for k in MODEL_ORDER if k in handles],
               [_LEGEND[k] for k in MODEL_ORDER if k in handles], loc="outside lower center",
               ncols=min(4, len(handles)), fontsize=8, frameon=False)  # fmt: skip
    fig.suptitle(title or "How the way of paying moves the city's money: cumulative net cash flow, undiscounted, at "
                          "constant prices (below 0 the city is out of pocket; NPV at "
                          f"{case.costs.discount_rate:.1%}, EUR)", fontsize=11)  # fmt: skip
    return fig


def _verdict(variant: str, models: list, rate: float) -> str:
    """A panel's title: which way of paying leaves the city best off, or that it hardly matters."""
    signed = [m for m in models if m.feasible]
    best = max(signed, key=lambda m: m.npv_eur)
    worst = min(signed, key=lambda m: m.npv_eur)
    if best.npv_eur - worst.npv_eur <= 0.05 * abs(best.npv_eur):
        return (f"{variant}: NPV about {_money(best.npv_eur)} EUR however it is paid; the yearly flows, not the "
                "financing, decide")  # fmt: skip
    if best.npv_eur < 0:
        return f"{variant}: every way of paying loses money; {_SHORT[best.key]} loses least (NPV {_money(best.npv_eur)} EUR)"
    return f"{variant}: {_SHORT[best.key]} leaves the city best off (NPV {_money(best.npv_eur)} EUR at {rate:.1%})"


def _label_ends(ax, ends: list[tuple[float, str, str]], last_year: int) -> None:
    """Each line's end written beside it, nudged apart where lines end close together."""
    ends = sorted(ends)
    low, high = ax.get_ylim()
    gap = (high - low) * 0.055
    placed: list[float] = []
    for value, text, colour in ends:
        y = value if not placed or value - placed[-1] >= gap else placed[-1] + gap
        placed.append(y)
        ax.annotate(text, xy=(last_year, value), xytext=(last_year + 0.4, y), fontsize=7, color=colour, va="center",
                    ha="left")  # fmt: skip
