"""Interventions: changes to the city that a scenario tries (see :mod:`twin.interventions.base`).

Built-ins, one module each, named by their scenario ``type:``:

- ``adaptive_lighting``: another lighting controller or its settings in an area
  (:mod:`~twin.interventions.adaptive_lighting`);
- ``led_retrofit``: lamps that are not LED become LED, with a documented wattage mapping
  (:mod:`~twin.interventions.led_retrofit`);
- ``car_free_zone``: streets closed to cars, open to walking and cycling
  (:mod:`~twin.interventions.car_free_zone`);
- ``road_pricing``: a charge per entry into an area or per km in it
  (:mod:`~twin.interventions.road_pricing`);
- ``maas``: transit lines and shuttles added, fares, a bundle, booking channels
  (:mod:`~twin.interventions.maas`).

Each acts on an :class:`Area` (:mod:`~twin.scenario.area`). Other packages add types
through the ``twin.interventions`` entry-point group (:mod:`~twin.interventions.registry`).
"""

from twin.interventions.adaptive_lighting import AdaptiveLighting
from twin.scenario.area import Area
from twin.interventions.base import City, CostItems, Intervention, InterventionParameters, LightingZone, Outcome
from twin.interventions.car_free_zone import CarFreeZone
from twin.interventions.led_retrofit import LedRetrofit
from twin.interventions.maas import Maas
from twin.interventions.registry import build_interventions, intervention_types
from twin.interventions.road_pricing import RoadPricing

__all__ = [
    "AdaptiveLighting",
    "Area",
    "CarFreeZone",
    "City",
    "CostItems",
    "Intervention",
    "InterventionParameters",
    "LedRetrofit",
    "Maas",
    "LightingZone",
    "Outcome",
    "RoadPricing",
    "build_interventions",
    "intervention_types",
]
