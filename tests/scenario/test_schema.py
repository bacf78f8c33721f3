"""The scenario models: defaults, bounds, cross-field rules, JSON Schema."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from twin.scenario import (
    DEFAULT_DATE,
    GridTown,
    InterventionSpec,
    LightingSpec,
    MapSpec,
    PopulationSpec,
    RadialTown,
    Scenario,
    scenario_json_schema,
)

MINIMAL: dict[str, Any] = {"name": "t", "map": {"synthetic": {"kind": "grid"}}}


def test_minimal_scenario_has_documented_defaults():
    s = Scenario.model_validate(MINIMAL)
    assert s.seed == 0
    assert s.date == DEFAULT_DATE == dt.date(2026, 1, 15)
    assert s.timezone is None
    assert (s.start_s, s.duration_s, s.step_s) == (0.0, 86400.0, 60.0)
    assert s.population == PopulationSpec()
    assert s.population.car_access_share == 0.78
    assert s.population.trips_per_person == 3.1
    assert s.demand is None
    assert s.lighting.controller == "always_on"
    assert s.lighting.dim_level == 0.5
    assert s.interventions == []
    assert s.traffic.iterations == 1
    assert s.traffic.stuck_s == 300.0 and s.emissions.car_kg_per_km == 0.17
    assert isinstance(s.map.synthetic, GridTown)
    assert (s.map.synthetic.rows, s.map.synthetic.cols, s.map.synthetic.block_m) == (
        10,
        10,
        120.0,
    )


def test_models_are_frozen():
    s = Scenario.model_validate(MINIMAL)
    with pytest.raises(ValidationError):
        s.seed = 3  # type: ignore[misc]
    with pytest.raises(ValidationError):
        s.lighting.dim_level = 0.1  # type: ignore[misc]


def test_synthetic_town_fields_match_generator_keywords():
    # twin.maps.synthetic.grid_town / radial_town take exactly these keyword arguments.
    assert set(GridTown.model_fields) - {"kind"} == {
        "rows", "cols", "block_m", "arterial_every", "local_speed_kmh", "arterial_speed_kmh",
        "local_lanes", "arterial_lanes", "origin_lat", "origin_lon", "lit",
    }
    assert set(RadialTown.model_fields) - {"kind"} == {
        "rings", "spokes", "ring_spacing_m", "ring_speed_kmh", "spoke_speed_kmh",
        "ring_lanes", "spoke_lanes", "origin_lat", "origin_lon", "lit",
    }


def test_radial_town_is_chosen_by_kind():
    s = Scenario.model_validate({**MINIMAL, "map": {"synthetic": {"kind": "radial", "rings": 3}}})
    assert isinstance(s.map.synthetic, RadialTown)
    assert s.map.synthetic.rings == 3


def test_map_needs_exactly_one_source(tmp_path):
    with pytest.raises(ValidationError, match="not both"):
        MapSpec(file=tmp_path / "x.gpkg", synthetic=GridTown(kind="grid"))
    with pytest.raises(ValidationError, match="give map.file"):
        MapSpec()


def test_file_options_are_rejected_for_a_synthetic_town():
    with pytest.raises(ValidationError, match="only applies to map.file"):
        MapSpec.model_validate({"synthetic": {"kind": "grid"}, "layer": "roads"})


@pytest.mark.parametrize("crs", ["EPSG:3067", "epsg:4326", "+proj=utm +zone=35 +ellps=GRS80"])
def test_known_crs_is_accepted(tmp_path, crs):
    assert MapSpec(file=tmp_path / "x.gpkg", crs=crs).crs == crs


def test_unknown_crs_says_what_to_use(tmp_path):
    with pytest.raises(ValidationError, match="use an EPSG code like EPSG:3067"):
        MapSpec(file=tmp_path / "x.gpkg", crs="not a crs")


def test_shares_fill_absent_groups_and_must_sum_to_one():
    p = PopulationSpec(income_shares={"low": 0.4, "middle": 0.6})
    assert p.income_shares == {"low": 0.4, "middle": 0.6, "high": 0.0}
    with pytest.raises(ValidationError, match="add up to 0.9, not 1"):
        PopulationSpec(age_shares={"child": 0.2, "adult": 0.5, "senior": 0.2})
    with pytest.raises(ValidationError, match="less than or equal to 1"):
        PopulationSpec(income_shares={"low": 1.5, "middle": -0.5})


def test_population_and_demand_are_exclusive(tmp_path):
    data = {**MINIMAL, "population": {}, "demand": {"trips": "trips.csv"}}
    with pytest.raises(ValidationError, match="not both"):
        Scenario.model_validate(data)
    only_demand = Scenario.model_validate({**MINIMAL, "demand": {"trips": "trips.csv"}})
    assert only_demand.population is None


def test_empty_sections_mean_defaults():
    s = Scenario.model_validate({**MINIMAL, "lighting": None, "traffic": None})
    assert s.lighting == LightingSpec()


def test_step_longer_than_run_is_rejected():
    with pytest.raises(ValidationError, match="longer than duration_s"):
        Scenario.model_validate({**MINIMAL, "duration_s": 30, "step_s": 60})


def test_nan_is_rejected_despite_bounds():
    with pytest.raises(ValidationError, match="finite"):
        LightingSpec(dim_level=float("nan"))


def test_intervention_keeps_its_own_parameters_but_needs_a_type():
    spec = InterventionSpec.model_validate({"type": "led_retrofit", "share": 0.5})
    assert spec.model_extra == {"share": 0.5}
    with pytest.raises(ValidationError, match="type is empty"):
        InterventionSpec(type="  ")
    with pytest.raises(ValidationError):
        InterventionSpec.model_validate({"share": 0.5})


def test_intervention_names_are_unique():
    items = [{"type": "a", "name": "x"}, {"type": "b", "name": "x"}]
    with pytest.raises(ValidationError, match="used twice"):
        Scenario.model_validate({**MINIMAL, "interventions": items})


def test_intervention_names_have_no_dots():
    # KPIs are dotted paths (interventions.<name>.cost.capital_eur): a dot would split a name.
    with pytest.raises(ValidationError, match="without dots, e.g. 'led-west'"):
        InterventionSpec.model_validate({"type": "led_retrofit", "name": "led.west"})
    assert InterventionSpec.model_validate({"type": "led_retrofit", "name": "led-west"}).name == "led-west"


def test_timezone_must_be_iana():
    assert Scenario.model_validate({**MINIMAL, "timezone": "Europe/Helsinki"}).timezone
    with pytest.raises(ValidationError, match="did you mean 'Europe/Helsinki'"):
        Scenario.model_validate({**MINIMAL, "timezone": "Europe/Helsinky"})


def test_date_is_not_read_from_a_number():
    with pytest.raises(ValidationError, match="like 2026-01-15"):
        Scenario.model_validate({**MINIMAL, "date": 20260115})


def test_every_numeric_field_has_unit_bounds_and_description():
    import twin.scenario.map_spec as map_spec
    import twin.scenario.schema as schema

    unitless = {"seed", "rows", "cols", "rings", "spokes", "residents", "iterations",
                "arterial_every", "local_lanes", "arterial_lanes", "ring_lanes", "spoke_lanes",
                "lanes", "dim_level", "origin_lat", "origin_lon", "trips_per_person"}
    models = {name: model for module in (schema, map_spec) for name, model in vars(module).items()
              if isinstance(model, type) and issubclass(model, BaseModel) and model.__module__ == module.__name__}
    assert {"PlanSpec", "ModeChoiceSpec", "EmissionsSpec", "TrafficSpec"} <= set(models)
    for name, model in models.items():
        for field_name, field in model.model_fields.items():
            assert field.description, f"{name}.{field_name} has no description"
            if field.annotation in (int, float, int | None, float | None):
                assert field.metadata, f"{name}.{field_name} has no bounds"
                if field_name not in unitless and not field_name.endswith("_share"):
                    assert "_" in field_name, f"{name}.{field_name} names no unit"


def test_json_schema_is_draft_2020_12_with_descriptions():
    schema = scenario_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "twin scenario"
    assert schema["description"]
    assert set(schema["required"]) == {"name", "map"}
    lighting = schema["$defs"]["LightingSpec"]["properties"]
    assert lighting["dim_level"]["description"] == "a fraction of full power"
    assert lighting["dim_level"]["maximum"] == 1.0
    for definition in schema["$defs"].values():
        for key, prop in definition.get("properties", {}).items():
            assert prop.get("description"), key
    json.dumps(schema)  # serialisable
    assert scenario_json_schema() is not schema  # a fresh dict each call
