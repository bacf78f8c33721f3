"""A third-party intervention installed for real with pip, found through its entry point.

The plugin package is ``tests/interventions/plugin``: one module and one entry point in the
``twin.interventions`` group. It is built and installed into a temporary folder (no network:
setuptools from this environment, no build isolation) that is then put on ``sys.path``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from twin.interventions import City, build_interventions, intervention_types
from twin.maps import grid_town
from twin.scenario import load_scenario

PLUGIN = Path(__file__).resolve().parent / "plugin"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The folder the plugin is installed into (built from a copy: builds write into the source)."""
    work = tmp_path_factory.mktemp("plugin")
    source = shutil.copytree(PLUGIN, work / "source")
    target = work / "site"
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
         "--quiet", "--target", str(target), str(source)],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert list(target.glob("twin_lamp_dimmer-0.1.0.dist-info/entry_points.txt"))
    return target


@pytest.fixture
def plugin(installed, monkeypatch):
    """The plugin on ``sys.path`` for one test; its module is forgotten afterwards."""
    monkeypatch.syspath_prepend(str(installed))
    yield installed
    sys.modules.pop("twin_lamp_dimmer", None)


def test_the_plugin_is_found_only_when_installed(plugin, monkeypatch):
    found = intervention_types()
    assert found["lamp_dimmer"].__module__ == "twin_lamp_dimmer"
    assert {"adaptive_lighting", "car_free_zone", "led_retrofit", "road_pricing"} < set(found)
    # Entry points are looked up on each call: no cache to clear.
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != str(plugin)])
    assert "lamp_dimmer" not in intervention_types()


def test_build_and_apply_the_plugin(plugin):
    town = grid_town(rows=3, cols=4, block_m=100)
    scenario = load_scenario_text(plugin.parent, "interventions: [{type: lamp_dimmer, name: dim, factor: 0.5}]\n")
    (dimmer,) = build_interventions(scenario.interventions)
    city = City(scenario=scenario, network=town)
    outcome = dimmer.apply(city)
    assert city.network.lamps["power_w"].sum() == pytest.approx(town.lamps["power_w"].sum() / 2)
    assert outcome.name == "dim" and outcome.affected == {"lamps": float(len(town.lamps))}


def test_plugin_parameters_are_checked_like_the_builtins(plugin):
    from twin._errors import ScenarioError

    with pytest.raises(ScenarioError, match=r"interventions\.0\.factor: 2 is above 1.0 \(new power as a fraction "):
        load_scenario_text(plugin.parent, "interventions: [{type: lamp_dimmer, factor: 2}]\n")


def test_a_model_runs_the_plugin(plugin):
    from twin.simulation import run

    town = grid_town(rows=3, cols=4, block_m=100, arterial_every=0)
    trips = pd.DataFrame([(0, 0, 11, 3600.0, "walk")], columns=["trip_id", "origin_node", "dest_node", "depart_s", "mode"])
    base = run(load_scenario_text(plugin.parent, ""), network=town, trips=trips)
    dimmed = run(load_scenario_text(plugin.parent, "interventions: [{type: lamp_dimmer, factor: 0.25}]\n"),
                 network=town, trips=trips)  # fmt: skip
    assert dimmed.kpis["energy"]["lighting_kwh"] == pytest.approx(0.25 * base.kpis["energy"]["lighting_kwh"], abs=1e-3)
    assert dimmed.kpis["interventions"]["lamp_dimmer"]["affected"]["lamps"] == len(town.lamps)


def load_scenario_text(folder: Path, extra: str):
    path = folder / "s.yaml"
    path.write_text("name: plugin\ndate: 2026-12-15\ntimezone: Europe/Helsinki\n"
                    "map: {synthetic: {kind: grid, rows: 3, cols: 4, block_m: 100}}\n" + extra, encoding="utf-8")  # fmt: skip
    return load_scenario(path)
