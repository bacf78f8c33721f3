"""car_free_zone: car edges in the area closed to cars, walking and cycling unchanged."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from twin._errors import ScenarioError
from twin.interventions import CarFreeZone, City, build_interventions


def one(spec: dict) -> CarFreeZone:
    (intervention,) = build_interventions([{"type": "car_free_zone", **spec}])
    return intervention


def test_closes_exactly_the_car_edges_in_the_area(city, grid, town):
    before = town.edges.copy()
    outcome = one({"area": grid.box(-10, -10, 110, 110)}).apply(city)
    edges = city.network.edges
    closed = before["allows_car"].to_numpy() & ~edges["allows_car"].to_numpy()
    assert grid.streets(closed) == {0, 3, 9, 10} and closed.sum() == 8
    assert edges["allows_walk"].equals(before["allows_walk"]) and edges["allows_bike"].equals(before["allows_bike"])
    assert edges.drop(columns="allows_car").equals(before.drop(columns="allows_car"))
    # Four 100 m streets, each counted once although each has two edges.
    assert outcome.affected == {"edges": 8.0, "streets": 4.0, "street_km": 0.4}
    cost = outcome.cost
    assert (cost.units, cost.unit) == (0.4, "km")
    assert cost.capital_eur == pytest.approx(40_000.0) and cost.operating_eur_per_year == pytest.approx(2_000.0)
    # The network itself is untouched, and the car graph of the new one lacks those edges.
    assert town.edges.equals(before)
    assert town.graph("car").n_edges == 34 and city.network.graph("car").n_edges == 26


def test_streets_already_closed_do_not_count(grid, scenario):
    edges = grid.town.edges.copy()
    edges.loc[edges["street_id"] == 3, "allows_car"] = False
    network = dataclasses.replace(grid.town, edges=edges)
    city = City(scenario=scenario, network=network)
    outcome = one({"area": grid.box(-10, -10, 110, 110)}).apply(city)
    assert outcome.affected == {"edges": 6.0, "streets": 3.0, "street_km": pytest.approx(0.3)}
    assert not city.network.edges["allows_car"].to_numpy()[np.isin(edges["street_id"], [0, 3, 9, 10])].any()


def test_by_road_class(city, grid):
    outcome = one({"area": {"road_classes": ["residential"]}, "capital_eur_per_unit": 1000}).apply(city)
    still = city.network.edges.loc[city.network.edges["allows_car"], "road_class"]
    assert set(still) == {"secondary"}
    assert outcome.affected["street_km"] == pytest.approx(0.7)
    assert outcome.cost.capital_eur == pytest.approx(700.0)


def test_needs_an_area_that_selects_streets(city):
    with pytest.raises(ScenarioError, match="area: required key is missing"):
        one({})
    with pytest.raises(ScenarioError, match=r"^tiny: interventions: car_free_zone: area: the bbox"):
        one({"area": {"bbox": [10, 50, 10.1, 50.1]}}).apply(city)
