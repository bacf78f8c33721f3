"""A map of a street network and its streetlights, readable in print and by colour-blind readers.

Figures are built on :class:`matplotlib.figure.Figure` directly, never through ``pyplot``, so
plotting changes no global state and needs no display.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import shapely
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from twin._errors import TwinError
from twin.maps.network import StreetNetwork

__all__ = ["plot_network", "save_figure"]

# Okabe-Ito colours (distinguishable with every common colour-vision deficiency), and line
# widths that tell the classes apart in black and white too.
_GROUPS = (
    ("Main roads", ("motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link"), "#D55E00", 2.2),
    ("Collectors", ("secondary", "secondary_link", "tertiary", "tertiary_link"), "#0072B2", 1.6),
    ("Local streets", ("residential", "unclassified", "living_street", "service", "road", "busway"), "#555555", 0.9),
    ("Paths (walk, cycle)", None, "#009E73", 0.5),
)
_LAMP_COLOUR = "#E69F00"


def _nice_length(span_m: float) -> float:
    """A round scale-bar length near a fifth of the map's width."""
    target = span_m / 5
    power = 10 ** np.floor(np.log10(target))
    return float(max(step * power for step in (1, 2, 5) if step * power <= target))


def plot_network(network: StreetNetwork, *, title: str | None = None, show_lamps: bool = True) -> Figure:
    """Draw the streets by class and the lamps as dots, with a legend, scale bar and north arrow.

    Parameters
    ----------
    network
        The network to draw.
    title
        Figure title; by default the source and its counts.
    show_lamps
        Draw the streetlights.
    """
    streets = network.edges.drop_duplicates("street_id")
    fig = Figure(figsize=(8, 8), dpi=120, layout="constrained")
    ax = fig.add_subplot()
    named = {cls for _, classes, _, _ in _GROUPS if classes for cls in classes}
    for label, classes, colour, width in reversed(_GROUPS):
        mask = streets["road_class"].isin(classes) if classes else ~streets["road_class"].isin(named)
        part = streets[mask.to_numpy()]
        if len(part) == 0:
            continue
        coords, index = shapely.get_coordinates(part.geometry.array, return_index=True)
        lines = np.split(coords, np.flatnonzero(np.diff(index)) + 1)
        km = part["length_m"].sum() / 1000
        ax.add_collection(LineCollection(lines, colors=colour, linewidths=width, label=f"{label} ({km:.1f} km)"))
    if show_lamps and len(network.lamps):
        xy = shapely.get_coordinates(network.lamps.geometry.array)
        ax.scatter(xy[:, 0], xy[:, 1], s=6, c=_LAMP_COLOUR, edgecolors="black", linewidths=0.3, zorder=3,
                   label=f"Streetlights ({len(network.lamps)})")  # fmt: skip
    minx, miny, maxx, maxy = network.edges.total_bounds
    pad = 0.03 * max(maxx - minx, maxy - miny)
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - pad, maxy + pad)
    ax.set_aspect("equal")
    ax.ticklabel_format(useOffset=False, style="plain")
    unit = network.crs.axis_info[0].unit_name
    ax.set_xlabel(f"Easting ({unit}), {network.crs.name}")
    ax.set_ylabel(f"Northing ({unit})")
    ax.legend(loc="upper left", fontsize=8, framealpha=0.9)

    bar = _nice_length(maxx - minx)
    x0, y0 = minx, miny - pad * 0.5
    ax.plot([x0, x0 + bar], [y0, y0], color="black", linewidth=3, solid_capstyle="butt")
    ax.text(x0 + bar / 2, y0 + pad * 0.25, f"{bar:g} m" if bar < 1000 else f"{bar / 1000:g} km",
            ha="center", va="bottom", fontsize=8)  # fmt: skip
    ax.annotate("N", xy=(0.95, 0.95), xytext=(0.95, 0.86), xycoords="axes fraction", ha="center", va="center",
                fontsize=11, fontweight="bold", arrowprops={"arrowstyle": "-|>", "color": "black"})  # fmt: skip
    if network.attribution:
        ax.text(0.99, 0.01, network.attribution, transform=ax.transAxes, ha="right", va="bottom", fontsize=7,
                bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"})  # fmt: skip
    summary = network.summary()
    ax.set_title(title or (f"{Path(network.source).name}: {summary['street_km']:.1f} km of street, "
                           f"{summary['lamps']} streetlights"))  # fmt: skip
    return fig


def save_figure(fig: Figure, out: str | os.PathLike) -> Path:
    """Save a figure to a temporary file beside ``out``, then rename it into place."""
    out = Path(out)
    kind = out.suffix.lstrip(".").lower() or "png"
    if kind not in fig.canvas.get_supported_filetypes():
        raise TwinError(f"{out}: cannot save a {out.suffix!r} image; use .png, .svg or .pdf")
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(suffix=out.suffix, prefix=f".{out.stem}-", dir=out.parent)
    os.close(handle)
    try:
        fig.savefig(temporary, format=kind)
        os.replace(temporary, out)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return out
