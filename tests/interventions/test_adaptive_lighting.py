"""adaptive_lighting: a lighting zone of the streets in an area, with the scenario's lighting
changed by the intervention's keys."""

from __future__ import annotations

import numpy as np
import pytest

from twin._errors import ScenarioError
from twin.interventions import AdaptiveLighting, City, build_interventions
from twin.interventions.adaptive_lighting import CITY_WIDE_LIGHTING, AdaptiveLightingParameters
from twin.scenario import LightingSpec, Scenario

TINY = {"name": "tiny", "map": {"synthetic": {"kind": "grid"}}}


def one(spec: dict) -> AdaptiveLighting:
    (intervention,) = build_interventions([{"type": "adaptive_lighting", **spec}])
    return intervention


def test_zone_of_the_streets_in_the_area_with_changed_lighting(grid):
    network = grid.with_lamps([(0, 70.0, "HPS"), (0, 70.0, "HPS"), (3, 100.0, "HPS"), (16, 70.0, "HPS")])
    scenario = Scenario.model_validate({**TINY, "lighting": {"controller": "part_night", "ramp_s": 5}})
    city = City(scenario=scenario, network=network)
    block = grid.box(-10, -10, 110, 110)  # streets 0, 3, 9 and 10
    outcome = one({"name": "presence-block", "area": block, "controller": "presence", "dim_level": 0.3,
                   "hold_s": 30}).apply(city)  # fmt: skip

    (zone,) = city.lighting_zones
    assert zone.streets.tolist() == [0, 3, 9, 10] and zone.streets.dtype == np.int64
    assert zone.label == "presence-block" and zone.controller is None
    expected = scenario.lighting.model_copy(update={"controller": "presence", "dim_level": 0.3, "hold_s": 30.0})
    assert zone.spec == expected
    assert zone.spec.ramp_s == 5.0  # from the scenario's lighting
    assert city.network is network  # the network is not changed
    # Three lamps stand on streets 0 and 3; the one on street 16 is outside.
    assert outcome.affected == {"streets": 4.0, "lamps": 3.0}
    assert outcome.name == "presence-block" and outcome.type == "adaptive_lighting"


def test_without_area_the_zone_is_the_whole_city(city, town):
    one({"controller": "part_night"}).apply(city)
    (zone,) = city.lighting_zones
    assert zone.streets.tolist() == list(range(17))
    assert zone.spec.controller == "part_night"


def test_zones_add_up_in_order(city):
    for spec in ({"controller": "presence"}, {"area": {"road_classes": ["residential"]}, "dim_level": 0.2}):
        one(spec).apply(city)
    first, second = city.lighting_zones
    assert second.streets.tolist() == [3, 4, 5, 10, 12, 14, 16]
    assert second.spec.dim_level == 0.2 and second.spec.controller == "always_on"


def test_cost_is_per_lamp_in_the_zone(grid, scenario):
    network = grid.with_lamps([(0, 70.0, "HPS"), (9, 70.0, "HPS"), (1, 70.0, "HPS")])
    city = City(scenario=scenario, network=network)
    outcome = one({"area": grid.box(-1, -1, 99, 51), "capital_eur_per_unit": 250,
                   "operating_eur_per_unit_year": 4}).apply(city)  # fmt: skip
    cost = outcome.cost
    assert (cost.units, cost.unit) == (2.0, "lamp")
    assert cost.capital_eur == 500.0 and cost.operating_eur_per_year == 8.0
    defaults = AdaptiveLightingParameters()
    assert (defaults.capital_eur_per_unit, defaults.operating_eur_per_unit_year, defaults.lifetime_years) == (200, 5, 15)


def test_every_lighting_key_but_the_switch_on_elevation_can_change():
    fields = set(AdaptiveLightingParameters.model_fields)
    assert CITY_WIDE_LIGHTING == {"on_sun_elevation_deg"}
    assert set(LightingSpec.model_fields) - fields == CITY_WIDE_LIGHTING
    assert AdaptiveLightingParameters().lighting_changes() == {}
    assert AdaptiveLightingParameters(hold_s=10).lighting_changes() == {"hold_s": 10.0}


def test_an_empty_area_is_an_error_naming_the_intervention(city):
    with pytest.raises(ScenarioError, match=r"^tiny: interventions: dark: area: the bbox .* selects no street"):
        one({"name": "dark", "area": {"bbox": [10, 50, 10.1, 50.1]}}).apply(city)
