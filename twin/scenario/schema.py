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
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from twin.scenario._fields import DAY_S, MODEL_CONFIG, FilePath, Share, rule
from twin.scenario.map_spec import GridTown, MapSpec, RadialTown, RoadClassOverride

__all__ = [
    "DEFAULT_DATE",
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


class PopulationSpec(BaseModel):
    """A synthetic population that twin generates, with daily activity plans."""

    model_config = MODEL_CONFIG

    residents: int = Field(1000, ge=1, le=5_000_000, description="number of residents")
    car_access_share: float = Field(
        0.78, ge=0, le=1.0,
        description="share of residents with a car; about 22% of households in MiD 2017 "
        "have none",
    )
    smartphone_share: float = Field(
        0.85, ge=0, le=1.0, description="share of residents with a smartphone"
    )
    income_shares: dict[Literal["low", "middle", "high"], Share] = Field(
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


class OutputSpec(BaseModel):
    """What a run writes and where."""

    model_config = MODEL_CONFIG

    dir: FilePath = Field(
        Path("runs"), description="folder for run results, relative to the scenario file"
    )
    person_level: bool = Field(False, description="also write one row per person and trip")


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

    @model_validator(mode="before")
    @classmethod
    def _fill_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        # An empty section ("lighting:" with nothing below it) reads as null: take defaults.
        data = {
            key: value
            for key, value in data.items()
            if not (value is None and key in {"lighting", "outputs", "traffic", "interventions", "emissions"})
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
