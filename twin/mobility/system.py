"""The city's mobility services through one simulated day, as the model uses them.

:class:`MobilitySystem` ties the services of a scenario (``services:``, as interventions
changed them) to the rest of a run:

1. **Planning the day.** :meth:`~MobilitySystem.level_of_service` gives mode choice the transit
   and shuttle (``drt``) columns: transit by frequency-based routing on the timetable
   (:func:`twin.mobility.transit.level_of_service`), shuttles as the direct car ride times
   the service's ``expected_detour`` with ``expected_wait_s`` of waiting, door to door. A
   shuttle is an alternative only for trips that start and end in its service area during
   its hours, by a resident who can use one of its booking channels
   (:mod:`twin.mobility.fares`); the first service that covers a trip serves it. Fares are
   each resident's (app discount, bundle).
2. **Offers.** :meth:`~MobilitySystem.dispatch` sends the day's shuttle trips as requests to
   the dispatcher (:func:`twin.mobility.drt.dispatch`). A rider accepts an offer when the
   shuttle, at the offered wait and ride, would still be the tour's choice in the same logit
   model with the same random draws (:meth:`~MobilitySystem.record_choice`). When the first
   request of a tour fails (rejected or declined), the whole tour takes its next best mode,
   car and bike included, and the rest are dispatched again without it; a later trip whose
   request fails takes the better of walking and transit. ``drt_outcome`` says what became
   of each request.
3. **Driving.** :meth:`~MobilitySystem.vehicle_legs` gives every bus and shuttle leg between
   two stops as a vehicle trip for the traffic engine, each chained to the vehicle's
   previous leg, so buses and shuttles add to congestion and are delayed by it.
4. **Riding.** :meth:`~MobilitySystem.finish` takes the legs' actual times from the engine:
   transit riders board the actual runs (with capacity, :func:`twin.mobility.transit.simulate_riders`);
   a shuttle rider is picked up when the vehicle reaches the stop, not before the request,
   and set down when it reaches the destination. It fills each trip's wait, in-vehicle and
   walk time, detour factor and fare, and the operators' figures per hour and per day.

Buses and shuttles are exempt from road tolls and route on free-flow time. A run over several
days repeats the weekday's choices, and shuttles are dispatched day by day within their
hours (clipped to the run's window, where the fleet's hours are also costed).

Simplifications: shuttles are door to door (every junction of the service area that cars can
reach is a stop); the dispatcher plans on link times of the hour (free-flow, or those of the
last learning iteration of traffic), and which tours give the shuttle up is decided on the
first dispatch; a late shuttle skips its dwell; walking to and from transit is not simulated
on the streets (it does not light lamps); a person's later trips do not wait for a late bus
or shuttle; residents plan with the expected wait, not last day's.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from twin._errors import ScenarioError
from twin.maps.network import StreetNetwork
from twin.maps.routing import route
from twin.mobility import drt as drt_module
from twin.mobility import transit as transit_module
from twin.mobility.fares import can_use_channels, pay_per_trip, subscribers_by_savings, subscribers_by_share
from twin.mobility.lines import project_points
from twin.population.choice import SERVICE_ALTERNATIVES, TravelTimes
from twin.scenario.schema import ModeChoiceSpec
from twin.scenario.area import DEFAULT_CRS
from twin.scenario.services import DrtSpec, ServicesSpec

__all__ = ["MobilitySystem", "ServiceLegs", "check_services"]

_FALLBACK = ("walk", "transit")
"""What a rider whose shuttle request fails takes instead (car and bike stayed at home)."""

_DRT_OUTCOMES = {drt_module.SERVED: "served", drt_module.REJECTED: "rejected", drt_module.DECLINED: "declined",
                 drt_module.OUTSIDE_HOURS: "outside_hours"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ServiceLegs:
    """Bus and shuttle legs as vehicle trips for the traffic engine.

    Attributes
    ----------
    depart_s
        Planned departure of each leg.
    route_offsets, route_edges
        The car edges of each leg, CSR style.
    prev_leg
        The leg the vehicle drives before (``-1`` for its first), as a position in these legs.
    """

    depart_s: np.ndarray
    route_offsets: np.ndarray
    route_edges: np.ndarray
    prev_leg: np.ndarray

    def __len__(self) -> int:
        return int(self.depart_s.size)


class _Shuttles:
    """One DRT service on the map: its stops, fleet, and the day's requests and result."""

    def __init__(self, spec: DrtSpec, network: StreetNetwork, *, where: str) -> None:
        self.spec = spec
        inside = spec.area.nodes_inside(network, where=f"{where}.area")
        car_nodes = np.zeros(network.n_nodes, dtype=bool)
        car_nodes[network.mode_nodes("car")] = True
        self.stop_nodes = np.flatnonzero(inside & car_nodes).astype(np.int64)
        if self.stop_nodes.size < 2:
            raise ScenarioError(f"{where}.area: the service area holds {self.stop_nodes.size} junction(s) cars can "
                                "reach; a shuttle needs at least two; widen the area")  # fmt: skip
        self.stop_of_node = np.full(network.n_nodes, -1, dtype=np.int64)
        self.stop_of_node[self.stop_nodes] = np.arange(self.stop_nodes.size)
        xy = network.nodes[["x", "y"]].to_numpy(dtype=float)
        self.stop_xy = xy[self.stop_nodes]
        if spec.depots is None:
            # Spread the fleet over the area: every k-th stop in the order of a coarse sweep.
            order = np.lexsort((self.stop_xy[:, 0], np.floor(self.stop_xy[:, 1] / spec.rebalance_cell_m)))
            picks = np.linspace(0, order.size - 1, spec.fleet).round().astype(np.int64)
            self.start_stop = order[picks]
        else:
            depot_xy = project_points(spec.depots, spec.crs or DEFAULT_CRS, network)
            nearest = np.argmin(((depot_xy[:, None, :] - self.stop_xy[None, :, :]) ** 2).sum(axis=2), axis=1)
            far = np.sqrt(((depot_xy - self.stop_xy[nearest]) ** 2).sum(axis=1))
            if (far > 1000).any():
                k = int(np.argmax(far > 1000))
                raise ScenarioError(f"{where}.depots.{k}: the depot is {far[k] / 1000:.1f} km from the service area; "
                                    "put it inside or check the lon/lat order")  # fmt: skip
            self.start_stop = nearest[np.arange(spec.fleet) % nearest.size].astype(np.int64)
        start, end = spec.hours_s()
        self.fleet = drt_module.DrtFleet(
            start_stop=self.start_stop, seats=spec.seats, max_wait_s=spec.max_wait_s,
            alpha=spec.max_travel_time_alpha, beta_s=spec.max_travel_time_beta_s,
            dispatch_interval_s=spec.dispatch_interval_s, dwell_s=spec.dwell_s, service_start_s=start,
            service_end_s=end, rebalance_interval_s=spec.rebalance_interval_s,
            rebalance_cell_m=spec.rebalance_cell_m, stop_xy=self.stop_xy, rider_time_weight=spec.rider_time_weight,
        )  # fmt: skip
        self.days: list[_ShuttleDay] = []

    def serves(self, origin: np.ndarray, dest: np.ndarray, depart_s: np.ndarray) -> np.ndarray:
        """Which trips start and end at a stop, during the hours of some day."""
        start, end = self.spec.hours_s()
        in_hours = np.mod(np.asarray(depart_s, float) - start, 86400.0) < end - start
        return (self.stop_of_node[origin] >= 0) & (self.stop_of_node[dest] >= 0) & (origin != dest) & in_hours

    def service_day(self, t_s: np.ndarray) -> np.ndarray:
        """The service day of each time: ``k`` when it falls in ``[start + k * 86400, end + k * 86400)``."""
        start, _ = self.spec.hours_s()
        return np.floor((np.asarray(t_s, float) - start) / 86400.0).astype(np.int64)

    def fleet_on(self, day: int, *, start_s: float, end_s: float) -> drt_module.DrtFleet | None:
        """The fleet on service day ``day``, its hours clipped to the run window (None if outside it)."""
        start, end = self.spec.hours_s()
        window = (max(start + day * 86400.0, start_s), min(end + day * 86400.0, end_s))
        if window[1] <= window[0]:
            return None
        return dataclasses.replace(self.fleet, service_start_s=window[0], service_end_s=window[1])


@dataclass(eq=False)
class _ShuttleDay:
    """One service day of a shuttle service: its fleet, requests (trip rows) and dispatch."""

    fleet: drt_module.DrtFleet
    rows: np.ndarray
    requests: drt_module.DrtRequests | None = None
    result: drt_module.DrtResult | None = None


def check_services(services: ServicesSpec, network: StreetNetwork, *, where: str, transit_at: str | None = None,
                   drt_at: str | None = None) -> None:  # fmt: skip
    """Place the services on the map as a run would, to find what does not fit before it runs.

    Parameters
    ----------
    services
        The services.
    network
        The street network the run uses.
    where
        How messages name the scenario.
    transit_at, drt_at
        How messages name the transit section (its lines follow as ``.lines.N``) and the list
        of shuttle services (``.N``); by default ``{where}: services.transit`` and
        ``{where}: services.drt``.

    Raises
    ------
    ScenarioError
        A stop or depot far from the streets, two stops buses cannot drive between, a GTFS
        feed that does not load, a service area with fewer than two junctions cars reach.
    """
    transit_at = transit_at or f"{where}: services.transit"
    drt_at = drt_at or f"{where}: services.drt"
    if services.has_transit:
        lines = transit_module.build_lines(services.transit, network, where=transit_at)
        transit_module.build_timetable(lines, network, start_s=0.0, end_s=86400.0, where=transit_at)
    for i, spec in enumerate(services.drt):
        _Shuttles(spec, network, where=f"{drt_at}.{i}")


class MobilitySystem:
    """The transit lines and shuttle services of one run (see the module documentation).

    Parameters
    ----------
    services
        The services (the scenario's, as interventions changed them).
    network
        The street network the run uses.
    where
        How messages name the scenario, e.g. its file or name.
    start_s, end_s
        The run's window.
    mode_choice
        The coefficients of the mode choice (values of time, weights, constants, scale).
    walk_speed_mps
        Walking speed, to and from stops.
    rng
        The run's ``services`` random stream (bundle uptake, riders' draws at an offer).
    """

    def __init__(self, services: ServicesSpec, network: StreetNetwork, *, where: str, start_s: float, end_s: float,
                 mode_choice: ModeChoiceSpec, walk_speed_mps: float, rng: np.random.Generator) -> None:  # fmt: skip
        self.spec = services
        self.network = network
        self.start_s, self.end_s = float(start_s), float(end_s)
        self.mode_choice = mode_choice
        self.walk_speed_mps = float(walk_speed_mps)
        self.where = where
        self._rng = rng
        self.lines = transit_module.build_lines(services.transit, network, where=f"{where}: services.transit") \
            if services.has_transit else []  # fmt: skip
        self.timetable = self._timetable(None)
        self.shuttles = [_Shuttles(spec, network, where=f"{where}: services.drt.{i}") for i, spec in enumerate(services.drt)]
        self.subscriber: np.ndarray | None = None
        self._base_fare = {name: np.empty(0) for name in SERVICE_ALTERNATIVES}
        self._transit_paths = None
        self._trip_service = np.empty(0, dtype=np.int64)
        self._offer: dict[str, np.ndarray] = {}
        self.outcome: dict[str, Any] | None = None
        self.stranded_rows = np.empty(0, dtype=np.int64)
        self.hourly = pd.DataFrame()

    def _timetable(self, link_times_s: np.ndarray | None):
        if not self.lines:
            return None
        return transit_module.build_timetable(self.lines, self.network, start_s=self.start_s, end_s=self.end_s,
                                              link_times_s=link_times_s, where=f"{self.where}: services.transit")  # fmt: skip

    @property
    def empty(self) -> bool:
        """Whether the city has no service at all."""
        return not self.lines and not self.shuttles

    @property
    def chooses_twice(self) -> bool:
        """Whether residents decide on the bundle from their own pay-per-trip choices."""
        return self.spec.subscription is not None and self.spec.subscription.uptake == "savings"

    # ------------------------------------------------------------------ planning

    def level_of_service(self, trips: pd.DataFrame, residents: pd.DataFrame, street: TravelTimes) -> TravelTimes:
        """The transit and shuttle columns of the mode choice for every trip.

        Parameters
        ----------
        trips
            The planned trips (``person_id``, ``origin_node``, ``dest_node``, ``depart_s``).
        residents
            The residents, by ``person_id`` = row (``smartphone`` is read).
        street
            The street modes' level of service; the car column gives the shuttles' direct ride.
        """
        n = len(trips)
        origin = trips["origin_node"].to_numpy(np.int64)
        dest = trips["dest_node"].to_numpy(np.int64)
        depart = trips["depart_s"].to_numpy(float)
        person = trips["person_id"].to_numpy(np.int64)
        smartphone = residents["smartphone"].to_numpy(bool)
        times = TravelTimes.unavailable(n)
        transit, drt = (SERVICE_ALTERNATIVES.index(name) for name in ("transit", "drt"))
        params = self.mode_choice
        if self.timetable is not None:
            los = transit_module.level_of_service(
                self.timetable, self.network, origin, dest, depart, walk_speed_mps=self.walk_speed_mps,
                max_walk_m=self.spec.transit.max_walk_m, walk_time_weight=params.walk_time_weight,
                wait_time_weight=params.wait_time_weight, transfer_penalty_s=self.spec.transit.transfer_penalty_s,
            )  # fmt: skip
            self._transit_paths = los.paths
            times.in_vehicle_s[:, transit] = los.in_vehicle_s
            times.walk_s[:, transit] = np.where(np.isfinite(los.in_vehicle_s), los.walk_s, 0.0)
            times.wait_s[:, transit] = np.where(np.isfinite(los.in_vehicle_s), los.wait_s, 0.0)
            times.distance_m[:, transit] = np.where(np.isfinite(los.distance_m), los.distance_m, 0.0)
        self._base_fare["transit"] = np.full(n, self.spec.fares.transit_eur)

        self._trip_service = np.full(n, -1, dtype=np.int64)
        car = street.alternatives.index("car")
        direct_s, direct_m = street.in_vehicle_s[:, car], street.distance_m[:, car]
        for k, service in enumerate(self.shuttles):
            bookable = can_use_channels(service.spec.booking_channels, smartphone)[person]
            free = (self._trip_service < 0) & service.serves(origin, dest, depart) & bookable & np.isfinite(direct_s)
            self._trip_service[free] = k
            times.in_vehicle_s[free, drt] = direct_s[free] * service.spec.expected_detour
            times.wait_s[free, drt] = service.spec.expected_wait_s
            times.distance_m[free, drt] = direct_m[free]
        fares = self.spec.fares
        self._base_fare["drt"] = np.where(self._trip_service >= 0,
                                          fares.drt_base_eur + fares.drt_eur_per_km * np.where(np.isfinite(direct_m), direct_m, 0.0) / 1000,
                                          0.0)  # fmt: skip

        bundle = self.spec.subscription
        if bundle is not None and bundle.uptake != "savings":
            self.subscriber = subscribers_by_share(bundle, can_use_channels(bundle.channels, smartphone), rng=self._rng)
        return self._with_fares(times, person, smartphone)

    def _with_fares(self, times: TravelTimes, person: np.ndarray, smartphone: np.ndarray) -> TravelTimes:
        for j, name in enumerate(times.alternatives):
            if name in self._base_fare:
                paid = pay_per_trip(self.spec, self._base_fare[name], mode=name, person=person,
                                    smartphone=smartphone, subscriber=self.subscriber)  # fmt: skip
                times.fare_eur[:, j] = np.where(times.reachable[:, j], paid, 0.0)
        return times

    def after_first_choice(self, trips: pd.DataFrame, residents: pd.DataFrame, times: TravelTimes,
                           modes: np.ndarray) -> TravelTimes:  # fmt: skip
        """Decide who buys the bundle on savings, from the modes chosen paying per trip."""
        bundle = self.spec.subscription
        person = trips["person_id"].to_numpy(np.int64)
        smartphone = residents["smartphone"].to_numpy(bool)
        covered = np.zeros(len(trips))
        for name in bundle.covers:
            j = times.alternatives.index(name)
            covered += np.where(modes == name, times.fare_eur[:, j], 0.0)
        self.subscriber = subscribers_by_savings(bundle, can_use_channels(bundle.channels, smartphone), person=person,
                                                 covered_fare_eur=covered)  # fmt: skip
        return self._with_fares(times, person, smartphone)

    def record_choice(self, trips: pd.DataFrame, residents: pd.DataFrame, times: TravelTimes, *,
                      utilities: np.ndarray, available: np.ndarray, noise: np.ndarray, tour: np.ndarray) -> None:  # fmt: skip
        """Keep what the offer-and-accept loop needs for the trips that chose a shuttle.

        A rider accepts an offer when the shuttle, with the offered wait and ride in place of
        the expected ones, would still be their tour's choice: when the offer's extra
        generalised cost, times the logit scale, is no more than the shuttle's lead over the
        next best alternative (same utilities, same Gumbel draws), shared equally among the
        tour's shuttle trips. When the request of a tour's first trip fails, the whole tour
        takes its next best alternative (the car or the bike are still at home); when a later
        trip's request fails, that trip takes the better of walking and transit.

        Parameters
        ----------
        trips, residents, times
            As for :meth:`level_of_service`, ``trips`` with its chosen ``mode``.
        utilities, available, noise, tour
            The tours' utilities, availability and Gumbel draws of the choice, and each trip's
            tour (:func:`twin.population.choice.tour_utilities`).
        """
        params = self.mode_choice
        alts = times.alternatives
        rows = np.flatnonzero(trips["mode"].to_numpy().astype(str) == "drt")
        value = np.where(available, utilities + noise, -np.inf)[tour[rows]]
        drt = alts.index("drt")
        others = value.copy()
        others[:, drt] = -np.inf
        lead = value[:, drt] - others.max(axis=1)
        fallback = np.array([alts.index(name) for name in _FALLBACK])
        choice = np.argmax(value[:, fallback], axis=1)
        trip_tour = tour[rows]
        first_in_tour = np.r_[True, trip_tour[1:] != trip_tour[:-1]] if rows.size else np.zeros(0, bool)
        shared = np.bincount(trip_tour, minlength=int(tour.max(initial=-1)) + 1)[trip_tour]
        vot_by_group = np.array(list(params.value_of_time_eur_per_h.values()), dtype=np.float64)
        income = pd.Categorical(residents["income"], categories=list(params.value_of_time_eur_per_h))
        vot = vot_by_group[np.asarray(income.codes, dtype=np.int64)[trips["person_id"].to_numpy(np.int64)[rows]]]
        expected_s = times.in_vehicle_s[rows, drt] + params.wait_time_weight * times.wait_s[rows, drt]
        with np.errstate(divide="ignore", invalid="ignore"):
            spare_s = np.where(vot > 0, lead / np.maximum(shared, 1) * 3600.0 / (params.scale_per_eur * vot), np.inf)
        self._offer = {
            "rows": rows, "budget_s": np.where(np.isfinite(lead), expected_s + spare_s, np.inf),
            "fallback": np.asarray(_FALLBACK)[choice], "tour_fallback": np.asarray(alts)[np.argmax(others, axis=1)],
            "tour": trip_tour, "first_in_tour": first_in_tour, "n_tours": int(tour.max(initial=-1)) + 1,
            "fare_paid": {name: times.fare_eur[:, alts.index(name)].copy() for name in SERVICE_ALTERNATIVES},
        }  # fmt: skip

    def repeat_days(self, n_trips: int, copies: int) -> None:
        """Extend what the choice recorded to a trip table holding ``copies`` days of the ``n_trips`` planned trips.

        A run that touches several days repeats the planned weekday (trip ``i`` of copy ``k``
        is row ``k * n_trips + i``); each copy's trips have the same level of service, fares
        and offers' budgets as the first.
        """
        if copies <= 1:
            return
        self._trip_service = np.tile(self._trip_service, copies)
        if self._transit_paths is not None:
            self._transit_paths = _select_paths(self._transit_paths, np.tile(np.arange(n_trips), copies))
        offer = self._offer
        if offer:
            rows = offer["rows"]
            offer["rows"] = np.concatenate([rows + k * n_trips for k in range(copies)])
            offer["tour"] = np.concatenate([offer["tour"] + k * offer["n_tours"] for k in range(copies)])
            for key in ("budget_s", "fallback", "tour_fallback", "first_in_tour"):
                offer[key] = np.tile(offer[key], copies)
            offer["fare_paid"] = {name: np.tile(fare, copies) for name, fare in offer["fare_paid"].items()}

    # ------------------------------------------------------------------ dispatch

    def dispatch(self, trips: pd.DataFrame, *, link_times_s: np.ndarray | None = None) -> None:
        """Dispatch the shuttle trips, day by day, and move failed requests to another mode.

        The first dispatch decides which tours give the shuttle up (their first request
        failed: see :meth:`record_choice`); their trips are not requested again and the
        others are dispatched once more without them. A later call (on newer link times)
        dispatches the remaining shuttle trips again, with those tours' choice kept. Buses and
        shuttles are exempt from road tolls and route on time alone.

        Parameters
        ----------
        trips
            The model's trip table (``mode``, ``status``, ``planned_depart_s``, nodes); changed
            in place: ``mode`` of failed requests and switched tours, ``drt_outcome``.
        link_times_s
            ``(n_edges, n_bins)`` link times to plan on; free-flow when ``None``.
        """
        if not self.shuttles:
            return
        offer = self._offer
        rows = offer.get("rows", np.empty(0, np.int64))
        first_call = "switched" not in offer
        kept = np.ones(rows.size, bool) if first_call else ~offer["switched"]
        trips.loc[rows[kept], "mode"] = "drt"
        trips.loc[rows[kept], "drt_outcome"] = ""
        # A fallback walk found unreachable in an earlier dispatch is a shuttle trip again.
        trips.loc[rows[kept & (trips["status"].to_numpy()[rows] == "unreachable")], "status"] = "planned"
        matrices = [drt_module.StopMatrix.from_network(self.network, service.stop_nodes, link_times_s=link_times_s)
                    for service in self.shuttles]  # fmt: skip
        asked = kept & (trips["status"].to_numpy()[rows] == "planned")
        status = self._dispatch_positions(trips, asked, matrices)
        if first_call:
            failed_first = asked & (status != drt_module.SERVED) & offer["first_in_tour"]
            switched = np.isin(offer["tour"], offer["tour"][failed_first])
            offer["switched"] = switched
            # The requests that made a tour give up count among the service's requests.
            offer["gave_up"] = np.where(failed_first & switched, status, -1)
            trips.loc[rows[switched], "mode"] = offer["tour_fallback"][switched]
            trips.loc[rows[switched & ~failed_first], "drt_outcome"] = ""
            if switched.any():
                trips.loc[rows[failed_first], "drt_outcome"] = _outcome_names()[status[failed_first]]
                asked &= ~switched
                status = self._dispatch_positions(trips, asked, matrices)
        failed = asked & (status != drt_module.SERVED)
        trips.loc[rows[failed], "mode"] = offer["fallback"][failed]

    def _dispatch_positions(self, trips: pd.DataFrame, asked: np.ndarray, matrices: list) -> np.ndarray:
        """Dispatch the offers at ``asked`` (positions in the recorded offers), service by service and day by day.

        Returns each offer's request status (``-1`` where not asked); writes ``drt_outcome``.
        """
        offer = self._offer
        rows = offer["rows"]
        status = np.full(rows.size, -1, dtype=np.int64)
        depart = trips["planned_depart_s"].to_numpy(float)
        origin, dest = trips["origin_node"].to_numpy(np.int64), trips["dest_node"].to_numpy(np.int64)
        for k, (service, matrix) in enumerate(zip(self.shuttles, matrices)):
            service.days = []
            mine = asked & (self._trip_service[rows] == k)
            day_of = service.service_day(depart[rows])
            first, last = service.service_day(np.array([self.start_s, self.end_s]))
            for day in range(int(first) - 1, int(last) + 1):
                fleet = service.fleet_on(day, start_s=self.start_s, end_s=self.end_s)
                if fleet is None:
                    continue
                pick = mine & (day_of == day)
                shuttle_day = _ShuttleDay(fleet=fleet, rows=rows[pick])
                service.days.append(shuttle_day)
                if not pick.any():
                    continue  # the fleet stands ready all the same, and costs its hours
                picked = rows[pick]
                shuttle_day.requests = drt_module.DrtRequests(
                    time_s=depart[picked], origin=service.stop_of_node[origin[picked]],
                    dest=service.stop_of_node[dest[picked]], budget_s=offer["budget_s"][pick],
                    wait_weight=self.mode_choice.wait_time_weight,
                )  # fmt: skip
                shuttle_day.result = drt_module.dispatch(shuttle_day.requests, fleet, matrix)
                status[pick] = shuttle_day.result.status
                trips.loc[picked, "drt_outcome"] = _outcome_names()[shuttle_day.result.status]
        return status

    # ------------------------------------------------------------------ driving

    def vehicle_legs(self) -> ServiceLegs:
        """Every bus leg, then every shuttle leg (service by service, day by day), for the traffic engine."""
        parts = []
        if self.timetable is not None:
            tt = self.timetable
            parts.append((tt.depart_s, tt.route_offsets, tt.route_edges, tt.prev_leg))
        for service, day in self._dispatched_days():
            legs = day.result.legs
            found = route(self.network, service.stop_nodes[legs.from_stop], service.stop_nodes[legs.to_stop],
                          mode="car", weight="freeflow_s")  # fmt: skip
            parts.append((legs.depart_s, found.offsets, found.edges, legs.prev_leg))
        depart, offsets, edges, prev, n = [], [np.zeros(1, np.int64)], [], [], 0
        for part_depart, part_offsets, part_edges, part_prev in parts:
            depart.append(np.asarray(part_depart, float))
            offsets.append(np.asarray(part_offsets[1:], np.int64) + offsets[-1][-1])
            edges.append(np.asarray(part_edges, np.int64))
            prev.append(np.where(np.asarray(part_prev) >= 0, np.asarray(part_prev) + n, -1))
            n += part_depart.size
        return ServiceLegs(depart_s=_cat(depart, np.float64), route_offsets=np.concatenate(offsets).astype(np.int64),
                           route_edges=_cat(edges, np.int64), prev_leg=_cat(prev, np.int64))  # fmt: skip

    def _dispatched_days(self):
        """``(service, day)`` of every service day with requests, in the order of :meth:`vehicle_legs`."""
        return [(service, day) for service in self.shuttles for day in service.days if day.result is not None]

    # ------------------------------------------------------------------ riding

    def finish(self, trips: pd.DataFrame, *, leg_depart_s: np.ndarray, leg_arrive_s: np.ndarray) -> None:
        """Ride the day on the legs' actual times; fill the trips' outcomes and the operators' figures.

        Called before the model sets the trips' status from their times: transit riders left
        at a stop with no vehicle before the end of the run are listed in
        :attr:`stranded_rows`.

        Parameters
        ----------
        trips
            The model's trip table, changed in place for transit and shuttle trips still
            ``planned``: ``depart_s``, ``arrival_s`` (NaN unless arrived in the run),
            ``wait_s``, ``in_vehicle_s``, ``walk_s``, ``detour_factor``, ``fare_eur``,
            ``service`` and ``route_length_m``.
        leg_depart_s, leg_arrive_s
            Actual departure and arrival of each leg of :meth:`vehicle_legs` (NaN where it had
            not happened by the end of the run).
        """
        hourly, outcome = [], {"transit": None, "drt": {}}
        n_bus = 0
        if self.timetable is not None:
            n_bus = self.timetable.depart_s.size
            table, outcome["transit"] = self._ride_transit(trips, leg_depart_s[:n_bus], leg_arrive_s[:n_bus])
            hourly.append(table.assign(service=table["name"], service_kind="transit"))
        start = n_bus
        for k, service in enumerate(self.shuttles):
            tables, dailies = [], []
            for day in service.days:
                if day.result is None:
                    dailies.append(_idle_day(service, day.fleet))
                    continue
                n_legs = day.result.legs.depart_s.size
                table, daily = self._ride_shuttles(trips, service, day, leg_arrive_s[start:start + n_legs])
                start += n_legs
                tables.append(table)
                dailies.append(daily)
            name = service.spec.name
            dailies.append(self._given_up(k))
            outcome["drt"][name] = drt_module.combine_daily(dailies) if dailies else None
            if tables:
                hourly.append(pd.concat(tables, ignore_index=True).assign(service=name, service_kind="drt"))
        outcome["maas"] = self._bundle_figures()
        self.outcome = outcome
        self.hourly = pd.concat(hourly, ignore_index=True) if hourly else pd.DataFrame()

    def _ride_transit(self, trips: pd.DataFrame, leg_depart_s: np.ndarray, leg_arrive_s: np.ndarray):
        """The transit riders' day on the buses' actual times; the lines' figures."""
        tt = self.timetable
        mode = trips["mode"].to_numpy().astype(str)
        rows = np.flatnonzero((mode == "transit") & (trips["status"].to_numpy() == "planned"))
        paths = _select_paths(self._transit_paths, rows)
        depart = trips["planned_depart_s"].to_numpy(float)[rows]
        riders = transit_module.simulate_riders(tt, paths, depart, leg_depart_s=leg_depart_s, leg_arrive_s=leg_arrive_s,
                                                end_s=self.end_s)  # fmt: skip
        fare = np.where(riders.boardings > 0, self._fare_paid("transit")[rows], 0.0)
        arrived = (riders.status == transit_module.ARRIVED) & (riders.arrival_s <= self.end_s)
        trips.loc[rows, "depart_s"] = depart
        trips.loc[rows, "arrival_s"] = np.where(arrived, riders.arrival_s, np.nan)
        trips.loc[rows, "wait_s"] = riders.wait_s
        trips.loc[rows, "in_vehicle_s"] = riders.in_vehicle_s
        trips.loc[rows, "walk_s"] = riders.walk_s
        trips.loc[rows, "fare_eur"] = fare
        trips.loc[rows, "service"] = [_line_names(tt, paths, i) for i in range(rows.size)]
        self.stranded_rows = rows[riders.status == transit_module.STRANDED]
        trips.loc[rows[riders.status == transit_module.NO_PATH], "status"] = "unreachable"
        return transit_module.operator_table(tt, riders, paths, fare_eur=fare, depart_s=depart,
                                             leg_depart_s=leg_depart_s, leg_arrive_s=leg_arrive_s)  # fmt: skip

    def _ride_shuttles(self, trips: pd.DataFrame, service: _Shuttles, day: _ShuttleDay, arrive: np.ndarray):
        """One service day's riders on the shuttles' actual times; its figures."""
        result, requests = day.result, day.requests
        served = result.status == drt_module.SERVED
        pickup = np.full(result.status.size, np.nan)
        dropoff = np.full(result.status.size, np.nan)
        pickup[served] = np.maximum(requests.time_s[served], arrive[result.pickup_leg[served]])
        dropoff[served] = arrive[result.dropoff_leg[served]]
        rows = day.rows[served]
        fare = self._fare_paid("drt")[day.rows]
        done = np.isfinite(dropoff[served]) & (dropoff[served] <= self.end_s)
        ride = dropoff[served] - pickup[served]
        trips.loc[rows, "depart_s"] = requests.time_s[served]
        trips.loc[rows, "arrival_s"] = np.where(done, dropoff[served], np.nan)
        trips.loc[rows, "wait_s"] = pickup[served] - requests.time_s[served]
        trips.loc[rows, "in_vehicle_s"] = ride
        trips.loc[rows, "walk_s"] = 0.0
        direct = result.direct_s[served]
        trips.loc[rows, "detour_factor"] = np.divide(ride, direct, out=np.full(ride.size, np.nan), where=direct > 0)
        trips.loc[rows, "fare_eur"] = fare[served]
        trips.loc[rows, "route_length_m"] = result.direct_m[served]
        trips.loc[rows, "service"] = service.spec.name
        table, daily = drt_module.operator_table(
            result, requests, day.fleet, fare_eur=np.where(served, fare, 0.0),
            cost_eur_per_vehicle_hour=service.spec.cost_eur_per_vehicle_hour,
            cost_eur_per_km=service.spec.cost_eur_per_km, pickup_s=pickup, dropoff_s=dropoff,
        )  # fmt: skip
        return table, dict(daily, co2_kg=float(daily["fleet_km"] or 0.0) * service.spec.co2_kg_per_km)

    def _given_up(self, k: int) -> dict[str, Any]:
        """Requests of service ``k`` that failed and made their tour take another mode (first dispatch)."""
        offer = self._offer
        gave_up = offer.get("gave_up", np.empty(0, np.int64))
        mine = gave_up[(gave_up >= 0) & (self._trip_service[offer["rows"]] == k)] if gave_up.size else gave_up
        return {"requests": int(mine.size), "rejected": int((mine == drt_module.REJECTED).sum()),
                "declined": int((mine == drt_module.DECLINED).sum())}  # fmt: skip

    def _fare_paid(self, mode: str) -> np.ndarray:
        """What each trip pays by ``mode`` (its resident's fare), from the choice."""
        return self._offer["fare_paid"][mode]

    def _bundle_figures(self) -> dict[str, Any]:
        bundle = self.spec.subscription
        subscribers = int(self.subscriber.sum()) if self.subscriber is not None else 0
        revenue = subscribers * bundle.price_eur_per_month / bundle.days_per_month if bundle is not None else 0.0
        price = bundle.price_eur_per_month / bundle.days_per_month if bundle is not None else 0.0
        return {"subscribers": subscribers, "subscription_revenue_eur_per_day": round(revenue, 2),
                "price_eur_per_day": price}  # fmt: skip


def _outcome_names() -> np.ndarray:
    """``drt_outcome`` by request status code."""
    return np.array([_DRT_OUTCOMES[code] for code in range(len(_DRT_OUTCOMES))])


def _idle_day(service: _Shuttles, fleet: drt_module.DrtFleet) -> dict[str, Any]:
    """The figures of a service day nobody booked: the fleet stood ready and cost its hours."""
    hours = fleet.n_vehicles * (fleet.service_end_s - fleet.service_start_s) / 3600.0
    cost = hours * service.spec.cost_eur_per_vehicle_hour
    return {"requests": 0, "served": 0, "rejected": 0, "declined": 0, "outside_hours": 0, "served_share": None,
            "mean_wait_s": None, "p95_wait_s": None, "mean_detour": None, "occupancy": None, "empty_km_share": None,
            "passengers_per_vehicle_hour": 0.0, "fleet_km": 0.0, "vehicle_hours": hours, "operating_cost_eur": cost,
            "fare_revenue_eur": 0.0, "subsidy_per_trip_eur": None, "co2_kg": 0.0}  # fmt: skip


def _cat(arrays: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(arrays).astype(dtype) if arrays else np.empty(0, dtype)


def _select_paths(paths, rows: np.ndarray):
    """The transit paths of some trips, in the order of ``rows``."""
    hops = np.diff(paths.offsets)[rows]
    offsets = np.concatenate(([0], np.cumsum(hops))).astype(np.int64)
    flat = np.repeat(paths.offsets[:-1][rows] - offsets[:-1], hops) + np.arange(int(hops.sum()))
    return transit_module.TransitPaths(
        access_walk_s=paths.access_walk_s[rows], egress_walk_s=paths.egress_walk_s[rows], offsets=offsets,
        ride_line=paths.ride_line[flat], ride_board=paths.ride_board[flat], ride_alight=paths.ride_alight[flat],
    )  # fmt: skip


def _line_names(timetable, paths, i: int) -> str:
    lines = paths.ride_line[paths.offsets[i]:paths.offsets[i + 1]]
    return "+".join(timetable.lines[int(j)].name for j in lines)
