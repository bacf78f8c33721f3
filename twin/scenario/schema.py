"""The scenario schema: what a scenario file may say, with units, bounds and defaults.

The ``map:`` section lives in :mod:`twin.scenario.map_spec`. Every model is frozen and
forbids unknown keys, so a typo is an error rather than a silently ignored setting. Each
numeric field names its unit (``_m``, ``_s``, ``_kmh``, ``_w``) and carries bounds and a
``description``; the description is also the explanation shown in error messages ("1.4 is
above 1.0 (a fraction of full power)"), so it is written for the person who edits the YAML
file.

Defaults are documented where they come from data: car access and trip rates are from the
German national travel survey *Mobilität in Deutschland* (MiD 2017).
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from twin.scenario._fields import DAY_S, MODEL_CONFIG, FilePath, Share, rule
from twin.scenario.costs import CostsSpec
from twin.scenario.map_spec import GridTown, MapSpec, RadialTown, RoadClassOverride
from twin.scenario.services import ServicesSpec

__all__ = [
    "DEFAULT_DATE",
    "CostsSpec",
    "DemandSpec",
    "EmissionsSpec",
    "GridTown",
    "InterventionSpec",
    "LightingSpec",
    "MapSpec",
    "OutputSpec",
    "PopulationSpec",
    "RadialTown",
    "RoadClassOverride",
    "Scenario",
    "TrafficSpec",
]

#: The default simulated day: a winter weekday (a Thursday), so that the night is long and
#: lighting matters. Fixed rather than "today" so that a run is reproducible.
DEFAULT_DATE = dt.date(2026, 1, 15)


def _check_shares(shares: dict[str, float], *, keys: tuple[str, ...]) -> dict[str, float]:
    """Fill absent groups with 0 and check that the shares add up to 1."""
    full = {key: float(shares.get(key, 0.0)) for key in keys}
    total = math.fsum(full.values())
    if abs(total - 1.0) > 1e-6:
        raise rule(
            f"the shares add up to {total:.6g}, not 1; make {' + '.join(keys)} sum to 1"
        )
    return full


# ------------------------------------------------------------- people and trips


#: Purposes of activities outside home that plans send people to.
ActivityPurpose = Literal["work", "school", "shop", "errand", "leisure"]
IncomeGroup = Literal["low", "middle", "high"]
ModeName = Literal["car", "bike", "walk", "transit", "drt"]

_DEFAULT_DECAY_M = {"work": 10000.0, "school": 1000.0, "shop": 1500.0, "errand": 2000.0,
                    "leisure": 3000.0}  # fmt: skip
_DEFAULT_VOT = {"low": 6.5, "middle": 9.0, "high": 13.0}
_DEFAULT_ASC = {"car": 0.0, "bike": -3.3, "walk": 1.2, "transit": -0.8, "drt": -1.2}


def _fill(value: dict[str, float], defaults: dict[str, float]) -> dict[str, float]:
    """Take the defaults for the keys a scenario leaves out."""
    return {key: float(value.get(key, default)) for key, default in defaults.items()}


class PlanSpec(BaseModel):
    """How daily activity plans are drawn: who goes out, when, for how long and how far.

    Sources and assumptions are listed in :mod:`twin.population.plans`.
    """

    model_config = MODEL_CONFIG

    mobile_share: float = Field(
        0.88, ge=0, le=1.0,
        description="share of residents who leave home on the day; MiD 2017: 88% on weekdays, "
        "85% over all days",
    )
    commute_share: float = Field(
        0.85, ge=0, le=1.0,
        description="share of mobile workers and pupils who go to work or school that day "
        "(the rest are on leave, ill, working from home or off on a part-time day)",
    )
    stop_share: float = Field(
        0.25, ge=0, le=1.0,
        description="share of tours with a second activity before returning home",
    )
    part_time_share: float = Field(
        0.3, ge=0, le=1.0,
        description="share of workers with a part-time day (Destatis: about 3 in 10 employees "
        "in Germany work part time)",
    )
    work_depart_mean_s: float = Field(
        27600.0, ge=0, le=DAY_S,
        description="mean departure from home to work, seconds from midnight (27600 = 07:40)",
    )
    work_depart_sd_s: float = Field(
        3000.0, ge=0, le=DAY_S, description="standard deviation of that departure, in seconds"
    )
    work_duration_mean_s: float = Field(
        31500.0, gt=0, le=DAY_S,
        description="mean full-time day at work including breaks, in seconds (31500 = 8 h 45)",
    )
    part_time_duration_mean_s: float = Field(
        18000.0, gt=0, le=DAY_S, description="mean part-time day at work, in seconds (5 h)"
    )
    work_duration_sd_s: float = Field(
        2700.0, ge=0, le=DAY_S, description="standard deviation of a day at work, in seconds"
    )
    school_depart_mean_s: float = Field(
        26700.0, ge=0, le=DAY_S,
        description="mean departure from home to school, seconds from midnight (26700 = 07:25)",
    )
    school_depart_sd_s: float = Field(
        900.0, ge=0, le=DAY_S, description="standard deviation of that departure, in seconds"
    )
    school_duration_mean_s: float = Field(
        22500.0, gt=0, le=DAY_S,
        description="mean time at school or childcare, in seconds (22500 = 6 h 15)",
    )
    school_duration_sd_s: float = Field(
        3600.0, ge=0, le=DAY_S, description="standard deviation of the time at school, in seconds"
    )
    shop_duration_median_s: float = Field(
        1800.0, gt=0, le=DAY_S, description="median time spent shopping, in seconds"
    )
    errand_duration_median_s: float = Field(
        1200.0, gt=0, le=DAY_S,
        description="median time of an errand (doctor, bank, post, dropping someone off), in seconds",
    )
    leisure_duration_median_s: float = Field(
        5400.0, gt=0, le=DAY_S,
        description="median time of a leisure activity (visits, sport, eating out), in seconds",
    )
    duration_log_sd: float = Field(
        0.6, ge=0, le=3,
        description="spread of shop, errand and leisure durations: standard deviation of their "
        "logarithm (lognormal)",
    )
    destination_decay_m: dict[ActivityPurpose, Annotated[float, Field(gt=0, le=1e6)]] = Field(
        default_factory=lambda: dict(_DEFAULT_DECAY_M),
        description="distance decay of destination choice per purpose, in metres of straight "
        "line: a place twice this far is e^-1 as attractive; absent purposes keep their default",
    )

    @field_validator("destination_decay_m", mode="after")
    @classmethod
    def _all_purposes(cls, value: dict[str, float]) -> dict[str, float]:
        return _fill(value, _DEFAULT_DECAY_M)


class ModeChoiceSpec(BaseModel):
    """Coefficients of the multinomial logit choice between car, bike and walking.

    Sources are listed in :mod:`twin.population.choice`.
    """

    model_config = MODEL_CONFIG

    value_of_time_eur_per_h: dict[IncomeGroup, Annotated[float, Field(ge=0, le=1000)]] = Field(
        default_factory=lambda: dict(_DEFAULT_VOT),
        description="value of in-vehicle time per income group, in EUR per hour; absent groups "
        "keep their default",
    )
    walk_time_weight: float = Field(
        2.0, ge=0, le=10,
        description="walking time counts this many times in-vehicle time (Wardman 2004: about 2)",
    )
    wait_time_weight: float = Field(
        2.0, ge=0, le=10,
        description="waiting time counts this many times in-vehicle time (Wardman 2004: about 2)",
    )
    car_cost_eur_per_km: float = Field(
        0.20, ge=0, le=10,
        description="out-of-pocket cost of driving (fuel, wear), in EUR per km",
    )
    parking_eur: float = Field(
        1.0, ge=0, le=100,
        description="parking charge per car arrival at a place other than home, in EUR",
    )
    car_access_walk_s: float = Field(
        120.0, ge=0, le=3600,
        description="walking between the door and the parked car per car trip, in seconds",
    )
    scale_per_eur: float = Field(
        0.3, gt=0, le=100,
        description="logit scale: utility lost per EUR of generalised cost, in 1/EUR",
    )
    asc_utils: dict[ModeName, Annotated[float, Field(ge=-50, le=50)]] = Field(
        default_factory=lambda: dict(_DEFAULT_ASC),
        description="alternative-specific constant of each mode per tour, in utils (car = 0 is "
        "the reference); absent modes keep their default",
    )

    @field_validator("value_of_time_eur_per_h", "asc_utils", mode="after")
    @classmethod
    def _all_keys(cls, value: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        defaults = _DEFAULT_VOT if info.field_name == "value_of_time_eur_per_h" else _DEFAULT_ASC
        return _fill(value, defaults)


class PopulationSpec(BaseModel):
    """A synthetic population that twin generates, with daily activity plans."""

    model_config = MODEL_CONFIG

    residents: int = Field(1000, ge=1, le=5_000_000, description="number of residents")
    car_access_share: float = Field(
        0.78, ge=0, le=1.0,
        description="share of adults and seniors with a car at their disposal (children never "
        "drive); about 22% of households in MiD 2017 have none",
    )
    bike_access_share: float = Field(
        0.78, ge=0, le=1.0,
        description="share of residents with a bicycle; about four in five German households "
        "own one (Destatis 2017; Fahrrad-Monitor 2019: 76%)",
    )
    smartphone_share: float = Field(
        0.85, ge=0, le=1.0, description="share of residents with a smartphone"
    )
    employment_share: float = Field(
        0.75, ge=0, le=1.0,
        description="share of adults in work; Eurostat: employment rate of people aged 20-64 "
        "in the EU about 75% (2023)",
    )
    student_share: float = Field(
        0.9, ge=0, le=1.0,
        description="share of children who go to school or childcare on a weekday",
    )
    income_shares: dict[IncomeGroup, Share] = Field(
        default_factory=lambda: {"low": 0.3, "middle": 0.5, "high": 0.2},
        description="share of residents per income group; absent groups count as 0",
    )
    age_shares: dict[Literal["child", "adult", "senior"], Share] = Field(
        default_factory=lambda: {"child": 0.15, "adult": 0.65, "senior": 0.2},
        description="share of residents per age group; absent groups count as 0",
    )
    trips_per_person: float = Field(
        3.1, gt=0, le=20, description="trips per person per day (MiD 2017: 3.1)"
    )
    plans: PlanSpec = Field(
        default_factory=PlanSpec, description="how daily activity plans are drawn"
    )
    mode_choice: ModeChoiceSpec = Field(
        default_factory=ModeChoiceSpec, description="coefficients of the mode choice"
    )

    @model_validator(mode="before")
    @classmethod
    def _empty_sections(cls, data: Any) -> Any:
        # An empty section ("plans:" with nothing below it) reads as null: take defaults.
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (v is None and k in {"plans", "mode_choice"})}
        return data

    @field_validator("income_shares", "age_shares", mode="after")
    @classmethod
    def _shares_sum_to_one(cls, value: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        groups = ("low", "middle", "high") if info.field_name == "income_shares" else (
            "child", "adult", "senior"
        )
        return _check_shares(value, keys=groups)


class DemandSpec(BaseModel):
    """An explicit trip table from a city's own demand model, instead of a population."""

    model_config = MODEL_CONFIG

    trips: FilePath = Field(
        description="CSV with columns trip_id, origin_node, dest_node, depart_s, mode; "
        "relative to the scenario file"
    )


# --------------------------------------------------------------------- lighting


class LightingSpec(BaseModel):
    """How the streetlights are controlled."""

    model_config = MODEL_CONFIG

    controller: Literal["always_on", "part_night", "traffic_stepped", "presence"] = Field(
        "always_on", description="the control strategy of the streetlights"
    )
    dim_level: float = Field(0.5, ge=0, le=1.0, description="a fraction of full power")
    on_sun_elevation_deg: float = Field(
        -3.0, ge=-18, le=10,
        description="lights switch on when the sun is below this elevation, in degrees",
    )
    part_night_from_s: float = Field(
        82800.0, ge=0, le=DAY_S, description="start of part-night dimming, seconds from midnight"
    )
    part_night_to_s: float = Field(
        18000.0, ge=0, le=DAY_S, description="end of part-night dimming, seconds from midnight"
    )
    hold_s: float = Field(
        60.0, ge=0, le=3600, description="how long a light stays up after presence, in seconds"
    )
    ramp_s: float = Field(2.0, ge=0, le=600, description="time to change light level, in seconds")
    lookahead_m: float = Field(
        50.0, ge=0, le=1000, description="how far ahead of a person lights come up, in metres"
    )
    sensor_latency_s: float = Field(
        0.5, ge=0, le=60, description="delay from presence to detection, in seconds"
    )
    sensor_miss_rate: float = Field(
        0.0, ge=0, le=1.0, description="share of passers-by the sensors miss"
    )
    standby_power_w: float = Field(
        0.5, ge=0, le=100,
        description="power of the networked controller and sensors per light, drawn for the "
        "whole run by the traffic_stepped and presence controllers, in watts",
    )
    flow_sample_s: float = Field(
        900.0, ge=60, le=DAY_S,
        description="traffic_stepped: length of one traffic count, in seconds; the count is "
        "turned into an hourly flow",
    )
    min_hold_s: float = Field(
        1800.0, ge=0, le=DAY_S,
        description="traffic_stepped: shortest time a level is held before it may be lowered, "
        "in seconds",
    )
    path_design_flow_vph: float = Field(
        200.0, gt=0, le=100000,
        description="traffic_stepped: design flow of streets closed to cars (footways, cycle "
        "paths), in road users per hour",
    )


# ------------------------------------------------------- interventions, outputs


class InterventionSpec(BaseModel):
    """One change to the city, by registered ``type``; other keys are its parameters.

    The parameters are checked by the intervention's own class, so unknown keys are allowed
    here.
    """

    model_config = ConfigDict(extra="allow", frozen=True, allow_inf_nan=False)

    type: str = Field(description="the registered name of the intervention")
    name: str | None = Field(None, description="a label for this intervention in results")

    @field_validator("type")
    @classmethod
    def _type_not_empty(cls, value: str) -> str:
        if not value.strip():
            raise rule("the intervention type is empty; give its registered name")
        return value

    @field_validator("name")
    @classmethod
    def _name_without_dots(cls, value: str | None) -> str | None:
        # Results name KPIs by dotted paths (interventions.<name>.cost.capital_eur).
        if value is not None and ("." in value or not value.strip()):
            raise rule(f"{value!r} cannot name an intervention; use a name without dots, e.g. "
                       f"{value.replace('.', '-').strip() or 'my-intervention'!r}")
        return value


class OutputSpec(BaseModel):
    """What a run writes and where."""

    model_config = MODEL_CONFIG

    dir: FilePath = Field(
        Path("runs"), description="folder for run results, relative to the scenario file"
    )
    person_level: bool = Field(
        False,
        description="also write the per-person tables (trips.parquet, residents.parquet); "
        "by default a run writes aggregates only",
    )
    min_group_residents: int = Field(
        10, ge=1, le=1_000_000, strict=True,
        description="privacy: a figure about fewer residents than this (an equity group, say) "
        "is suppressed in kpis.json and reports",
    )
    districts: FilePath | None = Field(
        None,
        description="file of named district polygons to split the equity figures by the "
        "district of each resident's home, relative to the scenario file (by default the "
        "layer 'districts' of the map file, when it has one)",
    )
    district_column: str = Field(
        "name", min_length=1, description="column of the districts file holding the names"
    )
    job_access: bool = Field(
        True,
        description="count the jobs each resident reaches from home within 30 minutes by "
        "each mode (equity); false skips the searches",
    )


class TrafficSpec(BaseModel):
    """Settings of the mesoscopic traffic engine."""

    model_config = MODEL_CONFIG

    iterations: int = Field(1, ge=1, le=50, description="number of re-routing iterations")
    reroute_share: float = Field(
        0.1, ge=0, le=1.0, description="share of travellers re-routed per iteration"
    )
    vehicle_spacing_m: float = Field(
        7.5, gt=0, le=50,
        description="road length one queued vehicle takes, in metres; storage capacity is "
        "length x lanes / spacing",
    )
    stuck_s: float = Field(
        300.0, gt=0, le=DAY_S,
        description="gridlock guard: a vehicle blocked this long at the head of a queue is "
        "moved into the full street ahead (SUMO's time-to-teleport is 300 s), in seconds",
    )
    walk_speed_mps: float = Field(
        1.3, gt=0, le=3, description="walking speed, in metres per second (HCM: 1.2-1.4)"
    )
    bike_speed_mps: float = Field(
        4.2, gt=0, le=12, description="cycling speed, in metres per second (4.2 = 15 km/h)"
    )


class EmissionsSpec(BaseModel):
    """Emission factors that turn energy and vehicle-kilometres into CO2."""

    model_config = MODEL_CONFIG

    electricity_kg_per_kwh: float = Field(
        0.25, ge=0, le=2,
        description="CO2e per kWh of grid electricity, in kg (EEA: EU-27 average about 0.25 "
        "in 2022; use the city's own grid factor)",
    )
    car_kg_per_km: float = Field(
        0.17, ge=0, le=2,
        description="CO2e per car-km, in kg (UK DESNZ 2024 conversion factors, average car: "
        "about 0.17)",
    )


# -------------------------------------------------------------------- scenario


class Scenario(BaseModel):
    """One simulated day of one city: the whole content of a scenario file.

    ``load_scenario`` returns it with every relative path made absolute against the
    scenario file's folder. Exactly one of ``population`` and ``demand`` is set: when a file
    gives neither, a default ``population`` is used.
    """

    model_config = MODEL_CONFIG

    name: str = Field(min_length=1, description="a short name for the run")
    description: str = Field("", description="free text about the scenario")
    seed: int = Field(0, ge=0, strict=True, description="seed of the random numbers, a whole number")
    map: MapSpec = Field(description="the street network")
    date: dt.date = Field(
        DEFAULT_DATE, description="the simulated day, e.g. 2026-01-15 (a winter weekday)"
    )
    timezone: str | None = Field(
        None, description="IANA time zone, e.g. Europe/Helsinki; by default from the map"
    )
    start_s: float = Field(
        0.0, ge=0, le=2 * DAY_S, description="start of the run, seconds from local midnight"
    )
    duration_s: float = Field(
        DAY_S, gt=0, le=7 * DAY_S, description="length of the run, in seconds"
    )
    step_s: float = Field(60.0, gt=0, le=3600, description="length of one step, in seconds")
    population: PopulationSpec | None = Field(None, description="a synthetic population")
    demand: DemandSpec | None = Field(None, description="an explicit trip table")
    lighting: LightingSpec = Field(default_factory=LightingSpec, description="streetlights")
    interventions: list[InterventionSpec] = Field(
        default_factory=list, description="changes to the city, applied in order"
    )
    outputs: OutputSpec = Field(default_factory=OutputSpec, description="what a run writes")
    traffic: TrafficSpec = Field(default_factory=TrafficSpec, description="traffic engine")
    emissions: EmissionsSpec = Field(default_factory=EmissionsSpec, description="CO2 factors")
    services: ServicesSpec = Field(
        default_factory=ServicesSpec, description="mobility services: transit lines, shuttles, fares, a MaaS bundle"
    )
    costs: CostsSpec = Field(
        default_factory=CostsSpec,
        description="prices, appraisal rules and financing terms of the business case (twin economics); no effect on a run",
    )

    @model_validator(mode="before")
    @classmethod
    def _fill_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        # An empty section ("lighting:" with nothing below it) reads as null: take defaults.
        data = {
            key: value
            for key, value in data.items()
            if not (value is None and key in {"lighting", "outputs", "traffic", "interventions", "emissions", "services",
                                             "costs"})
        }
        if data.get("population") is None and data.get("demand") is None:
            data["population"] = {}
        return data

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise rule("the name is blank; give the run a short name")
        return value

    @field_validator("date", mode="before")
    @classmethod
    def _date_not_number(cls, value: Any) -> Any:
        # pydantic would read a number as a Unix timestamp, which is never what was meant.
        if isinstance(value, int | float):
            raise rule(f"{value!r} is not a date; write it like 2026-01-15")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            import difflib

            close = difflib.get_close_matches(value, zoneinfo.available_timezones(), n=1)
            hint = f"did you mean {close[0]!r}?" if close else "use a name like Europe/Helsinki"
            raise rule(f"{value!r} is not a known IANA time zone; {hint}") from None
        return value

    @field_validator("interventions")
    @classmethod
    def _unique_names(cls, value: list[InterventionSpec]) -> list[InterventionSpec]:
        names = [item.name for item in value if item.name is not None]
        for name in names:
            if names.count(name) > 1:
                raise rule(f"the name {name!r} is used twice; give each intervention its own")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.population is not None and self.demand is not None:
            raise rule(
                "give either population (synthetic residents) or demand (a trip table), "
                "not both; remove one",
                at="demand",
            )
        if self.step_s > self.duration_s:
            raise rule(
                f"{self.step_s:g} is longer than duration_s ({self.duration_s:g}); "
                "shorten the step or lengthen the run",
                at="step_s",
            )
        return self
