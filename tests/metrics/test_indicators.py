"""Tests of twin.metrics.indicators on the tiny grid town, by hand.

``grid_town(rows=3, cols=3, block_m=100)``: 12 two-way streets of 100 m (ids 0-11), three
lamps on each, 36 in all. Keeping the lamps of streets 0-5 leaves 18 lamps on 0.6 km of
lighted street.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from twin.interventions.base import CostItems, Outcome
from twin.maps.synthetic import grid_town
from twin.metrics.indicators import INDICATORS, city_indicators, lit_street_km
from twin.scenario import load_scenario
from twin.simulation import run


@pytest.fixture(scope="module")
def half_lit():
    town = grid_town(rows=3, cols=3, block_m=100)
    lamps = town.lamps[town.lamps["street_id"] < 6].reset_index(drop=True)
    edges = town.edges.copy()
    edges.loc[edges["street_id"] == 0, "road_class"] = "cycleway"
    return dataclasses.replace(town, lamps=lamps, edges=edges)


def _outcome(kind: str, lamps: float) -> Outcome:
    return Outcome(name=kind, type=kind, affected={"lamps": lamps}, cost=CostItems(lamps, "lamp", 0.0, 0.0, 20.0))


@pytest.fixture(scope="module")
def trips() -> pd.DataFrame:
    rows = [("work", "car", "arrived"), ("work", "walk", "arrived"), ("work", "transit", "arrived"),
            ("work", "car", "en_route"), ("work", "walk", "outside_run"), ("shop", "drt", "en_route"),
            ("home", "transit", "stranded")]  # fmt: skip
    return pd.DataFrame(rows, columns=["purpose", "mode", "status"])


def test_indicators_by_hand(half_lit, trips):
    assert lit_street_km(half_lit) == pytest.approx(0.6)
    found = city_indicators(network=half_lit, trips=trips, lighting_kwh=10.0, lamps=18, lamps_networked=9,
                            residents=10, interventions=[_outcome("led_retrofit", 6), _outcome("adaptive_lighting", 9)])
    lighting = found["street_lighting_kwh_per_lit_km"]
    assert lighting["value"] == pytest.approx(10.0 * 365 / 0.6, abs=1e-4)
    assert lighting["lit_km"] == 0.6 and lighting["annualised"] == "day_x_365"
    assert found["street_lighting_telemanaged_pct"]["value"] == 50.0
    assert found["street_lighting_refurbished_pct"]["value"] == pytest.approx(100 * 6 / 18, abs=1e-4)
    # Four commutes in the run (one left before it started): two by car.
    assert found["commuters_not_personal_vehicle_pct"]["value"] == 50.0
    assert found["commuters_not_personal_vehicle_pct"]["commutes"] == 4
    # A bus trip and a shuttle trip started (a rider left at the stop did not): 2 / 10 a day.
    assert found["public_transport_trips_per_capita"]["value"] == pytest.approx(2 / 10 * 365)
    # Street 0 is a 100 m cycle path: 0.1 km per 10 residents.
    assert found["bicycle_km_per_100k"]["value"] == pytest.approx(0.1 / 10 * 1e5)
    assert {key: value["unit"] for key, value in found.items()} == {k: i.unit for k, i in INDICATORS.items()}


def test_an_annualised_year_and_a_trip_table_without_residents(half_lit, trips):
    found = city_indicators(network=half_lit, trips=trips, lighting_kwh=10.0, lamps=18, lamps_networked=0,
                            residents=0, lighting_kwh_year=2400.0, lighting_method="every_day")  # fmt: skip
    assert found["street_lighting_kwh_per_lit_km"]["value"] == pytest.approx(2400 / 0.6)
    assert found["street_lighting_kwh_per_lit_km"]["annualised"] == "every_day"
    assert found["public_transport_trips_per_capita"]["value"] is None
    assert found["bicycle_km_per_100k"]["value"] is None
    assert found["street_lighting_refurbished_pct"]["value"] == 0.0


def test_the_registry_names_each_indicator_once():
    numbers = [(i.standard, i.number) for i in INDICATORS.values()]
    assert len(set(numbers)) == len(numbers)
    assert ("ISO 37120:2018", "7.6") in numbers and ("ISO 37122:2019", "7.7") in numbers
    assert ("ISO 37120:2018", "19.3") in numbers
    assert all(i.approximation and i.name for i in INDICATORS.values())


def test_a_run_s_street_lighting_indicator_is_its_energy_over_its_lit_km(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text("name: tiny\nseed: 1\ndate: 2026-12-15\ntimezone: Europe/Helsinki\n"
                    "map: {synthetic: {kind: grid, rows: 3, cols: 3, block_m: 100}}\npopulation: {residents: 60}\n")  # fmt: skip
    kpis = run(load_scenario(path)).kpis
    lighting = kpis["indicators"]["street_lighting_kwh_per_lit_km"]
    assert lighting["lit_km"] == 1.2  # every street has lamps
    assert lighting["value"] == pytest.approx(lighting["lighting_kwh_year"] / 1.2, rel=1e-6)
    if lighting["annualised"] == "day_x_365":
        assert lighting["lighting_kwh_year"] == pytest.approx(kpis["energy"]["lighting_kwh"] * 365, rel=1e-5)  # rounded
    assert np.isfinite(kpis["indicators"]["commuters_not_personal_vehicle_pct"]["value"])
