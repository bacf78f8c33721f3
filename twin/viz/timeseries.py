"""One quantity over the day, a line per variant with its 95% band across replications.

Built on :class:`matplotlib.figure.Figure` directly (no ``pyplot`` state). Variants keep the
colour, line style and marker of :func:`twin.viz.style.variant_style` (the first variant is
the baseline), so the lines tell apart in black and white too.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MultipleLocator

from twin.viz.style import variant_style

__all__ = ["AUTO_BIN_ABOVE", "AUTO_BIN_S", "mean_band", "plot_timeseries"]

#: Series with more distinct times than this are averaged over windows of :data:`AUTO_BIN_S`.
AUTO_BIN_ABOVE = 200

#: The default window (15 minutes).
AUTO_BIN_S = 900.0


def _band(series: pd.DataFrame, *, column: str, confidence: float = 0.95, bin_s: float = 0.0) -> pd.DataFrame:
    """Per variant and time: the mean over replications and its t confidence interval.

    Parameters
    ----------
    series
        Long table with ``variant``, ``replication``, ``time_s`` and ``column``.
    column
        The quantity.
    confidence
        Of the two-sided interval.
    bin_s
        If positive, average each replication over windows ``((k-1)·bin_s, k·bin_s]``
        first; the window's time is its middle.

    Returns
    -------
    pandas.DataFrame
        ``variant``, ``time_s``, ``n`` (replications with a value), ``mean``, ``low``,
        ``high``; ``low = mean - t(0.5 + confidence/2, n - 1) · sd / sqrt(n)`` and ``high``
        likewise, NaN where ``n < 2``. Variants in order of first appearance, times sorted.
    """
    from scipy import stats

    _check(series, column)
    order = list(dict.fromkeys(series["variant"]))
    frame = series[["variant", "replication", "time_s", column]]
    if bin_s > 0:
        # A step's row holds the state at the step's end, so window k is (k-1, k] * bin_s
        # (time 0 joins the first): a day of 60 s steps ending at 86400 fills 96 windows.
        window = np.maximum(np.ceil(frame["time_s"].to_numpy(float) / bin_s), 1.0)
        frame = frame.assign(time_s=(window - 0.5) * bin_s)
    # One value per replication and time first, so a replication with repeated times counts once.
    per_run = frame.groupby(["variant", "replication", "time_s"], sort=False)[column].mean().reset_index()
    stats_ = per_run.groupby(["variant", "time_s"], sort=False)[column].agg(["count", "mean", "std"]).reset_index()
    stats_ = stats_.rename(columns={"count": "n"})
    n = stats_["n"].to_numpy()
    half = np.full(len(stats_), np.nan)
    ok = n >= 2
    half[ok] = stats.t.ppf(0.5 + confidence / 2, n[ok] - 1) * stats_["std"].to_numpy()[ok] / np.sqrt(n[ok])
    stats_["low"], stats_["high"] = stats_["mean"] - half, stats_["mean"] + half
    stats_["_order"] = stats_["variant"].map({name: i for i, name in enumerate(order)}).astype(int)
    stats_ = stats_.sort_values(["_order", "time_s"], kind="stable").reset_index(drop=True)
    return stats_[["variant", "time_s", "n", "mean", "low", "high"]]


def _check(series: pd.DataFrame, column: str) -> None:
    if not isinstance(series, pd.DataFrame):
        raise ValueError(f"`series` must be a pandas DataFrame, not {type(series).__name__}")
    missing = [c for c in ("variant", "replication", "time_s", column) if c not in series.columns]
    if missing:
        raise ValueError(f"`series` lacks the column(s) {missing}; give a long table of variant, replication, "
                         f"time_s and {column!r} (the runs' timeseries.parquet stacked)")  # fmt: skip
    if not pd.api.types.is_numeric_dtype(series[column]) or not pd.api.types.is_numeric_dtype(series["time_s"]):
        raise ValueError(f"`series[{column!r}]` and `series['time_s']` must be numeric")


def _clock(hours: float, _position=None) -> str:
    """HH:MM of a time in hours from midnight; later days get "+1 d" (24:00 stays 24:00)."""
    minutes = int(round(hours * 60))
    day, minute_of_day = divmod(minutes, 24 * 60)
    if day >= 1 and minute_of_day == 0:
        day, minute_of_day = day - 1, 24 * 60
    text = f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d}"
    return text if day <= 0 else f"{text}\n+{day} d"


def mean_band(series: pd.DataFrame, *, column: str, bin_s: float | None = None) -> pd.DataFrame:
    """The curves :func:`plot_timeseries` draws: per variant and time, the mean over replications and its 95% band.

    ``bin_s`` as in :func:`plot_timeseries` (by default 15-minute windows for long series).
    Returns the columns ``variant, time_s, n, mean, low, high``; ``attrs["bin_s"]`` holds the
    window used.
    """
    _check(series, column)
    if bin_s is None:
        bin_s = AUTO_BIN_S if series["time_s"].nunique() > AUTO_BIN_ABOVE else 0.0
    if not np.isfinite(bin_s) or bin_s < 0:
        raise ValueError(f"`bin_s` must be >= 0 seconds, not {bin_s}")
    table = _band(series, column=column, bin_s=bin_s)
    table.attrs["bin_s"] = float(bin_s)
    return table


def plot_timeseries(series: pd.DataFrame, *, column: str, ylabel: str, title: str,
                    dark_s: np.ndarray | None = None, bin_s: float | None = None,
                    variants: Sequence[str] | None = None) -> Figure:  # fmt: skip
    """Plot ``column`` over the day: a line per variant (mean over replications) and its 95% band.

    Parameters
    ----------
    series
        Long table with columns ``variant``, ``replication``, ``time_s`` (seconds from local
        midnight; may pass 86400) and ``column``, e.g. the runs' ``timeseries.parquet``
        stacked with their variant and replication.
    column
        The quantity to plot, e.g. ``"lighting_power_kw"``.
    ylabel
        Its name with unit, e.g. "lighting power (kW)".
    title
        What the reader should see, e.g. "Adaptive lighting halves the power after midnight".
    dark_s
        ``(k, 2)`` intervals (seconds from midnight) when the lights were on, shaded grey.
    bin_s
        Average each run over windows of this many seconds before taking the mean and band
        across runs. By default 900 (15 minutes) when the series has more than
        :data:`AUTO_BIN_ABOVE` times, as a minute-by-minute count is too noisy to read;
        0 plots every time as it is.
    variants
        Every variant of the study in order, the baseline first, so that a variant keeps its
        style in every figure even when some figures show only some variants (default: the
        order of first appearance in ``series``).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If columns are missing or ``dark_s`` is not pairs of times.

    Notes
    -----
    The band is the t-interval of the mean across replications,
    ``mean ± t(0.975, n - 1) · sd / sqrt(n)`` (of the windows' means when binned), drawn
    where a time has ``n >= 2`` replications; with one replication there is no band.
    """
    table = mean_band(series, column=column, bin_s=bin_s)
    bin_s = table.attrs["bin_s"]
    if dark_s is not None:
        dark_s = np.asarray(dark_s, dtype=float)
        if dark_s.size % 2 or (dark_s.ndim == 2 and dark_s.shape[1] != 2) or dark_s.ndim > 2:
            raise ValueError(f"`dark_s` must be (start, end) pairs of seconds, shape (k, 2), not {dark_s.shape}")
        dark_s = dark_s.reshape(-1, 2)
    fig = Figure(figsize=(9.0, 4.6), layout="constrained")
    ax = fig.add_subplot()
    shown = list(dict.fromkeys(table["variant"]))
    order = list(variants) + [name for name in shown if name not in variants] if variants is not None else shown
    most = int(table["n"].max()) if len(table) else 0
    for name in shown:
        index = order.index(name)
        style = variant_style(index)
        mine = table[table["variant"] == name]
        hours = mine["time_s"].to_numpy(float) / 3600
        # Markers at staggered points, so that identical curves still show every variant's marker.
        every = max(1, len(hours) // 12)
        ax.plot(hours, mine["mean"], color=style.colour, ls=style.linestyle, lw=1.7, marker=style.marker, ms=5,
                markevery=((index * every) // max(len(order), 1) % every, every), label=str(name),
                zorder=3)  # fmt: skip
        if np.isfinite(mine["low"]).any():
            ax.fill_between(hours, mine["low"], mine["high"], color=style.colour, alpha=0.18, lw=0, zorder=2,
                            label=f"_95% band of {name}")  # fmt: skip
    if dark_s is not None and len(dark_s):
        for start, end in dark_s:
            ax.axvspan(start / 3600, end / 3600, color="0.9", lw=0, zorder=0)
    hours = table["time_s"].to_numpy(float) / 3600
    if len(hours):
        ax.set_xlim(np.floor(hours.min()), max(np.ceil(hours.max()), np.floor(hours.min()) + 1))
        span = hours.max() - hours.min()
        ax.xaxis.set_major_locator(MultipleLocator(3 if span > 12 else 1 if span > 3 else 0.25))
    ax.xaxis.set_major_formatter(FuncFormatter(_clock))
    ax.set_xlabel("time of day (HH:MM)" + ("; grey: lights on (dark)" if dark_s is not None and len(dark_s) else ""))
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    what = f"mean of {most} runs;\nshaded: 95% confidence\ninterval of the mean" if most >= 2 else "one run per variant"
    if bin_s > 0:
        what += f"\n({bin_s / 60:g}-minute averages)"
    # Beside the axes, where it cannot hide a peak.
    ax.legend(title=what, title_fontsize=8, fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_title(title)
    return fig
