"""The ``services:`` section: transit lines, on-demand shuttles (DRT), fares and MaaS bundles.

A scenario's ``services`` are the city's mobility services in the baseline; the ``maas``
intervention (:mod:`twin.interventions.maas`) adds services and changes fares, the bundle
and the booking channels. Everything here is the *description*; the simulation is in
:mod:`twin.mobility`.

Example::

    services:
      transit:
        lines:
          - name: "7"
            stops: [[24.93, 60.16], [24.94, 60.17], [24.95, 60.18]]   # lon/lat, snapped to junctions
            headway_min: {"05:30": 10, "09:00": 15, "15:00": 10, "19:00": 20, "23:30": null}
      drt:
        - name: shuttle
          fleet: 10
          area: {district: Kallio, districts: ../maps/helsinki-districts.geojson}
      fares: {transit_eur: 2.0, drt_base_eur: 2.5, drt_eur_per_km: 0.5}

Default costs and fares are round assumptions of the right order for a Nordic or German city
(sources in each field's description); replace them with the operator's own figures.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from twin.scenario._fields import DAY_S, MODEL_CONFIG, FilePath, Share, check_crs, rule
from twin.scenario.area import Area

__all__ = [
    "BookingChannel",
    "DrtSpec",
    "FaresSpec",
    "LineSpec",
    "ServicesSpec",
    "SubscriptionSpec",
    "TransitSpec",
    "clock_s",
    "unique_names",
]

BookingChannel = Literal["app", "phone", "kiosk"]
"""How a resident books: ``app`` needs a smartphone; ``phone`` and ``kiosk`` do not."""

ServiceMode = Literal["transit", "drt"]


def clock_s(text: str) -> float:
    """Seconds from midnight of a ``"HH:MM"`` clock time (``"24:00"`` and later allowed, up to 48:00).

    Raises
    ------
    ValueError
        If the text is not ``HH:MM`` with minutes below 60.
    """
    parts = str(text).strip().split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or int(parts[1]) >= 60:
        raise ValueError(f"{text!r} is not a clock time; write it like 06:30")
    seconds = int(parts[0]) * 3600.0 + int(parts[1]) * 60.0
    if seconds > 2 * DAY_S:
        raise ValueError(f"{text!r} is more than 48 hours after midnight")
    return seconds


Point = Annotated[list[float], Field(min_length=2, max_length=2)]


def unique_names(items: list, *, what: str) -> list:
    """``items`` if their ``name`` attributes differ, else a rule error naming the first repeat."""
    names = [item.name for item in items]
    for name in names:
        if names.count(name) > 1:
            raise rule(f"the {what} {name!r} is used twice; give each its own")
    return items


def _check_points(points: list[list[float]] | None, *, what: str) -> list[list[float]] | None:
    if points is not None:
        for point in points:
            if not all(math.isfinite(v) for v in point):
                raise rule(f"{what} {point} is not a pair of finite numbers")
    return points


class LineSpec(BaseModel):
    """One bus (or tram) line: its stops, its headways by time of day, its vehicles.

    Give either ``stops`` (points in order along the line, snapped to the nearest junction
    cars can reach) or ``area`` (a trunk line across the area along its longest axis, with a
    stop every ``stop_spacing_m``).
    """

    model_config = MODEL_CONFIG

    name: str = Field(min_length=1, description="the line's name, e.g. 7 or 'airport express'")
    stops: list[Point] | None = Field(
        None, min_length=2,
        description="stop locations in order, as [x, y] pairs in `crs` (lon/lat by default)",
    )  # fmt: skip
    crs: str | None = Field(None, description="coordinate system of `stops` (default EPSG:4326)")
    area: Area | None = Field(None, description="an area to cover with a line across it, instead of stops")
    stop_spacing_m: float = Field(
        400.0, ge=50, le=5000,
        description="distance between stops of a line drawn across an `area`, in metres (urban "
        "buses: 300-500 m)",
    )  # fmt: skip
    headway_min: dict[str, Annotated[float, Field(gt=0, le=240)] | None] = Field(
        default_factory=lambda: {"05:30": 10.0, "09:00": 15.0, "15:00": 10.0, "19:00": 20.0, "23:30": None},
        description="minutes between departures from a clock time on (HH:MM) until the next "
        "entry; null for no service; before the first entry there is none",
    )  # fmt: skip
    capacity: int = Field(
        80, ge=1, le=1000,
        description="places per vehicle, seated and standing (a 12 m city bus: about 70-90)",
    )  # fmt: skip
    dwell_s: float = Field(20.0, ge=0, le=600, description="time a vehicle stands at each stop, in seconds")
    bidirectional: bool = Field(True, description="also run the line in the opposite direction")
    cost_eur_per_vehicle_hour: float = Field(
        60.0, ge=0, le=10_000,
        description="operating cost per vehicle-hour in service (driver, vehicle, overhead), in "
        "EUR (assumption: Nordic bus contracts run at about 50-80 EUR per vehicle-hour)",
    )  # fmt: skip
    cost_eur_per_km: float = Field(
        0.8, ge=0, le=100,
        description="distance-related cost (fuel or energy, tyres, maintenance), in EUR per vehicle-km (assumption)",
    )  # fmt: skip
    co2_kg_per_km: float = Field(
        1.0, ge=0, le=10,
        description="CO2e per bus-km, in kg (UK DESNZ 2024: a diesel local bus about 1.0 per "
        "vehicle-km; set 0 for a battery bus on green power)",
    )  # fmt: skip

    @field_validator("crs")
    @classmethod
    def _known_crs(cls, value: str | None) -> str | None:
        return check_crs(value)

    @field_validator("stops")
    @classmethod
    def _finite(cls, value: list[list[float]] | None) -> list[list[float]] | None:
        return _check_points(value, what="stop")

    @field_validator("headway_min")
    @classmethod
    def _clock_keys(cls, value: dict[str, float | None]) -> dict[str, float | None]:
        if not value:
            raise rule("give at least one headway, e.g. {'06:00': 10}")
        for key in value:
            try:
                clock_s(key)
            except ValueError as error:
                raise rule(f"{error}; the keys of headway_min are times from which a headway holds") from None
        return value

    @model_validator(mode="after")
    def _stops_or_area(self) -> LineSpec:
        if (self.stops is None) == (self.area is None):
            raise rule("give either stops (a list of points) or area (to cover with a line), not both or neither",
                       at="stops")  # fmt: skip
        return self

    def headways(self) -> list[tuple[float, float]]:
        """``(from_s, headway_s)`` bands in time order; ``inf`` headway where there is no service."""
        bands = sorted((clock_s(k), v * 60.0 if v else math.inf) for k, v in self.headway_min.items())
        return bands


class TransitSpec(BaseModel):
    """Scheduled lines: what riders may take, and how they judge walking and transfers."""

    model_config = MODEL_CONFIG

    lines: list[LineSpec] = Field(default_factory=list, description="the lines")
    gtfs: FilePath | None = Field(
        None,
        description="a GTFS feed (zip or folder) whose routes become lines, relative to the "
        "scenario file; its stops are snapped to the map",
    )
    max_walk_m: float = Field(
        800.0, gt=0, le=5000,
        description="longest walk to or from a stop, in metres (a 10-minute walk)",
    )  # fmt: skip
    transfer_penalty_s: float = Field(
        300.0, ge=0, le=3600,
        description="extra in-vehicle seconds a transfer feels like, besides its wait (appraisal "
        "guidance: about 5 minutes per interchange)",
    )  # fmt: skip

    @field_validator("lines")
    @classmethod
    def _unique(cls, value: list[LineSpec]) -> list[LineSpec]:
        return unique_names(value, what="line name")


class DrtSpec(BaseModel):
    """A demand-responsive (on-demand, pooled) shuttle service.

    Dispatch follows MATSim's DRT: a request is accepted only if some vehicle can pick it up
    within ``max_wait_s`` and deliver it within ``alpha x direct ride + beta`` of the request,
    without breaking those promises to anyone already booked.
    """

    model_config = MODEL_CONFIG

    name: str = Field(min_length=1, description="the service's name")
    fleet: int = Field(10, ge=1, le=100_000, description="number of vehicles")
    seats: int = Field(8, ge=1, le=60, description="passenger seats per vehicle (minibus: 6-8)")
    area: Area = Field(description="the service area: requests must start and end in it")
    depots: list[Point] | None = Field(
        None, min_length=1,
        description="where vehicles start the day, [x, y] in `crs` (lon/lat by default); by "
        "default spread over the service area",
    )  # fmt: skip
    crs: str | None = Field(None, description="coordinate system of `depots` (default EPSG:4326)")
    hours: tuple[str, str] = Field(
        ("06:00", "23:00"), description="operating hours: requests are taken from the first clock time until the second"
    )
    max_wait_s: float = Field(
        600.0, gt=0, le=7200, description="longest promised wait for the pickup, in seconds (MATSim default 600)"
    )
    max_travel_time_alpha: float = Field(
        1.5, ge=1, le=10,
        description="a rider must arrive within alpha x the direct ride time + beta of the request",
    )  # fmt: skip
    max_travel_time_beta_s: float = Field(
        600.0, ge=0, le=7200,
        description="the fixed part of the longest travel time, in seconds, which includes the wait "
        "(MATSim studies use 300-900)",
    )  # fmt: skip
    dispatch_interval_s: float = Field(
        15.0, gt=0, le=600, description="requests are gathered and dispatched every this many seconds"
    )
    dwell_s: float = Field(30.0, ge=0, le=600, description="time to stop and let riders on or off, in seconds")
    rider_time_weight: float = Field(
        1.0, ge=0, le=100,
        description="in choosing a vehicle, a second of the new rider's time (request to arrival) "
        "weighs this many seconds of added vehicle time; 0 is MATSim's default (vehicle time only, "
        "long waits), 1 weighs them alike (more vehicle-km, shorter waits)",
    )  # fmt: skip
    rebalance_interval_s: float = Field(
        900.0, ge=0, le=DAY_S,
        description="idle vehicles move towards expected demand every this many seconds; 0 turns rebalancing off",
    )  # fmt: skip
    rebalance_cell_m: float = Field(
        500.0, gt=0, le=10_000, description="side of the square zones rebalancing counts demand in, in metres"
    )
    expected_wait_s: float = Field(
        300.0, ge=0, le=7200,
        description="the wait residents expect when they plan their day (before any offer), in seconds",
    )  # fmt: skip
    expected_detour: float = Field(
        1.3, ge=1, le=10,
        description="the ride time residents expect, as a multiple of the direct ride, when they plan their day",
    )  # fmt: skip
    booking_channels: list[BookingChannel] = Field(
        default_factory=lambda: ["app", "phone"], min_length=1,
        description="how rides can be booked: app (needs a smartphone), phone, kiosk",
    )  # fmt: skip
    cost_eur_per_vehicle_hour: float = Field(
        45.0, ge=0, le=10_000,
        description="operating cost per vehicle-hour in service (driver, vehicle, dispatch), in "
        "EUR (assumption: driven minibus services report about 40-60 EUR per vehicle-hour)",
    )  # fmt: skip
    cost_eur_per_km: float = Field(
        0.25, ge=0, le=100, description="distance-related cost, in EUR per vehicle-km (assumption: an electric minibus)"
    )
    co2_kg_per_km: float = Field(
        0.05, ge=0, le=10,
        description="CO2e per vehicle-km, in kg (an electric minibus at about 0.2 kWh/km on a 0.25 kg/kWh grid)",
    )  # fmt: skip

    @field_validator("crs")
    @classmethod
    def _known_crs(cls, value: str | None) -> str | None:
        return check_crs(value)

    @field_validator("depots")
    @classmethod
    def _finite(cls, value: list[list[float]] | None) -> list[list[float]] | None:
        return _check_points(value, what="depot")

    @field_validator("hours")
    @classmethod
    def _clock(cls, value: tuple[str, str]) -> tuple[str, str]:
        try:
            start, end = clock_s(value[0]), clock_s(value[1])
        except ValueError as error:
            raise rule(str(error)) from None
        if end <= start:
            raise rule(f"the service ends ({value[1]}) before it starts ({value[0]}); write 01:00 after midnight as 25:00")
        if end - start > 86400:
            raise rule(f"the service runs more than 24 hours a day ({value[0]} to {value[1]}); end it by {value[0]} "
                       "the next day (24 hours later)")
        return value

    def hours_s(self) -> tuple[float, float]:
        """Operating hours as seconds from midnight."""
        return clock_s(self.hours[0]), clock_s(self.hours[1])


class FaresSpec(BaseModel):
    """What a ride costs when paid per trip."""

    model_config = MODEL_CONFIG

    transit_eur: float = Field(
        2.5, ge=0, le=100,
        description="flat fare per transit trip, transfers included, in EUR (HSL single ticket "
        "AB 2025: 3.20; many German cities 2.50-3.50)",
    )  # fmt: skip
    drt_base_eur: float = Field(
        2.5, ge=0, le=100, description="fixed part of a shuttle fare, in EUR (assumption: about a transit fare)"
    )
    drt_eur_per_km: float = Field(
        0.5, ge=0, le=20, description="shuttle fare per km of the direct ride, in EUR (assumption)"
    )


class SubscriptionSpec(BaseModel):
    """A MaaS bundle: a monthly price that covers some services' fares."""

    model_config = MODEL_CONFIG

    price_eur_per_month: float = Field(
        49.0, ge=0, le=10_000, description="monthly price, in EUR (Germany's Deutschlandticket: 49-58)"
    )
    covers: list[ServiceMode] = Field(
        default_factory=lambda: ["transit", "drt"], min_length=1, description="services whose fares it covers"
    )
    covered_share: Share = Field(1.0, description="share of a covered fare the bundle pays (1 = rides are free)")
    uptake: Share | Literal["savings"] = Field(
        "savings",
        description="share of eligible residents who subscribe, or 'savings': those whose covered "
        "fares over a month (days_per_month x one day's) would exceed the price",
    )  # fmt: skip
    days_per_month: float = Field(21.0, gt=0, le=31, description="travel days a month, to weigh the price against fares")
    channels: list[BookingChannel] = Field(
        default_factory=lambda: ["app"], min_length=1,
        description="where the bundle is sold: app (needs a smartphone), phone, kiosk",
    )  # fmt: skip


class ServicesSpec(BaseModel):
    """The city's mobility services: lines, shuttles, fares, a bundle, discounts."""

    model_config = MODEL_CONFIG

    transit: TransitSpec = Field(default_factory=TransitSpec, description="scheduled lines")
    drt: list[DrtSpec] = Field(default_factory=list, description="on-demand shuttle services")
    fares: FaresSpec = Field(default_factory=FaresSpec, description="fares paid per trip")
    subscription: SubscriptionSpec | None = Field(None, description="a MaaS bundle, if one is sold")
    integrated_discount: Share = Field(
        0.0,
        description="share off pay-per-trip transit and shuttle fares for residents who pay "
        "through the MaaS app (smartphone holders)",
    )  # fmt: skip

    @model_validator(mode="before")
    @classmethod
    def _empty_sections(cls, data):
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (v is None and k in {"transit", "drt", "fares"})}
        return data

    @field_validator("drt")
    @classmethod
    def _unique(cls, value: list[DrtSpec]) -> list[DrtSpec]:
        return unique_names(value, what="shuttle service name")

    @property
    def has_transit(self) -> bool:
        """Whether any line runs (from the list or a GTFS feed)."""
        return bool(self.transit.lines) or self.transit.gtfs is not None

    @property
    def has_drt(self) -> bool:
        """Whether any shuttle service runs."""
        return bool(self.drt)
