"""twin: an agent-based city simulation and digital twin.

Residents, vehicles and streetlights live a day on a real street network; scenarios say
which city, which people and which intervention. The public API::

    from twin import load_scenario, load_network, grid_town, route, run, CityModel
    scenario = load_scenario("scenarios/helsinki-baseline.yaml", overrides=["seed=3"])
    city = load_network("maps/helsinki.gpkg")
    result = run(scenario, out="runs/helsinki")   # one simulated day, written as a run folder
    runs = run_batch("scenarios/helsinki-baseline.yaml", sweeps={"lighting.dim_level": [0.2, 0.5]},
                     replications=5, out="runs/dim")  # one row per run; load_batch("runs/dim").summary()

Names are imported on first use, so ``import twin`` stays quick and has no side effects.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from twin._errors import MapDataError, MapWarning, ScenarioError, TwinError

__version__ = "0.1.0"

_LAZY = {
    "Scenario": "twin.scenario",
    "load_scenario": "twin.scenario",
    "scenario_json_schema": "twin.scenario",
    "StreetNetwork": "twin.maps",
    "load_network": "twin.maps",
    "build_network": "twin.maps",
    "import_map": "twin.maps",
    "save_network": "twin.maps",
    "network_from_spec": "twin.maps.spec",
    "grid_town": "twin.maps.synthetic",
    "radial_town": "twin.maps.synthetic",
    "route": "twin.maps.routing",
    "Routes": "twin.maps.routing",
    "CityModel": "twin.model",
    "run": "twin.simulation",
    "RunResult": "twin.simulation",
    "load_run": "twin.run_folder",
    "run_batch": "twin.experiment.batch",
    "load_batch": "twin.experiment.batch",
}

__all__ = ["TwinError", "ScenarioError", "MapDataError", "MapWarning", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'twin' has no attribute {name!r}")
