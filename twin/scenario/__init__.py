"""Scenarios: the validated description of one simulated day of one city.

A scenario is a YAML file. :func:`load_scenario` reads it, applies ``--set``-style
overrides, validates it against :class:`Scenario` and makes its paths absolute. Bad input
raises :class:`~twin._errors.ScenarioError` with one line per problem.
"""

from twin.scenario.export import scenario_json_schema
from twin.scenario.load import apply_overrides, load_scenario
from twin.scenario.schema import (
    DEFAULT_DATE,
    DemandSpec,
    GridTown,
    InterventionSpec,
    LightingSpec,
    MapSpec,
    OutputSpec,
    PopulationSpec,
    RadialTown,
    RoadClassOverride,
    Scenario,
    TrafficSpec,
)

__all__ = [
    "DEFAULT_DATE",
    "DemandSpec",
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
    "apply_overrides",
    "load_scenario",
    "scenario_json_schema",
]
