"""Scheduled transit: lines, their timetable in traffic, the level of service riders see, and the riders' day.

Four steps, each a plain function over plain values, each in its own module:

1. :mod:`twin.mobility.lines`: :func:`~twin.mobility.lines.build_lines` turns the
   scenario's ``services.transit`` section (:class:`~twin.scenario.services.TransitSpec`)
   into :class:`~twin.mobility.lines.Line` objects: stops given as points are snapped to the
   nearest junction buses and pedestrians can use; a line drawn across an ``area`` runs
   along the area's longest axis; a GTFS feed is read by :mod:`twin.mobility.gtfs`. A line's
   headway bands say when it runs (service days, night service).
2. :mod:`twin.mobility.timetable`: :func:`~twin.mobility.timetable.build_timetable` lays out
   the day's runs (one vehicle trip along a whole line) from the headway bands, and splits
   each run into legs from one stop to the next, each with its car route, so the traffic
   engine can drive them as chained vehicle trips.
3. :mod:`twin.mobility.transit_paths`: :func:`~twin.mobility.transit_paths.level_of_service`
   gives mode choice each trip's best transit path and its in-vehicle, walking and waiting
   times, by frequency-based routing on a small graph of the stops (riders know the
   headways, not the timetable).
4. :mod:`twin.mobility.riders`: :func:`~twin.mobility.riders.simulate_riders` plays the
   riders' day on the runs' actual times (walk, wait, board if there is room, ride,
   transfer, walk), and :func:`~twin.mobility.riders.operator_table` sums up what the
   operator runs, carries, spends and earns.

Each module's notes give its part of the model. This module gathers their public names, so
that ``twin.mobility.transit`` serves as the one place to import transit from.
"""

from __future__ import annotations

from twin.mobility.lines import SNAP_MAX_M, Line, build_lines, departures, headway_at, snap_stops, stop_junctions
from twin.mobility.riders import ARRIVED, NO_PATH, STRANDED, RiderResult, operator_table, simulate_riders
from twin.mobility.timetable import Timetable, build_timetable
from twin.mobility.transit_paths import TransitLevelOfService, TransitPaths, level_of_service

__all__ = [
    "ARRIVED",
    "NO_PATH",
    "STRANDED",
    "SNAP_MAX_M",
    "Line",
    "RiderResult",
    "Timetable",
    "TransitLevelOfService",
    "TransitPaths",
    "build_lines",
    "build_timetable",
    "departures",
    "headway_at",
    "level_of_service",
    "operator_table",
    "simulate_riders",
    "snap_stops",
    "stop_junctions",
]
