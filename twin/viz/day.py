"""The day at a glance: traffic, walking and cycling, and the lights, on one clock.

Built on :class:`matplotlib.figure.Figure` directly (no ``pyplot`` state); Okabe-Ito colours
and distinct line styles, so it reads in black and white and for colour-blind readers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MultipleLocator

__all__ = ["plot_day"]


def _hours(seconds: np.ndarray) -> np.ndarray:
    return np.asarray(seconds, dtype=float) / 3600.0


def plot_day(timeseries: pd.DataFrame, *, dark_s: np.ndarray, title: str) -> Figure:
    """Plot vehicles on the road, people walking and cycling, and lighting power over the run.

    Parameters
    ----------
    timeseries
        A run's per-step table (``time_s``, ``vehicles_on_road``, ``people_walking``,
        ``people_cycling``, ``lighting_power_kw``).
    dark_s
        Intervals when the lights were on (seconds from midnight), shaded grey.
    title
        What the reader should see.
    """
    fig = Figure(figsize=(9, 6), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    hours = _hours(timeseries["time_s"])
    top.plot(hours, timeseries["vehicles_on_road"], color="#D55E00", lw=1.6, label="cars on the road")
    top.plot(hours, timeseries["people_walking"], color="#0072B2", lw=1.4, ls="--", label="people walking")
    top.plot(hours, timeseries["people_cycling"], color="#009E73", lw=1.4, ls=":", label="people cycling")
    top.set_ylabel("people under way")
    top.legend(loc="upper left", frameon=False)
    bottom.plot(hours, timeseries["lighting_power_kw"], color="#E69F00", lw=1.8, label="street lighting")
    bottom.set_ylabel("lighting power (kW)")
    bottom.set_xlabel("time of day (h); grey: lights on (the sun below the switch-on elevation)")
    for ax in (top, bottom):
        for start, end in np.asarray(dark_s).reshape(-1, 2):
            ax.axvspan(start / 3600, end / 3600, color="0.88", zorder=0, lw=0)
        ax.grid(alpha=0.3)
    bottom.xaxis.set_major_locator(MultipleLocator(3))
    bottom.xaxis.set_major_formatter(FuncFormatter(lambda h, _: f"{int(h) % 24:02d}:00"))
    bottom.set_xlim(hours.min() if len(hours) else 0, hours.max() if len(hours) else 24)
    fig.suptitle(title)
    return fig
