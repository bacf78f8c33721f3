"""Experiment files, variant files and --sweep options: what they say, and one line per problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from twin._errors import ScenarioError
from twin.experiment.design import Experiment, Variant, plan, with_options
from twin.experiment.files import load_experiment, parse_sweep, variant_from_file

ROOT = Path(__file__).resolve().parents[2]


def test_experiment_file_resolves_paths_flattens_set_and_adds_interventions(write, tiny):
    write("other.yaml", (tiny.read_text()).replace("name: tiny", "name: other"))
    path = write("study/exp.yaml", """\
name: dim-study
baseline: ../tiny.yaml
set: {population: {residents: 120}, lighting.hold_s: 20}
replications: 4
seed: 13
variants:
  - name: dim
    set: {lighting.dim_level: 0.25}
  - name: led
    interventions: [{type: led_retrofit, power_ratio: 0.6}]
  - scenario: ../other.yaml
sweep:
  grid: {lighting.ramp_s: [1, 3]}
""")
    experiment = load_experiment(path)
    assert experiment.baseline == tiny and experiment.replications == 4 and experiment.seed == 13
    assert experiment.overrides == ("population.residents=120", "lighting.hold_s=20")
    planned = plan(experiment)
    assert len(planned.variants) == 1 + 3 * 2 and planned.root_seed == 13
    base = planned.baseline.scenario
    assert base.population.residents == 120 and base.lighting.hold_s == 20
    led = next(v for v in planned.variants if v.name == "led[lighting.ramp_s=3]")
    (retrofit,) = led.scenario.interventions
    assert retrofit.type == "led_retrofit" and retrofit.model_dump()["power_ratio"] == 0.6
    other = next(v for v in planned.variants if v.name.startswith("other["))
    assert other.scenario.population.residents == 120  # the experiment's set applies to every variant


def test_variant_files_are_scenarios_or_interventions(write, tiny):
    assert variant_from_file(tiny) == Variant(name="tiny", scenario=tiny)
    one = variant_from_file(write("led.yaml", "type: led_retrofit\npower_ratio: 0.5\n"))
    assert one == Variant(name="led", interventions=({"type": "led_retrofit", "power_ratio": 0.5},))
    named = variant_from_file(write("pack.yaml", "name: package\ninterventions:\n"
                                                 "  - {type: led_retrofit, name: a}\n  - {type: led_retrofit, name: b}\n"))
    assert named.name == "package" and [i["name"] for i in named.interventions] == ["a", "b"]
    with pytest.raises(ScenarioError, match="type: each"):
        variant_from_file(write("bad.yaml", "- {power_ratio: 0.5}\n"))


def test_errors_in_an_experiment_file_are_one_line_each_with_the_key_path(write, tiny):
    path = write("exp.yaml", "baseline: tiny.yaml\nreplicatons: 3\nvariants:\n  - {name: a, sett: {}}\nsweep: {}\n")
    with pytest.raises(ScenarioError) as error:
        load_experiment(path)
    lines = str(error.value).splitlines()
    assert f"{path}: replicatons: unknown key 'replicatons'; did you mean 'replications'?" in lines
    assert f"{path}: variants.0.sett: unknown key 'sett'; did you mean 'set'?" in lines
    assert any(line.startswith(f"{path}: sweep: ") and "grid: or lhs:" in line for line in lines)
    assert len(lines) == 3


@pytest.mark.parametrize("text, message", [
    ("lighting.dim_level", "no '=' in the sweep"),
    ("=0.2,0.3", "the key before '=' is empty"),
    ("lighting..dim=0.2", "empty part"),
    ("lighting.dim_level=0.2,,0.3", "a value is empty"),
    ("lighting.dim_level=", "a value is empty"),
    ("lighting.dim_level=0.2,0.2", "given twice"),
])  # fmt: skip
def test_bad_sweep_syntax_is_one_line_saying_how_to_write_it(text, message):
    with pytest.raises(ScenarioError) as error:
        parse_sweep(text)
    assert message in str(error.value) and "\n" not in str(error.value)
    assert "e.g. --sweep lighting.dim_level=0.2,0.3,0.5" in str(error.value)


def test_sweep_values_keep_their_types():
    assert parse_sweep("lighting.controller=presence,always_on") == ("lighting.controller", ["presence", "always_on"])
    assert parse_sweep(" lighting.dim_level = 0.2, 0.5") == ("lighting.dim_level", [0.2, 0.5])
    assert parse_sweep("population.residents=100,200")[1] == [100, 200]


def test_files_named_by_interventions_are_found_beside_the_file_that_names_them(write, tiny):
    districts = ROOT / "maps" / "helsinki-districts.geojson"
    write("study/districts.geojson", districts.read_text(encoding="utf-8"))
    zone = write("study/kluuvi.yaml", "- {type: car_free_zone, area: {district: Kluuvi, districts: districts.geojson}}\n")
    variant = variant_from_file(zone)
    assert variant.interventions[0]["area"]["districts"] == str(zone.parent / "districts.geojson")
    planned = plan(with_options(Experiment(name="x", baseline=tiny), variants=[variant]))
    assert str(planned.variants[1].scenario.interventions[0].model_dump()["area"]["districts"]).startswith(str(zone.parent))


def test_a_bad_intervention_in_an_experiment_file_names_its_variant(write, tiny):
    path = write("exp.yaml", "baseline: tiny.yaml\nvariants:\n  - {name: ok}\n"
                             "  - {name: led, interventions: [{type: led_retrofit, power_ratio: 7}]}\n")  # fmt: skip
    with pytest.raises(ScenarioError) as error:
        load_experiment(path)
    (line,) = str(error.value).splitlines()
    assert line.startswith(f"{path}: variants.1.interventions.0.power_ratio: ")
