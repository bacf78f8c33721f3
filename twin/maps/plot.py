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
from twin.viz.map_furniture import add_map_furniture

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
    add_map_furniture(ax, bounds=tuple(network.edges.total_bounds), crs=network.crs, attribution=network.attribution)
    ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
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
