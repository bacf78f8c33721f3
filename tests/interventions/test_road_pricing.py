"""road_pricing: the toll_eur column, per km inside the area and per entry over its boundary."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from twin.interventions import City, RoadPricing, build_interventions
from twin.interventions.road_pricing import entry_edges


def one(spec: dict) -> RoadPricing:
    (intervention,) = build_interventions([{"type": "road_pricing", **spec}])
    return intervention


def edge(network, u: int, v: int) -> int:
    edges = network.edges
    (row,) = np.flatnonzero((edges["u"] == u).to_numpy() & (edges["v"] == v).to_numpy())
    return int(row)


def test_per_km_is_rate_times_length_on_car_edges_inside(city, grid, town):
    outcome = one({"area": grid.box(-10, -10, 110, 110), "charge_eur_per_km": 2.5}).apply(city)
    toll = city.network.edges["toll_eur"].to_numpy()
    inside = np.isin(town.edges["street_id"], [0, 3, 9, 10])
    assert toll.dtype == np.float64
    assert np.allclose(toll[inside], 2.5 * town.edges["length_m"].to_numpy()[inside] / 1000)
    assert np.allclose(toll[inside], 0.25) and (toll[~inside] == 0).all()
    assert outcome.affected["charged_edges"] == 8.0 and outcome.affected["charged_street_km"] == pytest.approx(0.4)
    assert "toll_eur" not in town.edges.columns  # the network itself is untouched


def test_per_entry_only_on_edges_from_outside_into_the_area(city, grid, town):
    # The area holds nodes r0c0 and r0c1 only. Cars come in from r0c2 (row 0), r1c0
    # (column 0) and r1c1 (column 1): three entries. Leaving and moving inside are free.
    n = grid.node
    outcome = one({"area": grid.box(-1, -1, 101, 1), "charge_eur_per_entry": 3.0}).apply(city)
    toll = city.network.edges["toll_eur"].to_numpy()
    entries = [edge(town, n(0, 2), n(0, 1)), edge(town, n(1, 0), n(0, 0)), edge(town, n(1, 1), n(0, 1))]
    assert sorted(np.flatnonzero(toll)) == sorted(entries)
    assert (toll[entries] == 3.0).all()
    assert toll[edge(town, n(0, 0), n(0, 1))] == 0 and toll[edge(town, n(0, 1), n(0, 2))] == 0
    assert outcome.affected["entry_edges"] == 3.0
    cost = outcome.cost
    assert (cost.units, cost.unit) == (3.0, "charging point")
    assert cost.capital_eur == 450_000.0 and cost.operating_eur_per_year == 150_000.0


def test_every_way_in_is_charged(grid, town):
    # Whatever the area, removing the entry edges leaves no car path from outside to inside.
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import breadth_first_order

    from twin.interventions import Area

    area = Area(**grid.box(50, -1, 250, 150))
    entering = entry_edges(town, area)
    inside = area.nodes_inside(town)
    edges = town.edges
    keep = edges["allows_car"].to_numpy() & ~entering
    matrix = csr_matrix((np.ones(keep.sum()), (edges["u"][keep], edges["v"][keep])), shape=(town.n_nodes,) * 2)
    for start in np.flatnonzero(~inside):
        reached = breadth_first_order(matrix, start, return_predecessors=False)
        assert not inside[reached].any()


def test_both_charges_and_an_earlier_toll_add_up(city, grid):
    box = grid.box(-1, -1, 101, 1)  # street 0 inside; three entries
    one({"area": box, "charge_eur_per_entry": 3.0}).apply(city)
    one({"area": box, "charge_eur_per_km": 10.0, "charge_eur_per_entry": 1.0}).apply(city)
    toll = city.network.edges["toll_eur"].to_numpy()
    street = city.network.edges["street_id"].to_numpy()
    assert np.allclose(toll[street == 0], 1.0)  # 10 EUR/km x 0.1 km, not an entry
    assert sorted(toll[toll > 0].round(6).tolist()) == [1.0, 1.0, 4.0, 4.0, 4.0]


def test_closed_edges_and_road_classes_are_not_charged(grid, scenario):
    edges = grid.town.edges.copy()
    n = grid.node
    edges.loc[(edges["u"] == n(1, 1)) & (edges["v"] == n(0, 1)), "allows_car"] = False
    city = City(scenario=scenario, network=dataclasses.replace(grid.town, edges=edges))
    outcome = one({"area": {**grid.box(-1, -1, 101, 1), "road_classes": ["secondary"]},
                   "charge_eur_per_entry": 2.0}).apply(city)  # fmt: skip
    # Entries from r0c2 (row 0, secondary) and r1c0 (column 0, secondary); the residential
    # column 1 would be one, but cars may not use it.
    assert outcome.affected["entry_edges"] == 2.0


def test_road_classes_alone_charge_per_km(city):
    outcome = one({"area": {"road_classes": ["residential"]}, "charge_eur_per_km": 1.0}).apply(city)
    assert outcome.affected["charged_street_km"] == pytest.approx(0.7)
    assert outcome.cost.units == 0.0  # no outline, no entries


def test_a_per_km_charge_needs_no_junction_inside_its_area(city, grid, town):
    # A 20 m box around the middle of the street r0c0-r0c1: both its directions, no node.
    outcome = one({"area": grid.box(40, -5, 60, 5), "charge_eur_per_km": 2.0}).apply(city)
    toll = city.network.edges["toll_eur"].to_numpy()
    n = grid.node
    street = [edge(town, n(0, 0), n(0, 1)), edge(town, n(0, 1), n(0, 0))]
    assert sorted(np.flatnonzero(toll)) == sorted(street)
    assert np.allclose(toll[street], 2.0 * 0.1)
    assert outcome.affected["entry_edges"] == 0.0 and outcome.cost.units == 0.0
