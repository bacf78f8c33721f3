"""The registry: types by name, names of interventions, parameter errors, the scenario hook."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twin._errors import ScenarioError, TwinError
from twin.cli import main
from twin.interventions import (
    AdaptiveLighting,
    Maas,
    CarFreeZone,
    City,
    Intervention,
    InterventionParameters,
    LedRetrofit,
    Outcome,
    RoadPricing,
    build_interventions,
    intervention_types,
)
from twin.interventions.registry import ENTRY_POINT_GROUP, check_interventions
from twin.scenario import InterventionSpec, load_scenario

ROOT = Path(__file__).resolve().parents[2]
BUILTINS = {"adaptive_lighting": AdaptiveLighting, "led_retrofit": LedRetrofit,
            "car_free_zone": CarFreeZone, "road_pricing": RoadPricing, "maas": Maas}  # fmt: skip
GRID = {"synthetic": {"kind": "grid", "rows": 3, "cols": 4, "block_m": 100}}


class Noop(Intervention):
    """Changes nothing; counts one unit."""

    type = "noop"

    class Parameters(InterventionParameters):
        label: str = "x"

    def apply(self, city: City) -> Outcome:
        return Outcome(self.name, self.type, {}, self.cost(1, "thing"))


def fake_plugin(folder: Path, monkeypatch, *entries: str, dist: str = "twin-fake") -> None:
    """Make ``entries`` ('name = module:Class') visible as an installed distribution's entry points."""
    info = folder / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n", encoding="utf-8")
    lines = "\n".join(entries)
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{lines}\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder))


# ---------------------------------------------------------------------- types


def test_builtin_types():
    found = intervention_types()
    assert found == BUILTINS
    for name, cls in found.items():
        assert cls.type == name and issubclass(cls.Parameters, InterventionParameters)


def test_intervention_types_is_a_new_dict_each_time():
    found = intervention_types()
    found["x"] = Noop
    assert "x" not in intervention_types()


def test_plugin_that_fails_to_import_names_entry_point_and_distribution(tmp_path, monkeypatch):
    fake_plugin(tmp_path, monkeypatch, "broken = twin_no_such_module:Thing", dist="twin-broken")
    with pytest.raises(TwinError) as caught:
        intervention_types()
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("twin.interventions entry point 'broken' = 'twin_no_such_module:Thing' of "
                              "distribution 'twin-broken' failed to load (ModuleNotFoundError")  # fmt: skip
    assert message.endswith("fix or uninstall that package")


def test_a_broken_plugin_does_not_stop_scenarios_that_do_not_use_it(tmp_path, monkeypatch):
    fake_plugin(tmp_path, monkeypatch, "broken = twin_no_such_module:Thing")
    assert [i.name for i in build_interventions([{"type": "led_retrofit"}])] == ["led_retrofit"]
    with pytest.raises(TwinError, match="'broken'"):
        build_interventions([{"type": "broken"}])


def test_plugin_cannot_shadow_a_builtin(tmp_path, monkeypatch):
    fake_plugin(tmp_path, monkeypatch, "led_retrofit = json:JSONDecoder", dist="twin-shadow")
    with pytest.raises(TwinError, match=r"entry point 'led_retrofit' = 'json:JSONDecoder' of distribution "
                                        r"'twin-shadow' takes the name of a built-in intervention; .* rename"):
        intervention_types()


def test_plugin_must_be_an_intervention_of_its_type(tmp_path, monkeypatch):
    fake_plugin(tmp_path, monkeypatch, "decoder = json:JSONDecoder")
    with pytest.raises(TwinError, match=r"'decoder' .* is <class 'json.decoder.JSONDecoder'>, not a subclass of"):
        intervention_types()


def test_plugin_type_must_match_its_entry_point(tmp_path, monkeypatch):
    module = tmp_path / "twin_wrong_name.py"
    module.write_text("from twin.interventions import Intervention\n\n"
                      "class Thing(Intervention):\n    type = 'thing'\n", encoding="utf-8")  # fmt: skip
    fake_plugin(tmp_path, monkeypatch, "other = twin_wrong_name:Thing")
    try:
        with pytest.raises(TwinError, match=r"the class's type is 'thing'; set type = 'other' on the class"):
            intervention_types()
    finally:
        monkeypatch.delitem(__import__("sys").modules, "twin_wrong_name", raising=False)


# ------------------------------------------------------------------ building


def test_names_default_to_the_type_then_numbered():
    specs = [{"type": "led_retrofit"}, {"type": "led_retrofit", "name": "led_retrofit-2"},
             {"type": "led_retrofit"}, {"type": "car_free_zone", "name": "cf", "area": {"road_classes": ["residential"]}},
             {"type": "led_retrofit", "name": "city"}]  # fmt: skip
    built = build_interventions(specs)
    assert [i.name for i in built] == ["led_retrofit", "led_retrofit-2", "led_retrofit-3", "cf", "city"]
    assert [type(i) for i in built] == [LedRetrofit, LedRetrofit, LedRetrofit, CarFreeZone, LedRetrofit]


def test_specs_or_plain_mappings():
    spec = InterventionSpec.model_validate({"type": "led_retrofit", "name": "led", "power_ratio": 0.4})
    (from_spec,) = build_interventions([spec])
    (from_dict,) = build_interventions([{"type": "led_retrofit", "name": "led", "power_ratio": 0.4}])
    assert from_spec.parameters == from_dict.parameters
    assert from_spec.parameters.power_ratio == 0.4


def test_extra_types_are_used_and_may_replace_builtins():
    (noop,) = build_interventions([{"type": "noop", "label": "y"}], types={"noop": Noop})
    assert isinstance(noop, Noop) and noop.parameters.label == "y"
    (mine,) = build_interventions([{"type": "led_retrofit", "label": "z"}], types={"led_retrofit": Noop})
    assert isinstance(mine, Noop)
    with pytest.raises(TypeError, match="not a subclass of Intervention"):
        build_interventions([{"type": "x"}], types={"x": dict})


def test_unknown_type_lists_known_types_and_suggests_the_closest():
    with pytest.raises(ScenarioError) as caught:
        build_interventions([{"type": "led_retrofit"}, {"type": "led-retrofit"}], source="city.yaml")
    assert str(caught.value) == (
        "city.yaml: interventions.1.type: unknown intervention type 'led-retrofit'; did you mean "
        "'led_retrofit'? (known types: adaptive_lighting, car_free_zone, led_retrofit, maas, road_pricing)"
    )
    with pytest.raises(ScenarioError, match=r"unknown intervention type 'zzz'; known types: adaptive_lighting, "
                                            r"car_free_zone, led_retrofit, maas, noop, road_pricing$"):
        build_interventions([{"type": "zzz"}], types={"noop": Noop})


@pytest.mark.parametrize(
    ("spec", "line"),
    [
        ({"type": "adaptive_lighting", "dim_level": 1.5},
         "interventions.0.dim_level: 1.5 is above 1.0 (a fraction of full power; by default as in the "
         "scenario's lighting); use a value from 0.0 to 1.0"),
        ({"type": "adaptive_lighting", "controller": "presense"},
         "interventions.0.controller: 'presense' is not allowed; did you mean 'presence'?"),
        ({"type": "adaptive_lighting", "on_sun_elevation_deg": -6},
         "interventions.0.on_sun_elevation_deg: unknown key 'on_sun_elevation_deg'; valid keys here: type, name,"),
        ({"type": "adaptive_lighting", "dim_levle": 0.3},
         "interventions.0.dim_levle: unknown key 'dim_levle'; did you mean 'dim_level'?"),
        ({"type": "car_free_zone"},
         "interventions.0.area: required key is missing; add area: (the streets closed to cars"),
        ({"type": "car_free_zone", "bbox": [24.9, 60.1, 25.0, 60.2]},
         "interventions.0.bbox: unknown key 'bbox'; it belongs under area: (area: {bbox: ...})"),
        ({"type": "car_free_zone", "area": "Kamppi"},
         "interventions.0.area: expected key: value settings (the streets closed to cars"),
        ({"type": "car_free_zone", "area": {"bbx": [1, 2, 3, 4]}},
         "interventions.0.area.bbx: unknown key 'bbx'; did you mean 'bbox'?"),
        ({"type": "car_free_zone", "area": {"bbox": [385000, 6672000, 386000, 6673000]}},
         "interventions.0.area.bbox: numbers like 6673000.0 are not degrees of longitude and latitude, which "
         "crs EPSG:4326 (the default) expects; set crs: to the coordinate system of these numbers"),
        ({"type": "car_free_zone", "area": {"bbox": [1, 2, "x", 4]}},
         "interventions.0.area.bbox.2: 'x' is not a number"),
        ({"type": "road_pricing", "area": {"road_classes": ["primary"]}},
         "interventions.0: charges nothing; give charge_eur_per_entry or charge_eur_per_km above 0"),
        ({"type": "road_pricing", "area": {"road_classes": ["primary"]}, "charge_eur_per_entry": 2},
         "interventions.0.charge_eur_per_entry: a charge per entry needs an outline to cross"),
        ({"type": "led_retrofit", "power_map_w": {70: -35}},
         "interventions.0.power_map_w.70: -35 must be above 0.0"),
        ({"type": "led_retrofit", "capital_eur_per_unit": -1},
         "interventions.0.capital_eur_per_unit: -1 is below 0.0 (capital cost per lamp retrofitted, in EUR"),
    ],
)
def test_parameter_errors_are_one_line_with_the_key_path(spec, line):
    with pytest.raises(ScenarioError) as caught:
        build_interventions([spec], source="s.yaml")
    lines = str(caught.value).splitlines()
    assert any(text.startswith(f"s.yaml: {line}") for text in lines), lines


def test_every_problem_of_every_intervention_gets_its_line():
    specs = [{"type": "adaptive_lighting", "dim_level": 2, "hold_s": -1},
             {"type": "nope"}, {"type": "road_pricing"}]  # fmt: skip
    with pytest.raises(ScenarioError) as caught:
        build_interventions(specs, source="s")
    lines = str(caught.value).splitlines()
    assert [line.split(":")[1].strip() for line in lines] == [
        "interventions.0.dim_level", "interventions.0.hold_s", "interventions.1.type", "interventions.2.area",
    ]


def test_builtin_parameter_models_document_every_field():
    for cls in BUILTINS.values():
        for name, field in cls.Parameters.model_fields.items():
            assert field.description, f"{cls.type}.{name}"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(sorted(BUILTINS)),
    params=st.dictionaries(
        st.sampled_from(["area", "dim_level", "controller", "power_map_w", "power_ratio", "charge_eur_per_km",
                         "charge_eur_per_entry", "capital_eur_per_unit", "lifetime_years", "x"]),
        st.recursive(
            st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers(-10**6, 10**6) | st.text(max_size=8),
            lambda inner: st.lists(inner, max_size=5) | st.dictionaries(
                st.sampled_from(["bbox", "polygon", "district", "road_classes", "crs", "layer", "file", "70"]),
                inner, max_size=3),
            max_leaves=8,
        ),
        max_size=3,
    ),
)
def test_any_parameters_build_or_fail_cleanly(kind, params):
    try:
        build_interventions([{"type": kind, **params}], source="s.yaml")
    except ScenarioError as exc:
        for line in str(exc).splitlines():
            assert line.startswith("s.yaml: interventions.0"), line
            assert line.isprintable() and len(line) < 600, line


# ------------------------------------------------------------ the scenario hook


def scenario_file(folder: Path, interventions: list, name: str = "s.yaml") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"name": "s", "map": GRID, "interventions": interventions}), encoding="utf-8")
    return path


def test_load_scenario_makes_area_files_absolute(tmp_path, monkeypatch):
    (tmp_path / "zones").mkdir()
    frame = gpd.GeoDataFrame({"name": ["A"]}, geometry=gpd.GeoSeries.from_xy([24.94], [60.17]).buffer(0.001), crs=4326)
    frame.to_file(tmp_path / "zones" / "a.geojson", engine="pyogrio")
    path = scenario_file(tmp_path / "scenarios", [
        {"type": "car_free_zone", "area": {"file": "../zones/a.geojson"}},
        {"type": "adaptive_lighting", "area": {"district": "A", "districts": "../zones/a.geojson"}},
    ])  # fmt: skip
    monkeypatch.chdir(ROOT)  # not the scenario's folder
    scenario = load_scenario(path)
    expected = str(tmp_path / "zones" / "a.geojson")
    assert scenario.interventions[0].model_extra["area"] == {"file": expected}
    assert scenario.interventions[1].model_extra["area"] == {"district": "A", "districts": expected}
    # The resolved scenario round-trips through YAML, as in scenario.resolved.yaml.
    again = tmp_path / "elsewhere" / "resolved.yaml"
    again.parent.mkdir()
    again.write_text(yaml.safe_dump(scenario.model_dump(mode="json")), encoding="utf-8")
    assert load_scenario(again) == scenario


def test_load_scenario_reports_missing_area_files(tmp_path):
    path = scenario_file(tmp_path, [{"type": "led_retrofit", "area": {"file": "nope.geojson"}}])
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value) == (
        f"{path}: interventions.0.area.file: {tmp_path / 'nope.geojson'} does not exist; relative paths "
        f"start from the scenario's folder {tmp_path}"
    )


def test_load_scenario_marks_problems_from_overrides(tmp_path):
    path = scenario_file(tmp_path, [{"type": "adaptive_lighting"}])
    with pytest.raises(ScenarioError, match=r"interventions\.0\.dim_level: 3 is above 1.0 .*\(from --set\)$"):
        load_scenario(path, overrides=["interventions.0.dim_level=3"])


def test_check_interventions_resolves_against_base(tmp_path):
    (tmp_path / "z.geojson").write_text("{}", encoding="utf-8")
    specs = [InterventionSpec.model_validate({"type": "led_retrofit", "area": {"file": "z.geojson"}})]
    (checked,) = check_interventions(specs, source="s", base=tmp_path)
    assert checked.model_extra["area"]["file"] == str(tmp_path / "z.geojson")
    assert os.path.isabs(checked.model_extra["area"]["file"])


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.filterwarnings("ignore::twin._errors.MapWarning")  # validate loads the map to check the areas
def test_twin_validate_accepts_the_bundled_intervention_scenarios(capsys):
    for name in ("adaptive-lighting", "led-retrofit", "car-free", "road-pricing"):
        code, out, err = run_cli(capsys, "validate", str(ROOT / "scenarios" / f"helsinki-{name}.yaml"))
        assert code == 0, err
        assert "is valid" in out


def test_twin_validate_gives_one_line_and_exit_code_2(capsys, tmp_path):
    path = scenario_file(tmp_path, [{"type": "led_retrofitt"}])
    code, _, err = run_cli(capsys, "validate", str(path))
    assert code == 2
    assert err.splitlines() == [
        f"error: {path}: interventions.0.type: unknown intervention type 'led_retrofitt'; did you mean "
        "'led_retrofit'? (known types: adaptive_lighting, car_free_zone, led_retrofit, maas, road_pricing)"
    ]
