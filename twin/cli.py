"""The ``twin`` command: parses arguments, calls the Python API, prints results.

Errors in the user's input (:class:`twin.TwinError`) print as one line on standard error and
exit with code 2; ``--debug`` shows the traceback instead. Warnings print as one line each.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from twin._errors import TwinError

__all__ = ["app", "main"]

app = typer.Typer(
    name="twin",
    help="Agent-based city simulation and digital twin: residents, vehicles and streetlights on a real street map.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain usage errors ("Error: Invalid value for '--rows' ..."), not a boxed panel.
    rich_markup_mode=None,
)
maps_app = typer.Typer(help="Inspect, import, generate and plot street maps.", no_args_is_help=True,
                       rich_markup_mode=None)  # fmt: skip
app.add_typer(maps_app, name="maps")

SetOption = Annotated[
    Optional[list[str]],
    typer.Option("--set", "-s", help="Override a scenario key, e.g. --set lighting.dim_level=0.3 (repeatable)."),
]
def _out() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _load_network_from(path: Path, *, overrides: list[str] | None = None, lamp_snap_m: float | None = None):
    """A map file, or a scenario file whose map is loaded (or generated)."""
    from twin.maps import load_network
    from twin.maps.spec import network_from_spec

    if path.suffix.lower() in (".yaml", ".yml"):
        from twin.scenario import load_scenario

        scenario = load_scenario(path, overrides=overrides or ())
        return network_from_spec(scenario.map, vehicle_spacing_m=scenario.traffic.vehicle_spacing_m)
    if overrides:
        raise TwinError(f"{path}: --set changes scenario keys, and this is a map file; give a scenario .yaml instead")
    return load_network(path, **({"lamp_snap_m": lamp_snap_m} if lamp_snap_m is not None else {}))


def _summary_table(summary: dict) -> Table:
    table = Table(title=f"Street network: {summary['source']}", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    table.add_row("CRS", summary["crs"])
    table.add_row("Nodes", f"{summary['nodes']:,}")
    table.add_row("Directed edges", f"{summary['edges']:,} (car {summary['edges_by_mode']['car']:,}, "
                  f"bike {summary['edges_by_mode']['bike']:,}, walk {summary['edges_by_mode']['walk']:,})")  # fmt: skip
    table.add_row("Street length", f"{summary['street_km']:.2f} km ({summary['lit_street_km']:.2f} km lit)")
    for road_class, km in summary["street_km_by_class"].items():
        table.add_row(f"  {road_class}", f"{km:.2f} km")
    by_source = ", ".join(f"{n} {source}" for source, n in summary["lamps_by_source"].items()) or "none"
    table.add_row("Streetlights", f"{summary['lamps']:,} ({by_source}), {summary['lamp_power_kw']:.1f} kW rated")
    table.add_row("Bounds", " ".join(f"{b:.1f}" for b in summary["bounds"]))
    table.add_row("Centre (lon, lat)", f"{summary['centre_lonlat'][0]:.5f}, {summary['centre_lonlat'][1]:.5f}")
    table.add_row("Time zone", summary["timezone"])
    table.add_row("SHA-256", summary["source_hash"][:16] + "...")
    if summary.get("attribution"):
        table.add_row("Attribution", summary["attribution"])
    return table


@app.command()
def validate(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    set_: SetOption = None,
    show: Annotated[bool, typer.Option("--show", help="Print the scenario with every default filled in.")] = False,
) -> None:
    """Check a scenario file (and its overrides); with --show, print it fully resolved."""
    import yaml

    from twin.scenario import load_scenario

    loaded = load_scenario(scenario, overrides=set_ or ())
    if loaded.interventions or loaded.services.has_transit or loaded.services.has_drt:
        # Districts, areas and stops are checked against the map itself: a typo there would
        # only show when the run starts.
        from twin.interventions.registry import apply_interventions
        from twin.maps.spec import network_from_spec
        from twin.mobility.system import check_services

        network = network_from_spec(loaded.map, vehicle_spacing_m=loaded.traffic.vehicle_spacing_m)
        city, _, _ = apply_interventions(loaded, network)
        check_services(city.services, city.network, where=str(scenario))
    if show:
        sys.stdout.write(yaml.safe_dump(loaded.model_dump(mode="json"), sort_keys=False, allow_unicode=True))
    else:
        _out().print(f"[green]ok[/green] {scenario}: scenario {loaded.name!r} is valid")


@app.command()
def schema(
    out: Annotated[Optional[Path], typer.Option(help="Write the schema to this file instead of printing it.")] = None,
) -> None:
    """Print the JSON Schema of scenario files (for editors' completion and checking)."""
    from twin.scenario import scenario_json_schema

    text = json.dumps(scenario_json_schema(), indent=2)
    if out is None:
        sys.stdout.write(text + "\n")
    else:
        out.write_text(text + "\n", encoding="utf-8")


@app.command()
def demo(
    baseline: Annotated[Optional[Path], typer.Argument(
        help="Baseline scenario (default: the bundled Helsinki baseline, with adaptive lighting and MaaS as variants).")] = None,
    variant: Annotated[Optional[list[Path]], typer.Option("--variant", metavar="PATH",
                                                          help="A variant scenario file (repeatable).")] = None,
    out: Annotated[Path, typer.Option(help="Demo folder: batch/, film.mp4, report.html.")] = Path("out/demo"),
    replications: Annotated[int, typer.Option("--replications", "-r", min=1, help="Runs per variant.")] = 3,
    workers: Annotated[Optional[int], typer.Option(min=1, help="Local worker processes (default: one per core).")] = None,
    film_seconds: Annotated[float, typer.Option("--film-seconds", min=0.5, help="Length of the film.")] = 30.0,
    film_from: Annotated[Optional[str], typer.Option("--from", metavar="HH:MM", help="Film from this time.")] = None,
    film_to: Annotated[Optional[str], typer.Option("--to", metavar="HH:MM", help="Film until this time.")] = None,
    no_film: Annotated[bool, typer.Option("--no-film", help="No film (faster).")] = False,
    set_: SetOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Run the bundled city with and without interventions as a small batch; write a film and an HTML report."""
    from twin.demo import run_demo
    from twin.experiment.statistics import HEADLINE_KPIS

    if (film_from is None) != (film_to is None):
        raise TwinError("--from and --to go together; give both (e.g. --from 15:00 --to 24:00) or neither")
    window = (film_from, film_to) if film_from is not None else None
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    started = time.perf_counter()
    with _demo_progress(quiet=quiet) as (on_runs, on_film):
        result = run_demo(out=out, baseline=baseline, variants=variant, replications=replications, workers=workers,
                          overrides=set_ or (), film=not no_film, film_seconds=film_seconds, window=window,
                          batch_progress=on_runs, film_progress=on_film)  # fmt: skip
    console = _wide(_out())
    n_runs = len(result.runs)
    console.print(_summary_kpis(result.summary, title=f"Demo: {n_runs} runs", kpis=list(HEADLINE_KPIS)))
    failed = result.runs[result.runs["status"] != "ok"]
    if len(failed):
        err.print(f"{len(failed)} of {n_runs} runs failed; see {result.folder / 'batch' / 'failures'}")
    console.print(f"Report: [bold]{result.report}[/bold] (open it in a browser; it needs no network)")
    if result.film is not None:
        console.print(f"Film:   [bold]{result.film}[/bold]")
    console.print(f"Batch:  [bold]{result.folder / 'batch'}[/bold] (runs.parquet, summary.csv, one folder per run)")
    console.print(f"Done in {time.perf_counter() - started:.0f} s")
    if len(failed):
        raise typer.Exit(code=1)


@contextlib.contextmanager
def _demo_progress(*, quiet: bool):
    """Two progress callbacks for the demo, runs and film frames, on one live display (none when quiet)."""
    from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn, TimeElapsedColumn

    if quiet:
        yield None, None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:  # fmt: skip
        tasks: dict[str, TaskID] = {}

        def update(name: str, done: float, total: float) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total)
            bar.update(tasks[name], completed=done, total=total)

        def on_runs(done: int, failed: int, total: int) -> None:
            update("simulating runs", done + failed, total)

        def on_film(stage: str, done: float, total: float) -> None:
            update(f"film: {stage}", done, total)

        yield on_runs, on_film


@app.command("run")
def run_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    out: Annotated[
        Optional[Path], typer.Option(help="Run folder to write (default: the scenario's outputs.dir/<name>).")
    ] = None,
    set_: SetOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Simulate a scenario's day and write its run folder (trips, links, lights, time series, KPIs)."""
    from twin.scenario import load_scenario
    from twin.simulation import run

    loaded = load_scenario(scenario, overrides=set_ or ())
    target = out if out is not None else loaded.outputs.dir / loaded.name
    result = _with_progress(loaded.name, lambda progress: run(loaded, out=target, progress=progress), quiet=quiet)
    console = _out()
    console.print(_kpi_table(result.kpis, title=f"{loaded.name}: {_span(loaded)}"))
    console.print(f"Wrote run folder [bold]{target}[/bold]")


def _with_progress(name: str, job, *, quiet: bool):
    """Call ``job(progress)`` with a progress bar on standard error (none when quiet)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    if quiet:
        return job(None)
    with Progress(TextColumn("simulating {task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:  # fmt: skip
        task = bar.add_task(name, total=1.0)
        return job(lambda done, total: bar.update(task, completed=done / total))


def _span(scenario) -> str:
    """The simulated window in words, e.g. ``2026-12-15, 00:00 for 24 h``."""
    return f"{scenario.date}, {_clock(scenario.start_s)} for {scenario.duration_s / 3600:g} h"


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    day, rest = divmod(int(round(seconds)), 86400)
    return f"{rest // 3600:02d}:{rest % 3600 // 60:02d}" + (f" (+{day} d)" if day else "")


def _kpi_table(kpis: dict, *, title: str) -> Table:
    table = Table(title=title, show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    trips, energy, safety = kpis["trips"], kpis["energy"], kpis["safety"]
    table.add_row("Trips", f"{trips['total']:,} ({trips['arrived']:,} arrived, {trips['en_route']:,} under way at the end)")
    shares = ", ".join(f"{mode} {share:.1%}" for mode, share in kpis["mode_shares"].items() if share is not None)
    table.add_row("Mode shares", shares)
    times = ", ".join(f"{mode} {t:.1f}" for mode, t in kpis["mean_travel_time_min"].items() if t is not None)
    table.add_row("Mean trip time (min)", times)
    services_km = kpis.get("service_vehicle_km", {})
    table.add_row("Vehicle-km", f"{kpis['vehicle_km']:,.1f} by car" + "".join(
        f", {value:,.1f} by {what}" for what, value in (("bus", services_km.get("transit")), ("shuttle", services_km.get("drt")))
        if value))  # fmt: skip
    table.add_row("Lights", f"off at {_clock(energy['switch_off_s'])}, on at {_clock(energy['switch_on_s'])}: "
                  f"{energy['dark_hours']:.2f} h of darkness")  # fmt: skip
    table.add_row("Lighting energy", f"{energy['lighting_kwh']:,.1f} kWh for {energy['lamps']:,} lamps "
                  f"(peak {energy['lighting_peak_kw']:,.1f} kW)")  # fmt: skip
    table.add_row("CO2", f"{kpis['co2_kg']['lighting']:,.1f} kg lighting, {kpis['co2_kg']['traffic']:,.1f} kg traffic")
    share = safety["night_walk_bike_share_full_light"]
    table.add_row("Night walking and cycling", f"{safety['night_walk_bike_km']:,.1f} km, "
                  f"{'-' if share is None else f'{share:.1%}'} at full light, "
                  f"{safety['dark_arrivals_walk_bike']:,} dark arrivals")  # fmt: skip
    for name, outcome in kpis.get("interventions", {}).items():
        affected = ", ".join(f"{value:,.6g} {what}" for what, value in outcome["affected"].items())
        cost = outcome["cost"]
        table.add_row(f"Intervention {name}", f"{outcome['type']}: {affected}; capital {cost['capital_eur']:,.0f} EUR, "
                      f"{cost['operating_eur_per_year']:,.0f} EUR a year")  # fmt: skip
    services = kpis.get("services", {})
    transit = services.get("transit", {})
    if transit.get("vehicle_km"):
        wait = transit["mean_wait_s"]
        table.add_row("Transit", f"{transit['riders']:,.0f} riders, {transit['boardings']:,.0f} boardings, mean wait "
                      f"{'-' if wait is None else f'{wait / 60:.1f} min'}, {transit['vehicle_km']:,.1f} bus-km, "
                      f"{transit['operating_cost_eur']:,.0f} EUR cost, {transit['fare_revenue_eur']:,.0f} EUR fares")  # fmt: skip
    for name, drt in services.get("drt_by_service", {}).items():
        wait, per_hour = drt.get("mean_wait_s"), drt.get("passengers_per_vehicle_hour")
        subsidy = drt.get("subsidy_per_trip_eur")
        table.add_row(f"Shuttles {name}", f"{drt['served']:,.0f} of {drt['requests']:,.0f} requests served "
                      f"({drt['rejected']:,.0f} rejected, {drt['declined']:,.0f} declined), mean wait "
                      f"{'-' if wait is None else f'{wait / 60:.1f} min'}, "
                      f"{'-' if per_hour is None else f'{per_hour:.2f}'} riders per vehicle-hour, "
                      f"{'-' if subsidy is None else f'{subsidy:,.2f} EUR'} subsidy per trip")  # fmt: skip
    maas = services.get("maas", {})
    if maas.get("subscribers"):
        table.add_row("MaaS bundle", f"{maas['subscribers']:,} subscribers, "
                      f"{maas['subscription_revenue_eur_per_day']:,.2f} EUR a day")  # fmt: skip
    if maas.get("net_subsidy_per_ride_eur") is not None:
        table.add_row("Services together", f"{maas['operating_cost_eur']:,.0f} EUR cost, {maas['revenue_eur']:,.0f} EUR "
                      f"fares and bundle, {maas['net_subsidy_per_ride_eur']:,.2f} EUR net cost per ride")  # fmt: skip
    if kpis.get("pricing", {}).get("car_trips_charged"):
        pricing = kpis["pricing"]
        table.add_row("Tolls", f"{pricing['toll_revenue_eur']:,.2f} EUR from {pricing['car_trips_charged']:,} car trips")
    gaps = kpis["traffic"]["relative_gap"]
    if gaps:
        table.add_row("Relative gap per iteration", ", ".join("-" if g is None else f"{g:.4f}" for g in gaps))
    table.add_row("Wall time", f"{kpis['run']['wall_time_s']:.1f} s")
    return table


@app.command()
def batch(
    target: Annotated[Path, typer.Argument(help="Baseline scenario file, or an experiment file (top-level baseline: key).")],
    variant: Annotated[Optional[list[Path]], typer.Option(
        "--variant", metavar="PATH", help="A variant: a scenario file, or a YAML file of interventions added to the baseline "
        "(repeatable; named after the file).")] = None,
    sweep: Annotated[Optional[list[str]], typer.Option(
        "--sweep", metavar="KEY=V1,V2,...", help="Try these values of a key on every variant, e.g. --sweep lighting.dim_level=0.2,0.3,0.5 "
        "(repeatable: all combinations).")] = None,
    set_: SetOption = None,
    replications: Annotated[Optional[int], typer.Option("--replications", "-r", min=1,
                                                        help="Runs per variant, each with its own seed.")] = None,
    seed: Annotated[Optional[int], typer.Option(min=0, help="Root seed of the replications (default: the "
                                                "baseline's seed).")] = None,
    workers: Annotated[Optional[int], typer.Option(min=1, help="Local worker processes (default: one per core).")] = None,
    dask: Annotated[Optional[str], typer.Option(metavar="ADDRESS", help="Run on Dask: a scheduler address (tcp://host:8786) or local:N "
                                                "for a local cluster of N workers.")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Batch folder (default: <name>-batch beside the baseline's "
                                                "outputs.dir).")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Finish the batch in --out: keep finished runs, run the "
                                         "others.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Run variants x sweep points x replications (paired seeds); write runs.parquet and summary.csv.

    Exits with 1 if some runs failed (their tracebacks are in the folder's failures/).
    """
    from twin.experiment.batch import default_out, prepare, run_batch
    from twin.experiment.files import sweeps_from_text
    from twin.experiment.executors import check_options
    from twin.experiment.store import BatchFolder

    grid = sweeps_from_text(sweep or [])
    experiment_plan = prepare(target, variants=variant or [], sweeps=grid, overrides=set_ or [],
                              replications=replications, seed=seed)  # fmt: skip
    target_out = out if out is not None else default_out(experiment_plan)
    check_options(workers=workers, dask=dask)  # before the first line is printed
    BatchFolder(target_out).check(resume=resume)
    console = _out()
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    if not quiet:
        err.print(f"{experiment_plan.n_runs} runs: {len(experiment_plan.variants)} variants x "
                  f"{len(experiment_plan.seeds)} replications (root seed {experiment_plan.root_seed}) -> {target_out}")
    table = _with_batch_progress(
        lambda progress: run_batch(experiment_plan, workers=workers, dask=dask, out=target_out,
                                   resume=resume, progress=progress), quiet=quiet)  # fmt: skip
    from twin.experiment.statistics import summarize

    summary = summarize(table, baseline=table.attrs["baseline"])
    console = _wide(console)
    console.print(_summary_kpis(summary, title=f"{experiment_plan.experiment.name}: {experiment_plan.n_runs} runs"))
    folder = Path(table.attrs["folder"])
    console.print(f"Wrote batch folder [bold]{folder}[/bold] (runs.parquet, summary.csv)")
    failed = table[table["status"] != "ok"]
    if len(failed):
        first = failed.iloc[0]
        err.print(f"{len(failed)} of {len(table)} runs failed; errors and tracebacks in {folder / 'failures'} "
                  f"(first: {first['variant']}, replication {first['replication']}: "
                  f"{str(first['error']).splitlines()[0]})")  # fmt: skip
        raise typer.Exit(code=1)


@app.command()
def compare(
    a: Annotated[Path, typer.Argument(help="Reference: a run folder or a batch folder (its baseline).")],
    b: Annotated[Path, typer.Argument(help="A run folder or a batch folder (all its variants).")],
    kpi: Annotated[Optional[list[str]], typer.Option("--kpi", metavar="KPI", help="A KPI to show (dotted name, e.g. "
                                                     "energy.lighting_kwh; repeatable).")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Also write the full comparison as CSV here.")] = None,
) -> None:
    """Compare B with A: paired differences (by replication seed) with 95% confidence intervals."""
    from twin.experiment.compare import compare as compare_results

    summary = compare_results(a, b)
    console = _wide(_out())
    console.print(_summary_kpis(summary, title=f"{b} against {a}", kpis=kpi))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        summary.to_csv(out, index=False)
        console.print(f"Wrote [bold]{out}[/bold]")


@app.command()
def report(
    target: Annotated[Path, typer.Argument(metavar="DIR", help="A run folder or a batch folder; with OTHER, the "
                                           "reference (as twin compare A B).")],
    out: Annotated[Path, typer.Option(help="The HTML file to write, e.g. report.html.")],
    other: Annotated[Optional[Path], typer.Argument(metavar="[OTHER]", help="A run or batch folder to report "
                                                    "against DIR.")] = None,
    film: Annotated[Optional[Path], typer.Option(help="Inline this film (.mp4 or .gif, e.g. from twin animate) "
                                                 "instead of rendering one.")] = None,
    no_film: Annotated[bool, typer.Option("--no-film", help="Leave the film out (quick).")] = False,
    from_: Annotated[Optional[str], typer.Option("--from", metavar="HH:MM", help="Start of the rendered film "
                                                 "(default: the run's start).")] = None,
    to: Annotated[Optional[str], typer.Option("--to", metavar="HH:MM", help="End of the rendered film (default: "
                                              "the run's end; before --from: the next day).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Write one self-contained HTML report of a run, a comparison (OTHER against DIR) or a batch."""
    from twin.report import build_report
    from twin.scenario.services import clock_s

    if film is not None and no_film:
        raise TwinError(f"--film {film} and --no-film: give one of them (or neither, to render a film)")
    times = {}
    for option, text in (("--from", from_), ("--to", to)):
        try:
            times[option] = None if text is None else clock_s(text)
        except ValueError as error:
            raise TwinError(f"{option} {text}: {error}") from None
    film_option = False if no_film else (film if film is not None else True)
    paths = [target] if other is None else [target, other]

    def job(progress):
        return build_report(paths, out=out, film=film_option, start_s=times["--from"], end_s=times["--to"],
                            progress=progress)  # fmt: skip

    if quiet:
        written = job(None)
    else:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=Console(stderr=True),
                      transient=True) as bar:  # fmt: skip
            task = bar.add_task("reading the results", total=1.0)
            written = job(lambda what, done, total: bar.update(task, description=what, completed=done / (total or 1)))
    _out().print(f"Wrote [bold]{written}[/bold] ({written.stat().st_size / 1e6:.1f} MB); open it in any browser")


@app.command()
def economics(
    target: Annotated[Path, typer.Argument(metavar="DIR", help="A batch folder; with OTHER, the reference (as twin "
                                           "compare A B).")],
    other: Annotated[Optional[Path], typer.Argument(metavar="[OTHER]", help="A run or batch folder valued against "
                                                    "DIR's baseline.")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", "-s", help="Change a price or rule of the costs "
                                                      "section, e.g. --set costs.discount_rate=0.04 (repeatable).")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Write the business case as JSON here, and its cash flows as "
                                                "CSV beside it (<name>-cashflows.csv).")] = None,
    plot: Annotated[Optional[Path], typer.Option(help="Write the financing plot here (.png, .svg or .pdf).")] = None,
    resamples: Annotated[int, typer.Option(min=1000, help="Bootstrap resamples of the paired runs.")] = 2000,
) -> None:
    """The business case of each variant (NPV, IRR, paybacks, BCR with 95% intervals) and its financing models."""
    from twin.economics import business_case
    from twin.economics._words import estimate_text, eur, pct, ratio, years

    if plot is not None and plot.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise TwinError(f"--plot {plot}: give a .png, .svg or .pdf file")
    case = business_case([target] if other is None else [target, other], overrides=set_ or (), resamples=resamples)
    console = _wide(_out())
    first = next(iter(case.lighting.values()))
    console.print(f"A year of street lighting by the year's nights ({first['method'].replace('_', ' ')}, "
                  f"{first['dark_hours_year']:,.0f} dark hours) against 365 x the simulated day "
                  f"({first['dark_hours_day']:.1f} dark hours):")  # fmt: skip
    for variant, light in case.lighting.items():
        console.print(f"  {escape(variant)}: {light['kwh_year']:,.0f} kWh a year (365 x the day: "
                      f"{light['kwh_365_days']:,.0f} kWh)")  # fmt: skip
    irr_text = {"low_word": "below -99%", "high_word": "above 1000%"}
    for perspective, heading in (("city", "City budget"), ("society", "Society (city + residents' time and money + CO2)")):
        table = Table(title=f"{heading}: {case.years} years at {case.costs.discount_rate:.1%}, against "
                            f"{case.baseline} [95% CI]", title_justify="left")  # fmt: skip
        for column in ("variant", "NPV", "P(NPV>0)", "IRR", "payback", "discounted payback", "BCR"):
            table.add_column(column, justify="left" if column == "variant" else "right")
        for v in case.variants:
            m = v.measures(perspective)
            table.add_row(escape(v.variant), estimate_text(m.npv_eur, eur),
                          "-" if m.p_npv_positive is None else f"{m.p_npv_positive:.0%}",
                          estimate_text(m.irr, pct, **irr_text), estimate_text(m.payback_years, years, high_word="never"),
                          estimate_text(m.discounted_payback_years, years, high_word="never"),
                          estimate_text(m.bcr, ratio, high_word="no cost"))  # fmt: skip
        console.print(table)
    finance = Table(title="Financing: the city's cash under each model (NPV of cash at the discount rate; the "
                          "residual value is left out)", title_justify="left")  # fmt: skip
    for column in ("variant", "model", "NPV to the city", "upfront", "worst year", "terms"):
        finance.add_column(column, justify="right" if column in ("NPV to the city", "upfront", "worst year") else "left")
    for v in case.variants:
        for m in v.financing.values():
            worst = "-" if m.worst_year is None else f"year {m.worst_year}: {eur(m.worst_eur)}"
            finance.add_row(escape(v.variant), m.label, eur(m.npv_eur), eur(m.upfront_eur), worst, escape(m.note))
    console.print(finance)
    for note in case.notes:
        console.print(f"Note: {escape(note)}")
    if out is not None:
        json_path, csv_path = case.write(out)
        console.print(f"Wrote [bold]{json_path}[/bold] and [bold]{csv_path}[/bold]")
    if plot is not None:
        from twin.maps.plot import save_figure
        from twin.viz.financing import plot_financing

        save_figure(plot_financing(case), plot)
        console.print(f"Wrote [bold]{plot}[/bold]")


def _with_batch_progress(job, *, quiet: bool):
    """Call ``job(progress)`` with a progress bar of runs done, failed and the time left."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    if quiet:
        return job(None)
    with Progress(TextColumn("runs"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[failed]} failed"),
                  TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=Console(stderr=True),
                  transient=True) as bar:  # fmt: skip
        task = bar.add_task("runs", total=None, failed=0)

        def progress(done: int, failed: int, total: int) -> None:
            bar.update(task, completed=done, total=total, failed=failed)

        return job(progress)


def _wide(console: Console) -> Console:
    """``console``, or one wide enough for a summary table when the output is a file or a pipe."""
    return console if console.is_terminal else Console(highlight=False, soft_wrap=True, width=160)


def _number(value: float) -> str:
    if value != value:  # NaN
        return "-"
    return f"{value:,.0f}" if abs(value) >= 1e4 else f"{value:.4g}"


def _summary_kpis(summary, *, title: str, kpis: list[str] | None = None) -> Table:
    """The headline KPIs of a summary: mean ± sd per variant, difference to the baseline with its 95% CI."""
    from twin.experiment.statistics import HEADLINE_KPIS, SERVICE_KPIS

    wanted = list(kpis) if kpis else list(HEADLINE_KPIS)
    unknown = [name for name in wanted if name not in set(summary["kpi"])]
    if kpis and unknown:
        import difflib

        close = difflib.get_close_matches(unknown[0], sorted(set(summary["kpi"])), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "see the kpi column of the summary CSV (--out)"
        raise TwinError(f"--kpi {unknown[0]}: no such KPI; {hint}")
    table = Table(title=title)
    table.add_column("KPI / variant", overflow="fold")
    for column in ("n", "mean ± sd", "difference [95% CI]", "change"):
        table.add_column(column, justify="right")
    for name in wanted:
        rows = summary[summary["kpi"] == name]
        if not kpis and name in SERVICE_KPIS and not (rows["mean"].fillna(0) != 0).any():
            continue  # no variant has the service
        table.add_row(f"[bold]{name}[/bold]")
        for i, row in enumerate(rows.itertuples()):
            spread = "" if row.sd != row.sd else f" ± {_number(row.sd)}"
            if row.n_pairs == 0:
                diff, change = "", ""
            else:
                ci = "" if row.ci_low != row.ci_low else f" [{_number(row.ci_low)}, {_number(row.ci_high)}]"
                diff = f"{_number(row.diff_mean)}{ci}"
                change = "-" if row.rel_change != row.rel_change else f"{row.rel_change:+.1%}"
            table.add_row(f"  {escape(row.variant)}", str(row.n), f"{_number(row.mean)}{spread}", diff, change,
                          end_section=i == len(rows) - 1)  # fmt: skip
    return table


@app.command()
def animate(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN_DIR", help="Run folder to film (what `twin run --out` wrote).")],
    out: Annotated[Path, typer.Option(help="Film to write: .mp4 (H.264; plays in browsers and PowerPoint) or .gif.")],
    vs: Annotated[Optional[Path], typer.Option("--vs", metavar="OTHER_RUN", help="Another run folder on the same map, "
                                               "shown on the right on the same clock.")] = None,
    from_: Annotated[Optional[str], typer.Option("--from", metavar="HH:MM", help="Start of the simulated window "
                                                 "(default: the run's start).")] = None,
    to: Annotated[Optional[str], typer.Option("--to", metavar="HH:MM", help="End of the window; earlier than --from "
                                              "means the next day (default: the run's end).")] = None,
    seconds: Annotated[float, typer.Option(help="Playing time of the film, in seconds.")] = 30.0,
    fps: Annotated[Optional[float], typer.Option(help="Frames per second (default: 24 for MP4, 10 for GIF).")] = None,
    width: Annotated[Optional[int], typer.Option(metavar="PX", help="Width of one run's panel in pixels (default: "
                                                 "640 for MP4, 360 for GIF).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Film a run (simulated again from its folder): people and vehicles moving, lamps glowing, a clock and counters."""
    from twin._clock import clock
    from twin.viz.film.animate import animate_runs

    runs = [run_dir] + ([vs] if vs is not None else [])
    info = _with_film_progress(lambda progress: animate_runs(runs, out=out, start=from_, end=to, seconds=seconds, fps=fps,
                                                             width_px=width, progress=progress), quiet=quiet)  # fmt: skip
    _out().print(f"Wrote film [bold]{info.path}[/bold]: {info.frames} frames, {info.duration_s:g} s at {info.fps:g} fps, "
                 f"{info.width} x {info.height} px, {info.bytes / 1e6:.1f} MB; simulated {clock(info.start_s)} to "
                 f"{clock(info.end_s, end=True)}")  # fmt: skip


def _with_film_progress(job, *, quiet: bool):
    """Call ``job(progress)`` with a progress bar per stage (each run's re-simulation, the rendering)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    if quiet:
        return job(None)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:  # fmt: skip
        tasks: dict[str, int] = {}

        def progress(stage: str, done: float, total: float) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)

        return job(progress)


@maps_app.command("info")
def maps_info(
    map_: Annotated[Path, typer.Argument(metavar="MAP", help="Map file, or a scenario file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    set_: SetOption = None,
) -> None:
    """Nodes, edges, km of street by class, lamps, CRS and bounds of a map."""
    summary = _load_network_from(map_, overrides=set_).summary()
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    else:
        _out().print(_summary_table(summary))


@maps_app.command("import")
def maps_import(
    source: Annotated[Path, typer.Argument(help="Map to convert: .osm.pbf, .geojson, .shp, .parquet or .gpkg.")],
    out: Annotated[Path, typer.Option(help="GeoPackage to write.")],
) -> None:
    """Convert a map (e.g. an OSM extract) into a GeoPackage with streets, nodes and lamps."""
    from twin.maps import import_map

    layers = import_map(source, out)
    lamps = 0 if layers.lamps is None else len(layers.lamps)
    _out().print(f"Wrote {out}: {len(layers.streets):,} streets, {lamps:,} lamps")


def _make_town(generator, out: Path, **params):
    """Build a synthetic town; a parameter it refuses is a user error naming its option."""
    try:
        return generator(**params)
    except ValueError as error:
        message = re.sub(r"`(\w+)`", lambda m: "--" + m.group(1).replace("_", "-"), str(error))
        raise TwinError(f"{out}: not written: {message}") from None


def _save_town(network, out: Path) -> None:
    from twin.maps import save_network

    save_network(network, out)
    _out().print(f"Wrote {out}: {network.n_nodes:,} nodes, {network.n_edges:,} edges, {len(network.lamps):,} lamps")


@maps_app.command("grid")
def maps_grid(
    out: Annotated[Path, typer.Option(help="GeoPackage to write.")],
    rows: Annotated[int, typer.Option(min=2)] = 10,
    cols: Annotated[int, typer.Option(min=2)] = 10,
    block_m: Annotated[float, typer.Option(min=10)] = 120.0,
    arterial_every: Annotated[int, typer.Option(min=0, help="Every k-th line is an arterial; 0 for none.")] = 4,
    local_speed_kmh: float = 30.0,
    arterial_speed_kmh: float = 50.0,
    local_lanes: Annotated[int, typer.Option(min=1)] = 1,
    arterial_lanes: Annotated[int, typer.Option(min=1)] = 2,
    origin_lat: float = 60.17,
    origin_lon: float = 24.94,
) -> None:
    """Generate a grid town and save it as a GeoPackage."""
    from twin.maps.synthetic import grid_town

    network = _make_town(
        grid_town, out, rows=rows, cols=cols, block_m=block_m, arterial_every=arterial_every,
        local_speed_kmh=local_speed_kmh, arterial_speed_kmh=arterial_speed_kmh, local_lanes=local_lanes,
        arterial_lanes=arterial_lanes, origin_lat=origin_lat, origin_lon=origin_lon,
    )  # fmt: skip
    _save_town(network, out)


@maps_app.command("radial")
def maps_radial(
    out: Annotated[Path, typer.Option(help="GeoPackage to write.")],
    rings: Annotated[int, typer.Option(min=1)] = 5,
    spokes: Annotated[int, typer.Option(min=3)] = 8,
    ring_spacing_m: Annotated[float, typer.Option(min=10)] = 250.0,
    ring_speed_kmh: float = 30.0,
    spoke_speed_kmh: float = 50.0,
    ring_lanes: Annotated[int, typer.Option(min=1)] = 1,
    spoke_lanes: Annotated[int, typer.Option(min=1)] = 2,
    origin_lat: float = 60.17,
    origin_lon: float = 24.94,
) -> None:
    """Generate a radial town (ring roads and spokes) and save it as a GeoPackage."""
    from twin.maps.synthetic import radial_town

    network = _make_town(
        radial_town, out, rings=rings, spokes=spokes, ring_spacing_m=ring_spacing_m, ring_speed_kmh=ring_speed_kmh,
        spoke_speed_kmh=spoke_speed_kmh, ring_lanes=ring_lanes, spoke_lanes=spoke_lanes, origin_lat=origin_lat,
        origin_lon=origin_lon,
    )  # fmt: skip
    _save_town(network, out)


@maps_app.command("plot")
def maps_plot(
    map_: Annotated[Path, typer.Argument(metavar="MAP", help="Map file, or a scenario file.")],
    out: Annotated[Path, typer.Option(help="Image to write (.png, .svg or .pdf).")],
    set_: SetOption = None,
) -> None:
    """Draw a map's streets by class and its streetlights."""
    from twin.maps.plot import plot_network, save_figure

    save_figure(plot_network(_load_network_from(map_, overrides=set_)), out)
    _out().print(f"Wrote {out}")


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    sys.stderr.write(f"warning: {message}\n")


def main(argv: list[str] | None = None) -> int:
    """Run the ``twin`` command; return its exit code (2 for errors in the user's input)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            # Typer parses, prints help and usage errors (exit 2) and ends with SystemExit.
            app(args=args, prog_name="twin")
        except SystemExit as done:
            return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        except TwinError as error:
            if debug:
                traceback.print_exc()
            for line in str(error).splitlines():
                sys.stderr.write(f"error: {line}\n")
            return 2
        except OSError as error:
            # An output folder that cannot be made or written, a file where a folder should be.
            if debug or error.filename is None:
                raise
            name = error.filename2 if error.filename2 is not None else error.filename
            sys.stderr.write(f"error: {name}: {error.strerror}; check the path and that its folder can be written\n")
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
