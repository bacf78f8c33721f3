"""Section 1, "What was tested": each variant's scenario in words, the map, runs and seeds.

Everything is read from the resolved scenario a run wrote (``scenario.resolved.yaml``), so
the words say what was simulated, defaults included, not what a file may say today.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from twin._errors import TwinError
from twin.report._format import clock, date_words, number, percent
from twin.report.sections import Bullets, Facts, Paragraph, Section, image_of

if TYPE_CHECKING:
    from twin.report.build import Context

__all__ = ["area_words", "intervention_words", "lighting_words", "tested_section"]

_CONTROLLERS = {
    "always_on": "always on from dusk to dawn",
    "part_night": "dimmed during a window of the night",
    "traffic_stepped": "dimmed step by step when counted traffic is light (after CEN/TR 13201-1)",
    "presence": "dimmed until a person or vehicle comes near (presence sensors)",
}


_SERVICE_WORDS = {"transit": "buses", "drt": "shuttles"}


def lighting_words(lighting: dict[str, Any]) -> str:
    """How the lights are controlled, e.g. "dimmed to 30% until someone comes within 50 m"."""
    controller = lighting.get("controller", "always_on")
    dim = lighting.get("dim_level")
    if controller == "always_on":
        return _CONTROLLERS[controller]
    if controller == "part_night":
        return (f"dimmed to {percent(dim)} of full power from {clock(lighting.get('part_night_from_s'))} to "
                f"{clock(lighting.get('part_night_to_s'))}, full power otherwise from dusk to dawn")  # fmt: skip
    if controller == "presence":
        return (f"dimmed to {percent(dim)} of full power until a person or vehicle comes within "
                f"{number(lighting.get('lookahead_m'))} m (presence sensors), then full power for at least "
                f"{number(lighting.get('hold_s'))} s")  # fmt: skip
    if controller == "traffic_stepped":
        return f"{_CONTROLLERS[controller]}, down to {percent(dim)} of full power"
    return str(controller)


def area_words(area: dict[str, Any] | None) -> str:
    """Where an intervention acts, e.g. "in the district Kluuvi" or "across the whole city"."""
    if not area:
        return "across the whole city"
    parts = []
    if area.get("district"):
        parts.append(f"in the district {area['district']} ({Path(str(area.get('districts', ''))).name})")
    elif area.get("bbox"):
        west, south, east, north = area["bbox"]
        crs = area.get("crs") or "longitude/latitude"
        parts.append(f"in the box from ({west}, {south}) to ({east}, {north}) ({crs})")
    elif area.get("polygon"):
        parts.append(f"in a polygon of {len(area['polygon'])} corners")
    elif area.get("file"):
        parts.append(f"in the area of {Path(str(area['file'])).name}")
    if area.get("road_classes"):
        classes = ", ".join(str(c).replace("_", " ") for c in area["road_classes"])
        parts.append(f"on {classes} streets" + ("" if parts else " across the city"))
    return " ".join(parts) or "across the whole city"


def _money(value: Any) -> str:
    return f"{number(float(value))} EUR"


def intervention_words(item: dict[str, Any], *, lighting: dict[str, Any] | None = None) -> tuple[str, tuple[str, ...]]:
    """One intervention as a sentence and its parameters, each in words with its value.

    ``lighting`` is the scenario's ``lighting:`` section, which an ``adaptive_lighting``
    intervention changes.
    """
    kind, name = item.get("type", "?"), item.get("name") or item.get("type", "?")
    params = {k: v for k, v in item.items() if k not in ("type", "name")}
    where = area_words(params.get("area"))
    if kind == "adaptive_lighting":
        changes = {k: v for k, v in params.items() if k != "area" and not k.endswith(("_eur_per_unit", "_years",
                                                                                         "_unit_year"))}  # fmt: skip
        text = f"lights {where} {lighting_words({**(lighting or {}), **changes})}"
    elif kind == "led_retrofit":
        how = (f"at {percent(params['power_ratio'])} of their power" if "power_ratio" in params
               else "at about half their power (twin's HPS-to-LED table)")  # fmt: skip
        text = f"lamps that are not LED {where} are replaced by LED luminaires {how}"
    elif kind == "car_free_zone":
        text = f"streets {where} are closed to cars; walking and cycling stay open"
    elif kind == "road_pricing":
        charges = []
        if params.get("charge_eur_per_entry"):
            charges.append(f"{_money(params['charge_eur_per_entry'])} to drive in")
        if params.get("charge_eur_per_km"):
            charges.append(f"{_money(params['charge_eur_per_km'])} per km driven")
        text = f"cars pay {' and '.join(charges) or 'a charge'}, {where}, all day"
    elif kind == "maas":
        text = "Mobility as a Service: " + _maas_words(params)
    else:
        text = _plugin_words(kind)
    details = tuple(_key_words(key, value) for key, value in params.items())
    return f"{name} ({kind}): {text}", details


#: Unit suffixes of scenario keys (``hold_s``) and how they read after the value.
_UNIT_SUFFIXES = (("_kmh", "km/h"), ("_kwh", "kWh"), ("_eur", "EUR"), ("_min", "min"), ("_kw", "kW"), ("_km", "km"),
                  ("_w", "W"), ("_m", "m"), ("_s", "s"))  # fmt: skip


def _key_words(key: str, value: Any) -> str:
    """A parameter in words: ``hold_s: 30`` reads "hold: 30 s", ``dim_level: 0.3`` "dim level: 0.3"."""
    for suffix, unit in _UNIT_SUFFIXES:
        if key.endswith(suffix) and isinstance(value, int | float) and not isinstance(value, bool):
            return f"{key[: -len(suffix)].replace('_', ' ')}: {_value_words(value)} {unit}"
    return f"{key.replace('_', ' ')}: {_value_words(value)}"


def _maas_words(params: dict[str, Any]) -> str:
    parts = []
    for line in params.get("lines", []):
        bands = ", ".join(f"every {v:g} min from {k}" if v else f"none from {k}"
                          for k, v in (line.get("headway_min") or {}).items())  # fmt: skip
        parts.append(f"bus line {line['name']} with {len(line.get('stops') or [])} stops ({bands})")
    for drt in params.get("drt", []):
        hours = drt.get("hours") or ("06:00", "23:00")
        parts.append(f"on-demand shuttles {drt['name']}: {drt.get('fleet', 10)} vehicles of {drt.get('seats', 8)} seats "
                     f"{area_words(drt.get('area'))}, {hours[0]} to {hours[1]}")  # fmt: skip
    fares = params.get("fares")
    if fares:
        from twin.scenario.services import FaresSpec

        fares = {**{k: f.default for k, f in FaresSpec.model_fields.items()}, **fares}
        parts.append(f"fares: bus {_money(fares['transit_eur'])}, shuttle {_money(fares['drt_base_eur'])} + "
                     f"{_money(fares['drt_eur_per_km'])} per km")  # fmt: skip
    bundle = params.get("subscription")
    if bundle:
        covers = " and ".join(_SERVICE_WORDS.get(c, c) for c in bundle.get("covers", ["transit", "drt"]))
        parts.append(f"a bundle at {_money(bundle.get('price_eur_per_month', 49))} a month covering {covers}")
    if params.get("booking_channels"):
        channels = params["booking_channels"]
        parts.append("shuttles booked only in the app (a smartphone is needed)" if channels == ["app"]
                     else "shuttles booked by " + ", ".join(channels))  # fmt: skip
    if params.get("integrated_discount"):
        parts.append(f"{percent(params['integrated_discount'])} off fares paid in the app")
    return "; ".join(parts) or "no change to services"


def _plugin_words(kind: str) -> str:
    from twin.interventions.registry import intervention_types

    cls = intervention_types().get(kind)
    doc = (cls.__doc__ or "").strip().splitlines() if cls is not None else []
    return doc[0].rstrip(".").lower() if doc else "an intervention from a plugin"


def _value_words(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')} {_value_words(v)}" for k, v in value.items())
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            return "; ".join(str(v.get("name", "item")) for v in value)
        return ", ".join(_value_words(v) for v in value) if len(value) <= 6 else f"{len(value)} values"
    if isinstance(value, str) and ("/" in value or "\\" in value):
        return Path(value).name
    return f"{value:g}" if isinstance(value, float) else str(value)


def _map_words(scenario: dict[str, Any], meta: dict[str, Any]) -> str:
    spec = scenario["map"]
    synthetic = spec.get("synthetic")
    if synthetic:
        if synthetic.get("kind") == "grid":
            return (f"a synthetic grid town of {synthetic['rows']} x {synthetic['cols']} junctions "
                    f"{number(synthetic['block_m'])} m apart, made by twin")  # fmt: skip
        return f"a synthetic {synthetic.get('kind')} town made by twin"
    attribution = (meta.get("map") or {}).get("attribution")
    return Path(str(spec.get("file"))).name + (f" ({attribution})" if attribution else "")


def _people_words(scenario: dict[str, Any]) -> str:
    population = scenario.get("population")
    if population:
        return (f"{population['residents']:,} synthetic residents; {percent(population.get('car_access_share'))} of "
                f"adults with a car, {percent(population.get('smartphone_share'))} with a smartphone")  # fmt: skip
    demand = scenario.get("demand") or {}
    return f"the trips of {Path(str(demand.get('trips', '?'))).name} (a trip table)"


def _services_words(services: dict[str, Any]) -> str | None:
    lines = (services.get("transit") or {}).get("lines") or []
    gtfs = (services.get("transit") or {}).get("gtfs")
    drt = services.get("drt") or []
    parts = []
    if lines:
        parts.append(f"{len(lines)} bus line{'s' * (len(lines) != 1)} ({', '.join(str(x['name']) for x in lines)})")
    if gtfs:
        parts.append(f"the lines of the GTFS feed {Path(str(gtfs)).name}")
    if drt:
        parts.append(f"{len(drt)} on-demand shuttle service{'s' * (len(drt) != 1)}")
    return ", ".join(parts) or None


_LIGHTING_INTERVENTIONS = ("adaptive_lighting", "led_retrofit")


def describe_variant(scenario: dict[str, Any], meta: dict[str, Any]) -> Facts:
    """One variant's scenario as facts: what, where, when, who, how the lights work, what changed."""
    start = float(scenario.get("start_s", 0))
    rows = [("Description", " ".join(str(scenario.get("description") or "").split()) or "none given"),
            ("Map", _map_words(scenario, meta)),
            ("Day", f"{date_words(scenario['date'])}, from {clock(start)} for "
                    f"{number(float(scenario.get('duration_s', 86400)) / 3600)} h ({scenario.get('timezone')})"),
            ("People", _people_words(scenario)),
            ("Streetlights", lighting_words(scenario.get("lighting") or {}) + (
                ", except where the interventions below change them" if any(
                    item.get("type") in _LIGHTING_INTERVENTIONS for item in scenario.get("interventions") or [])
                else ""))]  # fmt: skip
    services = _services_words(scenario.get("services") or {})
    if services:
        rows.append(("Services before interventions", services))
    if not scenario.get("interventions"):
        rows.append(("Interventions", "none"))
    return Facts(rows=tuple(rows), title=scenario["name"])


def tested_section(context: Context) -> Section:
    """What was tested: each variant in words, the runs and seeds, failures, and the map."""
    results = context.results
    blocks: list = []
    n = len(results.variants)
    if results.kind == "run" or n == 1:
        lead = ("This report shows one simulated run." if results.kind == "run" else
                "This report shows a batch of one scenario: its replications, with nothing to compare them with.")
    else:
        what = (f"{results.others[0] if results.others else 'B'} compared with {results.baseline}"
                if results.kind == "comparison" else f"a batch of {n} variants, the first the baseline")
        lead = (f"This report shows {what}: the same streets, the same synthetic residents and the same random draws "
                "in each variant, so the differences come from what was changed.")  # fmt: skip
    blocks.append(Paragraph(lead, tone="lead"))
    for variant in results.variants:
        scenario, meta = results.scenarios[variant], results.metas.get(variant, {})
        facts = describe_variant(scenario, meta)
        role = "baseline" if variant == results.baseline else "variant"
        blocks.append(Facts(rows=facts.rows, title=f"{variant} ({role})"))
        items = [intervention_words(item, lighting=scenario.get("lighting")) for item in scenario.get("interventions") or []]
        if items:
            blocks.append(Bullets(items=tuple(items)))
    blocks.append(Facts(rows=tuple(_runs_facts(context)), title="Runs"))
    failures = _failures(context)
    if failures:
        blocks.append(failures)
    try:
        network = results.network()
    except TwinError as error:
        blocks.append(Paragraph(f"The map cannot be drawn here: {error}", tone="note"))
    else:
        from twin.maps.plot import plot_network

        summary = network.summary()
        title = (f"The map: {number(summary['street_km'])} km of streets and {summary['lamps']:,} streetlights "
                 f"({number(summary['lamp_power_kw'])} kW rated)")  # fmt: skip
        blocks.append(image_of(plot_network(network, title=title), title=title,
                               description="Streets by road class, streetlights as dots, with a scale bar, north "
                               "arrow and the map data's attribution."))  # fmt: skip
    return Section(id="tested", title="What was tested", blocks=tuple(blocks))


def _runs_facts(context: Context) -> list[tuple[str, str]]:
    results = context.results
    per_variant = results.runs.groupby("variant")["replication"].nunique()
    seeds = sorted({int(s) for s in results.runs["seed"].dropna()})
    rows = []
    if results.kind == "run":
        rows.append(("Replications", "one run: no confidence interval is possible; run a batch with replications "
                     "(twin batch SCENARIO -r 5) to measure how sure the results are"))  # fmt: skip
    else:
        counts = ", ".join(f"{v}: {int(per_variant.get(v, 0))}" for v in results.variants)
        rows.append(("Replications", f"{counts}; replication r of every variant uses the same seed, so the "
                     "differences are paired"))  # fmt: skip
    if results.root_seed is not None:
        rows.append(("Root seed", str(results.root_seed)))
    rows.append(("Seeds", ", ".join(str(s) for s in seeds[:10]) + (f" and {len(seeds) - 10} more" if len(seeds) > 10
                                                                   else "")))  # fmt: skip
    versions = {str((meta.get("versions") or {}).get("twin")) for meta in results.metas.values() if meta}
    rows.append(("twin version", ", ".join(sorted(versions)) or "unknown"))
    return rows


def _failures(context: Context) -> Paragraph | None:
    results = context.results
    failed = results.failed
    if not len(failed):
        return None
    by_variant = failed.groupby("variant", sort=False).size()
    names = ", ".join(f"{variant}: {count}" for variant, count in by_variant.items())
    first = str(failed["error"].iloc[0] or "").splitlines()[0] if failed["error"].iloc[0] else "no message"
    return Paragraph(f"{len(failed)} of {len(results.runs)} runs failed ({names}) and are left out of every figure "
                     f"and table; the first error: {first}. Their tracebacks are in the batch folder's failures/; "
                     "twin batch --resume runs them again.", tone="note")  # fmt: skip
