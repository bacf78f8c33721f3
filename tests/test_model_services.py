"""CityModel with mobility services: buses and shuttles in traffic, riders, offers, fallbacks, KPIs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from twin.agents import ServiceVehicle
from twin.maps.spec import network_from_spec
from twin.model import CityModel
from twin.scenario import load_scenario
from twin.simulation import collect_result, run

TOWN = "{synthetic: {kind: grid, rows: 8, cols: 8, block_m: 150, arterial_every: 4}}"
# The town spans 0..1050 m in its UTM zone (EPSG:32635) from its origin at 60.17 N, 24.94 E.
LINE = """
      - name: "A"
        stops: [[0, 450], [300, 450], [600, 450], [900, 450], [1050, 450]]
        crs: {crs}
        headway_min: {{"06:00": 10, "20:00": 20, "23:00": null}}
"""


def _scenario(tmp_path, *, services: str = "", population: str = "residents: 1500", name: str = "s"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"name: {name}\nseed: 11\ndate: 2026-12-15\ntimezone: Europe/Helsinki\nmap: {TOWN}\n"
                    f"population:\n  {population}\n{services}")  # fmt: skip
    return load_scenario(path)


def _services(tmp_path, *, channels: str = "[app, phone]", fleet: int = 3, max_wait_s: float = 600, line: bool = True):
    network = network_from_spec(_scenario(tmp_path, name="probe").map)
    x0, y0 = network.nodes["x"].min(), network.nodes["y"].min()
    crs = network.crs.to_string()
    text = "services:\n  transit:\n    lines:\n" + LINE.format(crs=crs) if line else "services:\n"
    if line:
        # Shift the line's stops to the town's corner.
        text = text.replace("[0, 450]", f"[{x0}, {y0 + 450}]").replace("[300, 450]", f"[{x0 + 300}, {y0 + 450}]")
        text = text.replace("[600, 450]", f"[{x0 + 600}, {y0 + 450}]").replace("[900, 450]", f"[{x0 + 900}, {y0 + 450}]")
        text = text.replace("[1050, 450]", f"[{x0 + 1050}, {y0 + 450}]")
    text += (f"  drt:\n    - name: shuttle\n      fleet: {fleet}\n      seats: 4\n      max_wait_s: {max_wait_s}\n"
             f"      booking_channels: {channels}\n      area: {{road_classes: [residential, secondary]}}\n")  # fmt: skip
    return text


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    """One day of the town with a bus line and three shuttles (its model and result)."""
    tmp = tmp_path_factory.mktemp("services")
    scenario = _scenario(tmp, services=_services(tmp))
    model = CityModel(scenario)
    model.run()
    return model, collect_result(model, started=0.0)


def test_shuttle_riders_wait_ride_and_are_counted(day):
    model, result = day
    trips, kpis = result.trips, result.kpis
    served = trips[trips["drt_outcome"] == "served"]
    assert len(served) > 20
    assert (served["mode"] == "drt").all() and (served["service"] == "shuttle").all()
    arrived = served[served["status"] == "arrived"]
    assert len(arrived) >= 0.95 * len(served)
    # The town has no congestion at this size: the promised limits hold on the road too
    # (a minute of slack for queues at junctions).
    assert (arrived["wait_s"] >= 0).all() and (arrived["wait_s"] <= 600 + 60).all()
    assert (arrived["detour_factor"] >= 0.99).all()
    assert np.allclose(arrived["duration_s"], arrived["wait_s"] + arrived["in_vehicle_s"])
    drt = kpis["services"]["drt"]
    assert drt["served"] == len(served)
    assert drt["requests"] == int((trips["drt_outcome"] != "").sum())
    assert kpis["mode_shares"]["drt"] > 0


def test_buses_and_shuttles_are_agents(day):
    model, _ = day
    vehicles = model.agents_by_type[ServiceVehicle]
    shuttles = [v for v in vehicles if v.kind == "shuttle"]
    buses = [v for v in vehicles if v.kind == "bus"]
    assert len(shuttles) == 3 and {v.service for v in shuttles} == {"shuttle"}
    assert len(buses) == model.mobility.timetable.run_line.size and {v.service for v in buses} == {"A", "A (return)"}


def test_bus_kilometres_are_the_runs_driven(day):
    model, result = day
    timetable = model.mobility.timetable
    # Every leg of a run that ended before midnight was driven whole: its route's length.
    n_car = model._car_rows.size
    arrival = model.traffic.arrival_s()[n_car:n_car + timetable.depart_s.size]
    done = arrival <= model.end_s
    assert done.mean() > 0.95
    assert result.kpis["service_vehicle_km"]["transit"] == pytest.approx(timetable.length_m[done].sum() / 1000, rel=1e-6)
    riders = result.trips[result.trips["mode"] == "transit"]
    assert len(riders) > 0
    ok = riders[riders["status"] == "arrived"]
    assert (ok["wait_s"] >= 0).all() and (ok["service"].str.contains("A")).all()


def test_shuttle_kilometres_match_the_dispatcher(day):
    model, result = day
    planned_km = result.kpis["services"]["drt"]["fleet_km"]
    assert result.kpis["service_vehicle_km"]["drt"] == pytest.approx(planned_km, rel=0.02)


def test_kpis_have_the_same_names_with_and_without_services(tmp_path, day):
    _, with_services = day
    baseline = run(_scenario(tmp_path, name="base"))

    def names(tree, prefix=""):
        out = set()
        for key, value in tree.items():
            if key == "run":  # wall times, which collect_result and run() fill differently
                continue
            if isinstance(value, dict) and key not in ("drt_by_service", "interventions", "zones"):
                out |= names(value, f"{prefix}{key}.")
            else:
                out.add(prefix + key)
        return out

    assert names(baseline.kpis) == names(with_services.kpis)
    # The same residents and plans: services change modes only.
    pd.testing.assert_frame_equal(baseline.residents, with_services.residents)
    plan = ["trip_id", "person_id", "origin_node", "dest_node", "planned_depart_s", "purpose"]
    pd.testing.assert_frame_equal(baseline.trips[plan], with_services.trips[plan])


def test_removing_smartphones_removes_app_only_users(tmp_path):
    phones_off = "residents: 1500\n  smartphone_share: 0.0"
    app_only = CityModel(_scenario(tmp_path, population=phones_off, services=_services(tmp_path, channels="[app]", line=False)))
    assert not (app_only.trips["mode"] == "drt").any()
    # A phone line lets the same residents book.
    by_phone = CityModel(_scenario(tmp_path, population=phones_off, services=_services(tmp_path, channels="[app, phone]", line=False)))
    assert (by_phone.trips["drt_outcome"] != "").sum() > 10


def test_a_rejected_rider_takes_another_mode(tmp_path):
    # One shuttle that may keep riders waiting 2 minutes at most cannot serve the town.
    model = CityModel(_scenario(tmp_path, services=_services(tmp_path, fleet=1, max_wait_s=120)))
    trips = model.trips
    failed = trips[trips["drt_outcome"].isin(["rejected", "declined"])]
    assert len(failed) > 5
    tours = trips.groupby(["person_id", "tour_id"])
    first = tours["seq"].transform("min") == trips["seq"]
    switched = 0
    for index, trip in failed.iterrows():
        tour = tours.get_group((trip["person_id"], trip["tour_id"]))
        if first[index]:
            # The tour's first request failed: the whole tour takes its next best mode, car
            # and bike included, and its other trips were never requested.
            assert tour["mode"].nunique() == 1 and trip["mode"] != "drt"
            assert (tour.drop(index)["drt_outcome"] == "").all()
            switched += trip["mode"] in ("car", "bike")
        else:
            assert trip["mode"] in ("walk", "transit")
    assert switched > 0
    model.run()
    assert (model.trips.loc[failed.index, "status"] != "planned").all()
    # Tours that switched to the car drove: their trips have car routes.
    cars = model.trips.loc[failed.index][model.trips.loc[failed.index, "mode"] == "car"]
    assert (cars["route_length_m"] > 0).all()
    # Every request made counts, also those that made their tour give up the shuttle.
    drt = collect_result(model, started=0.0).kpis["services"]["drt"]
    outcome = model.trips["drt_outcome"]
    assert drt["requests"] == (outcome != "").sum() and drt["rejected"] == (outcome == "rejected").sum()


def test_same_seed_same_day(tmp_path):
    scenario = _scenario(tmp_path, services=_services(tmp_path))
    first, second = run(scenario), run(scenario)
    pd.testing.assert_frame_equal(first.trips, second.trips)
    pd.testing.assert_frame_equal(first.services, second.services)


def test_equity_splits_add_up_to_the_city(day):
    model, result = day
    equity, trips = result.kpis["equity"], result.trips
    arrived = trips[trips["status"] == "arrived"]
    total_min = arrived["duration_s"].sum() / 60
    n = len(model.residents)
    for split in ("income", "smartphone"):
        groups = equity[split].values()
        assert sum(g["residents"] for g in groups) == n
        # Group means weighted by group sizes give back the city's minutes per resident.
        assert sum(g["residents"] * g["mean_daily_travel_min"] for g in groups) == pytest.approx(total_min, rel=1e-3)
    paid = trips["fare_eur"].sum() + trips["toll_eur"].sum()
    assert sum(g["residents"] * g["mean_daily_paid_eur"] for g in equity["income"].values()) == pytest.approx(paid, rel=1e-3)


@pytest.mark.filterwarnings("ignore::twin._errors.MapWarning")  # the bundled map's known repairs
@pytest.mark.parametrize("name", ["gridtown-maas", "helsinki-maas"])
def test_bundled_maas_scenarios_fit_their_maps(name):
    from twin.interventions.registry import apply_interventions
    from twin.mobility.system import check_services

    scenario = load_scenario(f"scenarios/{name}.yaml")
    city, _, _ = apply_interventions(scenario, network_from_spec(scenario.map))
    assert city.services.has_transit and city.services.has_drt
    check_services(city.services, city.network, where=name)


def test_maas_against_its_baseline_in_a_batch(tmp_path):
    from twin.experiment import run_batch

    runs = run_batch("scenarios/gridtown-baseline.yaml", variants=["scenarios/gridtown-maas.yaml"], replications=1,
                     overrides=["population.residents=1500"], out=tmp_path / "batch", workers=1)  # fmt: skip
    by_variant = runs.set_index("variant")
    assert by_variant.loc["gridtown-maas", "mode_shares.drt"] > 0 == by_variant.loc["gridtown-baseline", "mode_shares.drt"]
    assert by_variant.loc["gridtown-maas", "services.drt.served"] > 0


def test_net_cost_per_ride_counts_both_services(day):
    _, result = day
    services = result.kpis["services"]
    transit, drt, maas = services["transit"], services["drt"], services["maas"]
    cost = transit["operating_cost_eur"] + drt["operating_cost_eur"]
    revenue = transit["fare_revenue_eur"] + drt["fare_revenue_eur"] + maas["subscription_revenue_eur_per_day"]
    assert maas["net_subsidy_per_ride_eur"] == pytest.approx((cost - revenue) / (transit["riders"] + drt["served"]), rel=1e-3)
    # Fares: every served shuttle ride and every transit rider who boarded paid its trip's fare.
    paid = result.trips.loc[result.trips["mode"].isin(["transit", "drt"]), "fare_eur"].sum()
    assert transit["fare_revenue_eur"] + drt["fare_revenue_eur"] == pytest.approx(paid, rel=1e-3)


def test_lines_without_shuttles(tmp_path):
    services = _services(tmp_path).split("  drt:")[0]
    result = run(_scenario(tmp_path, services=services))
    assert result.kpis["mode_shares"]["transit"] > 0 and result.kpis["services"]["drt"]["requests"] == 0
    assert set(result.services["service"]) == {"A", "A (return)"}


@pytest.mark.parametrize("window", ["start_s: 64800", "duration_s: 172800"])
def test_services_over_more_than_a_day(tmp_path, window):
    # An evening start or two days: the planned weekday repeats, and so do the services.
    scenario = _scenario(tmp_path, services=_services(tmp_path) + window + "\n")
    result = run(scenario)
    trips = result.trips
    days = np.floor(trips["planned_depart_s"] / 86400)
    served = trips["drt_outcome"] == "served"
    assert served[days == 0].sum() > 0 and served[days == 1].sum() > 0
    # Every shuttle request of the run's window was answered; none was dispatched outside its day.
    asked = trips[trips["drt_outcome"] != ""]
    assert (asked["drt_outcome"] != "outside_hours").all()
    assert result.kpis["services"]["drt"]["requests"] == len(asked)
    assert (trips.loc[trips["mode"] == "transit", "status"] != "planned").all()


def test_a_trip_table_cannot_take_services(tmp_path):
    from twin import ScenarioError

    trips = pd.DataFrame({"trip_id": [0], "origin_node": [0], "dest_node": [5], "depart_s": [36000.0], "mode": ["walk"]})
    with pytest.raises(ScenarioError, match="services: transit lines and shuttles need a synthetic population"):
        CityModel(_scenario(tmp_path, services=_services(tmp_path)), trips=trips)


def test_a_shuttle_nobody_can_book_still_costs_its_hours(tmp_path):
    phones_off = "residents: 800\n  smartphone_share: 0.0"
    result = run(_scenario(tmp_path, population=phones_off, services=_services(tmp_path, channels="[app]", line=False)))
    drt = result.kpis["services"]["drt"]
    # Three shuttles from 06:00 to 23:00 (the default hours): 51 vehicle-hours at 45 EUR.
    assert drt["requests"] == 0 and drt["vehicle_hours"] == pytest.approx(51.0)
    assert drt["operating_cost_eur"] == pytest.approx(51 * 45.0)


def test_two_shuttle_services_add_up(tmp_path):
    text = _services(tmp_path, line=False)
    second = text.split("  drt:\n")[1].replace("name: shuttle", "name: second")
    result = run(_scenario(tmp_path, services=text + second))
    by_service = result.kpis["services"]["drt_by_service"]
    drt = result.kpis["services"]["drt"]
    assert set(by_service) == {"shuttle", "second"}
    for key in ("requests", "served", "fleet_km", "vehicle_hours", "operating_cost_eur"):
        assert drt[key] == pytest.approx(sum(s[key] for s in by_service.values()), rel=1e-3)
    assert drt["passengers_per_vehicle_hour"] == pytest.approx(drt["served"] / drt["vehicle_hours"], rel=1e-3)
