"""Mobility services: scheduled transit lines and demand-responsive shuttles (DRT).

- :mod:`twin.mobility.transit`: lines built from the scenario (or a GTFS feed), their
  timetables, the level of service riders see when they choose a mode, and the riders'
  day (walk, wait, board if there is room, ride, transfer, walk) on the bus runs' actual
  times in traffic;
- :mod:`twin.mobility.drt`: the shuttle dispatcher (insertion heuristic with pooling under
  MATSim-style wait and travel-time limits, rebalancing) and its operator figures.

Buses and shuttles drive in the same queue network as cars (:mod:`twin.engine.traffic`):
each leg between two stops is loaded as a vehicle trip chained to the previous one, so
they add to congestion and their actual times come from the engine.
"""
