"""maas: services added to the city, fares and bundle replaced, booking channels set, cost per vehicle."""

from __future__ import annotations

import pytest

from twin._errors import ScenarioError
from twin.interventions import City, Maas, build_interventions
from twin.scenario.services import DrtSpec, ServicesSpec


def one(spec: dict) -> Maas:
    (intervention,) = build_interventions([{"type": "maas", "name": "maas", **spec}])
    return intervention


SHUTTLE = {"name": "shuttle", "fleet": 4, "area": {"road_classes": ["residential", "secondary"]}}


def test_adds_services_and_sets_app_only_booking(city):
    # The city already runs a shuttle booked by app or phone; MaaS adds one and makes both app-only.
    own = DrtSpec.model_validate({**SHUTTLE, "name": "own", "fleet": 2})
    city.with_services(ServicesSpec(drt=[own]))
    outcome = one({"drt": [SHUTTLE], "booking_channels": ["app"], "integrated_discount": 0.1,
                   "fares": {"transit_eur": 3.0}, "subscription": {"price_eur_per_month": 49}}).apply(city)  # fmt: skip
    services = city.services
    assert [s.name for s in services.drt] == ["own", "shuttle"]
    assert all(s.booking_channels == ["app"] for s in services.drt)
    assert services.fares.transit_eur == 3.0 and services.fares.drt_base_eur == 2.5  # the rest keep defaults
    assert services.integrated_discount == 0.1 and services.subscription.price_eur_per_month == 49
    # Cost: the four vehicles added, at the default 90,000 EUR each over 8 years.
    assert outcome.affected["shuttles_added"] == 4.0 and outcome.affected["app_only_booking"] == 1.0
    assert (outcome.cost.units, outcome.cost.unit) == (4.0, "vehicle")
    assert outcome.cost.capital_eur == pytest.approx(360_000.0)


def test_leaves_what_it_does_not_name(city, grid):
    before = city.services
    one({"lines": [{"name": "1", "stops": [grid.lonlat(0, 0), grid.lonlat(200, 0)]}]}).apply(city)
    assert [line.name for line in city.services.transit.lines] == ["1"]
    assert city.services.fares == before.fares and city.services.drt == before.drt


def test_a_service_name_the_city_uses_is_refused(city):
    city.with_services(ServicesSpec(drt=[DrtSpec.model_validate(SHUTTLE)]))
    with pytest.raises(ScenarioError, match=r"interventions: maas: .*'shuttle' is used twice"):
        one({"drt": [SHUTTLE]}).apply(city)


def test_unknown_channel_is_a_parameter_error():
    with pytest.raises(ScenarioError, match=r"interventions\.0\.booking_channels\.0"):
        one({"booking_channels": ["sms"]})


def test_city_starts_with_the_scenario_services(town, scenario):
    assert City(scenario=scenario, network=town).services == scenario.services


def test_its_own_stops_and_names_are_checked_under_its_own_keys(city, grid):
    far = grid.lonlat(0, 0)[::-1]  # latitude first
    with pytest.raises(ScenarioError, match=r"interventions: maas\.lines\.0\.stops\.0: the stop of line '1' is .* km"):
        one({"lines": [{"name": "1", "stops": [far, grid.lonlat(200, 0)]}]}).apply(city)
    with pytest.raises(ScenarioError, match=r"interventions\.0\.drt: the shuttle service name 'shuttle' is used twice"):
        one({"drt": [SHUTTLE, SHUTTLE]})
