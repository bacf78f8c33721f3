"""CityModel with interventions: closed car edges, tolls, lighting zones and per-step hooks.

The interventions here are small test classes passed through ``intervention_types``; their
effects are checked against calculations by hand on tiny grid towns.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from twin import ScenarioError
from twin.engine.traversals import MODE_CODES
from twin.interventions.base import City, Intervention, InterventionParameters, LightingZone, Outcome
from twin.maps import grid_town
from twin.model import CityModel
from twin.scenario import load_scenario
from twin.scenario.schema import InterventionSpec
from twin.simulation import run

GRID = "{synthetic: {kind: grid, rows: 4, cols: 5, block_m: 100, arterial_every: 0}}"


# ------------------------------------------------------------ test interventions


class CloseCars(Intervention):
    """Cars may not use the given streets."""

    type = "close_cars"

    class Parameters(InterventionParameters):
        streets: list[int]

    def apply(self, city: City) -> Outcome:
        edges = city.network.edges.copy()
        closed = edges["street_id"].isin(self.parameters.streets).to_numpy() & edges["allows_car"].to_numpy()
        edges.loc[closed, "allows_car"] = False
        city.with_edges(edges)
        return Outcome(self.name, self.type, {"edges": int(closed.sum())}, self.cost(len(self.parameters.streets), "street"))


class Toll(Intervention):
    """A charge per passage of the given edges by car."""

    type = "toll"

    class Parameters(InterventionParameters):
        edges: list[int]
        toll_eur: float

    def apply(self, city: City) -> Outcome:
        edges = city.network.edges.copy()
        edges["toll_eur"] = 0.0
        edges.loc[self.parameters.edges, "toll_eur"] = self.parameters.toll_eur
        city.with_edges(edges)
        return Outcome(self.name, self.type, {"edges": len(self.parameters.edges)}, self.cost(0, "gantry"))


class DimZone(Intervention):
    """Presence lighting on some streets, and lamps at a new power everywhere."""

    type = "dim_zone"

    class Parameters(InterventionParameters):
        streets: list[int]
        lamp_power_factor: float = 1.0

    def apply(self, city: City) -> Outcome:
        spec = city.scenario.lighting.model_copy(update={"controller": "presence", "dim_level": 0.3,
                                                         "standby_power_w": 0.5})  # fmt: skip
        city.lighting_zones.append(LightingZone(np.array(self.parameters.streets), spec, label=self.name))
        lamps = city.network.lamps.copy()
        lamps["power_w"] = lamps["power_w"] * self.parameters.lamp_power_factor
        city.with_lamps(lamps)
        return Outcome(self.name, self.type, {"streets": len(self.parameters.streets)},
                       self.cost(len(lamps), "lamp"))  # fmt: skip


class Counter(Intervention):
    """Notes the clock after every step."""

    type = "counter"

    def __init__(self, parameters, *, name):
        super().__init__(parameters, name=name)
        self.seen: list[float] = []

    def apply(self, city: City) -> Outcome:
        return Outcome(self.name, self.type, {}, self.cost(0, "unit"))

    def on_step(self, model: CityModel) -> None:
        self.seen.append(model.time_s)


TYPES = {cls.type: cls for cls in (CloseCars, Toll, DimZone, Counter)}


def scenario(tmp_path, extra: str = "", interventions=()):
    path = tmp_path / "s.yaml"
    path.write_text(f"name: test\nseed: 4\ndate: 2026-12-15\ntimezone: Europe/Helsinki\nmap: {GRID}\n{extra}")
    specs = [InterventionSpec.model_validate(item) for item in interventions]
    return load_scenario(path).model_copy(update={"interventions": specs})


def trips(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["trip_id", "origin_node", "dest_node", "depart_s", "mode"])


@pytest.fixture(scope="module")
def town():
    """4 x 5 nodes, 100 m residential blocks (12 s by car); node 7 is inside, r1c2."""
    return grid_town(rows=4, cols=5, block_m=100, arterial_every=0)


@pytest.fixture(scope="module")
def strip():
    """2 x 3 nodes: node 0 to node 2 along the top row is edges 0 and 2 (24 s), any other
    path four edges (48 s)."""
    return grid_town(rows=2, cols=3, block_m=100, arterial_every=0)


def streets_at(network, node: int) -> list[int]:
    edges = network.edges
    return sorted(set(edges.loc[(edges["u"] == node) | (edges["v"] == node), "street_id"].tolist()))


# ------------------------------------------------------------------ closed edges


def test_same_seed_same_people_and_plans_with_and_without_closed_streets(tmp_path, town):
    closed = streets_at(town, 7)
    extra = "population: {residents: 400, car_access_share: 1.0}\n"
    base = CityModel(scenario(tmp_path, extra), network=town)
    variant = CityModel(scenario(tmp_path, extra, [{"type": "close_cars", "streets": closed}]), network=town,
                        intervention_types=TYPES)  # fmt: skip
    assert variant.base_network is town and variant.network is not town
    pd.testing.assert_frame_equal(base.residents, variant.residents)
    plan = ["trip_id", "person_id", "tour_id", "seq", "purpose", "origin_node", "dest_node", "planned_depart_s"]
    pd.testing.assert_frame_equal(base.trips[plan], variant.trips[plan])
    at_7 = ((variant.trips["origin_node"] == 7) | (variant.trips["dest_node"] == 7)).to_numpy()
    assert at_7.any() and (base.trips.loc[at_7, "mode"] == "car").any()
    assert not (variant.trips.loc[at_7, "mode"] == "car").any()
    assert not (variant.trips["status"] == "unreachable").any()
    variant.run()
    passages = variant.passages()
    car = passages.mode == MODE_CODES["car"]
    closed_edges = np.flatnonzero(town.edges["street_id"].isin(closed).to_numpy())
    assert car.sum() > 0 and not np.isin(passages.edge[car], closed_edges).any()
    # Walkers and cyclists still use the closed streets.
    assert np.isin(passages.edge[~car], closed_edges).any()
    assert variant.intervention_outcomes[0].affected == {"edges": len(closed_edges)}


def test_a_given_car_trip_into_a_closed_area_is_unreachable(tmp_path, town):
    sc = scenario(tmp_path, interventions=[{"type": "close_cars", "streets": streets_at(town, 7)}])
    result = run(sc, network=town, trips=trips((1, 0, 7, 7200.0, "car"), (2, 0, 19, 7200.0, "car"),
                                               (3, 0, 7, 7200.0, "walk")), intervention_types=TYPES)  # fmt: skip
    assert result.trips.set_index("trip_id")["status"].to_dict() == {1: "unreachable", 2: "arrived", 3: "arrived"}
    assert result.kpis["trips"]["unreachable"] == 1


# ------------------------------------------------------------------------ tolls


@pytest.mark.parametrize(("toll", "length_m", "paid"), [(0.05, 200.0, 0.05), (0.07, 400.0, 0.0)])
def test_a_toll_moves_cars_exactly_when_it_outweighs_the_time_saved(tmp_path, strip, toll, length_m, paid):
    # The detour takes 24 s more; at the default 9 EUR/h that is worth 0.06 EUR. Re-routing
    # on experienced times keeps weighing the toll, so a car that detours keeps detouring.
    sc = scenario(tmp_path, "traffic: {iterations: 3, reroute_share: 1.0}\n",
                  [{"type": "toll", "edges": [2], "toll_eur": toll}])  # fmt: skip
    given = trips((1, 0, 2, 28800.0, "car"), (2, 2, 0, 28900.0, "car"), (3, 0, 2, 29000.0, "car"))
    result = run(sc, network=strip, trips=given, intervention_types=TYPES)
    table = result.trips.set_index("trip_id")
    assert table.loc[[1, 3], "route_length_m"].tolist() == [length_m, length_m]
    assert table.loc[[1, 3], "toll_eur"].tolist() == [paid, paid]
    assert table.loc[2, "toll_eur"] == 0.0 and table.loc[2, "route_length_m"] == 200.0
    assert result.kpis["pricing"] == {"toll_revenue_eur": pytest.approx(table["toll_eur"].sum()),
                                      "car_trips_charged": 2 if paid else 0}  # fmt: skip
    assert result.network.edges["toll_eur"].sum() == toll


def test_a_car_that_has_not_reached_the_tolled_edge_by_the_end_pays_nothing(tmp_path, strip):
    sc = scenario(tmp_path, "duration_s: 28810\n", [{"type": "toll", "edges": [2], "toll_eur": 0.05}])
    result = run(sc, network=strip, trips=trips((1, 0, 2, 28800.0, "car"), (2, 0, 2, 28700.0, "car")),
                 intervention_types=TYPES)  # fmt: skip
    # Trip 2 entered edge 2 at 28712 s, trip 1 would at 28812 s, after the run.
    assert result.trips.set_index("trip_id")["toll_eur"].to_dict() == {1: 0.0, 2: 0.05}


def test_tolls_change_mode_choice_and_the_revenue_adds_up(tmp_path, town):
    # A toll on every edge into node 7 and 9: fewer car trips, and the KPI is the table's sum.
    edges = town.edges
    into = np.flatnonzero(edges["v"].isin([7, 9]).to_numpy()).tolist()
    extra = "population: {residents: 400, car_access_share: 1.0}\n"
    base = run(scenario(tmp_path, extra), network=town)
    tolled = run(scenario(tmp_path, extra, [{"type": "toll", "edges": into, "toll_eur": 3.0}]), network=town,
                 intervention_types=TYPES)  # fmt: skip
    assert (base.trips["toll_eur"] == 0).all() and base.kpis["pricing"] == {"toll_revenue_eur": 0.0,
                                                                           "car_trips_charged": 0}  # fmt: skip
    car = tolled.trips["mode"] == "car"
    assert car.sum() < (base.trips["mode"] == "car").sum()
    assert (tolled.trips.loc[~car, "toll_eur"] == 0).all()
    assert tolled.kpis["pricing"]["toll_revenue_eur"] == pytest.approx(tolled.trips["toll_eur"].sum(), abs=0.005)
    assert tolled.kpis["pricing"]["car_trips_charged"] == int((tolled.trips["toll_eur"] > 0).sum()) > 0
    # Every charged trip paid a whole number of 3 EUR passages.
    paid = tolled.trips.loc[tolled.trips["toll_eur"] > 0, "toll_eur"].to_numpy()
    np.testing.assert_allclose(paid / 3.0, np.round(paid / 3.0))


# ---------------------------------------------------------------------- lighting


def test_lamps_in_a_lighting_zone_follow_its_controller_and_new_lamp_powers_count(tmp_path, town):
    # Nobody about: outside the zone always on at full; in it presence at 0.3 plus 0.5 W standby.
    # Every lamp's power is halved.
    zone_streets = [0, 1, 2]
    sc = scenario(tmp_path, "lighting: {controller: always_on}\n",
                  [{"type": "dim_zone", "name": "centre", "streets": zone_streets, "lamp_power_factor": 0.5}])  # fmt: skip
    base = run(scenario(tmp_path, "lighting: {controller: always_on}\n"), network=town, trips=trips())
    result = run(sc, network=town, trips=trips(), intervention_types=TYPES)
    inside = town.lamps["street_id"].isin(zone_streets).to_numpy()
    expected = 0.5 * base.lights["energy_kwh"].to_numpy() * np.where(inside, 0.3, 1.0) + np.where(inside, 0.5 * 24 / 1000, 0)
    np.testing.assert_allclose(result.lights["energy_kwh"], expected, rtol=1e-9)
    assert (result.lights["power_w"] == 0.5 * town.lamps["power_w"]).all()
    zones = result.kpis["energy"]["zones"]
    assert zones == {"centre": {"lamps": int(inside.sum()), "lighting_kwh": pytest.approx(expected[inside].sum(), abs=1e-3)}}
    assert result.kpis["energy"]["standby_kwh"] == pytest.approx(inside.sum() * 0.5 * 24 / 1000, abs=1e-3)
    assert base.kpis["energy"]["zones"] == {}


# ---------------------------------------------------------- hooks, KPIs, errors


def test_on_step_is_called_once_after_every_step_and_only_where_overridden(tmp_path, town):
    sc = scenario(tmp_path, "start_s: 3600\nduration_s: 1800\nstep_s: 60\n",
                  [{"type": "counter"}, {"type": "toll", "edges": [0], "toll_eur": 1.0}, {"type": "counter"}])  # fmt: skip
    model = CityModel(sc, network=town, trips=trips((1, 0, 19, 3700.0, "car")), intervention_types=TYPES)
    assert [i.name for i in model.interventions] == ["counter", "toll", "counter-2"]
    assert model._step_hooks == [model.interventions[0], model.interventions[2]]
    model.run()
    steps = model.timeseries()["time_s"].tolist()
    assert len(steps) == 30
    assert model.interventions[0].seen == steps == model.interventions[2].seen


def test_kpis_list_each_intervention_and_the_run_folder_keeps_them(tmp_path, town):
    sc = scenario(tmp_path, interventions=[{"type": "close_cars", "name": "old town", "streets": [3, 4],
                                            "capital_eur_per_unit": 1000.0}, {"type": "counter"}])  # fmt: skip
    result = run(sc, network=town, trips=trips(), intervention_types=TYPES, out=tmp_path / "run")
    section = result.kpis["interventions"]
    assert list(section) == ["old town", "counter"]
    assert section["old town"]["type"] == "close_cars"
    assert section["old town"]["cost"]["capital_eur"] == 2000.0
    written = json.loads((tmp_path / "run" / "kpis.json").read_text())
    assert written["interventions"] == section
    assert "interventions" in (tmp_path / "run" / "scenario.resolved.yaml").read_text()
    plain = run(scenario(tmp_path), network=town, trips=trips())
    assert plain.kpis["interventions"] == {} and set(plain.kpis) == set(result.kpis)


def test_an_unknown_intervention_type_is_a_one_line_scenario_error(tmp_path, town):
    sc = scenario(tmp_path, interventions=[{"type": "car_free_zonez"}])
    with pytest.raises(ScenarioError, match=r"interventions\.0\.type: unknown intervention type") as info:
        CityModel(sc, network=town, trips=trips())
    assert "\n" not in str(info.value)
    with pytest.raises(ScenarioError, match=r"interventions\.0\.streets"):
        CityModel(scenario(tmp_path, interventions=[{"type": "close_cars"}]), network=town, trips=trips(),
                  intervention_types=TYPES)  # fmt: skip


def test_a_built_in_from_the_registry_runs_without_extra_types(tmp_path, town):
    # led_retrofit halves every 70 W HPS lamp of the grid to 35 W: half the energy.
    base = run(scenario(tmp_path, "lighting: {controller: always_on}\n"), network=town, trips=trips())
    led = run(scenario(tmp_path, "lighting: {controller: always_on}\n", [{"type": "led_retrofit"}]), network=town,
              trips=trips())  # fmt: skip
    assert (town.lamps["power_w"] == 70.0).all()
    assert led.kpis["energy"]["lighting_kwh"] == pytest.approx(0.5 * base.kpis["energy"]["lighting_kwh"], abs=1e-3)
    assert led.kpis["interventions"]["led_retrofit"]["affected"]["lamps"] == len(town.lamps)
