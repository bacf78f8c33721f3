"""Section 3, the plots: KPI changes, mode shares, the day's time series and the maps.

The figures are drawn by :mod:`twin.viz`; this module gathers their data from the runs and
writes each title from the numbers, so a title says what the reader should see ("adaptive
lighting: street-lighting energy 39% lower (95% CI 38% to 40%)"), not only what is plotted.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from twin._errors import TwinError
from twin.report._format import clock, finite, kpi, nice_floor, number, percent, sentence_case, signed
from twin.report.outcomes import change_phrase, headline_kpis
from twin.report.sections import Image, Paragraph, Section, image_of

if TYPE_CHECKING:
    from twin.report.build import Context

__all__ = ["MAX_MAPS", "equity_figures", "plots_section"]

MAX_MAPS = 3
"""Change maps drawn at most (one per variant); a sweep of many variants would bloat the page."""

_GROUP_WORDS = {"low": "low-income", "middle": "middle-income", "high": "high-income",
                "yes": "with a smartphone", "no": "without a smartphone"}  # fmt: skip


def _wrap(title: str) -> str:
    """A title broken into lines that fit a figure's width."""
    return "\n".join(textwrap.wrap(title, 80))


def _figure(fig, title: str, description: str = "") -> Image:
    return image_of(fig, title=title, description=description)


def plots_section(context: Context) -> Section:
    """What changes, in pictures: KPI changes, mode shares, the day, and the maps."""
    blocks: list = []
    for make in (_kpi_figure, _mode_figure, _timeseries_figures, _map_figures):
        blocks.extend(make(context))
    return Section(id="plots", title="What changes, in pictures", blocks=tuple(blocks))


# ------------------------------------------------------------------ outcomes


def _kpi_figure(context: Context) -> list:
    from twin.viz.outcomes import plot_kpi_changes

    results = context.results
    if not results.others:
        return []
    summary = results.summary
    names = headline_kpis(summary)
    rows = summary[(summary["variant"] != results.baseline) & summary["kpi"].isin(names) & (summary["n_pairs"] > 0)]
    rows = rows[rows["rel_change"].notna() & (rows["diff_mean"] != 0)]
    clear = rows[(rows["n_pairs"] >= 2) & ((rows["ci_low"] > 0) | (rows["ci_high"] < 0))]
    if len(clear):
        top = clear.loc[clear["rel_change"].abs().idxmax()]
        title = f"{top['variant']}: {sentence_case(kpi(top['kpi']).label)} {change_phrase(top, kpi(top['kpi']))}"
    elif len(rows) and int(rows["n_pairs"].max()) < 2:
        top = rows.loc[rows["rel_change"].abs().idxmax()]
        title = (f"{top['variant']}: {sentence_case(kpi(top['kpi']).label)} {change_phrase(top, kpi(top['kpi']))} "
                 "(one run each: no interval)")  # fmt: skip
    else:
        title = "No headline figure changes clearly: every 95% interval includes zero"
    others = summary[summary["variant"] != results.baseline]
    unchanged = [name for name in names if not ((others["kpi"] == name) & (others["diff_mean"].fillna(0) != 0)).any()]
    shown = [name for name in names if name not in unchanged]
    if not shown:
        return []
    # Shares are drawn in percentage points, as the tables show them.
    scaled = summary.copy()
    for name in shown:
        rows = scaled["kpi"] == name
        columns = ["mean", "sd", "baseline_mean", "diff_mean", "diff_sd", "ci_low", "ci_high"]
        scaled.loc[rows, columns] = scaled.loc[rows, columns] * kpi(name).scale
    labels = {name: f"{kpi(name).label} ({kpi(name).delta_unit})" for name in shown}
    fig = plot_kpi_changes(scaled, kpis=labels, baseline=results.baseline, title=_wrap(title))
    note = "Bars: each variant's mean change against the baseline over the paired runs; whiskers: its 95% confidence interval."
    if unchanged:
        note += " Not drawn, as no variant changes them: " + ", ".join(kpi(name).label.lower() for name in unchanged) + "."
    return [_figure(fig, title, note)]


def _mean(summary: pd.DataFrame, variant: str, name: str) -> float | None:
    rows = summary[(summary["variant"] == variant) & (summary["kpi"] == name)]
    return float(rows["mean"].iloc[0]) if len(rows) and finite(float(rows["mean"].iloc[0])) else None


def _mode_figure(context: Context) -> list:
    from twin.viz.outcomes import plot_mode_shares

    results = context.results
    summary = results.summary
    parts = [f"{variant} {percent(_mean(summary, variant, 'mode_shares.car'), digits=3)}"
             for variant in results.variants[: 1 + MAX_MAPS]]  # fmt: skip
    title = "Share of trips made by car: " + ", ".join(parts)
    fig = plot_mode_shares(summary, baseline=results.baseline, title=_wrap(title))
    return [_figure(fig, title, "Share of trips by car, bike, walking, bus and shuttle in each variant.")]


# ------------------------------------------------------------------ the day


def _dark_s(context: Context) -> np.ndarray | None:
    """When the lights were on in the baseline (from the sun at the map's centre), or ``None`` without the map."""
    from twin.engine.sun import dark_intervals

    results = context.results
    scenario = results.scenarios[results.baseline]
    if not scenario.get("timezone"):
        return None  # a scenario from experiment.yaml, no run of it finished
    try:
        lon, lat = results.network().centre_lonlat()
    except TwinError:
        return None
    start = float(scenario.get("start_s", 0.0))
    import datetime as dt

    return dark_intervals(latitude=lat, longitude=lon, date=dt.date.fromisoformat(str(scenario["date"])),
                          timezone=scenario["timezone"], elevation_deg=scenario["lighting"]["on_sun_elevation_deg"],
                          start_s=start, end_s=start + float(scenario["duration_s"]))  # fmt: skip


def _peak(series: pd.DataFrame, column: str, variant: str) -> tuple[float, float]:
    """The highest point of ``variant``'s curve as the plot draws it (15-minute means of long series)."""
    from twin.viz.timeseries import mean_band

    curve = mean_band(series[series["variant"] == variant], column=column)
    if not len(curve):
        return np.nan, np.nan
    top = curve.loc[curve["mean"].idxmax()]
    return float(top["mean"]), float(top["time_s"])


def _timeseries_figures(context: Context) -> list:
    from twin.viz.timeseries import plot_timeseries

    results = context.results
    table = results.table("timeseries")
    if not len(table):
        return []
    dark = _dark_s(context)
    summary = results.summary
    figures = []
    base_kwh = _mean(summary, results.baseline, "energy.lighting_kwh")
    parts = [f"{number(base_kwh)} kWh a day in {results.baseline}"]
    for variant in results.others[:MAX_MAPS]:
        kwh = _mean(summary, variant, "energy.lighting_kwh")
        change = (kwh - base_kwh) / base_kwh if finite(kwh) and finite(base_kwh) and base_kwh else None
        if finite(change) and abs(change) >= 0.0005:
            parts.append(f"{number(kwh)} kWh in {variant} ({percent(change, signed_=True)})")
        elif finite(kwh) and finite(base_kwh) and abs(kwh - base_kwh) <= 0.0005 * max(abs(base_kwh), 1e-9):
            parts.append(f"{number(kwh)} kWh in {variant} (the same)")
        else:
            parts.append(f"{number(kwh)} kWh in {variant}")
    title = "Street lighting uses " + ", ".join(parts)
    series = table[["variant", "replication", "time_s", "lighting_power_kw"]]
    fig = plot_timeseries(series, column="lighting_power_kw", ylabel="street-lighting power (kW)", title=_wrap(title),
                          dark_s=dark, variants=results.variants)  # fmt: skip
    figures.append(_figure(fig, title, "Power drawn by all streetlights over the day, mean of the replications; "
                           "shaded: dark, lights on."))  # fmt: skip
    series = table[["variant", "replication", "time_s", "vehicles_on_road"]]
    peaks = [(variant, *_peak(series, "vehicles_on_road", variant)) for variant in results.variants[: 1 + MAX_MAPS]]
    first = peaks[0]
    title = f"Vehicles on the road peak at {number(first[1])} at {clock(first[2])} in {first[0]}"
    if len(peaks) > 1:
        title += " (" + ", ".join(f"{v}: {number(p)} at {clock(t)}" for v, p, t in peaks[1:]) + ")"
    fig = plot_timeseries(series, column="vehicles_on_road", ylabel="vehicles on the road", title=_wrap(title),
                          dark_s=dark, variants=results.variants)  # fmt: skip
    figures.append(_figure(fig, title, "Cars, buses and shuttles under way over the day, mean of the replications."))
    waits = _waits(context)
    if waits is not None:
        overall = {v: w for v, w in waits.attrs["overall"].items() if finite(w)}
        title = "Mean wait for a bus or shuttle over the day: " + ", ".join(
            f"{number(w)} min in {v}" for v, w in overall.items())  # fmt: skip
        fig = plot_timeseries(waits, column="wait_min", ylabel="mean wait (min)", title=_wrap(title), dark_s=dark,
                              variants=results.variants)  # fmt: skip
        figures.append(_figure(fig, title, "Mean wait of riders boarding a bus or a shuttle, hour by hour, mean of "
                               "the replications."))  # fmt: skip
    return figures


def _waits(context: Context) -> pd.DataFrame | None:
    """Hourly mean waits (minutes) of bus and shuttle riders per run, weighted by riders; ``None`` without services."""
    services = context.results.table("services")
    if not len(services) or "mean_wait_s" not in services:
        return None
    riders = np.where(services["service_kind"] == "drt", services.get("served", 0), services.get("boardings", 0))
    services = services.assign(riders=np.nan_to_num(np.asarray(riders, dtype=float)),
                               waited=lambda t: t["riders"] * t["mean_wait_s"].fillna(0))  # fmt: skip
    hourly = services.groupby(["variant", "replication", "hour"], as_index=False)[["riders", "waited"]].sum()
    hourly = hourly[hourly["riders"] > 0]
    if not len(hourly):
        return None
    series = pd.DataFrame({"variant": hourly["variant"], "replication": hourly["replication"],
                           "time_s": hourly["hour"] * 3600.0 + 1800.0,
                           "wait_min": hourly["waited"] / hourly["riders"] / 60.0})  # fmt: skip
    totals = hourly.groupby("variant")[["riders", "waited"]].sum()
    series.attrs["overall"] = {v: float(r.waited / r.riders / 60.0) for v, r in totals.iterrows()}
    return series


# ------------------------------------------------------------------ maps


def _map_figures(context: Context) -> list:
    from twin.viz.maps import daily_edge_flow, plot_edge_values

    results = context.results
    try:
        network = results.network()
    except TwinError as error:
        return [Paragraph(f"The maps cannot be drawn here: {error}", tone="note")]
    figures: list = []
    flows = {}
    for variant in results.variants:
        links = [results.table("links", variants=[variant])]
        per_run = [daily_edge_flow(group, n_edges=network.n_edges)
                   for _, group in links[0].groupby("replication")] if len(links[0]) else []  # fmt: skip
        if per_run:
            flows[variant] = np.mean(per_run, axis=0)
    base = flows.get(results.baseline)
    if base is not None:
        streets = np.unique(network.edges["street_id"].to_numpy(), return_inverse=True)[1]
        busiest = float(np.bincount(streets, weights=base).max())
        title = (f"Traffic in {results.baseline}: the busiest street carries {number(busiest)} vehicles a day "
                 "(both directions)")  # fmt: skip
        fig = plot_edge_values(network, base, title=_wrap(title), label="vehicles a day (both directions)")
        figures.append(_figure(fig, title, "Streets coloured by the vehicles (cars, buses, shuttles) that drove them in "
                               "the day, both directions added (mean of the replications); darker and wider is more."))  # fmt: skip
        for variant in [v for v in results.others if v in flows][:MAX_MAPS]:
            change = flows[variant] - base
            biggest = float(np.abs(change).max())
            if biggest < 0.5:
                figures.append(Paragraph(f"{variant} leaves traffic where it was: no street changes by a vehicle a "
                                         "day, so its map of changes is left out."))  # fmt: skip
                continue
            threshold = max(1.0, nice_floor(0.1 * biggest))
            up, down = int((change >= threshold).sum()), int((change <= -threshold).sum())
            title = (f"{variant} against {results.baseline}: {up:,} street segments gain and {down:,} lose "
                     f"{number(threshold)} or more vehicles (cars, buses, shuttles) a day")  # fmt: skip
            fig = plot_edge_values(network, change, title=_wrap(title), label="change in vehicles a day",
                                   diverging=True)  # fmt: skip
            figures.append(_figure(fig, title, "Streets coloured by the change of their daily traffic (both directions) "
                                   "against the baseline: purple and dashed for less, orange for more, grey for no "
                                   "change."))  # fmt: skip
    figures.extend(_lamp_figures(context, network))
    return figures


def _lamp_figures(context: Context, network) -> list:
    from twin.viz.maps import plot_lamp_values

    results = context.results
    lights = results.table("lights")
    if not len(lights):
        return []
    figures: list = []
    per_lamp = lights.groupby(["variant", "lamp_id"])[["energy_kwh", "hours_dimmed"]].mean()
    dimming = [v for v in results.variants if v in per_lamp.index.get_level_values(0)
               and per_lamp.loc[v, "hours_dimmed"].sum() > 0]  # fmt: skip
    for variant in dimming[:MAX_MAPS] or [results.baseline]:
        if variant not in per_lamp.index.get_level_values(0):
            continue
        values = per_lamp.loc[variant].sort_index()
        if len(values) != len(network.lamps):
            return [Paragraph(f"The lamp map is left out: {variant} has {len(values)} lamps and the map "
                              f"{len(network.lamps)}.", tone="note")]  # fmt: skip
        if variant in dimming:
            hours = values["hours_dimmed"].to_numpy(float)
            dims = hours > 0
            title = (f"{variant}: {int(dims.sum()):,} of {len(hours):,} streetlights dim, for "
                     f"{number(hours[dims].mean())} h of the night on average")  # fmt: skip
            fig = plot_lamp_values(network, hours, title=_wrap(title), label="hours dimmed")
            figures.append(_figure(fig, title, "Each streetlight coloured by the hours it was dimmed in the day, mean "
                                   "of the replications."))  # fmt: skip
        else:
            energy = values["energy_kwh"].to_numpy(float)
            title = (f"Streetlights in {variant} use {number(energy.mean())} kWh each in the day on average, "
                     f"{number(energy.sum())} kWh in all; none dims")  # fmt: skip
            fig = plot_lamp_values(network, energy, title=_wrap(title), label="energy in the day (kWh)")
            figures.append(_figure(fig, title, "Each streetlight coloured by the energy it used in the day."))
    return figures


# ------------------------------------------------------------------ equity


def equity_figures(context: Context) -> list:
    """The equity panels: minutes travelling and money paid, by income group and smartphone access."""
    from twin.report.outcomes import EQUITY_MEASURES
    from twin.viz.outcomes import plot_equity

    results = context.results
    summary = results.summary
    figures = []
    for measure in ("mean_daily_travel_min", "mean_daily_paid_eur"):
        spec = EQUITY_MEASURES[measure]
        rows = summary[summary["kpi"].str.startswith("equity.") & summary["kpi"].str.endswith("." + measure)]
        if not len(rows):
            continue
        title = _equity_title(rows, spec, results.baseline, results.others)
        fig = plot_equity(summary, measure=measure, label=f"{spec.label.split(' (')[0].lower()} ({spec.unit})",
                          baseline=results.baseline, title=_wrap(title))  # fmt: skip
        figures.append(_figure(fig, title, "By income group and by smartphone access, for each variant."))
    return figures


def _equity_title(rows: pd.DataFrame, spec, baseline: str, others: list[str]) -> str:
    group = rows["kpi"].str.split(".").str[2]
    label = spec.label.split(" (")[0]
    unit = spec.unit
    if not others:
        base = rows[rows["variant"] == baseline].assign(group=group)
        base = base[base["mean"].notna()]
        if not len(base):
            return label
        low, high = base.loc[base["mean"].idxmin()], base.loc[base["mean"].idxmax()]
        return (f"{label}: from {number(low['mean'])} {unit} ({_GROUP_WORDS.get(low['group'], low['group'])}) to "
                f"{number(high['mean'])} {unit} ({_GROUP_WORDS.get(high['group'], high['group'])})")  # fmt: skip
    changed = rows[rows["variant"].isin(others) & rows["diff_mean"].notna()]
    if not len(changed):
        return f"{label}: the variants cannot be compared with {baseline}"
    if (changed["diff_mean"].abs() < 1e-9).all():
        return f"{label}: no variant changes it for any group"
    variant = changed.loc[changed["diff_mean"].abs().idxmax(), "variant"]
    mine = changed[changed["variant"] == variant].assign(group=group)
    low, high = mine.loc[mine["diff_mean"].idxmin()], mine.loc[mine["diff_mean"].idxmax()]
    words = {r: _GROUP_WORDS.get(r, r) for r in mine["group"]}
    return (f"{label}, change with {variant}: from {signed(low['diff_mean'])} {unit} ({words[low['group']]}) to "
            f"{signed(high['diff_mean'])} {unit} ({words[high['group']]})")  # fmt: skip
