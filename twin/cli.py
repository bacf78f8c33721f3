"""The ``twin`` command: parses arguments, calls the Python API, prints results.

Errors in the user's input (:class:`twin.TwinError`) print as one line on standard error and
exit with code 2; ``--debug`` shows the traceback instead. Warnings print as one line each.
"""

from __future__ import annotations

import json
import re
import sys
import traceback
import warnings
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
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
DEFAULT_SCENARIO = Path("scenarios/helsinki-baseline.yaml")


def _bundled_scenario() -> Path:
    """The bundled baseline: in the current folder, or in the checkout twin is installed from."""
    for root in (Path.cwd(), Path(__file__).resolve().parents[1]):
        if (root / DEFAULT_SCENARIO).is_file():
            return root / DEFAULT_SCENARIO
    raise TwinError(f"{DEFAULT_SCENARIO}: not found here; run from the twin folder or name a scenario file")


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
    scenario: Annotated[
        Optional[Path], typer.Argument(help="Scenario to show (default: the bundled Helsinki baseline).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Folder for the demo's outputs.")] = Path("out/demo"),
    set_: SetOption = None,
) -> None:
    """Load the bundled city, summarise its streets and lights, route sample trips and plot it."""
    from twin.demo import run_demo

    result = run_demo(scenario or _bundled_scenario(), out=out, overrides=set_ or ())
    console = _out()
    console.print(_summary_table(result.summary))
    console.print(
        f"Routed {result.trips:,} random car trips in {result.routing_s:.2f} s: mean free-flow time "
        f"{result.mean_freeflow_min:.1f} min over {result.mean_route_km:.2f} km"
    )
    console.print(f"Wrote [bold]{result.plot}[/bold] and [bold]{result.summary_file}[/bold]")


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
