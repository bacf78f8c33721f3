"""Section 6, the assumptions: the key parameters the runs used, with where each comes from.

Values are read from each variant's resolved scenario and its ``kpis.json`` (intervention
costs); sources from the documentation of the parameter itself (the schema's field
descriptions, the interventions' parameter models), or from the module notes where the
description has none (values of time and mode constants, :mod:`twin.population.choice`;
lamp ratings, :mod:`twin.maps.road_classes`). A value without a documented source says so:
"twin default, order of magnitude". A value the scenario changed says "set in the scenario".
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from twin.report._format import number, percent
from twin.report.sections import Bullets, Paragraph, Section, Table
from twin.report.tested import lighting_words

if TYPE_CHECKING:
    from twin.report.build import Context

__all__ = ["LIMITATIONS", "assumptions_section", "source_of"]

DEFAULT_SOURCE = "twin default, order of magnitude"
SET_SOURCE = "set in the scenario"

_MARKERS = re.compile(r"(19|20)\d\d|assumption|MiD|Wardman|EEA|DESNZ|HCM|MATSim|Destatis|Eurostat|HSL|Deutschland"
                      r"|EN 13201|CEN|ADAC|TAG|BVWP|appraisal|list prices|report", re.IGNORECASE)  # fmt: skip

#: Sources documented in module notes rather than in the field's own description.
_NOTES = {
    "population.mode_choice.value_of_time_eur_per_h": "round values of the order of national appraisal guidance "
    "(German BVWP 2030; UK TAG data book A1.3.1), rising with income at an elasticity of about 0.7 (Abrantes & "
    "Wardman 2011); twin/population/choice.py",
    "population.mode_choice.car_cost_eur_per_km": "fuel and wear, the distance-dependent part of the ADAC car cost "
    "tables; twin/population/choice.py",
    "population.mode_choice.parking_eur": "assumption: an average over free and paid parking",
    "population.mode_choice.scale_per_eur": "of the order of the time coefficients of urban mode choice models "
    "(a few hundredths of a util per minute); twin default",
    "population.mode_choice.asc_utils": "calibrated on a synthetic grid town to the German mode split of MiD 2017 "
    "(car 55%, walk 28%, bike 17%), not to this city; twin/population/choice.py",
    "traffic.walk_speed_mps": "HCM: 1.2-1.4 m/s",
}

LIMITATIONS = (
    "The confidence intervals measure the model's randomness over the replications, not the uncertainty of its "
    "parameters (the assumptions above) or of the model itself.",
    "One simulated weekday stands for the day; the figures are per day, not per year, and other seasons have "
    "shorter or longer nights.",
    "The residents are synthetic: homes, jobs, incomes and daily plans are drawn from national survey shares "
    "(MiD 2017) on the map, not from the city's own census or travel survey; the mode-choice constants are not "
    "calibrated for this city.",
    "Traffic is mesoscopic: queues on each street with capacities, but no traffic signals, turns or lane changes; "
    "walking and cycling are never congested.",
    "Lamp wattages are typical ratings by road class unless the map records them; light is modelled as power, not "
    "measured illuminance, and safety as walking under full light and arrivals at dimmed lamps, not crashes or "
    "crime.",
    "Costs, fares and emission factors are round defaults of the right order unless the scenario sets them; "
    "replace them with the city's own figures before a decision.",
    "Smartphone access is drawn independently of age and income; phone and kiosk booking have no opening hours.",
)
"""The model's known limitations, in a reader's words."""


def _get(data: dict[str, Any], dotted: str) -> Any:
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _field(model: type[BaseModel], dotted: str) -> tuple[Any, str]:
    """The default and description of a dotted field of a pydantic model."""
    *parents, name = dotted.split(".")
    for part in parents:
        annotation = model.model_fields[part].annotation
        args = getattr(annotation, "__args__", ())
        model = next((a for a in (annotation, *args) if isinstance(a, type) and issubclass(a, BaseModel)), model)
    info = model.model_fields[name]
    default = info.default_factory() if info.default_factory is not None else info.default
    return default, info.description or ""


def source_of(description: str, *, value: Any, default: Any) -> str:
    """Where a value comes from: the source its description names, or an honest default."""
    if default is not None and value is not None and value != default:
        return SET_SOURCE
    for part in re.findall(r"\(([^()]*)\)", description):
        if _MARKERS.search(part):
            return part
    for clause in re.split(r";\s*", description)[1:]:
        if _MARKERS.search(clause):
            return clause
    return DEFAULT_SOURCE


def _text(value: Any, unit: str = "") -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {_text(v)}" for k, v in value.items()) + (f" {unit}" if unit else "")
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"{number(value, digits=4)}" + (f" {unit}" if unit else "")
    return str(value)


#: (group, label, dotted key in the scenario, unit) of the scenario parameters a report lists.
_SCENARIO_ROWS = (
    ("Street lighting", "Lights switch on when the sun is below", "lighting.on_sun_elevation_deg", "degrees"),
    ("Street lighting", "Standby power of a networked lamp controller", "lighting.standby_power_w", "W"),
    ("Emissions", "CO2 per kWh of electricity", "emissions.electricity_kg_per_kwh", "kg"),
    ("Emissions", "CO2 per car-km", "emissions.car_kg_per_km", "kg"),
    ("Travel behaviour", "Value of time by income group", "population.mode_choice.value_of_time_eur_per_h", "EUR/h"),
    ("Travel behaviour", "Weight of walking time against time in a vehicle", "population.mode_choice.walk_time_weight", "x"),
    ("Travel behaviour", "Weight of waiting time against time in a vehicle", "population.mode_choice.wait_time_weight", "x"),
    ("Travel behaviour", "Cost of driving", "population.mode_choice.car_cost_eur_per_km", "EUR/km"),
    ("Travel behaviour", "Parking charge per car trip away from home", "population.mode_choice.parking_eur", "EUR"),
    ("Travel behaviour", "Logit scale", "population.mode_choice.scale_per_eur", "per EUR"),
    ("Travel behaviour", "Mode constants per tour", "population.mode_choice.asc_utils", "utils"),
    ("Travel behaviour", "Adults with a car", "population.car_access_share", "share"),
    ("Travel behaviour", "Residents with a bicycle", "population.bike_access_share", "share"),
    ("Travel behaviour", "Residents with a smartphone", "population.smartphone_share", "share"),
    ("Travel behaviour", "Trips per person a day", "population.trips_per_person", ""),
    ("Travel behaviour", "Walking speed", "traffic.walk_speed_mps", "m/s"),
    ("Travel behaviour", "Cycling speed", "traffic.bike_speed_mps", "m/s"),
)  # fmt: skip

_PRESENCE_ROWS = (
    ("Presence lighting: time to change level", "ramp_s", "s"),
    ("Presence lighting: lights come up this far ahead of a person", "lookahead_m", "m"),
    ("Presence lighting: full power held after a person passes", "hold_s", "s"),
    ("Presence lighting: sensor delay", "sensor_latency_s", "s"),
    ("Presence lighting: share of passers-by the sensors miss", "sensor_miss_rate", "share"),
)


def _scenario_value(scenario: dict[str, Any], dotted: str, unit: str) -> tuple[str, Any] | None:
    value = _get(scenario, dotted)
    if value is None:
        return None
    if unit == "share":
        return percent(value, digits=3), value
    return _text(value, unit), value


def _rows_over_variants(context: Context, dotted: str, unit: str) -> tuple[str, Any] | None:
    """The value in words (per variant where they differ) and the baseline's raw value."""
    results = context.results
    values = {v: _scenario_value(results.scenarios[v], dotted, unit) for v in results.variants}
    values = {v: x for v, x in values.items() if x is not None}
    if not values:
        return None
    texts = dict.fromkeys(text for text, _ in values.values())
    raw = values.get(results.baseline, next(iter(values.values())))[1]
    if len(texts) == 1:
        return next(iter(texts)), raw
    return "; ".join(f"{v}: {text}" for v, (text, _) in values.items()), raw


def assumptions_section(context: Context) -> Section:
    """The key parameters with their values and sources, then the model's limitations."""
    from twin.scenario.schema import Scenario

    groups: dict[str, list[tuple[str, str, str]]] = {}
    groups["Street lighting"] = _lighting_rows(context)
    for group, label, dotted, unit in _SCENARIO_ROWS:
        shown = _rows_over_variants(context, dotted, unit)
        if shown is None:
            continue
        default, description = _field(Scenario, dotted)
        source = _NOTES.get(dotted) if shown[1] == default and dotted in _NOTES else source_of(
            description, value=shown[1], default=default)  # fmt: skip
        groups.setdefault(group, []).append((label, shown[0], source))
    groups["Costs of the interventions"] = _intervention_rows(context)
    groups["Mobility services: costs and fares"] = _service_rows(context)
    blocks: list = [Paragraph("The parameters that shape these results, with the value the runs used and where it "
                              "comes from. Values marked as twin's defaults are of the right order for a European "
                              "city, not this city's own figures.", tone="lead")]  # fmt: skip
    for group, rows in groups.items():
        if rows:
            blocks.append(Table(caption=group, columns=("Assumption", "Value", "Source"), rows=tuple(rows)))
    blocks.append(Paragraph("Known limitations of the model:", tone="plain"))
    blocks.append(Bullets(items=LIMITATIONS))
    return Section(id="assumptions", title="Assumptions and their sources", blocks=tuple(blocks))


def _lighting_rows(context: Context) -> list[tuple[str, str, str]]:
    results = context.results
    rows = []
    lights = results.table("lights", variants=[results.baseline])
    if len(lights):
        first = lights[lights["replication"] == lights["replication"].min()]
        rows.append(("Streetlights and their rated power", f"{len(first):,} lamps, "
                     f"{number(first['power_w'].sum() / 1000)} kW in all",
                     "the map's own lamp points where it has them (OpenStreetMap highway=street_lamp), otherwise "
                     "placed along lit streets at the road class's spacing (EN 13201 design practice); ratings are "
                     "typical high-pressure sodium catalogue values by road class (twin/maps/road_classes.py), not "
                     "the city's inventory"))  # fmt: skip
    controllers = {v: lighting_words(results.scenarios[v].get("lighting") or {}) for v in results.variants}
    text = next(iter(controllers.values())) if len(set(controllers.values())) == 1 else "; ".join(
        f"{v}: {t}" for v, t in controllers.items())  # fmt: skip
    rows.append(("Lighting control (outside intervention areas)", text, SET_SOURCE))
    dimmed = [results.scenarios[v]["lighting"] for v in results.variants
              if (results.scenarios[v].get("lighting") or {}).get("controller", "always_on") != "always_on"]  # fmt: skip
    dimmed += [item for v in results.variants for item in results.scenarios[v].get("interventions") or []
               if item.get("type") == "adaptive_lighting"]  # fmt: skip
    if dimmed:
        base = results.scenarios[results.baseline].get("lighting") or {}
        first = {**base, **dimmed[0]}
        rows.append(_lighting_row("Dimmed level (of full power)", first, "dim_level", "share"))
        if any({**base, **d}.get("controller") == "presence" for d in dimmed):
            first = next({**base, **d} for d in dimmed if {**base, **d}.get("controller") == "presence")
            rows.extend(_lighting_row(label, first, key, unit) for label, key, unit in _PRESENCE_ROWS)
    return rows


def _lighting_row(label: str, lighting: dict[str, Any], key: str, unit: str) -> tuple[str, str, str]:
    from twin.scenario.schema import LightingSpec

    default, description = _field(LightingSpec, key)
    value = lighting.get(key, default)
    shown = percent(value, digits=3) if unit == "share" else _text(value, unit)
    return label, shown, source_of(description, value=value, default=default)


def _intervention_rows(context: Context) -> list[tuple[str, str, str]]:
    from twin.interventions.registry import intervention_types

    results = context.results
    types = intervention_types()
    rows = []
    for variant in results.variants:
        runs = results.ok[results.ok["variant"] == variant]
        for item in results.scenarios[variant].get("interventions") or []:
            name = item.get("name") or item["type"]
            prefix = f"interventions.{name}.cost."
            if not len(runs) or f"{prefix}units" not in runs:
                continue
            cost = {column[len(prefix):]: runs[column].iloc[0] for column in runs.columns if column.startswith(prefix)}
            cls = types.get(item["type"])
            unit = cost.get("unit") or "unit"
            for key, label, text in (
                ("capital_eur_per_unit", "capital cost", f"{number(cost['capital_eur_per_unit'])} EUR per {unit} x "
                 f"{number(cost['units'])} {unit}s = {number(cost['capital_eur'])} EUR"),
                ("operating_eur_per_unit_year", "operating cost", f"{number(cost['operating_eur_per_unit_year'])} EUR "
                 f"per {unit} a year = {number(cost['operating_eur_per_year'])} EUR a year"),
                ("lifetime_years", "lifetime", f"{number(cost['lifetime_years'])} years"),
            ):  # fmt: skip
                source = DEFAULT_SOURCE
                if cls is not None and key in cls.Parameters.model_fields:
                    default, description = _field(cls.Parameters, key)
                    source = source_of(description, value=float(cost[key]), default=default)
                rows.append((f"{name} ({variant}): {label}", text, source))
    return rows


def _services_of(scenario: dict[str, Any]) -> tuple[list[dict], list[dict], dict | None, dict | None]:
    """Lines, shuttle services, fares and bundle of a scenario, those its maas interventions add included."""
    services = scenario.get("services") or {}
    lines = list((services.get("transit") or {}).get("lines") or [])
    drt = list(services.get("drt") or [])
    fares, bundle = services.get("fares"), services.get("subscription")
    for item in scenario.get("interventions") or []:
        if item.get("type") == "maas":
            lines += item.get("lines") or []
            drt += item.get("drt") or []
            fares = item.get("fares") or fares
            bundle = item.get("subscription") or bundle
    return lines, drt, fares, bundle


def _service_rows(context: Context) -> list[tuple[str, str, str]]:
    from twin.scenario.services import DrtSpec, FaresSpec, LineSpec, SubscriptionSpec

    results = context.results
    rows: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()

    def add(label: str, model: type[BaseModel], data: dict, key: str, unit: str) -> None:
        default, description = _field(model, key)
        value = data.get(key, default)
        text = _text(value, unit)
        if (label, text) not in seen:
            seen.add((label, text))
            rows.append((label, text, source_of(description, value=value, default=default)))

    for variant in results.variants:
        lines, drt, fares, bundle = _services_of(results.scenarios[variant])
        for line in lines:
            for key, what, unit in (("cost_eur_per_vehicle_hour", "cost per bus-hour", "EUR"),
                                    ("cost_eur_per_km", "cost per bus-km", "EUR"),
                                    ("co2_kg_per_km", "CO2 per bus-km", "kg")):  # fmt: skip
                add(f"Bus line {line['name']}: {what}", LineSpec, line, key, unit)
        for service in drt:
            for key, what, unit in (("cost_eur_per_vehicle_hour", "cost per shuttle-hour", "EUR"),
                                    ("cost_eur_per_km", "cost per shuttle-km", "EUR"),
                                    ("co2_kg_per_km", "CO2 per shuttle-km", "kg")):  # fmt: skip
                add(f"Shuttles {service['name']}: {what}", DrtSpec, service, key, unit)
        if lines or drt:
            for key, what in (("transit_eur", "bus fare"), ("drt_base_eur", "shuttle fare, fixed part"),
                              ("drt_eur_per_km", "shuttle fare per km")):  # fmt: skip
                add(f"Fares: {what}", FaresSpec, fares or {}, key, "EUR")
        if bundle:
            add("MaaS bundle: price a month", SubscriptionSpec, bundle, "price_eur_per_month", "EUR")
    return rows
