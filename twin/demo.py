"""The demo a new user runs first: the bundled city, summarised, routed and drawn.

Until the simulation core lands this is the main job: it loads a scenario's map, checks it,
routes a sample of car trips at free-flow speed and writes a map plot and a JSON summary.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from twin._output import write_folder
from twin.maps.network import StreetNetwork
from twin.maps.plot import plot_network
from twin.maps.routing import route
from twin.maps.spec import network_from_spec
from twin.provenance import write_provenance
from twin.scenario import load_scenario

__all__ = ["DemoResult", "run_demo", "sample_car_trips"]


@dataclass(frozen=True)
class DemoResult:
    """What the demo measured and where it wrote it."""

    summary: dict
    trips: int
    routing_s: float
    mean_freeflow_min: float
    mean_route_km: float
    plot: Path
    summary_file: Path


def sample_car_trips(network: StreetNetwork, n: int, *, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` origin-destination pairs among the nodes cars can leave, uniformly, origin != destination."""
    candidates = network.mode_nodes("car")
    if candidates.size < 2:
        raise ValueError("the network has fewer than two nodes with car access; cannot sample trips")
    first = rng.integers(0, candidates.size, size=n)
    # Draw among the other candidates, then skip over the origin: uniform over destinations != origin.
    second = rng.integers(0, candidates.size - 1, size=n)
    second += second >= first
    return candidates[first], candidates[second]


def run_demo(scenario_path: str | os.PathLike, *, out: str | os.PathLike, overrides: Sequence[str] = (),
             trips: int = 2000) -> DemoResult:  # fmt: skip
    """Run the demo on a scenario and write ``map.png``, ``summary.json``,
    ``scenario.resolved.yaml`` and ``meta.json`` into ``out``.

    The folder appears complete or not at all: files are written to a temporary folder
    beside it, which then replaces it.
    """
    started_run = time.perf_counter()
    scenario = load_scenario(scenario_path, overrides=overrides)
    network = network_from_spec(scenario.map, vehicle_spacing_m=scenario.traffic.vehicle_spacing_m)
    rng = np.random.default_rng(np.random.SeedSequence(scenario.seed))
    origins, destinations = sample_car_trips(network, trips, rng=rng)
    started = time.perf_counter()
    routes = route(network, origins, destinations, mode="car")
    routing_s = time.perf_counter() - started
    pair_of_edge = np.repeat(np.arange(len(routes)), routes.hops)
    lengths = np.bincount(pair_of_edge, weights=network.edges["length_m"].to_numpy()[routes.edges],
                          minlength=len(routes))  # fmt: skip
    reached = routes.reachable & (np.diff(routes.offsets) > 0)
    summary = network.summary() | {
        "scenario": scenario.name,
        "seed": scenario.seed,
        "sample_trips": trips,
        "sample_trips_reached": int(reached.sum()),
        "mean_freeflow_min": float(routes.cost[reached].mean() / 60),
        "mean_route_km": float(lengths[reached].mean() / 1000),
    }

    def fill(folder: Path) -> None:
        plot_network(network, title=f"{scenario.name}: streets and streetlights").savefig(folder / "map.png")
        (folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        write_provenance(folder, scenario=scenario, network=network, wall_time_s=time.perf_counter() - started_run)

    out = write_folder(out, fill)
    return DemoResult(
        summary=summary, trips=trips, routing_s=routing_s, mean_freeflow_min=summary["mean_freeflow_min"],
        mean_route_km=summary["mean_route_km"], plot=out / "map.png", summary_file=out / "summary.json",
    )  # fmt: skip
