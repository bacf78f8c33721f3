"""``adaptive_lighting``: another lighting controller, or other settings of one, in an area.

The streets in the area get a :class:`~twin.interventions.base.LightingZone` whose
lighting parameters are the scenario's ``lighting:`` section with the intervention's
changes, for example presence-based dimming in one district::

    interventions:
      - type: adaptive_lighting
        name: presence-kamppi
        area: {district: Kamppi, districts: ../maps/helsinki-districts.geojson}
        controller: presence
        dim_level: 0.3
        hold_s: 30

Any key of the ``lighting:`` section may be changed except ``on_sun_elevation_deg``: the
whole city switches on at the same sun elevation. Without ``area`` the zone is the whole
city.

Cost
----
One unit is a lamp in the zone. The defaults are assumptions for a networked luminaire
controller (a node in the luminaire's socket talking to a central management system) plus,
for presence control, a motion sensor, installed on an existing luminaire. They are not
taken from one published source; replace them with a city's own tender prices.

- ``capital_eur_per_unit`` 200 EUR per lamp (assumption: controller node and sensor with
  installation; market prices span roughly 100 to 400 EUR, lower for timer-based part-night
  dimming that needs no sensor or network).
- ``operating_eur_per_unit_year`` 5 EUR per lamp and year (assumption: connectivity and
  management software fees, roughly 2 to 10 EUR).
- ``lifetime_years`` 15 years (assumption: electronics, shorter than a luminaire's 20 to 25).
"""

from __future__ import annotations

import typing
from typing import Any, ClassVar

import numpy as np
from pydantic import Field, create_model

from twin.scenario.area import Area
from twin.interventions.base import City, Intervention, InterventionParameters, LightingZone, Outcome
from twin.scenario.schema import LightingSpec

__all__ = ["AdaptiveLighting", "AdaptiveLightingParameters", "CITY_WIDE_LIGHTING"]

#: ``lighting:`` keys an intervention cannot change in a zone: the whole city switches on
#: at the same sun elevation.
CITY_WIDE_LIGHTING = frozenset({"on_sun_elevation_deg"})


class _Base(InterventionParameters):
    area: Area | None = Field(
        None, description="where the lighting changes (bbox, polygon, file, district, "
        "road_classes); none: the whole city",
    )  # fmt: skip
    capital_eur_per_unit: float = Field(
        200.0, ge=0, le=1e9,
        description="capital cost per lamp in the zone, in EUR (assumption: networked "
        "controller and sensor, installed; roughly 100-400)",
    )  # fmt: skip
    operating_eur_per_unit_year: float = Field(
        5.0, ge=0, le=1e9,
        description="yearly operating cost per lamp, in EUR (assumption: connectivity and "
        "management software, roughly 2-10)",
    )  # fmt: skip
    lifetime_years: float = Field(
        15.0, gt=0, le=100, description="service life of controllers and sensors, in years (assumption)"
    )


def _lighting_overrides() -> dict[str, Any]:
    """Every ``lighting:`` field as an optional parameter with its own bounds and description."""
    fields: dict[str, Any] = {}
    for name, info in LightingSpec.model_fields.items():
        if name in CITY_WIDE_LIGHTING:
            continue
        constrained = typing.Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        fields[name] = (constrained | None, Field(None, description=f"{info.description}; by default as in the scenario's lighting"))
    return fields


class AdaptiveLightingParameters(
    create_model("_AdaptiveLightingFields", __base__=_Base, **_lighting_overrides())  # type: ignore[call-overload]
):
    """Parameters of ``adaptive_lighting``: an area, the ``lighting:`` keys to change, and cost.

    The lighting keys default to ``None``: unchanged from the scenario's ``lighting:``.
    """

    def lighting_changes(self) -> dict[str, Any]:
        """The ``lighting:`` keys this intervention changes, with their values."""
        names = set(LightingSpec.model_fields) - CITY_WIDE_LIGHTING
        return {name: getattr(self, name) for name in sorted(names) if getattr(self, name) is not None}


class AdaptiveLighting(Intervention):
    """Give the streets of an area their own lighting controller and settings.

    ``apply`` adds one :class:`LightingZone` with the streets inside the area (see
    :mod:`twin.scenario.area`) and the scenario's lighting parameters with this
    intervention's changes. Cost unit: a lamp in the zone.
    """

    type: ClassVar[str] = "adaptive_lighting"
    Parameters: ClassVar[type[InterventionParameters]] = AdaptiveLightingParameters

    def apply(self, city: City) -> Outcome:
        """Add the zone; report its streets and lamps."""
        params: AdaptiveLightingParameters = self.parameters  # type: ignore[assignment]
        network = city.network
        where = f"{city.scenario.name}: interventions: {self.name}: area"
        if params.area is None:
            streets = np.unique(network.edges["street_id"].to_numpy(dtype=np.int64))
        else:
            streets = params.area.streets_inside(network, where=where)
        spec = LightingSpec.model_validate({**city.scenario.lighting.model_dump(), **params.lighting_changes()})
        city.lighting_zones.append(LightingZone(streets=streets, spec=spec, label=self.name))
        lamps = int(np.isin(network.lamps["street_id"].to_numpy(dtype=np.int64), streets).sum())
        return Outcome(
            name=self.name, type=self.type, affected={"streets": float(streets.size), "lamps": float(lamps)},
            cost=self.cost(lamps, "lamp"),
        )  # fmt: skip
