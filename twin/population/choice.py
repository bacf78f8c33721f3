"""Mode choice: a multinomial logit between car, bike, walking, transit and shuttles, one mode per tour.

The model is written for any number of alternatives given as columns of arrays. The street
modes (car, bike, walk) come from :func:`travel_times`; transit and demand-responsive shuttles
(``drt``) from the city's mobility services (:class:`twin.mobility.system.MobilitySystem`),
and are unavailable where there are none. The choice always draws its random terms for all
five alternatives (:data:`CHOICE_ALTERNATIVES`), so a scenario with services and its baseline
without them share every random draw (common random numbers).

Model
-----
For trip ``t`` and alternative ``m`` the generalised cost, in EUR, is::

    GC[t, m] = VoT[income] * (in_vehicle_s + walk_weight * walk_s + wait_weight * wait_s)
               + money_eur + fare_eur

``money_eur`` is what the mode costs to use (the car's running cost and parking) and
``fare_eur`` what the trip is charged on its way (road tolls for cars; fares of services).

and a home-based tour's utility is ``V[m] = ASC[m] - scale * sum of GC over the tour's trips``:
a resident keeps one mode for the whole tour (the car or the bike has to come home). Car is
available only to residents with ``car_access``, bike only to those with ``bike_access``, and
no alternative that cannot reach one of the tour's places. The choice is drawn as
``argmax(V + Gumbel noise)``, which gives exactly the logit probabilities
``exp(V_m) / sum_j exp(V_j)`` over the available alternatives.

Level of service (:func:`travel_times`): car time is the free-flow time of the fastest car path
(:func:`twin.maps.routing.route`) plus ``car_access_walk_s`` of walking to and from the parked
car; bike and walking times are the shortest network distance on the bike or walk network over
``bike_speed_mps`` (default 4.2 m/s, 15 km/h) or ``walk_speed_mps`` (default 1.3 m/s). Cycling
time counts as in-vehicle time; walking as a mode counts as walking time. A trip from a node to
the same node takes no time.

Road tolls: an edge column ``toll_eur`` (set by road pricing, see
:mod:`twin.interventions`) charges each passage of the edge by car. Drivers then take the path
of least *generalised* time, ``freeflow_s + toll_eur * 3600 / VoT`` per edge, with one value
of time for everyone, that of the middle income group (:func:`car_route_weight`): a route is
picked by a typical driver, not per person, so that all trips between two nodes share one path
and the model's traffic assignment can use the same weights. The trip's ``in_vehicle_s`` is
then the free-flow time of that path and its ``fare_eur`` the tolls along it.

Default coefficients (:class:`twin.scenario.schema.ModeChoiceSpec`, overridable per scenario)
---------------------------------------------------------------------------------------------
- Values of time 6.5 / 9 / 13 EUR/h for low / middle / high incomes: the middle value is of the
  order of the non-business (commuting and other) values of national appraisal guidance
  (German BVWP 2030 methodology; UK TAG data book, table A1.3.1); the others assume the value
  of time rises less than proportionally with income (an income elasticity of roughly 0.7, in
  the range travel-time valuation studies report, e.g. the meta-analysis of Abrantes & Wardman
  2011). They are round values, not one table's figures: set a city's own per scenario.
- Walking and waiting time weigh twice in-vehicle time, the usual appraisal convention; Wardman
  (2004, Transport Policy 11(4)) reviews the British evidence behind it.
- Car out-of-pocket cost 0.20 EUR/km: fuel (about 6-7 l/100 km at 1.70 EUR/l) plus wear, the
  part of the ADAC car cost tables that varies with distance; depreciation, insurance and tax
  (about half of ADAC's full 0.50-0.60 EUR/km for a compact car) are left out as drivers do not
  perceive them per trip.
- Parking 1 EUR per car arrival away from home: an average over free and paid parking; set it
  per scenario.
- ``scale`` 0.3 per EUR makes one minute of in-vehicle time at 9 EUR/h cost 0.045 utils, of the
  order of the time coefficients of urban mode choice models (a few hundredths per minute).
- Constants per tour (car 0, bike -3.3, walk +1.2) were calibrated on the default population
  of 100,000 in the 30 x 30 grid town of ``benchmarks/bench_population.py`` to a split of car
  55%, walk 28%, bike 17%: MiD 2017's 57% car (driver and passenger), 22% walking, 11% cycling
  and 10% transit for Germany, with transit and the car-passenger trips of children, which
  twin does not model, moved to walking and cycling. Recalibrate them for a real city.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from twin.maps.network import MODES, StreetNetwork
from twin.maps.routing import route
from twin.population.plans import build_plans
from twin.population.residents import synthesize_residents
from twin.scenario.schema import ModeChoiceSpec, PopulationSpec

if TYPE_CHECKING:
    from twin.mobility.system import MobilitySystem

__all__ = [
    "ALTERNATIVES",
    "CHOICE_ALTERNATIVES",
    "SERVICE_ALTERNATIVES",
    "TravelTimes",
    "car_route_weight",
    "choose_modes",
    "choose_tour_modes",
    "edge_tolls",
    "generalised_costs",
    "mode_probabilities",
    "plan_day",
    "tour_index",
    "tour_totals",
    "tour_utilities",
    "travel_times",
]

ALTERNATIVES: tuple[str, ...] = tuple(MODES)
"""The alternatives of :func:`travel_times` (the street modes), in column order."""

SERVICE_ALTERNATIVES: tuple[str, ...] = ("transit", "drt")
"""The alternatives the mobility services offer, in column order."""

CHOICE_ALTERNATIVES: tuple[str, ...] = ALTERNATIVES + SERVICE_ALTERNATIVES
"""Every alternative of the mode choice, in column order."""

_CHUNK_PAIRS = 200_000
"""Origin-destination pairs routed at once, to bound the memory the paths take."""


@dataclass(frozen=True, slots=True)
class TravelTimes:
    """Level of service of every alternative for every trip, as ``(n_trips, n_alt)`` arrays.

    Attributes
    ----------
    alternatives
        Names of the columns, e.g. ``("car", "bike", "walk")``.
    in_vehicle_s, walk_s, wait_s
        ``float64`` time in a vehicle (or on a bike), walking, and waiting, in seconds;
        ``inf`` where the alternative cannot make the trip.
    distance_m
        ``float64`` distance travelled in the vehicle (or walked), in metres.
    fare_eur
        ``float64`` money the trip is charged on its way, in EUR: road tolls for cars (later
        also the fares of transit and shared services); 0 where the alternative cannot make
        the trip.
    """

    alternatives: tuple[str, ...]
    in_vehicle_s: np.ndarray
    walk_s: np.ndarray
    wait_s: np.ndarray
    distance_m: np.ndarray
    fare_eur: np.ndarray

    @property
    def reachable(self) -> np.ndarray:
        """``bool`` ``(n_trips, n_alt)``: whether the alternative can make the trip."""
        return np.isfinite(self.in_vehicle_s + self.walk_s + self.wait_s)

    def join(self, other: TravelTimes) -> TravelTimes:
        """These columns followed by ``other``'s, for the same trips."""
        if other.in_vehicle_s.shape[0] != self.in_vehicle_s.shape[0]:
            raise ValueError(f"cannot join level of service of {other.in_vehicle_s.shape[0]} trips to "
                             f"{self.in_vehicle_s.shape[0]}")  # fmt: skip
        if set(self.alternatives) & set(other.alternatives):
            raise ValueError(f"both hold {sorted(set(self.alternatives) & set(other.alternatives))}")
        return TravelTimes(
            self.alternatives + other.alternatives,
            *(np.hstack([getattr(self, name), getattr(other, name)])
              for name in ("in_vehicle_s", "walk_s", "wait_s", "distance_m", "fare_eur")),
        )  # fmt: skip

    @classmethod
    def unavailable(cls, n_trips: int, alternatives: tuple[str, ...] = SERVICE_ALTERNATIVES) -> TravelTimes:
        """Alternatives that cannot make any of ``n_trips`` trips (a city without the service)."""
        shape = (n_trips, len(alternatives))
        return cls(alternatives, np.full(shape, np.inf), np.zeros(shape), np.zeros(shape), np.zeros(shape),
                   np.zeros(shape))  # fmt: skip


def edge_tolls(network: StreetNetwork) -> np.ndarray | None:
    """Each edge's toll, in EUR per passage by car, or ``None`` when no edge charges one.

    Read from the optional ``toll_eur`` column of ``network.edges``.

    Raises
    ------
    ValueError
        If a toll is negative, NaN or infinite, naming the first such edge.
    """
    if "toll_eur" not in network.edges.columns:
        return None
    toll = pd.to_numeric(network.edges["toll_eur"], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~(np.isfinite(toll) & (toll >= 0))
    if bad.any():
        edge = int(np.argmax(bad))
        raise ValueError(f"edge {edge} has toll_eur {network.edges['toll_eur'].iloc[edge]}; "
                         "a toll must be a finite number of EUR, 0 or more")  # fmt: skip
    return toll if toll.any() else None


def car_route_weight(network: StreetNetwork, *, value_of_time_eur_per_h: float) -> str | np.ndarray:
    """The edge weight cars route on: free-flow seconds, plus each toll turned into seconds.

    Parameters
    ----------
    network
        The street network, with an optional ``toll_eur`` edge column.
    value_of_time_eur_per_h
        The value of time that converts a toll into seconds (``toll * 3600 / VoT``); twin
        uses the middle income group's.

    Returns
    -------
    str or numpy.ndarray
        ``"freeflow_s"`` when no edge charges a toll (the plain and fastest case), otherwise
        ``freeflow_s + toll_eur * 3600 / value_of_time_eur_per_h`` per edge.
    """
    tolls = edge_tolls(network)
    if tolls is None:
        return "freeflow_s"
    if not (np.isfinite(value_of_time_eur_per_h) and value_of_time_eur_per_h > 0):
        raise ValueError(f"a value of time of {value_of_time_eur_per_h!r} EUR/h cannot turn tolls into "
                         "seconds; give a positive one")  # fmt: skip
    return network.edges["freeflow_s"].to_numpy(dtype=np.float64) + tolls * (3600.0 / value_of_time_eur_per_h)


def travel_times(
    network: StreetNetwork,
    origins,
    destinations,
    *,
    walk_speed_mps: float = 1.3,
    bike_speed_mps: float = 4.2,
    car_access_walk_s: float = 0.0,
    route_value_of_time_eur_per_h: float | None = None,
) -> TravelTimes:
    """Free-flow travel times of each trip by car, bike and on foot, and the tolls it pays.

    Parameters
    ----------
    network
        The street network.
    origins, destinations
        Node positions, one pair per trip.
    walk_speed_mps, bike_speed_mps
        Walking and cycling speeds, in metres per second (from the scenario).
    car_access_walk_s
        Walking time added to every car trip between the door and the parked car.
    route_value_of_time_eur_per_h
        Value of time with which cars weigh tolls against time when picking a path (see
        :func:`car_route_weight`); by default the middle income group's default value of
        time. Unused on a network without tolls.

    Returns
    -------
    TravelTimes
        Columns :data:`ALTERNATIVES`. Car: ``in_vehicle_s`` is the free-flow time of the
        fastest car path (with tolls: of the path of least generalised time), ``distance_m``
        its length and ``fare_eur`` the tolls along it; bike: shortest bike-network distance
        over ``bike_speed_mps`` as in-vehicle time; walk: shortest walk-network distance over
        ``walk_speed_mps`` as walking time. Trips from a node to itself cost nothing.
    """
    for name, speed in (("walk_speed_mps", walk_speed_mps), ("bike_speed_mps", bike_speed_mps)):
        if not (np.isfinite(speed) and speed > 0):
            raise ValueError(f"`{name}` must be a positive number of metres per second, not {speed!r}")
    if route_value_of_time_eur_per_h is None:
        route_value_of_time_eur_per_h = ModeChoiceSpec().value_of_time_eur_per_h["middle"]
    origins = np.asarray(origins, dtype=np.int64)
    destinations = np.asarray(destinations, dtype=np.int64)
    n = origins.size
    keys = origins * network.n_nodes + destinations
    moving = origins != destinations
    unique, inverse = np.unique(keys[moving], return_inverse=True)
    uo, ud = np.divmod(unique, network.n_nodes)

    edge_m = network.edges["length_m"].to_numpy(dtype=np.float64)
    weight = car_route_weight(network, value_of_time_eur_per_h=route_value_of_time_eur_per_h)
    if isinstance(weight, str):
        car_s, (car_m,) = _network_costs(network, uo, ud, "car", weight, sums=(edge_m,))
        car_fare = None
    else:
        freeflow = network.edges["freeflow_s"].to_numpy(dtype=np.float64)
        _, (car_s, car_m, car_fare) = _network_costs(network, uo, ud, "car", weight,
                                                     sums=(freeflow, edge_m, edge_tolls(network)))  # fmt: skip
    bike_m, _ = _network_costs(network, uo, ud, "bike", "length_m")
    same = np.array_equal(network.edges["allows_bike"].to_numpy(), network.edges["allows_walk"].to_numpy())
    walk_m = bike_m if same else _network_costs(network, uo, ud, "walk", "length_m")[0]

    shape = (n, len(ALTERNATIVES))
    in_vehicle, walk, distance, fare = np.zeros(shape), np.zeros(shape), np.zeros(shape), np.zeros(shape)
    rows = np.flatnonzero(moving)
    car, bike, on_foot = (ALTERNATIVES.index(name) for name in ("car", "bike", "walk"))
    in_vehicle[rows, car] = car_s[inverse]
    walk[rows, car] = car_access_walk_s
    distance[rows, car] = car_m[inverse]
    if car_fare is not None:
        fare[rows, car] = np.where(np.isfinite(car_fare), car_fare, 0.0)[inverse]
    in_vehicle[rows, bike] = bike_m[inverse] / bike_speed_mps
    distance[rows, bike] = bike_m[inverse]
    walk[rows, on_foot] = walk_m[inverse] / walk_speed_mps
    distance[rows, on_foot] = walk_m[inverse]
    return TravelTimes(ALTERNATIVES, in_vehicle, walk, np.zeros(shape), distance, fare)


def _network_costs(network, uo, ud, mode, weight, *, sums=()) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """Path cost of each pair, and the sums of per-edge ``sums`` arrays along each path
    (``inf`` where unreachable), routed in bounded chunks."""
    cost = np.empty(uo.size)
    totals = tuple(np.empty(uo.size) for _ in sums)
    for start in range(0, uo.size, _CHUNK_PAIRS):
        stop = start + _CHUNK_PAIRS
        found = route(network, uo[start:stop], ud[start:stop], mode=mode, weight=weight)
        cost[start:stop] = found.cost
        for values, total in zip(sums, totals):
            reduced = np.add.reduceat(np.r_[values[found.edges], 0.0], found.offsets[:-1])
            total[start:stop] = np.where(found.hops > 0, reduced, 0.0)
            total[start:stop][~found.reachable] = np.inf
    return cost, totals


def generalised_costs(
    times: TravelTimes,
    *,
    value_of_time_eur_per_h: np.ndarray,
    money_eur: np.ndarray,
    walk_time_weight: float = 2.0,
    wait_time_weight: float = 2.0,
) -> np.ndarray:
    """Generalised cost of each trip by each alternative, in EUR.

    Parameters
    ----------
    times
        Level of service, ``(n_trips, n_alt)``.
    value_of_time_eur_per_h
        Each trip's traveller's value of in-vehicle time, shape ``(n_trips,)``.
    money_eur
        Out-of-pocket cost of each trip by each alternative, ``(n_trips, n_alt)``, fares and
        tolls included.
    walk_time_weight, wait_time_weight
        How many in-vehicle seconds one second of walking or waiting is worth.

    Returns
    -------
    numpy.ndarray
        ``VoT * (in_vehicle + walk_weight * walk + wait_weight * wait) + money``; ``inf``
        where the alternative cannot make the trip.
    """
    vot = np.asarray(value_of_time_eur_per_h, dtype=np.float64)[:, None] / 3600.0
    seconds = times.in_vehicle_s + walk_time_weight * times.walk_s + wait_time_weight * times.wait_s
    return vot * seconds + money_eur


def tour_index(person_id: np.ndarray, tour_id: np.ndarray) -> tuple[np.ndarray, int]:
    """Number the tours of a trip table ``0 .. n_tours - 1``.

    The trips must be grouped by person and tour (as :func:`build_plans` returns them).

    Returns
    -------
    tour, n_tours
        The tour of each trip, and the number of tours.
    """
    person_id, tour_id = np.asarray(person_id), np.asarray(tour_id)
    new = np.ones(person_id.size, dtype=bool)
    new[1:] = (person_id[1:] != person_id[:-1]) | (tour_id[1:] != tour_id[:-1])
    tour = np.cumsum(new) - 1
    return tour, int(new.sum())


def tour_totals(values: np.ndarray, tour: np.ndarray, n_tours: int) -> np.ndarray:
    """Sum ``(n_trips, n_alt)`` values over each tour's trips: ``(n_tours, n_alt)``."""
    return np.stack(
        [np.bincount(tour, weights=values[:, j], minlength=n_tours) for j in range(values.shape[1])],
        axis=1,
    )


def mode_probabilities(utilities: np.ndarray, available: np.ndarray | None = None) -> np.ndarray:
    """Logit choice probabilities ``exp(V_i) / sum_j exp(V_j)`` over the available alternatives.

    Parameters
    ----------
    utilities
        ``(n, n_alt)`` systematic utilities.
    available
        ``(n, n_alt)`` bool; all available if None.

    Returns
    -------
    numpy.ndarray
        ``(n, n_alt)`` probabilities, 0 for unavailable alternatives; a row with no available
        alternative is all 0.
    """
    v = _masked(utilities, available)
    top = v.max(axis=1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    e = np.exp(v - top)
    total = e.sum(axis=1, keepdims=True)
    return np.divide(e, total, out=np.zeros_like(e), where=total > 0)


def choose_modes(
    utilities: np.ndarray,
    available: np.ndarray | None = None,
    *,
    rng: np.random.Generator | None = None,
    noise: np.ndarray | None = None,
) -> np.ndarray:
    """Draw one alternative per row from the multinomial logit.

    Parameters
    ----------
    utilities
        ``(n, n_alt)`` systematic utilities (e.g. per tour).
    available
        ``(n, n_alt)`` bool; all available if None.
    rng
        The random generator: one standard Gumbel draw per row and alternative.
    noise
        Those draws, if already made (to choose again after a change with the same draws);
        give ``rng`` or ``noise``.

    Returns
    -------
    numpy.ndarray
        ``int64`` column of the chosen alternative per row, or -1 where none is available.
        Chosen with the probabilities of :func:`mode_probabilities`.
    """
    v = _masked(utilities, available)
    if noise is None:
        if rng is None:
            raise ValueError("give `rng` or `noise`")
        noise = rng.gumbel(size=v.shape)
    elif noise.shape != v.shape:
        raise ValueError(f"`noise` has shape {noise.shape}, `utilities` {v.shape}")
    choice = np.argmax(v + noise, axis=1)
    return np.where(np.isfinite(v).any(axis=1), choice, -1)


def _masked(utilities: np.ndarray, available: np.ndarray | None) -> np.ndarray:
    v = np.asarray(utilities, dtype=np.float64)
    if v.ndim != 2:
        raise ValueError(f"`utilities` must be 2-D (choices x alternatives), not shape {v.shape}")
    if available is None:
        return v
    available = np.asarray(available, dtype=bool)
    if available.shape != v.shape:
        raise ValueError(f"`available` has shape {available.shape}, `utilities` {v.shape}")
    return np.where(available, v, -np.inf)


def tour_utilities(
    trips: pd.DataFrame,
    residents: pd.DataFrame,
    times: TravelTimes,
    params: ModeChoiceSpec,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Systematic utility of each alternative for each home-based tour.

    ``V[tour, m] = ASC[m] - scale * sum of GC[t, m]`` over the tour's trips, with ``GC`` the
    generalised cost (see the module documentation) whose money part is the car's running
    cost and parking plus ``times.fare_eur``.

    Parameters
    ----------
    trips, residents, times, params
        As for :func:`choose_tour_modes`.

    Returns
    -------
    utilities, available, tour
        ``(n_tours, n_alt)`` utilities and whether each alternative is available (it reaches
        every place of the tour and the resident has the car or bike it needs), and the tour
        of each trip (:func:`tour_index`).
    """
    alts = times.alternatives
    person = trips["person_id"].to_numpy(np.int64)
    income = pd.Categorical(residents["income"], categories=list(params.value_of_time_eur_per_h))
    vot_by_group = np.array(list(params.value_of_time_eur_per_h.values()), dtype=np.float64)
    vot = vot_by_group[np.asarray(income.codes, dtype=np.int64)[person]]

    money = np.zeros_like(times.distance_m)
    if "car" in alts:
        j = alts.index("car")
        away = (trips["purpose"] != "home").to_numpy(bool)
        money[:, j] = params.car_cost_eur_per_km * times.distance_m[:, j] / 1000.0
        money[:, j] += params.parking_eur * away
    money += times.fare_eur
    cost = generalised_costs(
        times, value_of_time_eur_per_h=vot, money_eur=money,
        walk_time_weight=params.walk_time_weight, wait_time_weight=params.wait_time_weight,
    )  # fmt: skip
    del money

    tour, n_tours = tour_index(person, trips["tour_id"].to_numpy())
    tour_cost = tour_totals(np.where(np.isfinite(cost), cost, 0.0), tour, n_tours)
    reachable = tour_totals((~times.reachable).astype(np.float64), tour, n_tours) == 0
    del cost

    tour_person = np.zeros(n_tours, dtype=np.int64)
    tour_person[tour] = person
    available = reachable
    for name, column in (("car", "car_access"), ("bike", "bike_access")):
        if name in alts:
            available[:, alts.index(name)] &= residents[column].to_numpy(bool)[tour_person]
    asc = np.array([params.asc_utils.get(name, 0.0) for name in alts])
    return asc - params.scale_per_eur * tour_cost, available, tour


def choose_tour_modes(
    trips: pd.DataFrame,
    residents: pd.DataFrame,
    times: TravelTimes,
    params: ModeChoiceSpec,
    *,
    rng: np.random.Generator,
) -> pd.Categorical:
    """Choose one mode per home-based tour and return it for every trip.

    Parameters
    ----------
    trips
        Trip table of :func:`twin.population.plans.build_plans`.
    residents
        Residents table (``income``, ``car_access``, ``bike_access`` by ``person_id``).
    times
        Level of service of the trips, e.g. from :func:`travel_times` with
        ``car_access_walk_s=params.car_access_walk_s``; its ``fare_eur`` adds to each
        alternative's money cost.
    params
        Coefficients: values of time, time weights, money costs, scale and constants.
    rng
        The random generator.

    Returns
    -------
    pandas.Categorical
        The chosen mode of each trip, categories ``times.alternatives``, drawn with the
        probabilities ``mode_probabilities(*tour_utilities(...)[:2])``.
    """
    utilities, available, tour = tour_utilities(trips, residents, times, params)
    chosen = choose_modes(utilities, available, rng=rng)
    if (chosen < 0).any():
        raise ValueError("a tour has no mode that can reach all of its places; check the network")
    return pd.Categorical.from_codes(chosen[tour], times.alternatives)


def plan_day(
    network: StreetNetwork,
    spec: PopulationSpec,
    *,
    rng: np.random.Generator,
    walk_speed_mps: float = 1.3,
    bike_speed_mps: float = 4.2,
    choice_network: StreetNetwork | None = None,
    services: MobilitySystem | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Synthesize residents, draw their day's plans and choose their modes.

    Parameters
    ----------
    network
        The street network the residents live on: homes, workplaces and the places of the
        plans are drawn on it.
    spec
        The scenario's population section.
    rng
        The random generator; the same seed gives the same residents, trips and modes.
    walk_speed_mps, bike_speed_mps
        Walking and cycling speeds (from the scenario).
    choice_network
        The network whose travel times (and tolls) the modes are chosen on, when it is not
        ``network``: the city as interventions changed it. It must have the same nodes.
        Residents, plans and the random draws of the choice stay those of ``network``, so a
        variant differs from its baseline only in the modes (common random numbers).
    services
        The city's mobility services, which add transit and shuttles as alternatives (their
        level of service, fares and who may book them); without, those two are unavailable.
        When a MaaS bundle is sold on expected savings, residents first choose at
        pay-per-trip fares, those whose month of covered fares would exceed the price
        subscribe, and everyone chooses again with the same random draws.

    Returns
    -------
    residents, trips
        The table of :func:`~twin.population.residents.synthesize_residents`, and the trips of
        :func:`~twin.population.plans.build_plans` with a ``mode`` column (categorical of
        :data:`CHOICE_ALTERNATIVES`), one mode per tour.
    """
    if choice_network is None:
        choice_network = network
    elif choice_network.n_nodes != network.n_nodes:
        raise ValueError(f"`choice_network` has {choice_network.n_nodes} nodes, `network` {network.n_nodes}; "
                         "interventions may change edges, not nodes")  # fmt: skip
    residents = synthesize_residents(network, spec, rng=rng)
    trips = build_plans(residents, network, spec, rng=rng)
    params = spec.mode_choice
    times = travel_times(
        choice_network, trips["origin_node"].to_numpy(), trips["dest_node"].to_numpy(),
        walk_speed_mps=walk_speed_mps, bike_speed_mps=bike_speed_mps,
        car_access_walk_s=params.car_access_walk_s,
        route_value_of_time_eur_per_h=params.value_of_time_eur_per_h["middle"],
    )  # fmt: skip
    if services is None:
        times = times.join(TravelTimes.unavailable(len(trips)))
    else:
        times = times.join(services.level_of_service(trips, residents, times))
    utilities, available, tour = tour_utilities(trips, residents, times, params)
    noise = rng.gumbel(size=utilities.shape)
    chosen = choose_modes(utilities, available, noise=noise)
    if services is not None and services.chooses_twice:
        first = np.asarray(CHOICE_ALTERNATIVES)[np.maximum(chosen, 0)[tour]]
        times = services.after_first_choice(trips, residents, times, first)
        utilities, available, tour = tour_utilities(trips, residents, times, params)
        chosen = choose_modes(utilities, available, noise=noise)
    if (chosen < 0).any():
        raise ValueError("a tour has no mode that can reach all of its places; check the network")
    trips["mode"] = pd.Categorical.from_codes(chosen[tour], times.alternatives)
    if services is not None:
        services.record_choice(trips, residents, times, utilities=utilities, available=available, noise=noise,
                               tour=tour)  # fmt: skip
    return residents, trips
