"""Shuttle services placed on the map: stops, depots, and what does not fit."""

from __future__ import annotations

import numpy as np
import pytest

from twin._errors import ScenarioError
from twin.maps.synthetic import grid_town
from twin.mobility.system import _Shuttles, check_services
from twin.scenario.services import DrtSpec, ServicesSpec


@pytest.fixture(scope="module")
def town():
    """5 x 5 junctions, 100 m apart (EPSG:32635)."""
    return grid_town(rows=5, cols=5, block_m=100, arterial_every=0)


def spec(**extra) -> DrtSpec:
    return DrtSpec.model_validate({"name": "s", "fleet": 3, "area": {"road_classes": ["residential"]}, **extra})


def test_every_car_junction_of_the_area_is_a_stop_and_the_fleet_spreads(town):
    shuttles = _Shuttles(spec(), town, where="s")
    assert shuttles.stop_nodes.tolist() == list(range(25))
    # Three vehicles over 25 stops in sweep order: the first, the middle and the last.
    assert len(set(shuttles.start_stop.tolist())) == 3


def test_depots_snap_to_the_nearest_stop(town):
    x, y = town.nodes.loc[7, ["x", "y"]]
    shuttles = _Shuttles(spec(depots=[[x + 20, y - 10]], crs=town.crs.to_string()), town, where="s")
    assert shuttles.start_stop.tolist() == [7, 7, 7]


def test_a_depot_far_away_is_an_error(town):
    x, y = town.nodes.loc[0, ["x", "y"]]
    with pytest.raises(ScenarioError, match=r"s\.depots\.0: the depot is 5\.0 km from the service area"):
        _Shuttles(spec(depots=[[x - 5000, y]], crs=town.crs.to_string()), town, where="s")


def test_an_area_with_one_junction_is_an_error(town):
    x, y = town.nodes.loc[12, ["x", "y"]]
    one = {"bbox": [x - 1, y - 1, x + 1, y + 1], "crs": town.crs.to_string()}
    with pytest.raises(ScenarioError, match=r"here: services\.drt\.0\.area: the service area holds 1 junction"):
        check_services(ServicesSpec(drt=[spec(area=one)]), town, where="here")
    assert np.array_equal(_Shuttles(spec(), town, where="s").stop_of_node[[0, 24]], [0, 24])
