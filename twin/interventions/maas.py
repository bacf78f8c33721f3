"""``maas``: Mobility as a Service: new lines and shuttles, fares, a bundle, booking channels.

The intervention changes the city's mobility services (:mod:`twin.scenario.services`): it adds
transit lines and shuttle services, and may replace the fares, sell a bundle, give a discount
to those who pay through the MaaS app, and set how shuttles are booked::

    interventions:
      - type: maas
        name: kallio-maas
        drt:
          - name: kallio-shuttle
            fleet: 8
            area: {district: Kallio, districts: ../maps/helsinki-districts.geojson}
        fares: {transit_eur: 2.5, drt_base_eur: 3.0, drt_eur_per_km: 0.5}
        subscription: {price_eur_per_month: 49, covers: [transit, drt], uptake: savings}
        integrated_discount: 0.1
        booking_channels: [app]          # app-only: residents without a smartphone cannot book

``booking_channels`` replaces the channels of every shuttle service, the city's own and the
added ones; ``app`` needs a smartphone, ``phone`` and ``kiosk`` do not. That is the digital
divide as a parameter: compare ``[app]`` with ``[app, phone]`` in a batch.

Cost
----
One unit is a shuttle vehicle added. Running the services (drivers, energy, the operator's
overheads) is costed per vehicle-hour and km in the services' own figures
(``services.drt`` and ``services.transit`` in ``kpis.json``), not here. The defaults are
assumptions of the right order, to be replaced by the operator's offer:

- ``capital_eur_per_unit`` 90,000 EUR per vehicle (an electric minibus with accessibility
  equipment; list prices run from about 70,000 to 150,000 EUR).
- ``operating_eur_per_unit_year`` 6,000 EUR per vehicle and year (the booking platform's
  licence and the vehicle's insurance; assumption).
- ``lifetime_years`` 8 years (a minibus in daily service).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, ValidationError, ValidationInfo, field_validator

from twin._errors import ScenarioError
from twin.interventions.base import City, Intervention, InterventionParameters, Outcome
from twin.scenario._fields import Share
from twin.scenario.services import (
    BookingChannel,
    DrtSpec,
    FaresSpec,
    LineSpec,
    ServicesSpec,
    SubscriptionSpec,
    TransitSpec,
    unique_names,
)

__all__ = ["Maas", "MaasParameters"]


class MaasParameters(InterventionParameters):
    """Parameters of ``maas``: services added, fares, bundle, discount, booking channels, cost."""

    lines: list[LineSpec] = Field(default_factory=list, description="transit lines added")
    drt: list[DrtSpec] = Field(default_factory=list, description="shuttle services added")
    fares: FaresSpec | None = Field(None, description="fares replacing the city's, if given")
    subscription: SubscriptionSpec | None = Field(None, description="a MaaS bundle sold, if given")
    integrated_discount: Share | None = Field(
        None, description="share off pay-per-trip fares for those who pay through the MaaS app, if given"
    )
    booking_channels: list[BookingChannel] | None = Field(
        None, min_length=1,
        description="how every shuttle service is booked, if given: app (needs a smartphone), phone, kiosk",
    )  # fmt: skip
    capital_eur_per_unit: float = Field(
        90_000.0, ge=0, le=1e9, description="capital cost per shuttle vehicle added, in EUR (assumption)"
    )
    operating_eur_per_unit_year: float = Field(
        6_000.0, ge=0, le=1e9,
        description="yearly platform licence and insurance per shuttle vehicle, in EUR (assumption)",
    )  # fmt: skip
    lifetime_years: float = Field(8.0, gt=0, le=100, description="service life of a vehicle, in years (assumption)")

    @field_validator("lines", "drt")
    @classmethod
    def _unique(cls, value: list, info: ValidationInfo) -> list:
        return unique_names(value, what="line name" if info.field_name == "lines" else "shuttle service name")


class Maas(Intervention):
    """Add services and change fares, the bundle and booking channels (see the module)."""

    type: ClassVar[str] = "maas"
    Parameters: ClassVar[type[InterventionParameters]] = MaasParameters

    def apply(self, city: City) -> Outcome:
        """Replace the city's services with the changed ones."""
        params: MaasParameters = self.parameters  # type: ignore[assignment]
        where = f"{city.scenario.name}: interventions: {self.name}"
        if params.lines or params.drt:
            # What this intervention adds is checked first, so a message names its own keys.
            from twin.mobility.system import check_services

            check_services(ServicesSpec(transit=TransitSpec(lines=params.lines), drt=params.drt), city.network,
                           where=where, transit_at=where, drt_at=f"{where}.drt")  # fmt: skip
        current = city.services
        drt = [*current.drt, *params.drt]
        if params.booking_channels is not None:
            drt = [service.model_copy(update={"booking_channels": list(params.booking_channels)}) for service in drt]
        changed = {
            "transit": current.transit.model_copy(update={"lines": [*current.transit.lines, *params.lines]}),
            "drt": drt,
            "fares": params.fares or current.fares,
            "subscription": params.subscription or current.subscription,
            "integrated_discount": current.integrated_discount if params.integrated_discount is None
            else params.integrated_discount,
        }  # fmt: skip
        try:
            # Validated again: an added line or service may take a name the city already uses.
            services = ServicesSpec.model_validate({**current.model_dump(), **{k: _dump(v) for k, v in changed.items()}})
        except ValidationError as error:
            first = error.errors()[0]
            raise ScenarioError(f"{where}: {first['msg']} (with the city's own services)") from None
        city.with_services(services)
        vehicles = float(sum(service.fleet for service in params.drt))
        return Outcome(
            name=self.name, type=self.type,
            affected={"lines_added": float(len(params.lines)), "shuttle_services_added": float(len(params.drt)),
                      "shuttles_added": vehicles,
                      "app_only_booking": float(all(s.booking_channels == ["app"] for s in services.drt)) if services.drt else 0.0},
            cost=self.cost(vehicles, "vehicle"),
        )  # fmt: skip


def _dump(value):
    if isinstance(value, list):
        return [_dump(item) for item in value]
    return value.model_dump() if hasattr(value, "model_dump") else value
