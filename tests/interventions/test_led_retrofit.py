"""led_retrofit: lamps that are not LED become LED at the mapped power."""

from __future__ import annotations

import numpy as np
import pytest

from twin.interventions import City, LedRetrofit, build_interventions
from twin.interventions.led_retrofit import LED_POWER_W, LedRetrofitParameters, led_power_w

# Street 0 and 3 are in the block area; street 16 is not.
LAMPS = [(0, 70.0, "HPS"), (0, 150.0, "HPS"), (3, 100.0, "LED"), (3, 85.0, "HPS"), (16, 250.0, "HPS")]


def one(spec: dict) -> LedRetrofit:
    (intervention,) = build_interventions([{"type": "led_retrofit", **spec}])
    return intervention


def test_the_table():
    assert dict(LED_POWER_W) == {50: 25, 70: 35, 100: 50, 150: 75, 250: 125, 400: 200}
    # Rows, in between (85 W: halfway from 70 -> 35 to 100 -> 50), and outside the table
    # with the nearest end row's ratio (35 W at 25/50, 600 W at 200/400).
    got = led_power_w(np.array([70.0, 85.0, 35.0, 600.0, 400.0]))
    assert got.tolist() == [35.0, 42.5, 17.5, 300.0, 200.0]
    assert led_power_w(np.array([100.0]), power_ratio=0.4).tolist() == [40.0]
    # A one-row table scales everything by that row's ratio.
    assert led_power_w(np.array([70.0, 140.0]), power_map_w={70.0: 28.0}).tolist() == [28.0, 56.0]


def test_retrofit_in_an_area(grid, scenario):
    network = grid.with_lamps(LAMPS)
    city = City(scenario=scenario, network=network)
    outcome = one({"area": grid.box(-10, -10, 110, 110)}).apply(city)
    lamps = city.network.lamps
    assert lamps["power_w"].tolist() == [35.0, 75.0, 100.0, 42.5, 250.0]
    assert lamps["technology"].tolist() == ["LED", "LED", "LED", "LED", "HPS"]
    # By hand: 70 + 150 + 85 = 305 W before, 35 + 75 + 42.5 = 152.5 W after.
    assert outcome.affected == {"lamps": 3.0, "power_kw_before": 0.305, "power_kw_after": 0.1525}
    assert (outcome.cost.units, outcome.cost.unit, outcome.cost.capital_eur) == (3.0, "lamp", 1200.0)
    # The network's tables were copied, not changed.
    assert network.lamps["power_w"].tolist() == [70.0, 150.0, 100.0, 85.0, 250.0]
    assert network.lamps["technology"].tolist() == ["HPS", "HPS", "LED", "HPS", "HPS"]
    assert city.network.edges is network.edges


def test_whole_city_with_a_ratio(grid, scenario):
    city = City(scenario=scenario, network=grid.with_lamps(LAMPS))
    outcome = one({"power_ratio": 0.4, "capital_eur_per_unit": 300}).apply(city)
    assert city.network.lamps["power_w"].tolist() == [28.0, 60.0, 100.0, 34.0, 100.0]
    assert outcome.affected["lamps"] == 4.0
    assert outcome.cost.capital_eur == 1200.0


def test_own_table_and_road_classes(grid, scenario):
    city = City(scenario=scenario, network=grid.with_lamps(LAMPS))
    # Residential streets: 3 and 16 hold the 85 W and 250 W HPS lamps.
    one({"area": {"road_classes": ["residential"]}, "power_map_w": {85: 40, 250: 100}}).apply(city)
    assert city.network.lamps["power_w"].tolist() == [70.0, 150.0, 100.0, 40.0, 100.0]


def test_lamps_on_the_bundled_defaults_halve(city, town):
    outcome = one({}).apply(city)
    assert outcome.affected["lamps"] == len(town.lamps)
    assert city.network.lamps["power_w"].sum() == pytest.approx(town.lamps["power_w"].sum() / 2)


def test_table_or_ratio_not_both():
    with pytest.raises(ValueError, match="give power_map_w or power_ratio, not both"):
        LedRetrofitParameters(power_map_w={70: 30}, power_ratio=0.5)
    with pytest.raises(ValueError, match="give at least one rating"):
        LedRetrofitParameters(power_map_w={})
    assert LedRetrofitParameters(power_ratio=0.5).power_ratio == 0.5
