"""Interventions: changes to the city that a scenario tries (see :mod:`twin.interventions.base`)."""

from twin.interventions.base import City, CostItems, Intervention, InterventionParameters, LightingZone, Outcome

__all__ = ["City", "CostItems", "Intervention", "InterventionParameters", "LightingZone", "Outcome"]
