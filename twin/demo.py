"""The demo a new user runs first: the bundled city lives one day.

It runs the bundled Helsinki scenario (residents, traffic and streetlights) and writes the
run folder plus two pictures: the map with its lamps (``map.png``) and the day at a glance
(``day.png``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from twin.maps.network import StreetNetwork
from twin.scenario import load_scenario
from twin.simulation import RunResult, run

__all__ = ["DemoResult", "run_demo", "sample_car_trips"]


@dataclass(frozen=True)
class DemoResult:
    """The demo's run and where it wrote it."""

    run: RunResult
    folder: Path
    plots: tuple[Path, ...]


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
             progress: Callable[[float, float], None] | None = None) -> DemoResult:  # fmt: skip
    """Run a scenario's day and write its run folder with ``map.png`` and ``day.png``.

    The folder appears complete or not at all (staged, then swapped in).
    """
    from twin.maps.plot import plot_network
    from twin.run_folder import write_run
    from twin.viz.day import plot_day

    scenario = load_scenario(scenario_path, overrides=overrides)
    result = run(scenario, progress=progress)
    energy = result.kpis["energy"]

    def pictures(folder: Path) -> None:
        plot_network(result.network, title=f"{scenario.name}: streets and streetlights").savefig(folder / "map.png")
        title = (f"{scenario.name}, {scenario.date}: {result.kpis['trips']['total']:,} trips, "
                 f"lights on {energy['dark_hours']:.1f} h using {energy['lighting_kwh']:,.0f} kWh")  # fmt: skip
        plot_day(result.timeseries, dark_s=result.dark_s, title=title).savefig(folder / "day.png", dpi=110)

    folder = write_run(result, out, extra=pictures)
    return DemoResult(run=result, folder=folder, plots=(folder / "map.png", folder / "day.png"))
