"""The DRT dispatcher against hand calculations.

Most tests put stops on a line, 1 km apart, driven at 10 m/s: the ride from stop ``a`` to
stop ``b`` takes ``100 * |a - b|`` seconds over ``1000 * |a - b|`` metres. The default
fleet dwells 30 s at each stop and dispatches every 15 s; rebalancing is off unless a test
gives ``stop_xy``. One test checks :meth:`StopMatrix.from_network` against the router on a
tiny grid town, and a property test checks every promise on random days.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from twin.maps.routing import route
from twin.maps.synthetic import grid_town
from twin.mobility.drt import (
    DECLINED, OUTSIDE_HOURS, REBALANCE, REJECTED, SERVED, SERVICE, TO_DEPOT,
    DrtFleet, DrtRequests, StopMatrix, dispatch, operator_table,
)  # fmt: skip


def line(k: int = 10, spacing_m: float = 1000.0, speed_mps: float = 10.0) -> StopMatrix:
    x = np.arange(k) * spacing_m
    lengths = np.abs(x[:, None] - x[None, :])
    return StopMatrix.from_arrays(lengths / speed_mps, lengths)


def fleet(*starts: int, **options) -> DrtFleet:
    return DrtFleet(start_stop=np.array(starts), **options)


def requests(*rows: tuple[float, int, int], budget_s=None, **options) -> DrtRequests:
    t, o, d = (np.array(column) for column in zip(*rows))
    return DrtRequests(time_s=t.astype(float), origin=o.astype(int), dest=d.astype(int), budget_s=budget_s, **options)


def service_legs(result):
    legs = result.legs
    keep = legs.kind == SERVICE
    return list(zip(legs.vehicle[keep], legs.from_stop[keep], legs.to_stop[keep], legs.depart_s[keep],
                    legs.arrive_s[keep], legs.onboard[keep]))  # fmt: skip


# ---------------------------------------------------------------------- one rider


def test_one_shuttle_wait_is_the_drive_to_the_pickup():
    # Request at t = 30 (a tick) from stop 3 to 7; the shuttle idles at stop 0.
    # It leaves at 30, reaches stop 3 after 3 km / 10 m/s = 300 s: pickup 330, wait 300.
    # Dwell 30 s, then 4 km = 400 s: dropoff 330 + 30 + 400 = 760, ride 430.
    result = dispatch(requests((30.0, 3, 7)), fleet(0, service_end_s=3600.0), line())
    assert result.status.tolist() == [SERVED] and result.vehicle.tolist() == [0]
    assert result.pickup_s[0] == 330.0 and result.dropoff_s[0] == 760.0
    assert result.offered_wait_s[0] == 300.0 and result.offered_ride_s[0] == 430.0
    assert result.direct_s[0] == 400.0 and result.direct_m[0] == 4000.0
    assert service_legs(result) == [(0, 0, 3, 30.0, 330.0, 0), (0, 3, 7, 360.0, 760.0, 1)]
    assert result.pickup_leg.tolist() == [0] and result.dropoff_leg.tolist() == [1]
    assert result.legs.prev_leg.tolist() == [-1, 0, 1]
    # After service (3600 s) it drives back to its depot, 7 km: 3600 -> 4300.
    assert result.legs.kind[2] == TO_DEPOT and result.legs.depart_s[2] == 3600.0
    assert result.legs.arrive_s[2] == 4300.0 and result.legs.length_m[2] == 7000.0


def test_a_request_between_ticks_waits_for_the_next_tick():
    # Submitted at t = 20, dispatched at the tick 30: the shuttle leaves at 30,
    # so the wait is 10 s more than the 300 s drive.
    result = dispatch(requests((20.0, 3, 7)), fleet(0), line())
    assert result.pickup_s[0] == 330.0 and result.offered_wait_s[0] == 310.0


def test_a_shuttle_at_the_pickup_drives_a_zero_length_leg():
    # Shuttle idle at stop 3, request at t = 0 from 3 to 5: pickup at once (0), dwell,
    # 2 km = 200 s: dropoff 230.
    result = dispatch(requests((0.0, 3, 5)), fleet(3), line())
    legs = result.legs
    first = result.pickup_leg[0]
    assert legs.from_stop[first] == legs.to_stop[first] == 3
    assert legs.depart_s[first] == legs.arrive_s[first] == 0.0 and legs.length_m[first] == 0.0
    assert result.pickup_s[0] == 0.0 and result.dropoff_s[0] == 230.0


def test_a_shuttle_on_its_way_is_not_diverted():
    # Rider A (t = 0, 0 -> 9) boards at once; the shuttle leaves stop 0 at 30 and reaches
    # stop 9 at 930. Rider B asks at t = 300 from stop 5 (which the shuttle passes at 530),
    # but insertions go after the next stop: 9 at 930 + 30 dwell + 400 s back to 5 = 1360
    # > 300 + 600. Rejected.
    result = dispatch(requests((0.0, 0, 9), (300.0, 5, 8)), fleet(0), line())
    assert result.status.tolist() == [SERVED, REJECTED]


# ---------------------------------------------------------------------- pooling


def test_two_compatible_requests_share_the_shuttle():
    # Both at t = 0: A from 1 to 5, B from 2 to 6; one shuttle at stop 0.
    # A alone: 0 -> 1 (pickup 100), dwell, 1 -> 5 (arrive 530). A's limit 0 + 1.5 * 400 + 900.
    # B pooled: 0 -> 1 -> 2 -> 5 -> 6: pickup B at 130 + 100 = 230, A's dropoff pushed to
    # 260 + 300 = 560, B's dropoff 590 + 100 = 690. The schedule ends 160 s later; B after
    # A (5 -> 2 -> 6) would end 760 s later, and could not pick B up within 600 s anyway.
    result = dispatch(requests((0.0, 1, 5), (0.0, 2, 6)), fleet(0), line())
    assert result.status.tolist() == [SERVED, SERVED] and result.vehicle.tolist() == [0, 0]
    assert result.pickup_s.tolist() == [100.0, 230.0] and result.dropoff_s.tolist() == [560.0, 690.0]
    assert result.offered_wait_s.tolist() == [100.0, 230.0]
    assert result.offered_ride_s.tolist() == [430.0, 460.0]  # A's offer was made before B's booking
    assert service_legs(result) == [
        (0, 0, 1, 0.0, 100.0, 0), (0, 1, 2, 130.0, 230.0, 1), (0, 2, 5, 260.0, 560.0, 2), (0, 5, 6, 590.0, 690.0, 1),
    ]  # fmt: skip
    assert result.legs.onboard.max() == 2
    pooled_km = result.legs.length_m[result.legs.kind == SERVICE].sum() / 1000  # 1 + 1 + 3 + 1 = 6 km

    # Without pooling (one seat each, two shuttles at stop 0): 0 -> 1 -> 5 and 0 -> 2 -> 6.
    solo = dispatch(requests((0.0, 1, 5), (0.0, 2, 6)), fleet(0, 0, seats=1), line())
    assert solo.vehicle.tolist() == [0, 1]
    solo_km = solo.legs.length_m[solo.legs.kind == SERVICE].sum() / 1000
    assert (pooled_km, solo_km) == (6.0, 11.0)
    # One after the other it would be 0 -> 1 -> 5 -> 2 -> 6 = 1 + 4 + 3 + 4 = 12 km.
    assert pooled_km < 12.0


def test_riders_boarding_at_one_stop_share_its_leg():
    # A (2 -> 5) and B (2 -> 6) at t = 0, shuttle at 0: B joins A's pickup stop (no extra
    # dwell): both picked up at 200; A off at 230 + 300 = 530, B at 560 + 100 = 660.
    result = dispatch(requests((0.0, 2, 5), (0.0, 2, 6)), fleet(0), line())
    assert result.pickup_leg[0] == result.pickup_leg[1]
    assert result.pickup_s.tolist() == [200.0, 200.0] and result.dropoff_s.tolist() == [530.0, 660.0]
    assert service_legs(result) == [(0, 0, 2, 0.0, 200.0, 0), (0, 2, 5, 230.0, 530.0, 2), (0, 5, 6, 560.0, 660.0, 1)]


def test_seats_are_never_exceeded_in_the_pooling_case():
    # With one seat, B cannot ride along with A; after A (free at 560 at stop 5) the pickup
    # at 2 would come at 860 > 0 + 600, so B is rejected.
    result = dispatch(requests((0.0, 1, 5), (0.0, 2, 6)), fleet(0, seats=1), line())
    assert result.status.tolist() == [SERVED, REJECTED]
    assert result.legs.onboard.max() == 1


# ---------------------------------------------------------------------- limits and choice


def test_a_pickup_out_of_reach_is_rejected():
    # Stop 9 is 900 s from the shuttle at stop 0; the wait limit is 600 s.
    result = dispatch(requests((0.0, 9, 8)), fleet(0), line())
    assert result.status.tolist() == [REJECTED] and result.vehicle.tolist() == [-1]
    assert np.isnan(result.offered_wait_s[0]) and np.isnan(result.pickup_s[0])
    assert result.pickup_leg.tolist() == [-1] and result.dropoff_leg.tolist() == [-1]
    assert not (result.legs.kind == SERVICE).any()
    # With a 900 s limit it is served, exactly at the limit.
    result = dispatch(requests((0.0, 9, 8)), fleet(0, max_wait_s=900.0), line())
    assert result.status.tolist() == [SERVED] and result.pickup_s[0] == 900.0


def test_a_budget_below_the_offer_is_declined_and_changes_nothing():
    # Offer for 3 -> 7 at t = 0: wait 300, ride 430; 2 * 300 + 430 = 1030 s of generalised time.
    # B (t = 60, 2 -> 4) then finds the shuttle at stop 0 as if A never asked:
    # 0 -> 2 leaving at 60: pickup 260, dropoff 260 + 30 + 200 = 490.
    rows = [(0.0, 3, 7), (60.0, 2, 4)]
    declined = dispatch(requests(*rows, budget_s=np.array([1029.0, np.inf])), fleet(0), line())
    assert declined.status.tolist() == [DECLINED, SERVED]
    assert declined.offered_wait_s[0] == 300.0 and declined.offered_ride_s[0] == 430.0
    assert np.isnan(declined.pickup_s[0]) and declined.vehicle[0] == -1
    assert declined.pickup_s[1] == 260.0 and declined.dropoff_s[1] == 490.0
    alone = dispatch(requests(rows[1]), fleet(0), line())
    assert service_legs(declined) == service_legs(alone)
    accepted = dispatch(requests(*rows, budget_s=np.array([1030.0, np.inf])), fleet(0), line())
    assert accepted.status[0] == SERVED  # a budget equal to the offer accepts it


def test_an_insertion_that_breaks_an_earlier_riders_travel_time_is_refused():
    # alpha = 1, beta = 150 s: A (t = 0, 1 -> 5, direct 400 s) must arrive by 550 and is
    # planned to arrive at 530 by shuttle 0 (from stop 0). Pooling B (2 -> 6) into shuttle 0
    # would push A to 560 (see the pooling test), so B goes to shuttle 1 at stop 3:
    # 3 -> 2 = 100 s, pickup 100, dropoff 100 + 30 + 400 = 530 <= 0 + 400 + 150.
    rows = [(0.0, 1, 5), (0.0, 2, 6)]
    tight = dispatch(requests(*rows), fleet(0, 3, alpha=1.0, beta_s=150.0), line())
    assert tight.vehicle.tolist() == [0, 1]
    assert tight.dropoff_s.tolist() == [530.0, 530.0]
    # With beta = 900 s the cheaper pooled insertion (160 s against 560 s) is taken.
    loose = dispatch(requests(*rows), fleet(0, 3), line())
    assert loose.vehicle.tolist() == [0, 0]
    # With only shuttle 0, B is rejected rather than made late.
    alone = dispatch(requests(*rows), fleet(0, alpha=1.0, beta_s=150.0), line())
    assert alone.status.tolist() == [SERVED, REJECTED] and alone.dropoff_s[0] == 530.0


def test_an_insertion_that_breaks_an_earlier_riders_pickup_is_refused():
    # max_wait 400 s: A (t = 0, 4 -> 6) is picked up at 400, exactly on time. Picking B
    # (t = 0, 2 -> 3) up first would reach stop 4 at 200 + 30 + 100 + 30 + 100 = 460 > 400,
    # and after A (dropoff 630, leave 660) stop 2 comes at 1060 > 400: B is rejected.
    rows = [(0.0, 4, 6), (0.0, 2, 3)]
    result = dispatch(requests(*rows), fleet(0, max_wait_s=400.0), line())
    assert result.status.tolist() == [SERVED, REJECTED] and result.pickup_s[0] == 400.0
    alone = dispatch(requests(rows[1]), fleet(0, max_wait_s=400.0), line())
    assert alone.status.tolist() == [SERVED]


def test_unreachable_stops():
    # Stop 2 can be reached but not left. A request from 2 has no direct ride and gets no
    # offer; the shuttle that takes a rider to 2 (pickup 0, dropoff 0 + 30 + 100) stays
    # there after service instead of driving an endless leg home.
    inf = np.inf
    times = np.array([[0.0, 100.0, 100.0], [100.0, 0.0, 200.0], [inf, inf, 0.0]])
    matrix = StopMatrix.from_arrays(times, times * 10)
    result = dispatch(requests((0.0, 2, 0), (0.0, 0, 2)), fleet(0), matrix)
    assert result.status.tolist() == [REJECTED, SERVED] and result.dropoff_s[1] == 130.0
    assert result.direct_s[0] == inf and np.isnan(result.offered_wait_s[0])
    assert result.legs.kind.tolist() == [SERVICE, SERVICE] and np.isfinite(result.legs.arrive_s).all()


# ---------------------------------------------------------------------- hours, rebalancing, depots


def test_requests_outside_service_hours():
    rows = [(100.0, 1, 2), (3600.0, 1, 2), (7199.0, 2, 3), (7200.0, 1, 2)]
    result = dispatch(requests(*rows), fleet(0, service_start_s=3600.0, service_end_s=7200.0), line())
    assert result.status.tolist() == [OUTSIDE_HOURS, SERVED, SERVED, OUTSIDE_HOURS]
    assert result.direct_s.tolist() == [100.0] * 4  # given for every request
    assert np.isnan(result.offered_wait_s[[0, 3]]).all()


def rebalancing_fleet(**options) -> DrtFleet:
    # Stops at x = 0, 1000, ..., 9000 m; 2500 m cells: zones {0, 1, 2}, {3, 4}, {5, 6, 7}, {8, 9}.
    xy = np.column_stack([np.arange(10) * 1000.0, np.zeros(10)])
    options = {"max_wait_s": 900.0, "rebalance_interval_s": 900.0, "rebalance_cell_m": 2500.0, "stop_xy": xy} | options
    return fleet(0, **options)


def test_rebalancing_moves_an_idle_shuttle_towards_expected_demand():
    # One request at t = 1000 from stop 9. At the rebalancing tick 900 it is expected in
    # [900, 1800) in zone {8, 9}, which has no idle shuttle: the shuttle drives 0 -> 9
    # (900 -> 1800). The request (dispatched at the tick 1005) is picked up on arrival, at
    # 1800 <= 1000 + 900, from a zero-length leg; dropoff 1800 + 30 + 100 = 1930.
    result = dispatch(requests((1000.0, 9, 8)), rebalancing_fleet(), line())
    legs = result.legs
    assert legs.kind.tolist()[:3] == [REBALANCE, SERVICE, SERVICE]
    assert (legs.from_stop[0], legs.to_stop[0], legs.depart_s[0], legs.arrive_s[0]) == (0, 9, 900.0, 1800.0)
    assert result.status.tolist() == [SERVED] and result.pickup_s[0] == 1800.0 and result.dropoff_s[0] == 1930.0
    # Without rebalancing it would leave stop 0 at 1005 and reach 9 at 1905 > 1900: rejected.
    still = dispatch(requests((1000.0, 9, 8)), rebalancing_fleet(rebalance_interval_s=0.0), line())
    assert still.status.tolist() == [REJECTED] and not (still.legs.kind == REBALANCE).any()


def test_rebalancing_follows_the_expected_demand_given():
    # The operator expects a request at stop 6 at 950 (zone {5, 6, 7}): at 900 the shuttle
    # drives 0 -> 6 (600 s), whatever the actual requests.
    expected = (np.array([950.0]), np.array([6]))
    result = dispatch(requests((5000.0, 1, 2)), rebalancing_fleet(), line(), expected=expected)
    legs = result.legs
    assert (legs.kind[0], legs.from_stop[0], legs.to_stop[0], legs.depart_s[0], legs.arrive_s[0]) == (
        REBALANCE, 0, 6, 900.0, 1500.0,
    )  # fmt: skip
    # Demand in the shuttle's own zone moves nothing.
    home = dispatch(requests((5000.0, 1, 2)), rebalancing_fleet(), line(), expected=(np.array([950.0]), np.array([2])))
    assert not (home.legs.kind == REBALANCE).any()


def test_shuttles_return_to_their_depot_after_service():
    # Service ends at 3600. Shuttle 0 (depot 0) serves 2 -> 5 (dropoff 530) and heads home
    # at 3600: 5 km, arriving 4100. Shuttle 1 (depot 9) takes a late request at 3590 from
    # stop 9 to 0 (tick 3600, zero-length leg, dropoff 3600 + 30 + 900 = 4530) and returns
    # from stop 0 when it is done: 4560 -> 5460.
    rows = [(0.0, 2, 5), (3590.0, 9, 0)]
    result = dispatch(requests(*rows), fleet(0, 9, service_end_s=3600.0), line())
    assert result.vehicle.tolist() == [0, 1]
    legs = result.legs
    home = np.flatnonzero(legs.kind == TO_DEPOT)
    assert legs.vehicle[home].tolist() == [0, 1]
    assert legs.from_stop[home].tolist() == [5, 0] and legs.to_stop[home].tolist() == [0, 9]
    assert legs.depart_s[home].tolist() == [3600.0, 4560.0] and legs.arrive_s[home].tolist() == [4100.0, 5460.0]
    assert legs.onboard[home].tolist() == [0, 0]
    stay = dispatch(requests(*rows), fleet(0, 9, service_end_s=3600.0, return_to_depot=False), line())
    assert not (stay.legs.kind == TO_DEPOT).any()


# ---------------------------------------------------------------------- operator figures


def test_operator_table_by_hand():
    # Service 0-3600, one shuttle at stop 0. Request 0 (t = 0, 2 -> 5, fare 3 EUR) is served:
    # 0 -> 2 empty (2 km, leaves at 0), 2 -> 5 with the rider (3 km, leaves at 230), back to
    # the depot 5 -> 0 empty (5 km, leaves at 3600, hour 1). Request 1 (t = 4000, fare 100)
    # is outside the hours and pays nothing.
    # fleet km 10, empty 7 (0.7), passenger-km 3 (occupancy 0.3), 1 vehicle-hour,
    # cost 1 * 45 + 10 * 0.25 = 47.5 EUR, revenue 3, subsidy 44.5 per served trip,
    # wait 200 s, detour (530 - 200) / 300 = 1.1.
    reqs = requests((0.0, 2, 5), (4000.0, 1, 2))
    shuttles = fleet(0, service_end_s=3600.0)
    result = dispatch(reqs, shuttles, line())
    table, day = operator_table(
        result, reqs, shuttles, fare_eur=np.array([3.0, 100.0]), cost_eur_per_vehicle_hour=45.0, cost_eur_per_km=0.25
    )
    assert set(day) == {
        "requests", "served", "rejected", "declined", "outside_hours", "served_share", "mean_wait_s", "p95_wait_s",
        "mean_detour", "occupancy", "empty_km_share", "passengers_per_vehicle_hour", "fleet_km", "vehicle_hours",
        "operating_cost_eur", "fare_revenue_eur", "subsidy_per_trip_eur",
    }  # fmt: skip
    assert (day["requests"], day["served"], day["rejected"], day["declined"], day["outside_hours"]) == (2, 1, 0, 0, 1)
    assert day["served_share"] == 0.5
    assert day["mean_wait_s"] == day["p95_wait_s"] == 200.0
    assert day["mean_detour"] == pytest.approx(1.1)
    assert day["fleet_km"] == 10.0 and day["empty_km_share"] == pytest.approx(0.7)
    assert day["occupancy"] == pytest.approx(0.3)
    assert day["vehicle_hours"] == 1.0 and day["passengers_per_vehicle_hour"] == 1.0
    assert day["operating_cost_eur"] == pytest.approx(47.5) and day["fare_revenue_eur"] == 3.0
    assert day["subsidy_per_trip_eur"] == pytest.approx(44.5)

    assert table["hour"].tolist() == list(range(24))
    assert table.loc[0, ["requests", "served", "fleet_km", "vehicle_hours"]].tolist() == [1, 1, 5.0, 1.0]
    assert table.loc[1, ["requests", "outside_hours", "fleet_km", "vehicle_hours"]].tolist() == [1, 1, 5.0, 0.0]
    assert table.loc[0, "occupancy"] == pytest.approx(0.6) and table.loc[1, "empty_km_share"] == 1.0
    assert np.isnan(table.loc[1, "mean_wait_s"]) and np.isnan(table.loc[1, "passengers_per_vehicle_hour"])
    assert table["fleet_km"].sum() == 10.0 and table["operating_cost_eur"].sum() == pytest.approx(47.5)

    # Measured times replace the planned ones: wait 250, ride 350 s (detour 350 / 300).
    _, measured = operator_table(
        result, reqs, shuttles, fare_eur=np.array([3.0, 100.0]), cost_eur_per_vehicle_hour=45.0,
        cost_eur_per_km=0.25, pickup_s=np.array([250.0, np.nan]), dropoff_s=np.array([600.0, np.nan]),
    )  # fmt: skip
    assert measured["mean_wait_s"] == 250.0 and measured["mean_detour"] == pytest.approx(350 / 300)


def test_operator_table_with_nothing_served_is_undefined_not_an_error():
    reqs = requests((0.0, 9, 8))  # out of reach: rejected
    shuttles = fleet(0, service_end_s=3600.0)
    result = dispatch(reqs, shuttles, line())
    table, day = operator_table(
        result, reqs, shuttles, fare_eur=np.array([3.0]), cost_eur_per_vehicle_hour=45.0, cost_eur_per_km=0.25
    )
    assert day["served"] == 0 and day["served_share"] == 0.0
    assert day["mean_wait_s"] is None and day["mean_detour"] is None and day["subsidy_per_trip_eur"] is None
    assert day["occupancy"] is None and day["fleet_km"] == 0.0 and day["operating_cost_eur"] == 45.0
    assert table["mean_wait_s"].isna().all()


# ---------------------------------------------------------------------- random days


def random_day(seed: int, *, n_requests: int = 300, n_stops: int = 25, n_vehicles: int = 6, seats: int = 3):
    """Stops scattered over 4 x 4 km, times from Euclidean distance x 1.3 at 8 m/s (a metric,
    like fastest paths), requests over 4 hours, some with tight budgets."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 4000, (n_stops, 2))
    lengths = 1.3 * np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    matrix = StopMatrix.from_arrays(lengths / 8.0, lengths)
    origin = rng.integers(0, n_stops, n_requests)
    dest = (origin + rng.integers(1, n_stops, n_requests)) % n_stops
    budget = np.where(rng.random(n_requests) < 0.1, rng.uniform(300, 1500, n_requests), np.inf)
    reqs = DrtRequests(time_s=rng.uniform(0, 4 * 3600, n_requests), origin=origin, dest=dest, budget_s=budget)
    shuttles = DrtFleet(
        start_stop=rng.integers(0, n_stops, n_vehicles), seats=seats, service_end_s=3.5 * 3600,
        max_wait_s=480.0, beta_s=600.0, stop_xy=xy,
    )  # fmt: skip
    return reqs, shuttles, matrix


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_promise_holds_on_a_random_day(seed):
    reqs, shuttles, matrix = random_day(seed)
    result = dispatch(reqs, shuttles, matrix)
    legs, t = result.legs, reqs.time_s
    served = result.status == SERVED
    assert served.sum() > 100 and (result.status == REJECTED).any() and (result.status == DECLINED).any()
    assert (result.status[t >= shuttles.service_end_s] == OUTSIDE_HOURS).all()
    eps = 1e-6
    # Promises, on the final plan.
    assert (legs.onboard <= shuttles.seats).all() and (legs.onboard >= 0).all()
    assert (result.pickup_s[served] >= t[served]).all()
    assert (result.pickup_s[served] <= t[served] + shuttles.max_wait_s + eps).all()
    limit = t + shuttles.alpha * result.direct_s + shuttles.beta_s
    assert (result.dropoff_s[served] <= limit[served] + eps).all()
    assert (result.offered_wait_s[served] <= shuttles.max_wait_s + eps).all()
    # Each vehicle's legs chain: stop to stop, in time, prev_leg pointing back.
    same = legs.vehicle[1:] == legs.vehicle[:-1]
    assert (np.diff(legs.vehicle) >= 0).all()
    assert (legs.prev_leg[1:][same] == np.flatnonzero(same)).all() and (legs.prev_leg[1:][~same] == -1).all()
    assert (legs.from_stop[1:][same] == legs.to_stop[:-1][same]).all()
    assert (legs.depart_s[1:][same] >= legs.arrive_s[:-1][same] - eps).all()
    times = matrix.times(0.0)
    np.testing.assert_allclose(legs.arrive_s - legs.depart_s, times[legs.from_stop, legs.to_stop])
    # Pickup and dropoff legs arrive where and when the rider boards and alights.
    p, d = result.pickup_leg[served], result.dropoff_leg[served]
    assert (legs.to_stop[p] == reqs.origin[served]).all() and (legs.to_stop[d] == reqs.dest[served]).all()
    assert (legs.arrive_s[p] == result.pickup_s[served]).all() and (legs.arrive_s[d] == result.dropoff_s[served]).all()
    assert (legs.vehicle[p] == result.vehicle[served]).all() and (p < d).all()
    # Riders aboard per leg, recounted from the riders' pickup and dropoff legs.
    change = np.zeros(len(legs) + 1, np.int64)
    np.add.at(change, p + 1, 1)
    np.add.at(change, d + 1, -1)
    np.testing.assert_array_equal(np.cumsum(change)[:-1], legs.onboard)
    assert (legs.onboard[legs.kind != SERVICE] == 0).all()


def test_same_inputs_same_result():
    reqs, shuttles, matrix = random_day(7)
    a, b = dispatch(reqs, shuttles, matrix), dispatch(reqs, shuttles, matrix)
    for name in a.__slots__:
        if name != "legs":
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    for name in a.legs.__slots__:
        np.testing.assert_array_equal(getattr(a.legs, name), getattr(b.legs, name))


# ---------------------------------------------------------------------- the stop matrix


def test_stop_matrix_from_a_network_is_the_routers_fastest_paths():
    network = grid_town(rows=3, cols=4, block_m=100.0)
    stops = np.array([0, 5, 11, 6, 5])  # two stops may share a node
    matrix = StopMatrix.from_network(network, stops)
    o, d = (a.ravel() for a in np.meshgrid(stops, stops, indexing="ij"))
    routes = route(network, o, d)
    length = network.edges["length_m"].to_numpy()
    freeflow = network.edges["freeflow_s"].to_numpy()
    np.testing.assert_allclose(matrix.times(0.0).ravel(), routes.cost)
    np.testing.assert_allclose(matrix.lengths(0.0).ravel(), [length[routes.path(i)].sum() for i in range(len(routes))])

    # Per hour bin: the second hour twice as slow; past the last bin the last applies.
    hourly = StopMatrix.from_network(network, stops, link_times_s=np.column_stack([freeflow, 2 * freeflow]))
    np.testing.assert_allclose(hourly.times(3600.0), 2 * matrix.times(0.0))
    np.testing.assert_allclose(hourly.times(50_000.0), 2 * matrix.times(0.0))
    np.testing.assert_allclose(hourly.lengths(3600.0), matrix.lengths(0.0))
    # Identical bins are computed once.
    flat = StopMatrix.from_network(network, stops, link_times_s=np.tile(freeflow[:, None], 3))
    assert flat.times(0.0) is flat.times(7200.0) and flat.bins_computed == 1

    # A toll (as seconds) steers paths but is not part of the reported times.
    # Node 5 (r1c1) is two blocks from node 0 (r0c0) through node 1 or 4; tolling both
    # ways in forces a four-block path.
    e = network.edges
    toll = np.where((e["v"] == 5) & e["u"].isin([1, 4]), 1000.0, 0.0)
    tolled = StopMatrix.from_network(network, stops, extra_s=toll)
    steered = route(network, o, d, weight=freeflow + toll)
    expected = [freeflow[steered.path(i)].sum() for i in range(len(steered))]
    np.testing.assert_allclose(tolled.times(0.0).ravel(), expected)
    assert tolled.times(0.0)[0, 1] > matrix.times(0.0)[0, 1]


def test_dispatch_uses_the_matrix_of_the_hour():
    # Hour 1 is twice as slow as hour 0. A request at t = 0 (1 -> 5) is driven at free-flow
    # times; one at t = 3600 (a tick) from 1 to 5, with the shuttle back at stop 5, at double.
    network = grid_town(rows=2, cols=3, block_m=100.0)
    freeflow = network.edges["freeflow_s"].to_numpy()
    nodes = np.arange(network.n_nodes)
    base = StopMatrix.from_network(network, nodes).times(0.0)
    hourly = StopMatrix.from_network(network, nodes, link_times_s=np.column_stack([freeflow, 2 * freeflow]))
    result = dispatch(requests((0.0, 1, 5), (3600.0, 1, 5)), fleet(0, dwell_s=30.0), hourly)
    assert result.direct_s.tolist() == [base[1, 5], 2 * base[1, 5]]
    assert result.pickup_s[0] == base[0, 1] and result.dropoff_s[0] == base[0, 1] + 30.0 + base[1, 5]
    assert result.pickup_s[1] == pytest.approx(3600.0 + 2 * base[5, 1])
    assert result.dropoff_s[1] == pytest.approx(result.pickup_s[1] + 30.0 + 2 * base[1, 5])


# ---------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: DrtFleet(start_stop=np.array([0]), seats=0), "seats"),
        (lambda: DrtFleet(start_stop=np.array([-1])), "stop index -1"),
        (lambda: DrtFleet(start_stop=np.array([0]), service_start_s=5.0, service_end_s=5.0), "service_end_s"),
        (lambda: DrtFleet(start_stop=np.array([0]), alpha=0.5), "alpha"),
        (lambda: DrtFleet(start_stop=np.array([0]), stop_xy=np.zeros((3, 3))), "stop_xy"),
        (lambda: requests((-1.0, 0, 1)), "time_s"),
        (lambda: DrtRequests(time_s=np.zeros(2), origin=np.array([0]), dest=np.array([1])), "origin"),
        (lambda: requests((0.0, 2, 2)), "starts and ends at stop 2"),
        (lambda: requests((0.0, 1, 2), budget_s=np.array([1.0, 2.0])), "budget_s"),
        (lambda: DrtRequests(time_s=np.zeros(1), origin=np.array([0.5]), dest=np.array([1])), "integer"),
        (lambda: StopMatrix.from_arrays(np.zeros((2, 3)), np.zeros((2, 3))), "square"),
        (lambda: StopMatrix.from_arrays(np.array([[0.0, -1.0], [1.0, 0.0]]), np.zeros((2, 2))), "times_s"),
        (lambda: StopMatrix.from_arrays(np.ones((2, 2)), np.zeros((2, 2))), "diagonal"),
        (lambda: dispatch(requests((0.0, 1, 12)), fleet(0), line()), "requests.dest.*12.*10 stops"),
        (lambda: dispatch(requests((0.0, 1, 2)), fleet(10), line()), "fleet.start_stop"),
        (lambda: dispatch(requests((0.0, 1, 2)), fleet(0, stop_xy=np.zeros((3, 2))), line()), "one row per stop"),
        (lambda: StopMatrix.from_network(grid_town(rows=2, cols=2), [0, 9]), "stop_nodes"),
        (lambda: StopMatrix.from_network(grid_town(rows=2, cols=2), [0], link_times_s=np.ones((3, 2))), "link_times_s"),
    ],
)
def test_bad_inputs_are_one_line_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_no_requests():
    result = dispatch(DrtRequests(time_s=[], origin=[], dest=[]), fleet(0, 1), line())
    assert len(result) == 0 and len(result.legs) == 0 and result.pickup_leg.dtype == np.int64


def test_rider_time_weight_sends_the_nearer_vehicle():
    # Stops on a line 1 km apart, 100 s per km, no dwell. The first request (stop 0 to 4) goes to
    # vehicle 0 standing at stop 0 (it adds 400 s; vehicle 1 at stop 3 would add 700 s). The
    # second, stop 2 to 4, can ride along in vehicle 0 (picked up at 200 s, there at 400 s,
    # no driving added) or be fetched by vehicle 1 (at stop 2 at 100 s, there at 300 s, 300 s
    # added). Cost = added vehicle seconds + weight x the rider's seconds to arrival:
    #   weight 0: 0 < 300                      -> vehicle 0 (pooled)
    #   weight 1: 0 + 400 < 300 + 300          -> vehicle 0
    #   weight 4: 0 + 1600 > 300 + 1200        -> vehicle 1
    pos = np.arange(5) * 1000.0
    lengths = np.abs(pos[:, None] - pos[None, :])
    matrix = StopMatrix.from_arrays(lengths / 10.0, lengths)
    fleet = DrtFleet(start_stop=np.array([0, 3]), dwell_s=0.0, rebalance_interval_s=0.0, max_wait_s=600.0,
                     beta_s=900.0, return_to_depot=False)  # fmt: skip
    requests = DrtRequests(time_s=np.array([0.0, 0.0]), origin=np.array([0, 2]), dest=np.array([4, 4]))
    assert dispatch(requests, fleet, matrix).vehicle.tolist() == [0, 0]
    assert dispatch(requests, dataclasses.replace(fleet, rider_time_weight=1.0), matrix).vehicle.tolist() == [0, 0]
    weighted = dispatch(requests, dataclasses.replace(fleet, rider_time_weight=4.0), matrix)
    assert weighted.vehicle.tolist() == [0, 1]
    assert weighted.pickup_s.tolist() == [0.0, 100.0] and weighted.dropoff_s.tolist() == [400.0, 300.0]
