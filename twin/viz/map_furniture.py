"""What every map needs to be read: units, a scale bar, north, and who made the data.

Maps are drawn in the network's projected CRS, whose axes point east and north, so north is
up by construction; the arrow says so.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from pyproj import CRS

__all__ = ["add_map_furniture", "nice_length"]


def nice_length(span_m: float) -> float:
    """A round scale-bar length (1, 2 or 5 times a power of ten) near a fifth of ``span_m``."""
    target = span_m / 5
    power = 10 ** np.floor(np.log10(target))
    return float(max(step * power for step in (1, 2, 5) if step * power <= target))


def add_map_furniture(ax: Axes, *, bounds: tuple[float, float, float, float], crs: CRS,
                      attribution: str | None = None, dark: bool = False) -> None:  # fmt: skip
    """Frame ``ax`` on ``bounds`` and add axis labels in the CRS's units, a scale bar, a north arrow and the attribution.

    Parameters
    ----------
    ax
        Axes drawn in the projected CRS ``crs`` (metres).
    bounds
        ``(minx, miny, maxx, maxy)`` of what is shown; a small margin is added.
    crs
        The map's CRS, named on the axes with its unit.
    attribution
        The data's attribution, e.g. "© OpenStreetMap contributors (ODbL)", written bottom right.
    dark
        Draw the furniture in white, for a dark background.
    """
    minx, miny, maxx, maxy = bounds
    pad = 0.03 * max(maxx - minx, maxy - miny)
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - pad, maxy + pad)
    ax.set_aspect("equal")
    ax.ticklabel_format(useOffset=False, style="plain")
    unit = crs.axis_info[0].unit_name if crs.axis_info else "metre"
    ax.set_xlabel(f"Easting ({unit}), {crs.name}")
    ax.set_ylabel(f"Northing ({unit})")
    ink = "white" if dark else "black"
    bar = nice_length(maxx - minx)
    x0, y0 = minx, miny - pad * 0.5
    ax.plot([x0, x0 + bar], [y0, y0], color=ink, linewidth=3, solid_capstyle="butt")
    ax.text(x0 + bar / 2, y0 + pad * 0.25, f"{bar:g} m" if bar < 1000 else f"{bar / 1000:g} km",
            ha="center", va="bottom", fontsize=8, color=ink)  # fmt: skip
    ax.annotate("N", xy=(0.95, 0.95), xytext=(0.95, 0.86), xycoords="axes fraction", ha="center", va="center",
                fontsize=11, fontweight="bold", color=ink,
                arrowprops={"arrowstyle": "-|>", "color": ink})  # fmt: skip
    if attribution:
        ax.text(0.99, 0.01, attribution, transform=ax.transAxes, ha="right", va="bottom", fontsize=7,
                color="black", bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"})  # fmt: skip
