"""The outcome plots: maps of edge and lamp values, KPI changes, mode shares, equity, time series.

Every figure is rendered on a 3 x 3 grid town or on small hand-made tables and saved as PNG;
what a reader depends on is read back from the figure's artists and compared with numbers
worked out by hand.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure

from twin.maps.synthetic import grid_town
from twin.viz.maps import daily_edge_flow, mean_edge_speed, plot_edge_values, plot_lamp_values
from twin.viz.outcomes import plot_equity, plot_kpi_changes, plot_mode_shares
from twin.viz.timeseries import plot_timeseries

T_975_2 = 4.302652729911275  # Student's t, 97.5% quantile, 2 degrees of freedom (tables)
T_975_3 = 3.182446305284263  # ... 3 degrees of freedom


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


def test_a_big_map_is_drawn_as_a_few_collections_not_an_artist_per_street(tmp_path):
    # Speed is measured in benchmarks, not here; what a test can check is the design: one
    # vectorised collection per layer, however many streets.
    from matplotlib.collections import LineCollection

    big = grid_town(rows=60, cols=60)  # 14,160 edges, like the bundled Helsinki map
    flow = np.random.default_rng(1).gamma(1.0, 100.0, big.n_edges)
    fig = plot_edge_values(big, flow, title="t", label="cars per day")
    ax = fig.axes[0]
    collections = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert 1 <= len(collections) <= 3 and len(ax.lines) <= 2  # the scale bar is a line
    assert sum(len(c.get_segments()) for c in collections) >= big.edges["street_id"].nunique()
    saved(fig, tmp_path, "big")


# Three variants: "maas" has no lighting-energy row; "dim" changes vehicle-km within noise (its interval includes 0).
def summary_row(variant, kpi, mean, *, n=3, diff=np.nan, low=np.nan, high=np.nan, base=np.nan, sd=np.nan):
    return {"variant": variant, "kpi": kpi, "n": n, "mean": mean, "sd": sd, "n_pairs": n if np.isfinite(diff) else 0,
            "baseline_mean": base, "diff_mean": diff, "diff_sd": np.nan, "ci_low": low, "ci_high": high,
            "rel_change": diff / base if np.isfinite(diff) and base else np.nan}  # fmt: skip


@pytest.fixture
def summary() -> pd.DataFrame:
    rows = [
        summary_row("base", "energy.lighting_kwh", 500.0),
        summary_row("base", "vehicle_km", 4000.0),
        summary_row("dim", "energy.lighting_kwh", 300.0, diff=-200.0, low=-210.0, high=-190.0, base=500.0),
        summary_row("dim", "vehicle_km", 4010.0, diff=10.0, low=-15.0, high=35.0, base=4000.0),
        summary_row("maas", "vehicle_km", 4800.0, diff=800.0, low=650.0, high=950.0, base=4000.0),
    ]
    for variant, shares, car in (("base", (0.6, 0.1, 0.3, 0.0), None), ("dim", (0.6, 0.1, 0.3, 0.0), (0.0, 0.0, 0.0)),
                                 ("maas", (0.55, 0.1, 0.3, 0.05), (-0.05, -0.08, -0.02))):  # fmt: skip
        for mode, share in zip(("car", "bike", "walk", "drt"), shares):
            change = dict(zip(("diff", "low", "high"), car)) if car and mode == "car" else {}
            rows.append(summary_row(variant, f"mode_shares.{mode}", share, base=0.6, **change))
        rows.append(summary_row(variant, "mode_shares.transit", 0.0))
    return pd.DataFrame(rows)


KPIS = {"energy.lighting_kwh": "Lighting energy (kWh/day)", "vehicle_km": "Vehicle-km (km/day)",
        "no.such_kpi": "Missing (x)"}  # fmt: skip


def whiskers(ax) -> list[tuple[float, float]]:
    """The (low, high) extents of an axes' error bars, in data units along the bars."""
    (bars,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer) and c.get_label() == "_95% CI"]
    segments = bars.lines[2][0].get_segments()
    vertical = all(np.isclose(s[0, 0], s[1, 0]) for s in segments)
    along = 1 if vertical else 0
    return sorted((min(s[:, along]), max(s[:, along])) for s in segments)


def test_kpi_changes_draw_a_panel_per_kpi_with_the_table_s_intervals(summary, tmp_path):
    fig = plot_kpi_changes(summary, kpis=KPIS, baseline="base", title="Dimming saves 40% of lighting energy")
    saved(fig, tmp_path, "kpis")
    panels = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title() for ax in panels] == ["Lighting energy (kWh/day)", "Vehicle-km (km/day)"]
    energy, km = panels
    assert whiskers(energy) == [(-210.0, -190.0)]
    assert whiskers(km) == [(-15.0, 35.0), (650.0, 950.0)]
    assert energy.get_xlabel() == "change (kWh/day)"
    assert any(t.get_text() == "baseline 500" for t in energy.texts)  # the zero line's label
    bars = {round(p.get_width()): p for p in km.patches}
    # dim's interval includes zero: faded; maas's excludes it: solid
    assert bars[10].get_facecolor()[3] < 0.5 and bars[800].get_facecolor()[3] == 1.0
    assert bars[10].get_hatch() != bars[800].get_hatch()
    assert "includes 0" in " ".join(fig._supxlabel.get_text().split())


def test_kpi_changes_without_anything_to_compare_say_so(summary):
    alone = plot_kpi_changes(summary[summary["variant"] == "base"], kpis=KPIS, baseline="base", title="t")
    assert "no variant" in alone.axes[0].texts[0].get_text()
    none = plot_kpi_changes(summary, kpis={"no.such_kpi": "x"}, baseline="base", title="t")
    assert "None of the KPIs" in none.axes[0].texts[0].get_text()
    with pytest.raises(ValueError, match="baseline 'nope'"):
        plot_kpi_changes(summary, kpis=KPIS, baseline="nope", title="t")
    with pytest.raises(ValueError, match="ci_low"):
        plot_kpi_changes(summary.drop(columns="ci_low"), kpis=KPIS, baseline="base", title="t")


def test_mode_shares_stack_to_the_shares(summary, tmp_path):
    fig = plot_mode_shares(summary, baseline="base", title="MaaS moves 5% of trips from the car to shuttles")
    saved(fig, tmp_path, "modes")
    ax = fig.axes[0]
    layers = {c.get_label(): [p.get_width() for p in c] for c in ax.containers}
    assert list(layers) == ["car", "bike", "walk", "shuttle (on demand)"]  # transit is zero everywhere: left out
    assert layers["car"] == pytest.approx([60.0, 60.0, 55.0])
    assert layers["shuttle (on demand)"] == pytest.approx([0.0, 0.0, 5.0])
    assert np.sum(list(layers.values()), axis=0) == pytest.approx([100.0, 100.0, 100.0])
    lefts = [p.get_x() for p in ax.containers[1]]
    assert lefts == pytest.approx(layers["car"])  # bike starts where car ends
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0].endswith("(baseline)")
    assert "car share unchanged" in labels[1]
    assert "car share \u22125.0 pp (CI \u22128.0 to \u22122.0)" in labels[2]
    assert {"60%", "55%", "30%", "10%"} <= {t.get_text() for t in ax.texts}
    with pytest.raises(ValueError, match="mode_shares"):
        plot_mode_shares(summary[~summary["kpi"].str.startswith("mode_shares")], baseline="base", title="t")


def equity_summary(variants: bool) -> pd.DataFrame:
    """Income groups in a scrambled order, smartphone, and a new dimension (age) with its own groups."""
    groups = [("income", "high"), ("income", "low"), ("smartphone", "no"), ("age", "65+"), ("income", "middle"),
              ("smartphone", "yes"), ("age", "18-64")]  # fmt: skip
    rows = []
    for i, (dimension, group) in enumerate(groups):
        kpi = f"equity.{dimension}.{group}.mean_daily_travel_min"
        rows.append(summary_row("base", kpi, 20.0 + i, sd=2.0))
        rows.append(summary_row("base", f"equity.{dimension}.{group}.residents", 100.0))
        if variants:
            rows.append(summary_row("maas", kpi, 19.0 + i, diff=-1.0 - i, low=-2.0 - i, high=-i + 0.5, base=20.0 + i))
    return pd.DataFrame(rows)


def test_equity_panels_discover_dimensions_and_groups_from_the_kpi_names(tmp_path):
    fig = plot_equity(equity_summary(True), measure="mean_daily_travel_min", label="Travel time (min/day)",
                      baseline="base", title="MaaS saves most time for older residents")  # fmt: skip
    saved(fig, tmp_path, "equity")
    panels = fig.axes
    assert [ax.get_title() for ax in panels] == ["By income", "By smartphone access", "By age"]
    ticks = [[t.get_text().split("\n")[0] for t in ax.get_xticklabels()] for ax in panels]
    assert ticks == [["low income", "middle income", "high income"], ["with smartphone", "no smartphone"],
                     ["65+", "18-64"]]  # known dimensions and groups in their order, new ones as found
    # income: low (i=1), middle (i=4), high (i=0): CIs from -2-i to 0.5-i
    assert whiskers(panels[0]) == sorted([(-3.0, -0.5), (-6.0, -3.5), (-2.0, 0.5)])
    assert panels[0].get_ylabel() == "change vs base (min/day)"
    assert "(baseline 21.0)" in panels[0].get_xticklabels()[0].get_text()


def test_equity_of_a_single_run_shows_the_levels(tmp_path):
    fig = plot_equity(equity_summary(False), measure="mean_daily_travel_min", label="Travel time (min/day)",
                      baseline="base", title="Low-income residents travel longest")  # fmt: skip
    saved(fig, tmp_path, "levels")
    income = fig.axes[0]
    assert [p.get_height() for p in income.patches] == [21.0, 24.0, 20.0]  # low, middle, high
    half = T_975_2 * 2.0 / math.sqrt(3)
    assert whiskers(income)[0] == pytest.approx((20.0 - half, 20.0 + half))
    assert income.get_ylabel() == "Travel time (min/day)"
    with pytest.raises(ValueError, match="no equity rows for the measure 'minutes'"):
        plot_equity(equity_summary(False), measure="minutes", label="x", baseline="base", title="t")


def test_equity_without_equity_rows_says_so(summary):
    fig = plot_equity(summary, measure="mean_daily_travel_min", label="x", baseline="base", title="t")
    assert "no equity" in fig.axes[0].texts[0].get_text()


def day_series() -> pd.DataFrame:
    """Two variants; the baseline with 4 replications at 3 times (one past midnight), the other with 1."""
    times = [3600.0, 7200.0, 90000.0]
    base = [[10, 12, 14, 20], [5, 5, 5, 5], [1, 2, 3, 4]]
    rows = [{"variant": "base", "replication": r, "time_s": t, "power_kw": float(v[r])}
            for t, v in zip(times, base) for r in range(4)]  # fmt: skip
    rows += [{"variant": "dim", "replication": 0, "time_s": t, "power_kw": 2.0} for t in times]
    return pd.DataFrame(rows)


def test_timeseries_band_is_the_t_interval_across_replications(tmp_path):
    fig = plot_timeseries(day_series(), column="power_kw", ylabel="lighting power (kW)",
                          title="Dimming cuts the power all night", dark_s=np.array([[0.0, 8 * 3600.0]]))  # fmt: skip
    saved(fig, tmp_path, "series")
    ax = fig.axes[0]
    (band,) = [c for c in ax.collections if c.get_label().startswith("_95% band")]  # none for one replication
    assert band.get_label() == "_95% band of base"
    # 01:00: values 10, 12, 14, 20: mean 14, sd sqrt(56/3), half-width t(0.975, 3) sd / 2
    half = T_975_3 * math.sqrt(56 / 3) / 2
    vertices = band.get_paths()[0].vertices
    at_one = sorted({round(y, 9) for x, y in vertices if np.isclose(x, 1.0)})
    assert at_one == pytest.approx([14 - half, 14 + half])
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert lines["base"].get_ydata().tolist() == [14.0, 5.0, 2.5]
    assert lines["base"].get_linestyle() != lines["dim"].get_linestyle()
    assert "grey: lights on" in ax.get_xlabel()
    assert ax.xaxis.get_major_formatter()(25.5) == "01:30\n+1 d"
    assert ax.xaxis.get_major_formatter()(24.0) == "24:00"
    assert len(ax.patches) == 1  # the dark interval


def test_timeseries_of_a_long_day_is_averaged_over_quarter_hours():
    times = np.arange(60.0, 86400.0 + 1, 60.0)
    series = pd.DataFrame({"variant": "base", "replication": 0, "time_s": times, "cars": times % 120})
    line = plot_timeseries(series, column="cars", ylabel="cars", title="t").axes[0].get_lines()[0]
    assert len(line.get_xdata()) == 96
    assert line.get_xdata()[0] == pytest.approx(0.125) and line.get_ydata()[0] == pytest.approx(60.0 * 8 / 15)


def test_timeseries_refuses_missing_columns():
    with pytest.raises(ValueError, match="replication"):
        plot_timeseries(day_series().drop(columns="replication"), column="power_kw", ylabel="kW", title="t")
    with pytest.raises(ValueError, match="dark_s"):
        plot_timeseries(day_series(), column="power_kw", ylabel="kW", title="t", dark_s=np.zeros(3))
