"""What an intervention is: parameters, a change to the city before the run, its cost.

An intervention is a class with a registered ``type`` (the scenario's ``type:``), a pydantic
model of its parameters, and two methods:

``apply(city) -> Outcome``
    Change the :class:`City` before the run: replace its street network with a changed copy
    (closed edges, new lamp powers, tolls), or add a :class:`LightingZone`. It returns what
    it changed (counts of lamps, edges, streets) and its cost.
``on_step(model)``
    Optional: act during the recorded day, after each Mesa step of the
    :class:`~twin.model.CityModel`. The default does nothing.

Everything a run may be changed through lives on :class:`City`; an intervention never
reaches into the engines. The built-ins are listed in :mod:`twin.interventions`; third-party
ones plug in through the ``twin.interventions`` entry-point group (see
:mod:`twin.interventions.registry`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import BaseModel, Field

from twin.scenario._fields import MODEL_CONFIG

if TYPE_CHECKING:
    import geopandas as gpd

    from twin.engine.controllers import Controller
    from twin.maps.network import StreetNetwork
    from twin.model import CityModel
    from twin.scenario import LightingSpec, Scenario
    from twin.scenario.services import ServicesSpec

__all__ = ["City", "CostItems", "Intervention", "InterventionParameters", "LightingZone", "Outcome"]


class InterventionParameters(BaseModel):
    """Parameters every intervention has: its cost. Subclasses add their own fields.

    The defaults of the cost fields are set per intervention, with their sources, in each
    built-in's module.
    """

    model_config = MODEL_CONFIG

    capital_eur_per_unit: float = Field(
        0.0, ge=0, le=1e9, description="capital cost per unit (lamp, km of street, ...), in EUR"
    )
    operating_eur_per_unit_year: float = Field(
        0.0, ge=0, le=1e9, description="yearly operating cost per unit, in EUR"
    )
    lifetime_years: float = Field(
        20.0, gt=0, le=100, description="service life of what the capital buys, in years"
    )


@dataclass(frozen=True, slots=True)
class CostItems:
    """The cost of an intervention as built in one city, for the business case.

    Attributes
    ----------
    units
        How many units the intervention buys (lamps retrofitted, km of street closed, ...).
    unit
        What one unit is, e.g. ``"lamp"`` or ``"km"``.
    capital_eur_per_unit, operating_eur_per_unit_year, lifetime_years
        From the intervention's parameters.
    """

    units: float
    unit: str
    capital_eur_per_unit: float
    operating_eur_per_unit_year: float
    lifetime_years: float

    @property
    def capital_eur(self) -> float:
        """Capital cost of all units, in EUR."""
        return self.units * self.capital_eur_per_unit

    @property
    def operating_eur_per_year(self) -> float:
        """Yearly operating cost of all units, in EUR."""
        return self.units * self.operating_eur_per_unit_year

    def as_dict(self) -> dict[str, Any]:
        """Plain values for ``kpis.json``."""
        return {
            "units": float(self.units), "unit": self.unit,
            "capital_eur_per_unit": self.capital_eur_per_unit,
            "operating_eur_per_unit_year": self.operating_eur_per_unit_year,
            "lifetime_years": self.lifetime_years, "capital_eur": self.capital_eur,
            "operating_eur_per_year": self.operating_eur_per_year,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one intervention changed in the city, and what that costs.

    Attributes
    ----------
    name, type
        The intervention's label and registered type.
    affected
        Counts of what it changed, e.g. ``{"lamps": 812, "streets": 230}``.
    cost
        Its cost items.
    """

    name: str
    type: str
    affected: dict[str, float]
    cost: CostItems

    def as_dict(self) -> dict[str, Any]:
        """Plain values for ``kpis.json``."""
        return {"type": self.type, "affected": dict(self.affected), "cost": self.cost.as_dict()}


@dataclass(frozen=True, slots=True)
class LightingZone:
    """Streets whose lights follow their own lighting parameters and controller.

    Attributes
    ----------
    streets
        ``int64`` street ids (``StreetNetwork.edges["street_id"]``) in the zone.
    spec
        The lighting parameters in the zone (the scenario's ``lighting`` section with the
        intervention's changes).
    controller
        A controller object for the zone, or ``None`` for the built-in one ``spec.controller``
        names.
    label
        Who made the zone, for results (the intervention's name).
    """

    streets: np.ndarray
    spec: LightingSpec
    controller: Controller | None = None
    label: str = ""


@dataclass(eq=False)
class City:
    """The city a run will simulate, as interventions change it before the run.

    Attributes
    ----------
    scenario
        The scenario being run (read-only for interventions).
    network
        The street network the run uses. Interventions replace it with a changed copy
        (:meth:`with_edges`, :meth:`with_lamps`), never change its tables in place: the
        population is placed on the network as it was before any intervention, so that
        homes and jobs are the same in every variant (common random numbers).
    lighting_zones
        Zones of streets with their own lighting; where zones overlap, the later one wins.
    services
        The mobility services (lines, shuttles, fares, bundle); the scenario's ``services``
        until an intervention replaces them (:meth:`with_services`).
    """

    scenario: Scenario
    network: StreetNetwork
    lighting_zones: list[LightingZone] = field(default_factory=list)
    services: ServicesSpec | None = None

    def __post_init__(self) -> None:
        if self.services is None:
            self.services = self.scenario.services

    def with_edges(self, edges: gpd.GeoDataFrame) -> None:
        """Replace the network's edge table (same rows, changed columns).

        A column ``toll_eur`` is a charge per passage of the edge by car, felt through mode
        choice and route choice.
        """
        if len(edges) != self.network.n_edges:
            raise ValueError("an intervention may change edge columns, not add or remove edges")
        self.network = dataclasses.replace(self.network, edges=edges)

    def with_lamps(self, lamps: gpd.GeoDataFrame) -> None:
        """Replace the network's lamp table."""
        self.network = dataclasses.replace(self.network, lamps=lamps)

    def with_services(self, services: ServicesSpec) -> None:
        """Replace the mobility services (a validated :class:`~twin.scenario.services.ServicesSpec`)."""
        self.services = services


class Intervention:
    """Base class of interventions.

    Subclasses set :attr:`type` and :attr:`Parameters` and implement :meth:`apply`.

    Parameters
    ----------
    parameters
        The validated parameters.
    name
        The label of this intervention in results (the scenario's ``name:``, else its type).
    """

    type: ClassVar[str] = ""
    Parameters: ClassVar[type[InterventionParameters]] = InterventionParameters

    def __init__(self, parameters: InterventionParameters, *, name: str) -> None:
        self.parameters = parameters
        self.name = name

    def apply(self, city: City) -> Outcome:
        """Change the city before the run and say what changed and what it costs."""
        raise NotImplementedError(f"{type(self).__name__} must implement apply(city)")

    def on_step(self, model: CityModel) -> None:
        """Act after each step of the recorded day (by default, nothing)."""

    def cost(self, units: float, unit: str) -> CostItems:
        """Cost items of ``units`` units at this intervention's cost parameters."""
        p = self.parameters
        return CostItems(units=float(units), unit=unit, capital_eur_per_unit=p.capital_eur_per_unit,
                         operating_eur_per_unit_year=p.operating_eur_per_unit_year,
                         lifetime_years=p.lifetime_years)  # fmt: skip

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"
