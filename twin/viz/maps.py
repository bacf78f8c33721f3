"""Maps of a run's outcomes: a value per street (cars, speed, change) or per streetlight.

Each street is drawn once, from the geometry its two directions share. The whole network is
drawn first as thin light-grey lines, so streets without a value (no car passed, no change)
still show where they are; streets with a value are drawn over it in colour, widest and on
top where the value is largest, so the busy streets stand out in grey print too. Signed
changes use the diverging map centred on zero, decreases dashed, so the sign also reads
without colour.

Figures are built on :class:`matplotlib.figure.Figure` directly, never through ``pyplot``.
The street geometry goes into one :class:`~matplotlib.collections.LineCollection` per layer
and the lamps into one scatter per marker, so a map of 10^5 edges draws in about a second.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import shapely
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from twin.maps.network import StreetNetwork
from twin.viz.map_furniture import add_map_furniture
from twin.viz.style import DIVERGING, SEQUENTIAL

__all__ = ["daily_edge_flow", "mean_edge_speed", "plot_edge_values", "plot_lamp_values"]

_BASE_COLOUR = "0.82"
_BASE_WIDTH = 0.4
_NAN_LAMP = "0.6"
_MANY_LAMPS = 20_000
# The key sits in a row just above the map, where it can hide no street.
_LEGEND = {"loc": "lower left", "bbox_to_anchor": (0.0, 1.0), "ncols": 3, "fontsize": 8, "frameon": False,
           "borderaxespad": 0.2}


def _links_columns(links: pd.DataFrame, needed: tuple[str, ...], *, n_edges: int) -> np.ndarray:
    """Check ``links`` and return its edge ids as integers within ``0..n_edges-1``."""
    missing = [column for column in needed if column not in links.columns]
    if missing:
        raise ValueError(f"`links` lacks the column(s) {missing}; give a run's links.parquet table")
    if n_edges < 0:
        raise ValueError(f"`n_edges` must be >= 0, not {n_edges}")
    edge = links["edge_id"].to_numpy()
    if len(edge) and (not np.issubdtype(edge.dtype, np.integer) or edge.min() < 0 or edge.max() >= n_edges):
        raise ValueError(f"`links.edge_id` must be integers in 0..{n_edges - 1} (rows of network.edges); "
                         f"got values from {edge.min()} to {edge.max()}: links of another network?")  # fmt: skip
    return edge.astype(np.int64)


def daily_edge_flow(links: pd.DataFrame, *, n_edges: int) -> np.ndarray:
    """Cars entering each edge over the whole run.

    Parameters
    ----------
    links
        A run's ``links.parquet``: one row per edge and hour with ``edge_id`` and ``flow_veh``.
    n_edges
        Number of directed edges of the network (``network.n_edges``).

    Returns
    -------
    numpy.ndarray
        Float array of length ``n_edges`` aligned with ``network.edges``; 0 where no car entered.
    """
    edge = _links_columns(links, ("edge_id", "flow_veh"), n_edges=n_edges)
    return np.bincount(edge, weights=links["flow_veh"].to_numpy(float), minlength=n_edges)


def mean_edge_speed(links: pd.DataFrame, *, n_edges: int) -> np.ndarray:
    """Flow-weighted mean speed of the cars on each edge over the run (km/h).

    Each hour's mean speed counts as many times as cars entered in that hour, so a busy,
    slow rush hour weighs more than a free-flowing car at night.

    Parameters
    ----------
    links
        A run's ``links.parquet`` with ``edge_id``, ``flow_veh`` and ``mean_speed_kmh``.
    n_edges
        Number of directed edges of the network.

    Returns
    -------
    numpy.ndarray
        Float array of length ``n_edges``; NaN where no car passed. To draw it, give
        :func:`plot_edge_values` ``combine="mean"`` (speeds of two directions do not add).
    """
    edge = _links_columns(links, ("edge_id", "flow_veh", "mean_speed_kmh"), n_edges=n_edges)
    flow = links["flow_veh"].to_numpy(float)
    speed = links["mean_speed_kmh"].to_numpy(float)
    weight = np.where(np.isfinite(speed), flow, 0.0)
    total = np.bincount(edge, weights=weight * np.nan_to_num(speed), minlength=n_edges)
    cars = np.bincount(edge, weights=weight, minlength=n_edges)
    return np.divide(total, cars, out=np.full(n_edges, np.nan), where=cars > 0)


def _streets(network: StreetNetwork) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Per edge its street's position, the first edge of each street, and each street's line."""
    codes, _ = pd.factorize(network.edges["street_id"], sort=False)
    first = np.unique(codes, return_index=True)[1]
    coords, index = shapely.get_coordinates(network.edges.geometry.array[first], return_index=True)
    return codes, first, np.split(coords, np.flatnonzero(np.diff(index)) + 1)


def _per_street(values: np.ndarray, codes: np.ndarray, n_streets: int, combine: str) -> np.ndarray:
    """Combine the edges' values per street: their sum or mean, NaN directions left out."""
    known = np.isfinite(values)
    total = np.bincount(codes, weights=np.where(known, values, 0.0), minlength=n_streets)
    count = np.bincount(codes, weights=known.astype(float), minlength=n_streets)
    if combine == "sum":
        return np.where(count > 0, total, np.nan)
    return np.divide(total, count, out=np.full(n_streets, np.nan), where=count > 0)


def _check_values(values: np.ndarray, n: int, what: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"`values` must be numbers, one per {what}: {error}") from None
    if array.ndim != 1 or array.size != n:
        raise ValueError(f"`values` has shape {array.shape} but the network has {n} {what}s; give one value per {what} "
                         f"in the order of network.{what}s")  # fmt: skip
    return array


def _norm(shown: np.ndarray, *, diverging: bool, clip_quantile: float) -> tuple[Normalize, str]:
    """Colour limits for the shown values and the colorbar's ``extend``.

    The top ``1 - clip_quantile`` of values is clipped to the last colour (an arrow on the
    colorbar says so), so one very busy street does not turn all others dark.
    """
    if diverging:
        magnitude = np.abs(shown)
        limit = float(np.quantile(magnitude, clip_quantile)) if shown.size else 1.0
        limit = limit if limit > 0 else float(magnitude.max(initial=0.0)) or 1.0
        extend = "both" if magnitude.max(initial=0.0) > limit else "neither"
        return Normalize(-limit, limit), extend
    low = float(shown.min()) if shown.size else 0.0
    high = float(np.quantile(shown, clip_quantile)) if shown.size else 1.0
    if high <= low:
        high = float(shown.max(initial=low))
    if high <= low:
        low, high = low - 0.5, high + 0.5
    extend = "max" if shown.size and shown.max() > high else "neither"
    return Normalize(low, high), extend


def _width(shown: np.ndarray, norm: Normalize, *, diverging: bool, thin: float, thick: float) -> np.ndarray:
    """Line width (or marker scale) growing with the value, or its magnitude for changes."""
    if diverging:
        fraction = np.abs(shown) / max(abs(norm.vmax), 1e-300)
    else:
        fraction = (shown - norm.vmin) / max(norm.vmax - norm.vmin, 1e-300)
    return thin + (thick - thin) * np.clip(fraction, 0.0, 1.0)


def _map_axes(network: StreetNetwork, *, figsize: tuple[float, float] | None):
    """A figure shaped like the map (plus room for the colorbar), and its axes."""
    if figsize is None:
        minx, miny, maxx, maxy = network.edges.total_bounds
        ratio = (maxx - minx) / max(maxy - miny, 1e-9)
        width, height = (7.5 * ratio, 7.5) if ratio <= 1.2 else (9.0, 9.0 / ratio)
        figsize = (max(width + 3.0, 6.0), max(height + 1.2, 4.5))
    fig = Figure(figsize=figsize, dpi=120, layout="constrained")
    return fig, fig.add_subplot()


def _finish(fig: Figure, ax, network: StreetNetwork, *, norm: Normalize | None, cmap: str, extend: str, label: str,
            title: str) -> None:  # fmt: skip
    add_map_furniture(ax, bounds=tuple(network.edges.total_bounds), crs=network.crs,
                      attribution=network.attribution or None)  # fmt: skip
    if norm is not None:
        from matplotlib.cm import ScalarMappable

        fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=label, shrink=0.75, extend=extend, pad=0.02)
    fig.suptitle(title, fontsize=12)


def _nothing(ax, message: str) -> None:
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", fontsize=10,
            bbox={"facecolor": "white", "alpha": 0.9, "edgecolor": "0.5"})  # fmt: skip


def plot_edge_values(network: StreetNetwork, values: np.ndarray, *, title: str, label: str, diverging: bool = False,
                     combine: Literal["sum", "mean"] = "sum", scale_width: bool = True,
                     clip_quantile: float = 0.99, blank_label: str | None = None,
                     figsize: tuple[float, float] | None = None) -> Figure:  # fmt: skip
    """Draw the streets coloured by one value per directed edge.

    Each street is drawn once: the values of its directions are added (``combine="sum"``,
    right for cars per day and for changes of them: a two-way street shows the traffic of
    both directions, as traffic counts do) or averaged over the directions that have a value
    (``combine="mean"``, for speeds and other rates). Streets whose value is NaN or 0 (no car
    passed; no change) stay thin and light grey.

    Parameters
    ----------
    network
        The network the values belong to.
    values
        One number per row of ``network.edges`` (e.g. :func:`daily_edge_flow`,
        :func:`mean_edge_speed`, or a variant's flow minus the baseline's).
    title
        What the reader should see, e.g. "Most cars use the Mannerheimintie and the ring".
    label
        The colorbar's label, with its unit, e.g. "cars per day (both directions)".
    diverging
        The values are signed changes: the diverging colormap centred on zero with
        symmetric limits (purple less, orange more), decreases dashed.
    combine
        How the two directions of a street make its one value: ``"sum"`` or ``"mean"``.
    scale_width
        Let the line width grow with the value (its magnitude when ``diverging``).
    clip_quantile
        Values above this quantile of the shown values (of their magnitudes when
        ``diverging``) get the last colour; the colorbar then has an arrow.
    blank_label
        The legend's words for the thin grey streets, e.g. "no car passed"; by default
        "no change" for changes and "zero or no value" otherwise.
    figsize
        Figure size in inches; by default shaped like the map.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``values`` is not one number per edge, or ``combine`` is unknown.
    """
    values = _check_values(values, network.n_edges, "edge")
    if combine not in ("sum", "mean"):
        raise ValueError(f"`combine` must be 'sum' or 'mean', not {combine!r}")
    codes, _, lines = _streets(network)
    street = _per_street(values, codes, len(lines), combine)
    fig, ax = _map_axes(network, figsize=figsize)
    ax.add_collection(LineCollection(lines, colors=_BASE_COLOUR, linewidths=_BASE_WIDTH, zorder=1))
    keep = np.flatnonzero(np.isfinite(street) & (street != 0))
    if not keep.size:
        _nothing(ax, "No street has a value to show\n(no car passed, or no change)")
        _finish(fig, ax, network, norm=None, cmap="", extend="neither", label=label, title=title)
        return fig
    # Largest last, so they are drawn on top.
    keep = keep[np.argsort(np.abs(street[keep]) if diverging else street[keep], kind="stable")]
    shown = street[keep]
    cmap = DIVERGING if diverging else SEQUENTIAL
    norm, extend = _norm(shown, diverging=diverging, clip_quantile=clip_quantile)
    widths = _width(shown, norm, diverging=diverging, thin=0.7, thick=3.2) if scale_width else 1.2
    coloured = LineCollection([lines[i] for i in keep], array=shown, cmap=cmap, norm=norm, linewidths=widths,
                              capstyle="round", zorder=2)  # fmt: skip
    blank_label = blank_label or ("no change" if diverging else "zero or no value")
    blank = Line2D([], [], color=_BASE_COLOUR, lw=1, label=blank_label)
    if diverging:
        coloured.set_linestyles(["--" if value < 0 else "-" for value in shown])
        ax.legend(handles=[Line2D([], [], color=coloured.cmap(0.9), lw=2.5, label="more (solid)"),
                           Line2D([], [], color=coloured.cmap(0.1), lw=2.5, ls="--", label="less (dashed)"), blank],
                  **_LEGEND)  # fmt: skip
    else:
        ax.legend(handles=[blank], **_LEGEND)
    ax.add_collection(coloured)
    _finish(fig, ax, network, norm=norm, cmap=cmap, extend=extend, label=label, title=title)
    return fig


def plot_lamp_values(network: StreetNetwork, values: np.ndarray, *, title: str, label: str, diverging: bool = False,
                     scale_size: bool = True, clip_quantile: float = 0.98,
                     figsize: tuple[float, float] | None = None) -> Figure:  # fmt: skip
    """Draw the streetlights as dots coloured by one value per lamp, over the grey streets.

    Parameters
    ----------
    network
        The network whose lamps the values belong to.
    values
        One number per row of ``network.lamps`` (a run's ``lights.parquet`` has its rows in
        that order: ``energy_kwh``, ``hours_dimmed``, ...), or per-lamp changes.
    title
        What the reader should see, e.g. "Lamps on quiet side streets dimmed most of the night".
    label
        The colorbar's label, with its unit, e.g. "energy (kWh per lamp and day)".
    diverging
        Signed changes: diverging colormap with symmetric limits; increases drawn as
        upward triangles, decreases as downward ones, lamps without change as small grey dots.
    scale_size
        Let the dot grow with the value (its magnitude when ``diverging``); maps of more
        than 20,000 lamps draw small plain dots instead, for speed.
    clip_quantile
        Values above this quantile get the last colour (an arrow on the colorbar).
    figsize
        Figure size in inches; by default shaped like the map.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``values`` is not one number per lamp.
    """
    values = _check_values(values, len(network.lamps), "lamp")
    _, _, lines = _streets(network)
    fig, ax = _map_axes(network, figsize=figsize)
    ax.add_collection(LineCollection(lines, colors=_BASE_COLOUR, linewidths=_BASE_WIDTH * 1.5, zorder=1))
    xy = shapely.get_coordinates(network.lamps.geometry.array) if len(network.lamps) else np.empty((0, 2))
    known = np.isfinite(values)
    handles = []
    if (~known).any():
        ax.scatter(xy[~known, 0], xy[~known, 1], s=10, facecolors="none", edgecolors=_NAN_LAMP, linewidths=0.6,
                   zorder=2)  # fmt: skip
        handles.append(Line2D([], [], ls="", marker="o", mfc="none", mec=_NAN_LAMP, label="no value"))
    cmap = DIVERGING if diverging else SEQUENTIAL
    shown = values[known]
    if not shown.size:
        _nothing(ax, "No lamp has a value to show")
        _finish(fig, ax, network, norm=None, cmap=cmap, extend="neither", label=label, title=title)
        return fig
    norm, extend = _norm(shown[shown != 0] if diverging and (shown != 0).any() else shown, diverging=diverging,
                         clip_quantile=clip_quantile)  # fmt: skip
    # Performance: with very many lamps the dots overlap anyway, and outlined dots of varying
    # size take matplotlib twice as long to draw; small plain dots keep a map near a second.
    if values.size > _MANY_LAMPS:
        sizes, outline = np.full(values.size, 4.0), 0.0
    elif scale_size:
        sizes, outline = _width(values, norm, diverging=diverging, thin=10.0, thick=45.0), 0.3
    else:
        sizes, outline = np.full(values.size, 18.0), 0.3
    if diverging:
        groups = ((known & (values > 0), "^", "more"), (known & (values < 0), "v", "less"))
        same = known & (values == 0)
        if same.any():
            ax.scatter(xy[same, 0], xy[same, 1], s=6, c=_BASE_COLOUR, edgecolors="0.45", linewidths=0.3, zorder=2)
            handles.append(Line2D([], [], ls="", marker="o", ms=3, mfc=_BASE_COLOUR, mec="0.45", label="no change"))
    else:
        groups = ((known, "o", None),)
    for mask, marker, name in groups:
        if not mask.any():
            continue
        order = np.flatnonzero(mask)[np.argsort(np.abs(values[mask]), kind="stable")]
        ax.scatter(xy[order, 0], xy[order, 1], c=values[order], cmap=cmap, norm=norm, s=sizes[order], marker=marker,
                   edgecolors="black", linewidths=outline, zorder=3)  # fmt: skip
        if name:
            handles.append(Line2D([], [], ls="", marker=marker, mfc="0.5", mec="black", label=name))
    if handles:
        ax.legend(handles=handles, **_LEGEND)
    _finish(fig, ax, network, norm=norm, cmap=cmap, extend=extend, label=label, title=title)
    return fig
