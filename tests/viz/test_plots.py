"""The outcome plots: maps of edge and lamp values, KPI changes, mode shares, equity, time series.

Every figure is rendered on a 3 x 3 grid town or on small hand-made tables and saved as PNG;
what a reader depends on is read back from the figure's artists and compared with numbers
worked out by hand.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure

from twin.maps.synthetic import grid_town
from twin.viz.maps import daily_edge_flow, mean_edge_speed, plot_edge_values, plot_lamp_values


@pytest.fixture(scope="module")
def town():
    """3 x 3 intersections 100 m apart: 12 two-way streets, 24 directed edges."""
    return grid_town(rows=3, cols=3, block_m=100.0)


def saved(fig: Figure, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    fig.savefig(path)
    assert path.is_file() and path.stat().st_size > 5_000
    return path


def coloured_lines(fig: Figure) -> LineCollection:
    """The map's coloured street layer (the one with values)."""
    (layer,) = [c for c in fig.axes[0].collections if isinstance(c, LineCollection) and c.get_array() is not None]
    return layer


def colorbar_axes(fig: Figure):
    return fig.axes[1]


# Links of a hand-made day: edge 0 in two hours, edge 3 in one, edge 5 with a NaN speed.
LINKS = pd.DataFrame({
    "edge_id": [0, 0, 3, 5], "street_id": [0, 0, 1, 2], "hour": [7, 8, 7, 9],
    "flow_veh": [1, 3, 4, 2], "mean_travel_time_s": [36.0, 12.0, 10.0, 0.0],
    "mean_speed_kmh": [10.0, 30.0, 36.0, np.nan], "freeflow_s": [12.0, 12.0, 10.0, 10.0],
})  # fmt: skip


def test_daily_edge_flow_adds_the_hours_of_each_edge():
    flow = daily_edge_flow(LINKS, n_edges=7)
    assert flow.tolist() == [4.0, 0.0, 0.0, 4.0, 0.0, 2.0, 0.0]


def test_mean_edge_speed_weighs_hours_by_their_cars():
    speed = mean_edge_speed(LINKS, n_edges=7)
    # edge 0: 1 car at 10 km/h and 3 at 30 km/h: (1*10 + 3*30) / 4 = 25, not the plain mean 20
    assert speed[0] == pytest.approx(25.0)
    assert speed[3] == pytest.approx(36.0)
    assert np.isnan(speed[[1, 2, 4, 5, 6]]).all()  # no car, or only cars without a speed


def test_link_tables_of_another_network_are_refused():
    with pytest.raises(ValueError, match="edge_id"):
        daily_edge_flow(LINKS, n_edges=4)
    with pytest.raises(ValueError, match="mean_speed_kmh"):
        mean_edge_speed(LINKS.drop(columns="mean_speed_kmh"), n_edges=7)


def test_edge_map_draws_each_street_once_with_both_directions_added(town, tmp_path):
    values = np.zeros(town.n_edges)
    values[[0, 1]] = [2.0, 3.0]  # both directions of street 0
    values[2] = 7.0  # one direction of street 1
    values[4] = np.nan
    fig = plot_edge_values(town, values, title="Most cars use the south arterial",
                           label="cars per day (both directions)")  # fmt: skip
    saved(fig, tmp_path, "edges")
    layer = coloured_lines(fig)
    assert sorted(layer.get_array().tolist()) == [5.0, 7.0]  # streets with no value stay grey
    assert colorbar_axes(fig).get_ylabel() == "cars per day (both directions)"
    base = [c for c in fig.axes[0].collections if isinstance(c, LineCollection) and c.get_array() is None]
    assert len(base[0].get_segments()) == town.edges["street_id"].nunique() == 12
    widths = layer.get_linewidths()
    assert widths[-1] > widths[0]  # the busier street is wider and drawn last


def test_edge_map_averages_directions_of_speeds(town):
    values = np.full(town.n_edges, np.nan)
    values[[0, 1]] = [20.0, 30.0]
    values[2] = 40.0
    fig = plot_edge_values(town, values, title="t", label="mean speed (km/h)", combine="mean")
    assert sorted(coloured_lines(fig).get_array().tolist()) == [25.0, 40.0]


def test_diverging_edge_map_is_centred_on_zero(town, tmp_path):
    values = np.linspace(-3.0, 9.0, town.n_edges)
    fig = plot_edge_values(town, values, title="More cars on the arterials", label="change in cars per day",
                           diverging=True, clip_quantile=1.0)  # fmt: skip
    saved(fig, tmp_path, "change")
    low, high = colorbar_axes(fig).get_ylim()
    assert low == pytest.approx(-high) and high > 0
    layer = coloured_lines(fig)
    assert layer.norm.vmin == pytest.approx(-layer.norm.vmax)


def test_edge_values_of_the_wrong_length_are_refused(town):
    with pytest.raises(ValueError, match=r"24 edges"):
        plot_edge_values(town, np.ones(5), title="t", label="x")
    with pytest.raises(ValueError, match="combine"):
        plot_edge_values(town, np.ones(town.n_edges), title="t", label="x", combine="max")


def test_an_edge_map_without_values_says_so(town):
    fig = plot_edge_values(town, np.zeros(town.n_edges), title="t", label="x")
    assert any("No street" in t.get_text() for t in fig.axes[0].texts)


def test_lamp_map_colours_every_lamp(town, tmp_path):
    n = len(town.lamps)
    values = np.arange(n, dtype=float)
    values[0] = np.nan
    fig = plot_lamp_values(town, values, title="Lamps along the north-south streets use most",
                           label="energy (kWh per lamp and day)")  # fmt: skip
    saved(fig, tmp_path, "lamps")
    dots = [c for c in fig.axes[0].collections if isinstance(c, PathCollection) and c.get_array() is not None]
    assert sorted(dots[0].get_array().tolist()) == values[1:].tolist()
    assert colorbar_axes(fig).get_ylabel() == "energy (kWh per lamp and day)"
    with pytest.raises(ValueError, match=f"{n} lamps"):
        plot_lamp_values(town, values[:-1], title="t", label="x")


def test_diverging_lamp_map_is_symmetric(town):
    values = np.linspace(-2.0, 0.5, len(town.lamps))
    fig = plot_lamp_values(town, values, title="t", label="change in energy (kWh)", diverging=True, clip_quantile=1.0)
    low, high = colorbar_axes(fig).get_ylim()
    assert low == pytest.approx(-2.0) and high == pytest.approx(2.0)


def test_a_map_of_fourteen_thousand_edges_draws_in_well_under_two_seconds(tmp_path):
    big = grid_town(rows=60, cols=60)  # 14,160 edges, like the bundled Helsinki map
    flow = np.random.default_rng(1).gamma(1.0, 100.0, big.n_edges)
    start = time.perf_counter()
    saved(plot_edge_values(big, flow, title="t", label="cars per day"), tmp_path, "big")
    assert time.perf_counter() - start < 2.0
