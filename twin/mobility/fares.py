"""Who may book a service, who buys the MaaS bundle, and what each trip pays.

Booking channels are the digital divide in the model: ``app`` needs a smartphone; ``phone``
and ``kiosk`` do not. A shuttle whose only channel is the app is not an alternative for a
resident without a smartphone, and a bundle sold only in the app cannot be bought without
one.

Fares, per trip and person:

- pay per trip: the transit fare, or the shuttle's base fare plus its rate per km of the
  direct ride; a resident who pays through the MaaS app (any smartphone holder, when the
  scenario sets an ``integrated_discount``) gets that share off;
- a subscriber pays ``1 - covered_share`` of the pay-per-trip fare (before the app discount)
  on the services the bundle covers, and the bundle's price per month.

Uptake of the bundle is either a share of the residents who can buy it (drawn at random), or
``savings``: those whose covered fares on a travel day, times ``days_per_month``, reach the
monthly price, judged on the modes they would choose paying per trip.
"""

from __future__ import annotations

import numpy as np

from twin.scenario.services import BookingChannel, ServicesSpec, SubscriptionSpec

__all__ = ["can_use_channels", "pay_per_trip", "subscribers_by_savings", "subscribers_by_share"]


def can_use_channels(channels: list[BookingChannel], smartphone: np.ndarray) -> np.ndarray:
    """Whether each resident can use at least one of the channels.

    Parameters
    ----------
    channels
        The booking or sales channels (``app``, ``phone``, ``kiosk``).
    smartphone
        ``bool`` per resident.

    Returns
    -------
    numpy.ndarray
        ``bool`` per resident: everyone when a channel other than the app is offered, else
        the smartphone holders.
    """
    smartphone = np.asarray(smartphone, dtype=bool)
    if any(channel != "app" for channel in channels):
        return np.ones(smartphone.size, dtype=bool)
    return smartphone.copy()


def pay_per_trip(
    services: ServicesSpec,
    fare_eur: np.ndarray,
    *,
    mode: str,
    person: np.ndarray,
    smartphone: np.ndarray,
    subscriber: np.ndarray | None,
) -> np.ndarray:
    """What each trip pays by ``mode``, given who subscribes.

    Parameters
    ----------
    services
        The services section (discount and bundle).
    fare_eur
        The pay-per-trip fare of each trip, in EUR.
    mode
        ``"transit"`` or ``"drt"``.
    person
        The resident of each trip (row of the residents table).
    smartphone
        ``bool`` per resident.
    subscriber
        ``bool`` per resident, or ``None`` when nobody subscribes.

    Returns
    -------
    numpy.ndarray
        EUR per trip.
    """
    fare = np.asarray(fare_eur, dtype=np.float64).copy()
    person = np.asarray(person, dtype=np.int64)
    if services.integrated_discount > 0:
        fare[np.asarray(smartphone, dtype=bool)[person]] *= 1.0 - services.integrated_discount
    bundle = services.subscription
    if bundle is not None and subscriber is not None and mode in bundle.covers:
        covered = np.asarray(subscriber, dtype=bool)[person]
        fare[covered] = np.asarray(fare_eur, dtype=np.float64)[covered] * (1.0 - bundle.covered_share)
    return fare


def subscribers_by_share(bundle: SubscriptionSpec, eligible: np.ndarray, *, rng: np.random.Generator) -> np.ndarray:
    """Residents who subscribe when uptake is a share: each eligible one with that probability."""
    draw = rng.random(np.asarray(eligible).size)
    return np.asarray(eligible, dtype=bool) & (draw < float(bundle.uptake))


def subscribers_by_savings(
    bundle: SubscriptionSpec, eligible: np.ndarray, *, person: np.ndarray, covered_fare_eur: np.ndarray
) -> np.ndarray:
    """Residents for whom the bundle pays: a month of their covered fares reaches its price.

    Parameters
    ----------
    bundle
        The bundle.
    eligible
        ``bool`` per resident: can buy it (a sales channel they can use).
    person
        The resident of each trip.
    covered_fare_eur
        Per trip, the fare it would pay per trip on a mode the bundle covers (0 for other
        modes), at the modes chosen without the bundle.
    """
    eligible = np.asarray(eligible, dtype=bool)
    daily = np.bincount(np.asarray(person, dtype=np.int64), weights=covered_fare_eur, minlength=eligible.size)
    saving = daily * bundle.covered_share * bundle.days_per_month
    return eligible & (saving >= bundle.price_eur_per_month) & (daily > 0)
