"""``road_pricing``: a charge for driving into an area, or per km driven in it.

The charge is written to the edge column ``toll_eur``: money per passage of the edge by car
(0 elsewhere; added to what an earlier pricing intervention set). Mode choice adds the tolls
along a car route to the trip's cost and route choice weighs them against time, so the
charge is felt as people choose how and which way to travel::

    interventions:
      - type: road_pricing
        name: centre-cordon
        area: {district: Kluuvi, districts: ../maps/helsinki-districts.geojson}
        charge_eur_per_entry: 3.0

Where the charge falls
----------------------
- ``charge_eur_per_km``: on each car edge inside the area (see
  :mod:`twin.scenario.area`), ``rate x length_m / 1000``.
- ``charge_eur_per_entry``: a cordon. On each car edge from a node outside the area to a
  node inside it, the charge. Every car route from outside to inside crosses one such edge,
  so no way in escapes it; a trip that starts inside pays only if it leaves and comes back.
  ``road_classes`` narrows the charged edges to those classes.

Both may be given. A cordon needs an outline to cross, so an area of ``road_classes`` alone
takes only a per-km charge. Stockholm's congestion tax (since 2007) and Gothenburg's (2013)
are cordon charges per passage of this kind; their time-of-day rates and daily caps are not
modelled: the charge is the same all day.

Cost
----
One unit is a charging point: a car edge leading into the area (a camera or gantry per
inbound carriageway). A per-km charge also needs those points, to see who is in the zone, so
they are counted for it too; equipment inside the zone is not, so raise
``capital_eur_per_unit`` for such schemes. An area of ``road_classes`` alone has no entries,
so it counts no charging points and costs nothing: compare such schemes with their own cost
figures. All defaults are assumptions (orders of magnitude), not from one source:

- ``capital_eur_per_unit`` 150,000 EUR per charging point (assumption: cameras, gantry,
  power and communications, plus a share of the back office).
- ``operating_eur_per_unit_year`` 50,000 EUR per point and year (assumption: back office,
  payment handling and enforcement; these dominate the running cost of real schemes).
- ``lifetime_years`` 10 years (assumption: roadside electronics).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import Field, model_validator

from twin._errors import ScenarioError
from twin.scenario.area import Area
from twin.interventions.base import City, Intervention, InterventionParameters, Outcome
from twin.scenario._fields import rule

if TYPE_CHECKING:
    from twin.maps.network import StreetNetwork

__all__ = ["RoadPricing", "RoadPricingParameters", "TOLL_COLUMN", "entry_edges"]

#: The edge column of charges per passage by car, in EUR.
TOLL_COLUMN = "toll_eur"


class RoadPricingParameters(InterventionParameters):
    """Parameters of ``road_pricing``: the area, the charges, and cost."""

    area: Area = Field(
        description="the charged area (bbox, polygon, file, district; road_classes to narrow it)"
    )
    charge_eur_per_entry: float = Field(
        0.0, ge=0, le=1000, description="charge per car entering the area, in EUR"
    )
    charge_eur_per_km: float = Field(
        0.0, ge=0, le=100, description="charge per km driven by car in the area, in EUR"
    )
    capital_eur_per_unit: float = Field(
        150_000.0, ge=0, le=1e9,
        description="capital cost per charging point (inbound car edge), in EUR (assumption)",
    )  # fmt: skip
    operating_eur_per_unit_year: float = Field(
        50_000.0, ge=0, le=1e9,
        description="yearly operating cost per charging point, in EUR (assumption)",
    )  # fmt: skip
    lifetime_years: float = Field(
        10.0, gt=0, le=100, description="service life of the roadside equipment, in years (assumption)"
    )

    @model_validator(mode="after")
    def _some_charge(self) -> RoadPricingParameters:
        if self.charge_eur_per_entry <= 0 and self.charge_eur_per_km <= 0:
            raise rule("charges nothing; give charge_eur_per_entry or charge_eur_per_km above 0")
        if self.charge_eur_per_entry > 0 and not self.area.has_boundary:
            raise rule(
                "a charge per entry needs an outline to cross; give bbox, polygon, file or "
                "district (road_classes may narrow it), or charge per km",
                at="charge_eur_per_entry",
            )
        return self


def entry_edges(network: StreetNetwork, area: Area, *, where: str = "area") -> np.ndarray:
    """Which car edges lead from a node outside the area to a node inside it.

    Parameters
    ----------
    network
        The street network.
    area
        An area with an outline; ``road_classes`` narrows the edges.
    where
        Names the area in error messages.

    Returns
    -------
    numpy.ndarray
        ``bool`` per edge, aligned with ``network.edges``.
    """
    edges = network.edges
    if not area.has_boundary:
        raise ScenarioError(
            f"{where}: road_classes alone has no outline to enter; give bbox, polygon, file or district"
        )
    nodes = area.nodes_inside(network, where=where)
    u, v = edges["u"].to_numpy(), edges["v"].to_numpy()
    entering = ~nodes[u] & nodes[v] & edges["allows_car"].to_numpy(dtype=bool)
    if area.road_classes is not None:
        entering &= edges["road_class"].astype("string").isin(area.road_classes).fillna(False).to_numpy(dtype=bool)
    return entering


class RoadPricing(Intervention):
    """Charge cars for entering an area, or per km driven in it, through ``toll_eur``.

    Cost unit: a charging point (a car edge leading into the area).
    """

    type: ClassVar[str] = "road_pricing"
    Parameters: ClassVar[type[InterventionParameters]] = RoadPricingParameters

    def apply(self, city: City) -> Outcome:
        """Replace the edge table with one whose ``toll_eur`` includes this charge."""
        params: RoadPricingParameters = self.parameters  # type: ignore[assignment]
        network = city.network
        edges = network.edges
        where = f"{city.scenario.name}: interventions: {self.name}: area"
        car = edges["allows_car"].to_numpy(dtype=bool)
        toll = np.zeros(len(edges), dtype=np.float64)
        per_km = np.zeros(len(edges), dtype=bool)
        if params.charge_eur_per_km > 0:
            per_km = params.area.edges_inside(network, where=where) & car
            toll[per_km] += params.charge_eur_per_km * edges["length_m"].to_numpy(dtype=np.float64)[per_km] / 1000
        entries = np.zeros(len(edges), dtype=bool)
        if params.area.has_boundary and params.charge_eur_per_entry > 0:
            # Only a cordon needs the nodes inside: a small per-km area may hold none.
            entries = entry_edges(network, params.area, where=where)
            toll[entries] += params.charge_eur_per_entry
        changed = edges.copy()
        if TOLL_COLUMN in edges.columns:
            toll += edges[TOLL_COLUMN].fillna(0.0).to_numpy(dtype=np.float64)
        changed[TOLL_COLUMN] = toll
        city.with_edges(changed)
        km = float(edges.loc[per_km, ["street_id", "length_m"]].drop_duplicates("street_id")["length_m"].sum() / 1000)
        points = int(entries.sum())
        return Outcome(
            name=self.name, type=self.type,
            affected={"entry_edges": float(points), "charged_edges": float(per_km.sum()),
                      "charged_street_km": km},
            cost=self.cost(points, "charging point"),
        )  # fmt: skip
