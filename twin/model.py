"""CityModel: one simulated day of a city, as a Mesa model.

The model wires the stages of a run together:

1. the street network (from the scenario's map);
2. demand: a synthetic population with daily plans and chosen modes, or a given trip table;
3. routes: cars on free-flow times, walkers and cyclists on the shortest distance;
4. the engines: :class:`~twin.engine.traffic.TrafficEngine` (mesoscopic queues) advanced
   step by step, :class:`~twin.engine.active.ActiveTravel` (walking and cycling), and
   :class:`~twin.engine.lighting.LightingEngine` (controllers and energy);
5. a Mesa ``DataCollector`` that records the city's state at every step.

With ``traffic.iterations: k > 1`` the traffic day is first run ``k - 1`` times without
recording; after each, a random ``reroute_share`` of the car trips take the best route on the
travel times just experienced (hour by hour), and the relative gap is estimated on that
sample. The last iteration is the recorded day.

Lights do not change how people travel in this model, so the lighting engine is evaluated
once the day's passages are known; it integrates each lamp's power exactly over time and its
columns in the time series are sampled at the same step times as the rest.

Interventions (the scenario's ``interventions``, see :mod:`twin.interventions`) are built by
the registry and applied in order to a :class:`~twin.interventions.base.City` before anything
else: they may replace the street network with a changed copy (closed car edges, new lamp
powers, a ``toll_eur`` edge column) and add lighting zones. The engines then run on the
changed city:

- residents, their homes, jobs and plans are drawn on the network *as it was*
  (:attr:`CityModel.base_network`), and modes chosen on the changed one, so a variant and its
  baseline share every random draw and differ only in what the interventions change;
- cars route on free-flow time plus tolls turned into seconds at the middle income group's
  value of time (:func:`twin.population.choice.car_route_weight`; 9 EUR/h by default and for
  a given trip table), and re-route on experienced times plus the same toll seconds; the trip
  table's ``toll_eur`` is what each car trip paid for the edges it entered during the run;
- each street's lights follow its lighting zone's controller and parameters
  (:class:`~twin.engine.controllers.ZonedController`);
- interventions that override ``on_step`` are called after every step of the recorded day
  (not during the learning iterations), once the step's traffic is advanced and recorded.
  A hook may read the model and keep its own records; the engines do not re-read
  ``city.network`` or the lighting zones during the day.

Random numbers come from one :class:`numpy.random.SeedSequence` of the scenario's seed,
split into independent streams for the population, re-routing and the sensors, so changing
the lighting leaves the population and its trips untouched (common random numbers).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Callable, Mapping

import mesa
import numpy as np
import pandas as pd

from twin._errors import ScenarioError
from twin.agents import Resident, ServiceVehicle, Streetlight, Vehicle
from twin.engine.active import ActiveTravel
from twin.engine.traffic import TrafficEngine
from twin.engine.traversals import MODE_CODES, Traversals
from twin.interventions.base import Intervention
from twin.maps.network import StreetNetwork
from twin.maps.routing import route
from twin.maps.spec import network_from_spec
from twin.population.choice import car_route_weight, edge_tolls
from twin.provenance import resolved_scenario
from twin.scenario import Scenario
from twin.scenario.schema import ModeChoiceSpec

if TYPE_CHECKING:
    from twin.engine.controllers import Controller

__all__ = ["CityModel"]

_STREAMS = ("population", "rerouting", "lighting", "model", "services")


class CityModel(mesa.Model):
    """A city's day: residents, their vehicles and the streetlights on a street network.

    Parameters
    ----------
    scenario
        The validated scenario (see :func:`twin.load_scenario`).
    network
        The street network, if already loaded; by default the scenario's map is loaded.
    trips
        A trip table to simulate as given instead of the scenario's population or demand
        file: columns ``trip_id, origin_node, dest_node, depart_s, mode`` with nodes as
        positions (rows of ``network.nodes``); ``person_id``, ``tour_id``, ``seq`` and
        ``purpose`` are optional.
    resident_class, vehicle_class, streetlight_class
        Agent classes to create, e.g. a researcher's subclasses.
    controller
        A lighting controller object replacing the scenario's ``lighting.controller``
        (see :mod:`twin.engine.controllers`); lighting zones keep their own.
    intervention_types
        Intervention classes by ``type`` name, besides the built-ins and the plugins of the
        ``twin.interventions`` entry-point group (see :mod:`twin.interventions.registry`).

    Attributes
    ----------
    spec
        The resolved scenario (Mesa's own ``scenario`` attribute is Mesa's experimental
        scenario object, so twin's lives here).
    base_network
        The street network as loaded, before interventions: residents live on it.
    network
        The street network the run uses, as the interventions changed it.
    city
        The :class:`~twin.interventions.base.City` the interventions changed (its
        ``lighting_zones`` included).
    interventions
        The intervention objects, in the scenario's order.
    intervention_outcomes
        What each intervention changed and its cost, in the same order.
    residents
        The synthetic population, one row per person (empty for a trip table).
    trips
        The trip table, one row per trip, with outcomes once the day has run.
    traffic, active, lighting
        The engines.
    """

    def __init__(self, scenario: Scenario, *, network: StreetNetwork | None = None, trips: pd.DataFrame | None = None,
                 resident_class: type[Resident] = Resident, vehicle_class: type[Vehicle] = Vehicle,
                 streetlight_class: type[Streetlight] = Streetlight, controller: Controller | None = None,
                 intervention_types: Mapping[str, type[Intervention]] | None = None) -> None:  # fmt: skip
        seeds = dict(zip(_STREAMS, np.random.SeedSequence(scenario.seed).spawn(len(_STREAMS))))
        super().__init__(rng=np.random.default_rng(seeds["model"]))
        self._rngs = {name: np.random.default_rng(seed) for name, seed in seeds.items()}
        started = time.perf_counter()
        self.timings: dict[str, float] = {}
        if network is None:
            network = network_from_spec(scenario.map, vehicle_spacing_m=scenario.traffic.vehicle_spacing_m)
        self.base_network = network
        self.spec = resolved_scenario(scenario, network)
        applying = time.perf_counter()
        self._apply_interventions(intervention_types)
        self.timings["interventions_s"] = time.perf_counter() - applying
        self.start_s = float(scenario.start_s)
        self.end_s = float(scenario.start_s + scenario.duration_s)
        self.time_s = self.start_s
        self._steps_done = 0
        self._finished = False

        self.residents, table = self._demand(trips)
        if len(self.residents):
            subscriber = self.mobility.subscriber if self.mobility is not None else None
            self.residents["maas_subscriber"] = subscriber if subscriber is not None else False
        # Loading the map counts as demand (as it always has); applying interventions does not.
        self.timings["demand_s"] = time.perf_counter() - started - self.timings["interventions_s"]
        self.trips = self._prepare_trips(table)
        started = time.perf_counter()
        self._route_all()
        self.timings["routing_s"] = time.perf_counter() - started

        self.lighting_result = None
        self.relative_gaps: list[float] = []
        self._make_agents(resident_class, vehicle_class, streetlight_class)
        self._controller = controller
        self.datacollector = mesa.DataCollector(model_reporters=self._reporters())
        self._last_metres = 0.0
        self._last_vehicle_seconds = 0.0

    # ------------------------------------------------------------------ building

    def _apply_interventions(self, types: Mapping[str, type[Intervention]] | None) -> None:
        """Build the scenario's interventions and let each change the city, in order."""
        from twin.interventions.registry import apply_interventions

        spec = self.spec
        self.city, self.interventions, self.intervention_outcomes = apply_interventions(spec, self.base_network,
                                                                                        types=types)  # fmt: skip
        self.network = self.city.network
        # Only hooks a class really has are called each step: the default costs nothing.
        self._step_hooks = [i for i in self.interventions if type(i).on_step is not Intervention.on_step]
        self._tolls = edge_tolls(self.network)
        self._route_vot = _route_value_of_time(spec)
        if self._tolls is not None and not self._route_vot > 0:
            raise ScenarioError(f"{spec.name}: population.mode_choice.value_of_time_eur_per_h: middle is 0, so tolls "
                                "cannot be weighed against time; give it a positive value")  # fmt: skip
        self._car_weight = car_route_weight(self.network, value_of_time_eur_per_h=self._route_vot)
        self.mobility = self._mobility_system()

    def _mobility_system(self):
        """The city's transit lines and shuttles, or ``None`` when it has none."""
        if self.city.services.has_transit or self.city.services.has_drt:
            from twin.mobility.system import MobilitySystem

            spec = self.spec
            choice = spec.population.mode_choice if spec.population is not None else ModeChoiceSpec()
            return MobilitySystem(self.city.services, self.network, where=spec.name, start_s=spec.start_s,
                                  end_s=spec.start_s + spec.duration_s, mode_choice=choice,
                                  walk_speed_mps=spec.traffic.walk_speed_mps, rng=self._rngs["services"])  # fmt: skip
        return None

    def _demand(self, trips: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
        spec = self.spec
        if self.mobility is not None and (trips is not None or spec.demand is not None):
            raise ScenarioError(f"{spec.name}: services: transit lines and shuttles need a synthetic population "
                                "(population:), whose mode choice sends riders to them; a trip table's modes are fixed")  # fmt: skip
        if trips is not None:
            return pd.DataFrame(), trips
        if spec.demand is not None:
            from twin.population.demand import read_trip_table

            return pd.DataFrame(), read_trip_table(spec.demand.trips, self.base_network)
        from twin.population.choice import plan_day

        # Places and plans on the network as loaded, modes on the changed one: the same seed
        # gives the same people and plans with and without interventions.
        residents, plans = plan_day(self.base_network, spec.population, rng=self._rngs["population"],
                                    walk_speed_mps=spec.traffic.walk_speed_mps,
                                    bike_speed_mps=spec.traffic.bike_speed_mps,
                                    choice_network=self.network if self.network is not self.base_network else None,
                                    services=self.mobility)  # fmt: skip
        repeated = _repeat_days(plans, start_s=self.start_s, end_s=self.end_s)
        if self.mobility is not None:
            self.mobility.repeat_days(len(plans), len(repeated) // max(len(plans), 1))
        return residents, repeated

    def _prepare_trips(self, table: pd.DataFrame) -> pd.DataFrame:
        """The trip table in engine order, with the columns every stage relies on."""
        # Transit and shuttle trips come only from the mode choice, which has their paths.
        _check_trip_table(table, self.network, modes=tuple(MODE_CODES) + (("transit", "drt") if len(self.residents) else ()))
        trips = table.reset_index(drop=True).copy()
        n = len(trips)
        for column, default in (("person_id", -1), ("tour_id", -1), ("seq", 0), ("purpose", "given")):
            if column not in trips:
                trips[column] = default
        trips["mode"] = trips["mode"].astype(str)
        trips["planned_depart_s"] = trips["depart_s"].astype(float)
        inside = (trips["planned_depart_s"] >= self.start_s) & (trips["planned_depart_s"] < self.end_s)
        trips["status"] = np.where(inside, "planned", "outside_run")
        # A person cannot be in two places: each trip waits for the person's previous trip when
        # both use the same engine (trips of other modes are not waited for).
        person = trips["person_id"].to_numpy()
        order = np.lexsort((np.arange(n), trips["planned_depart_s"].to_numpy(), trips["seq"].to_numpy(),
                            trips["tour_id"].to_numpy(), person))  # fmt: skip
        prev = np.full(n, -1, dtype=np.int64)
        if n > 1:
            person, mode = person[order], trips["mode"].to_numpy()[order]
            same = (person[1:] == person[:-1]) & (mode[1:] == mode[:-1]) & (person[1:] >= 0)
            prev[order[1:][same]] = order[:-1][same]
        trips["prev_trip"] = prev
        for column in ("depart_s", "arrival_s", "duration_s", "route_length_m"):
            trips[column] = np.nan
        trips["wait_s"] = 0.0
        trips["toll_eur"] = 0.0
        for column in ("in_vehicle_s", "walk_s", "detour_factor"):
            trips[column] = np.nan
        trips["fare_eur"] = 0.0
        trips["service"] = ""
        trips["drt_outcome"] = ""
        return trips

    def _route_all(self) -> None:
        """Dispatch the shuttles, route every trip on its mode's network and build the engines."""
        if self.mobility is not None:
            self.mobility.dispatch(self.trips)
        trips, network = self.trips, self.network
        mode = trips["mode"].to_numpy()
        active_rows = trips["status"].to_numpy() == "planned"
        self._car_rows = np.flatnonzero(active_rows & (mode == "car"))
        origin = trips["origin_node"].to_numpy(np.int64)
        dest = trips["dest_node"].to_numpy(np.int64)

        car_routes = route(network, origin[self._car_rows], dest[self._car_rows], mode="car", weight=self._car_weight)
        trips.loc[self._car_rows[~car_routes.reachable], "status"] = "unreachable"
        self._build_active()

        keep = car_routes.reachable
        self._car_rows = self._car_rows[keep]
        self._car_offsets, self._car_edges = _join_routes([_keep(car_routes, keep)])
        del car_routes
        self.traffic = self._new_traffic_engine()

    def _build_active(self) -> None:
        """Route the walking and cycling trips and build their engine (again after a re-dispatch)."""
        trips, network = self.trips, self.network
        mode = trips["mode"].to_numpy()
        status = trips["status"].to_numpy()
        self._slow_rows = np.flatnonzero(((status == "planned") | (status == "unreachable")) & np.isin(mode, ("bike", "walk")))
        trips.loc[self._slow_rows, "status"] = "planned"
        origin = trips["origin_node"].to_numpy(np.int64)
        dest = trips["dest_node"].to_numpy(np.int64)
        slow_parts = []
        for name in ("bike", "walk"):
            rows = self._slow_rows[mode[self._slow_rows] == name]
            slow_parts.append((rows, route(network, origin[rows], dest[rows], mode=name, weight="length_m")))
        trips.loc[np.concatenate([rows[~r.reachable] for rows, r in slow_parts]), "status"] = "unreachable"

        # Walking and cycling are fixed by the plans: compute them all now.
        rows = np.concatenate([rows[r.reachable] for rows, r in slow_parts])
        offsets, edges = _join_routes([_keep(r, r.reachable) for _, r in slow_parts])
        speeds = np.where(mode[rows] == "walk", self.spec.traffic.walk_speed_mps, self.spec.traffic.bike_speed_mps)
        self.active = ActiveTravel(
            length_m=network.edges["length_m"].to_numpy(float), depart_s=trips["planned_depart_s"].to_numpy()[rows],
            speed_mps=speeds, route_offsets=offsets, route_edges=edges,
            mode=np.array([MODE_CODES[m] for m in ("walk", "bike")], np.int8)[(mode[rows] == "bike").astype(int)],
            prev_trip=_local(trips["prev_trip"].to_numpy()[rows], rows, len(trips)), trip_rows=rows,
        )  # fmt: skip
        trips.loc[rows, "depart_s"] = self.active.depart_s
        trips.loc[rows, "arrival_s"] = self.active.arrival_s
        trips.loc[rows, "route_length_m"] = self.active.route_length_m

    def _new_traffic_engine(self) -> TrafficEngine:
        edges = self.network.edges
        engine = TrafficEngine(
            freeflow_s=edges["freeflow_s"].to_numpy(float), capacity_vph=edges["capacity_vph"].to_numpy(float),
            storage_veh=edges["storage_veh"].to_numpy(float), length_m=edges["length_m"].to_numpy(float),
            stuck_s=self.spec.traffic.stuck_s,
            n_bins=max(1, int(np.ceil(self.end_s / 3600.0))),
        )  # fmt: skip
        rows = self._car_rows
        depart = self.trips["planned_depart_s"].to_numpy()[rows]
        offsets, edges = self._car_offsets, self._car_edges
        prev = _local(self.trips["prev_trip"].to_numpy()[rows], rows, len(self.trips))
        # Buses and shuttles follow the cars in the engine: leg i is engine trip rows.size + i.
        self._service_legs = self.mobility.vehicle_legs() if self.mobility is not None else None
        if self._service_legs is not None and len(self._service_legs):
            legs = self._service_legs
            depart = np.concatenate([depart, legs.depart_s])
            offsets = np.concatenate([offsets, legs.route_offsets[1:] + offsets[-1]])
            edges = np.concatenate([edges, legs.route_edges])
            prev = np.concatenate([prev, np.where(legs.prev_leg >= 0, legs.prev_leg + rows.size, -1)])
        engine.load(depart_s=depart, route_offsets=offsets, route_edges=edges, prev_trip=prev)
        return engine

    def _n_service_legs(self) -> int:
        return len(self._service_legs) if self._service_legs is not None else 0

    def _make_agents(self, resident_class, vehicle_class, streetlight_class) -> None:
        if len(self.residents):
            resident_class.create_agents(self, len(self.residents), person_id=self.residents["person_id"].tolist())
        # One car per driver; a trip of a given table without a person is its own car.
        owners = self.trips["person_id"].to_numpy()[self._car_rows]
        key = np.where(owners >= 0, owners, -1 - np.arange(owners.size))
        order = np.argsort(key, kind="stable")
        starts = np.flatnonzero(np.r_[True, key[order][1:] != key[order][:-1]]) if order.size else order
        for group in np.split(order, starts[1:]) if order.size else ():
            vehicle_class(self, max(int(owners[group[0]]), -1), self._car_rows[group])
        if self.mobility is not None:
            timetable = self.mobility.timetable
            if timetable is not None:
                for run_index, line in enumerate(timetable.run_line):
                    ServiceVehicle(self, "bus", timetable.lines[int(line)].name, run_index)
            for service in self.mobility.shuttles:
                for vehicle in range(service.spec.fleet):
                    ServiceVehicle(self, "shuttle", service.spec.name, vehicle)
        streetlight_class.create_agents(self, len(self.network.lamps), lamp=list(range(len(self.network.lamps))))

    # ------------------------------------------------------------------- running

    def _reporters(self) -> dict[str, Callable[[CityModel], float]]:
        return {
            "time_s": lambda m: m.time_s,
            "vehicles_on_road": lambda m: m.traffic.vehicles_on_road,
            "mean_speed_kmh": lambda m: m._step_speed_kmh(),
            "people_walking": lambda m: m.active.on_the_move(m.time_s, mode=MODE_CODES["walk"]),
            "people_cycling": lambda m: m.active.on_the_move(m.time_s, mode=MODE_CODES["bike"]),
        }

    def _step_speed_kmh(self) -> float:
        metres, seconds = self.traffic.vehicle_metres(), self.traffic.vehicle_seconds()
        d_metres, d_seconds = metres - self._last_metres, seconds - self._last_vehicle_seconds
        self._last_metres, self._last_vehicle_seconds = metres, seconds
        return d_metres / d_seconds * 3.6 if d_seconds > 0 else float("nan")

    def step(self) -> None:
        """Advance the city by one step of ``step_s`` seconds and record its state.

        Stepping by hand leaves the lights unevaluated; :meth:`run` steps through the whole
        day and finishes it.
        """
        # Counting steps, not adding step_s up, keeps the clock free of rounding drift.
        self._steps_done += 1
        self.time_s = min(self.start_s + self._steps_done * self.spec.step_s, self.end_s)
        self.traffic.advance_to(self.time_s)
        self.datacollector.collect(self)
        for intervention in self._step_hooks:
            intervention.on_step(self)
        if self.time_s >= self.end_s:
            self.running = False

    def run(self, *, progress: Callable[[float, float], None] | None = None) -> None:
        """Run the whole day: learning iterations, the recorded day, then the lights.

        Parameters
        ----------
        progress
            Called after every step with (simulated seconds done, seconds in the run).
        """
        if self._finished or self._steps_done:
            raise RuntimeError("this model has already run (or been stepped); build a new CityModel to run again")
        started = time.perf_counter()
        for iteration in range(self.spec.traffic.iterations - 1):
            self.traffic.advance_to(self.end_s)
            self._reroute()
            if self.mobility is not None and iteration == self.spec.traffic.iterations - 2 and self.mobility.shuttles:
                # The shuttles are dispatched again on the link times of the last learning day.
                self.mobility.dispatch(self.trips, link_times_s=self.traffic.experienced_times())
                self._build_active()
            self.traffic = self._new_traffic_engine()
        self.timings["iterations_s"] = time.perf_counter() - started
        started = time.perf_counter()
        while self.running:
            self.step()
            if progress is not None:
                progress(self.time_s - self.start_s, self.end_s - self.start_s)
        self.timings["traffic_s"] = time.perf_counter() - started
        started = time.perf_counter()
        self._evaluate_lighting()
        self.timings["lighting_s"] = time.perf_counter() - started
        self._finish_trips()
        self._finished = True

    def run_model(self) -> None:
        """Run the whole day (Mesa's name for :meth:`run`)."""
        self.run()

    def _reroute(self) -> None:
        """Move a random share of car trips to their best route on the times just experienced.

        Each picked trip's current route and its best route are costed on the link travel
        times of its departure hour (plus the tolls, turned into seconds as for the first
        routes); the relative gap, sum(current - best) / sum(best), is estimated on this
        random sample.
        """
        engine, rng = self.traffic, self._rngs["rerouting"]
        n = self._car_rows.size
        picked = np.flatnonzero(rng.random(n) < self.spec.traffic.reroute_share)
        if picked.size == 0:
            self.relative_gaps.append(float("nan"))
            return
        times = engine.experienced_times()
        if self._tolls is not None:
            times += (self._tolls * (3600.0 / self._route_vot))[:, None]
        depart = engine.actual_depart_s()[picked]
        depart = np.where(np.isnan(depart), self.trips["planned_depart_s"].to_numpy()[self._car_rows[picked]], depart)
        bins = np.clip(depart // 3600.0, 0, times.shape[1] - 1).astype(np.int64)
        offsets, edges = self._car_offsets, self._car_edges
        hops = np.diff(offsets)
        owner = np.repeat(np.arange(picked.size), hops[picked])
        current = np.bincount(owner, weights=times[edges[_positions(offsets[picked], hops[picked])], bins[owner]],
                              minlength=picked.size)  # fmt: skip
        origin = self.trips["origin_node"].to_numpy(np.int64)[self._car_rows[picked]]
        dest = self.trips["dest_node"].to_numpy(np.int64)[self._car_rows[picked]]
        best_cost, best_start, best_hops = np.empty(picked.size), np.empty(picked.size, np.int64), np.empty(picked.size, np.int64)
        found_edges, base = [edges], edges.size
        for b in np.unique(bins):
            sel = np.flatnonzero(bins == b)
            found = route(self.network, origin[sel], dest[sel], mode="car", weight=times[:, b])
            best_cost[sel] = found.cost
            best_start[sel] = base + found.offsets[:-1]
            best_hops[sel] = np.diff(found.offsets)
            found_edges.append(found.edges)
            base += found.edges.size
        total_best = best_cost.sum()
        self.relative_gaps.append(float((current - best_cost).sum() / total_best) if total_best > 0 else 0.0)
        switch = best_cost < current - 1e-9
        new_hops = hops.copy()
        new_hops[picked[switch]] = best_hops[switch]
        start = offsets[:-1].copy()
        start[picked[switch]] = best_start[switch]
        self._car_offsets = np.concatenate(([0], np.cumsum(new_hops))).astype(np.int64)
        self._car_edges = np.concatenate(found_edges)[_positions(start, new_hops)]

    def _evaluate_lighting(self) -> None:
        from twin.engine.lighting import LightingEngine
        from twin.engine.sun import dark_intervals

        lon, lat = self.network.centre_lonlat()
        spec = self.spec
        self.dark_s = dark_intervals(latitude=lat, longitude=lon, date=spec.date, timezone=spec.timezone,
                                     elevation_deg=spec.lighting.on_sun_elevation_deg,
                                     start_s=self.start_s, end_s=self.end_s)  # fmt: skip
        self.lighting = LightingEngine.from_network(self.network, spec=spec.lighting, dark_s=self.dark_s,
                                                    start_s=self.start_s, end_s=self.end_s, controller=self._controller,
                                                    zones=self.city.lighting_zones)  # fmt: skip
        self.lighting_result = self.lighting.evaluate(self.passages(), rng=self._rngs["lighting"])
        # Each trip's metres walked or cycled in the dark on lit streets, and those at full light.
        n = len(self.trips)
        for column, metres in (("night_m", self.lighting_result.trip_night_m),
                               ("night_full_m", self.lighting_result.trip_night_full_m)):  # fmt: skip
            self.trips[column] = np.pad(metres[:n], (0, max(n - metres.size, 0)))

    def passages(self) -> Traversals:
        """Every completed passage of the day: cars, then cyclists and walkers."""
        rows = np.concatenate([self._car_rows, np.full(self._n_service_legs(), -1, dtype=np.int64)])
        return Traversals.concat([self.traffic.traversals(trip_rows=rows), self._active_passages()])

    def _active_passages(self) -> Traversals:
        passages = self.active.traversals()
        done = passages.exit_s <= self.end_s
        if done.all():
            return passages
        return Traversals(edge=passages.edge[done], enter_s=passages.enter_s[done], exit_s=passages.exit_s[done],
                          mode=passages.mode[done], trip=passages.trip[done])  # fmt: skip

    def _finish_trips(self) -> None:
        trips, rows = self.trips, self._car_rows
        length = self.network.edges["length_m"].to_numpy(float)
        hops = np.diff(self._car_offsets)
        owner = np.repeat(np.arange(rows.size), hops)
        trips.loc[rows, "route_length_m"] = np.bincount(owner, weights=length[self._car_edges], minlength=rows.size)
        if self._tolls is not None:
            # A toll is charged per passage: for the edges a car entered during the run.
            entered = self.traffic.enter_s()[:self._car_edges.size] <= self.end_s
            paid = np.where(entered, self._tolls[self._car_edges], 0.0)
            trips.loc[rows, "toll_eur"] = np.bincount(owner, weights=paid, minlength=rows.size)
        depart, arrival = self.traffic.actual_depart_s(), self.traffic.arrival_s()
        trips.loc[rows, "depart_s"] = depart[:rows.size]
        trips.loc[rows, "arrival_s"] = arrival[:rows.size]
        if self.mobility is not None:
            legs = slice(rows.size, rows.size + self._n_service_legs())
            self.mobility.finish(trips, leg_depart_s=depart[legs], leg_arrive_s=arrival[legs])
        planned = ~trips["status"].isin(["outside_run", "unreachable"]).to_numpy()
        started = planned & (trips["depart_s"].to_numpy() <= self.end_s)
        arrived = started & (trips["arrival_s"].to_numpy() <= self.end_s)
        trips["status"] = np.where(arrived, "arrived", np.where(started, "en_route",
                                   np.where(planned, "not_started", trips["status"].to_numpy())))  # fmt: skip
        trips.loc[~started, "depart_s"] = np.nan
        trips.loc[~arrived, "arrival_s"] = np.nan
        if self.mobility is not None:
            # Riders left at a stop with no vehicle to take them before the run ended.
            trips.loc[self.mobility.stranded_rows, "status"] = "stranded"
        trips["duration_s"] = trips["arrival_s"] - trips["depart_s"]
        self._fill_trip_times()
        # The lights join the time series sampled at the middle of each step, which stands
        # for the step as a whole (and is exact for the step's mean power where the power
        # changes linearly); the step's end may be the very moment a light switches.
        ends = self.datacollector.get_model_vars_dataframe()["time_s"].to_numpy(float)
        middles = (np.concatenate(([self.start_s], ends[:-1])) + ends) / 2
        self._lighting_columns = {
            "lights_at_full": self.lighting_result.lamps_at_full(middles),
            "lighting_power_kw": self.lighting_result.power_kw(middles),
            # The controller's power as if it were dark: the year's lighting energy integrates
            # it over each day's own dark hours (twin.economics).
            "lighting_demand_kw": self.lighting_result.demand_kw(middles),
        }

    def _fill_trip_times(self) -> None:
        """Split the street modes' durations into in-vehicle and walking time, as the services' are."""
        trips = self.trips
        mode = trips["mode"].to_numpy().astype(str)
        duration = trips["duration_s"].to_numpy(float)
        riding = np.isin(mode, ("car", "bike"))
        trips.loc[riding, "in_vehicle_s"] = duration[riding]
        trips.loc[riding, "walk_s"] = 0.0
        walking = mode == "walk"
        trips.loc[walking, "walk_s"] = duration[walking]
        trips.loc[walking, "in_vehicle_s"] = 0.0

    def vehicle_km(self) -> dict[str, float]:
        """Kilometres of street completed during the run: private cars, buses, shuttles."""
        km = self.traffic.metres_by_trip() / 1000.0
        n_car = self._car_rows.size
        n_bus = self.mobility.timetable.depart_s.size if self.mobility is not None and self.mobility.timetable is not None else 0
        return {"car": float(km[:n_car].sum()), "transit": float(km[n_car:n_car + n_bus].sum()),
                "drt": float(km[n_car + n_bus:].sum())}  # fmt: skip

    # ------------------------------------------------------------------- reading

    def timeseries(self) -> pd.DataFrame:
        """The city's state at every step: the DataCollector's table plus the lights."""
        table = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        for name, values in getattr(self, "_lighting_columns", {}).items():
            table[name] = values
        return table

    def trip_table(self, *, person_id: int | None = None) -> pd.DataFrame:
        """The trip table, or one person's trips."""
        if person_id is None:
            return self.trips
        if not hasattr(self, "_rows_by_person"):
            # One sort, then each lookup is a binary search rather than a scan of every trip.
            person = self.trips["person_id"].to_numpy()
            order = np.argsort(person, kind="stable")
            self._rows_by_person = (person[order], order)
        sorted_person, order = self._rows_by_person
        lo, hi = np.searchsorted(sorted_person, [person_id, person_id + 1])
        return self.trips.iloc[np.sort(order[lo:hi])]

    def vehicle_edge(self, trip_rows: np.ndarray) -> int | None:
        """The edge a vehicle driving ``trip_rows`` is on now, or ``None`` when it is parked.

        For inspecting a few vehicles; it copies the engine's arrays, so read
        :attr:`traffic` directly for all of them.
        """
        local = np.searchsorted(self._car_rows, trip_rows)
        enter = self.traffic.enter_s()
        arrival = self.traffic.arrival_s()
        for i in local:
            lo, hi = self._car_offsets[i], self._car_offsets[i + 1]
            entered = enter[lo:hi] <= self.time_s
            if hi > lo and entered[0] and not arrival[i] <= self.time_s:
                return int(self._car_edges[lo + np.flatnonzero(entered)[-1]])
        return None


def _route_value_of_time(spec: Scenario) -> float:
    """The value of time cars weigh tolls with: the middle income group's, in EUR/h."""
    choice = spec.population.mode_choice if spec.population is not None else ModeChoiceSpec()
    return float(choice.value_of_time_eur_per_h["middle"])


def _positions(starts: np.ndarray, hops: np.ndarray) -> np.ndarray:
    """Flat positions ``starts[i] .. starts[i] + hops[i] - 1`` of each run, one after another."""
    runs_before = np.cumsum(hops) - hops
    return np.repeat(starts - runs_before, hops) + np.arange(int(hops.sum()))


def _keep(routes, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Offsets and edges of the routes selected by ``mask``."""
    hops = np.diff(routes.offsets)[mask]
    offsets = np.concatenate(([0], np.cumsum(hops))).astype(np.int64)
    return offsets, routes.edges[_positions(routes.offsets[:-1][mask], hops)]


def _join_routes(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate flat route sets into one."""
    offsets, edges, base = [np.zeros(1, np.int64)], [], 0
    for part_offsets, part_edges in parts:
        offsets.append(part_offsets[1:] + base)
        edges.append(part_edges)
        base += part_edges.size
    return np.concatenate(offsets), (np.concatenate(edges) if edges else np.empty(0, np.int64)).astype(np.int64)


def _local(prev: np.ndarray, rows: np.ndarray, n_trips: int) -> np.ndarray:
    """Translate predecessor rows of the trip table into positions among ``rows`` (-1 if absent)."""
    position = np.full(n_trips, -1, dtype=np.int64)
    position[rows] = np.arange(rows.size)
    return np.where(prev >= 0, position[np.maximum(prev, 0)], -1)


def _repeat_days(plans: pd.DataFrame, *, start_s: float, end_s: float) -> pd.DataFrame:
    """The planned weekday, repeated for every day the run touches (as a typical weekday).

    Day ``k``'s copy has departures ``k * 86400`` later, and trip and tour ids offset so they
    stay unique. A run that starts late on day 0 still sees the next morning's commuters.
    """
    depart = plans["depart_s"].to_numpy(float)
    # Day k is needed when one of its departures falls in the run; late tours of one day may
    # leave after midnight, in the next day's window.
    days = [day for day in range(max(int(start_s // 86400) - 1, 0), int(np.ceil(end_s / 86400)) + 1)
            if np.any((depart + day * 86400.0 >= start_s) & (depart + day * 86400.0 < end_s))]  # fmt: skip
    if days in ([], [0]):
        return plans
    n = len(plans)
    copies = []
    for day in days:
        copy = plans.copy()
        copy["depart_s"] = plans["depart_s"] + day * 86400.0
        copy["trip_id"] = plans["trip_id"] + day * n
        copy["tour_id"] = plans["tour_id"] + day * (int(plans["tour_id"].max()) + 1 if n else 0)
        copies.append(copy)
    return pd.concat(copies, ignore_index=True)


def _check_trip_table(table: pd.DataFrame, network: StreetNetwork, *, modes: tuple[str, ...] = tuple(MODE_CODES)) -> None:
    """Refuse a trip table the engines cannot run, in one line naming the problem."""
    missing = [c for c in ("trip_id", "origin_node", "dest_node", "depart_s", "mode") if c not in table]
    if missing:
        raise ScenarioError(f"trips: missing column {missing[0]!r}; give trip_id, origin_node, dest_node, depart_s, mode")
    unknown = sorted(set(table["mode"].astype(str)) - set(modes))
    if unknown:
        raise ScenarioError(f"trips: mode {unknown[0]!r} is not simulated; use car, bike or walk")
    for column in ("origin_node", "dest_node"):
        nodes = pd.to_numeric(table[column], errors="coerce").to_numpy(float)
        bad = ~((nodes >= 0) & (nodes < network.n_nodes) & (nodes == np.floor(nodes)))
        if bad.any():
            raise ScenarioError(f"trips: {column} {table[column].iloc[np.flatnonzero(bad)[0]]} is not a node "
                                f"position (0 to {network.n_nodes - 1}); translate map ids with "
                                "StreetNetwork.node_positions")  # fmt: skip
    depart = pd.to_numeric(table["depart_s"], errors="coerce").to_numpy(float)
    if not np.isfinite(depart).all():
        raise ScenarioError("trips: depart_s must be a number of seconds for every trip")
