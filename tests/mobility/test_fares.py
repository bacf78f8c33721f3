"""Booking channels, the bundle's uptake and what each trip pays, against hand calculations."""

import numpy as np
import pytest

from twin.mobility.fares import can_use_channels, pay_per_trip, subscribers_by_savings, subscribers_by_share
from twin.scenario.services import ServicesSpec, SubscriptionSpec

SMARTPHONE = np.array([True, False, True, False])


def test_app_only_booking_leaves_out_residents_without_a_smartphone():
    assert can_use_channels(["app"], SMARTPHONE).tolist() == [True, False, True, False]
    # A phone line or a kiosk lets everyone book.
    assert can_use_channels(["app", "phone"], SMARTPHONE).all()
    assert can_use_channels(["kiosk"], SMARTPHONE).all()


def test_app_discount_and_bundle_fares():
    services = ServicesSpec(
        integrated_discount=0.1,
        subscription=SubscriptionSpec(price_eur_per_month=49, covers=["transit"], covered_share=0.75),
    )
    fare = np.full(4, 2.0)
    person = np.arange(4)
    subscriber = np.array([True, True, False, False])
    paid = pay_per_trip(services, fare, mode="transit", person=person, smartphone=SMARTPHONE, subscriber=subscriber)
    # Subscribers pay a quarter (0.50) whatever their phone; others 2.00, minus 10% in the app (1.80).
    assert paid.tolist() == pytest.approx([0.5, 0.5, 1.8, 2.0])
    # The bundle does not cover shuttles: only the app discount applies.
    paid = pay_per_trip(services, fare, mode="drt", person=person, smartphone=SMARTPHONE, subscriber=subscriber)
    assert paid.tolist() == pytest.approx([1.8, 2.0, 1.8, 2.0])


def test_savings_uptake_compares_a_month_of_fares_with_the_price():
    bundle = SubscriptionSpec(price_eur_per_month=49.0, days_per_month=21.0, uptake="savings")
    # Resident 0 pays 2 x 2.50 a day: 5 x 21 = 105 >= 49; resident 1 pays 2.00: 42 < 49;
    # resident 2 would save but cannot buy it (no smartphone, app-only sales); 3 rides nothing.
    person = np.array([0, 0, 1, 2, 2])
    fares = np.array([2.5, 2.5, 2.0, 2.5, 2.5])
    eligible = np.array([True, True, False, True])
    chosen = subscribers_by_savings(bundle, eligible, person=person, covered_fare_eur=fares)
    assert chosen.tolist() == [True, False, False, False]


def test_share_uptake_draws_among_the_eligible():
    bundle = SubscriptionSpec(uptake=0.3)
    eligible = np.arange(20_000) % 2 == 0
    chosen = subscribers_by_share(bundle, eligible, rng=np.random.default_rng(1))
    assert not chosen[~eligible].any()
    assert chosen[eligible].mean() == pytest.approx(0.3, abs=0.015)
