"""Experiments: variants x sweep points, replications and their paired seeds."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from twin._errors import ScenarioError
from twin.experiment.design import (
    Experiment,
    Sweep,
    Variant,
    describe,
    override_text,
    plan,
    replication_seeds,
    sweep_points,
    with_options,
)
from twin.experiment.files import load_experiment, variant_from_file
from twin.scenario import apply_overrides


def test_replication_seeds_are_spawned_from_the_root_and_stable_when_more_are_asked():
    seeds = replication_seeds(7, 5)
    children = np.random.SeedSequence(7).spawn(5)
    assert seeds == [int(c.generate_state(1, np.uint64)[0] >> 1) for c in children]
    assert replication_seeds(7, 3) == seeds[:3]
    assert len(set(seeds)) == 5 and all(0 <= s < 2**63 for s in seeds)
    assert replication_seeds(8, 5) != seeds


def test_every_variant_of_a_replication_shares_its_seed(tiny):
    experiment = Experiment(name="x", baseline=tiny, replications=3, seed=11, variants=(
        Variant("dim", overrides=("lighting.dim_level=0.2",)), Variant("on", overrides=("lighting.controller=always_on",)),
    ))  # fmt: skip
    runs = list(plan(experiment).runs())
    assert len(runs) == 9
    by_replication = {}
    for _, variant, replication, seed in runs:
        by_replication.setdefault(replication, set()).add(seed)
    assert all(len(seeds) == 1 for seeds in by_replication.values())
    assert [by_replication[r].pop() for r in range(3)] == replication_seeds(11, 3)


def test_root_seed_defaults_to_the_baselines(tiny):
    assert plan(Experiment(name="x", baseline=tiny)).root_seed == 3
    assert plan(Experiment(name="x", baseline=tiny, overrides=("seed=9",))).root_seed == 9


def test_sweep_points_apply_to_every_variant_and_never_to_the_baseline(tiny):
    experiment = Experiment(name="x", baseline=tiny, variants=(Variant("a"), Variant("b", overrides=("lighting.hold_s=30",))),
                            sweep=Sweep(grid={"lighting.dim_level": [0.2, 0.5], "lighting.ramp_s": [1, 4]}))  # fmt: skip
    planned = plan(experiment)
    names = [v.name for v in planned.variants]
    assert names[0] == "tiny" and planned.variants[0].is_baseline and planned.variants[0].point == {}
    assert names[1:5] == [
        "a[lighting.dim_level=0.2,lighting.ramp_s=1]", "a[lighting.dim_level=0.2,lighting.ramp_s=4]",
        "a[lighting.dim_level=0.5,lighting.ramp_s=1]", "a[lighting.dim_level=0.5,lighting.ramp_s=4]",
    ]  # fmt: skip
    assert len(names) == 9 and names[5].startswith("b[")
    b = planned.variants[8]
    assert b.scenario.lighting.hold_s == 30 and b.scenario.lighting.dim_level == 0.5 and b.scenario.lighting.ramp_s == 4
    assert b.scenario.name == b.name  # run folders say which variant they belong to
    assert planned.baseline.scenario.lighting.dim_level == 0.5  # the default, untouched


def test_without_variants_each_sweep_point_is_a_variant_of_the_baseline(tiny):
    planned = plan(Experiment(name="x", baseline=tiny, sweep=Sweep(grid={"lighting.dim_level": [0.2, 0.3]})))
    assert [v.name for v in planned.variants] == ["tiny", "tiny[lighting.dim_level=0.2]", "tiny[lighting.dim_level=0.3]"]
    assert [v.scenario.lighting.dim_level for v in planned.variants] == [0.5, 0.2, 0.3]


def test_latin_hypercube_is_reproducible_stratified_and_whole_where_the_bounds_are():
    sweep = Sweep(lhs_samples=8, lhs_ranges={"lighting.dim_level": (0.1, 0.6), "population.residents": (100, 900)})
    points = sweep_points(sweep, seed=5)
    assert points == sweep_points(sweep, seed=5)
    assert points != sweep_points(sweep, seed=6)
    dim = np.array([p["lighting.dim_level"] for p in points])
    residents = [p["population.residents"] for p in points]
    assert all(isinstance(r, int) for r in residents) and all(100 <= r <= 900 for r in residents)
    # One point in each eighth of every range: that is what makes it a Latin hypercube.
    assert sorted(np.floor((dim - 0.1) / 0.5 * 8).astype(int)) == list(range(8))
    assert sorted(np.floor((np.array(residents) - 100) / 800 * 8).clip(0, 7).astype(int)) == list(range(8))
    assert sweep_points(Sweep(lhs_samples=8, lhs_ranges=sweep.lhs_ranges, lhs_seed=1), seed=5) != points


def test_interventions_are_appended_to_the_baselines_own(write, tiny):
    base = write("with-one.yaml", tiny.read_text() + "interventions: [{type: led_retrofit, name: first, power_ratio: 0.7}]\n")
    led = write("led.yaml", "- {type: led_retrofit, name: second, power_ratio: 0.5}\n")
    planned = plan(with_options(Experiment(name="x", baseline=base), variants=[variant_from_file(led)]))
    baseline, variant = (v.scenario.interventions for v in planned.variants)
    assert [(i.name, i.model_dump()["power_ratio"]) for i in baseline] == [("first", 0.7)]
    assert [(i.name, i.model_dump()["power_ratio"]) for i in variant] == [("first", 0.7), ("second", 0.5)]


def test_a_bad_value_in_a_variant_names_the_variant_and_fails_before_any_run(write, tiny):
    path = write("exp.yaml", "baseline: tiny.yaml\nvariants:\n  - {name: ok}\n  - {name: bright, set: {lighting.dim_level: 1.5}}\n")
    with pytest.raises(ScenarioError) as error:
        plan(load_experiment(path))
    (line,) = str(error.value).splitlines()
    assert line.startswith(f"{path}: variant 'bright': {tiny}: lighting.dim_level: 1.5 is above 1.0")


def test_every_sweep_point_is_checked_up_front(tiny):
    experiment = Experiment(name="x", baseline=tiny, sweep=Sweep(grid={"lighting.dim_level": [0.2, 1.2, 1.3]}))
    with pytest.raises(ScenarioError) as error:
        plan(experiment)
    lines = str(error.value).splitlines()
    assert len(lines) == 2 and "tiny[lighting.dim_level=1.2]" in lines[0] and "1.3 is above" in lines[1]


def test_two_variants_with_one_name_are_refused(tiny):
    with pytest.raises(ScenarioError, match="two variants are named 'a'"):
        plan(Experiment(name="x", baseline=tiny, variants=(Variant("a"), Variant("a"))))
    with pytest.raises(ScenarioError, match="two variants are named 'tiny'"):
        plan(Experiment(name="x", baseline=tiny, variants=(Variant("tiny"),)))


@pytest.mark.parametrize("value", [0.3, 1e-07, 2.5e20, 3, True, "presence", "06:30", [1, 2.5], {"kind": "grid"}, None])
def test_override_text_reads_back_exactly(value):
    assert apply_overrides({}, [override_text("a.b", value)]) == {"a": {"b": value}}


def test_more_options_add_variants_grid_keys_replications_and_seed(tiny):
    base = Experiment(name="x", baseline=tiny, sweep=Sweep(grid={"lighting.dim_level": [0.2]}))
    more = with_options(base, variants=[Variant("v")], sweeps={"lighting.ramp_s": [1, 2]}, replications=4, seed=2)
    assert more.sweep.grid == {"lighting.dim_level": [0.2], "lighting.ramp_s": [1, 2]}
    assert (more.replications, more.seed, more.variants) == (4, 2, (Variant("v"),))
    lhs = Experiment(name="x", baseline=tiny, sweep=Sweep(lhs_samples=2, lhs_ranges={"lighting.dim_level": (0.1, 0.5)}))
    with pytest.raises(ScenarioError, match="Latin hypercube"):
        with_options(lhs, sweeps={"lighting.ramp_s": [1]})


def test_the_resolved_experiment_is_plain_data(tiny):
    planned = plan(Experiment(name="x", baseline=tiny, replications=2, sweep=Sweep(grid={"lighting.dim_level": [0.2]})))
    text = yaml.safe_dump(describe(planned))
    data = yaml.safe_load(text)
    assert data["seeds"] == list(planned.seeds) and data["root_seed"] == 3 and data["runs"] == 4
    assert data["variants"][1]["point"] == {"lighting.dim_level": 0.2}
    assert data["variants"][1]["scenario"]["lighting"]["dim_level"] == 0.2
