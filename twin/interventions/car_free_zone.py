"""``car_free_zone``: streets closed to cars; walking and cycling stay as they were.

Every edge inside the area that cars may use gets ``allows_car = False``; its
``allows_walk`` and ``allows_bike`` do not change::

    interventions:
      - type: car_free_zone
        name: kluuvi-car-free
        area: {district: Kluuvi, districts: ../maps/helsinki-districts.geojson}

Closing streets can cut the car network: homes or places inside the zone may no longer be
reachable by car. The model then finds no car route for such trips and people choose
another mode; the zone is not an error.

Cost
----
One unit is a km of street closed, each street counted once whatever its number of
directions. The defaults are assumptions for a low-cost closure (signs, bollards or planters
at the entrances, some paving and markings); a full redesign of the street space costs one
to two orders of magnitude more per km. Replace them with the project's own estimate.

- ``capital_eur_per_unit`` 100,000 EUR per km (assumption; tactical closures start at a few
  10,000 EUR per km, full reconstructions run into millions).
- ``operating_eur_per_unit_year`` 5,000 EUR per km and year (assumption: upkeep of the
  furniture and enforcement).
- ``lifetime_years`` 15 years (assumption).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from twin.scenario.area import Area
from twin.interventions.base import City, Intervention, InterventionParameters, Outcome

__all__ = ["CarFreeZone", "CarFreeZoneParameters"]


class CarFreeZoneParameters(InterventionParameters):
    """Parameters of ``car_free_zone``: the area, and cost."""

    area: Area = Field(
        description="the streets closed to cars (bbox, polygon, file, district, road_classes)"
    )
    capital_eur_per_unit: float = Field(
        100_000.0, ge=0, le=1e9,
        description="capital cost per km of street closed, in EUR (assumption: signs, bollards "
        "and planters; a full redesign costs far more)",
    )  # fmt: skip
    operating_eur_per_unit_year: float = Field(
        5_000.0, ge=0, le=1e9,
        description="yearly upkeep and enforcement per km of street closed, in EUR (assumption)",
    )  # fmt: skip
    lifetime_years: float = Field(15.0, gt=0, le=100, description="service life, in years (assumption)")


class CarFreeZone(Intervention):
    """Close the streets of an area to cars.

    Cost unit: a km of street closed (streets already closed to cars do not count).
    """

    type: ClassVar[str] = "car_free_zone"
    Parameters: ClassVar[type[InterventionParameters]] = CarFreeZoneParameters

    def apply(self, city: City) -> Outcome:
        """Replace the edge table with one whose car edges in the area are closed to cars."""
        params: CarFreeZoneParameters = self.parameters  # type: ignore[assignment]
        network = city.network
        where = f"{city.scenario.name}: interventions: {self.name}: area"
        edges = network.edges
        closed = params.area.edges_inside(network, where=where) & edges["allows_car"].to_numpy(dtype=bool)
        changed = edges.copy()
        changed["allows_car"] = edges["allows_car"].to_numpy(dtype=bool) & ~closed
        city.with_edges(changed)
        streets = edges.loc[closed, ["street_id", "length_m"]].drop_duplicates("street_id")
        km = float(streets["length_m"].sum() / 1000)
        return Outcome(
            name=self.name, type=self.type,
            affected={"edges": float(closed.sum()), "streets": float(len(streets)), "street_km": km},
            cost=self.cost(km, "km"),
        )  # fmt: skip
