"""Synthetic residents, their daily activity plans, mode choice, and explicit trip tables.

- :mod:`~twin.population.places`: nodes where activities can happen, their attractiveness, and
  distance-decayed (gravity) destination choice;
- :mod:`~twin.population.residents`: :func:`synthesize_residents`;
- :mod:`~twin.population.plans`: :func:`build_plans`, home-based tours and their trips;
- :mod:`~twin.population.choice`: multinomial logit mode choice per tour, and :func:`plan_day`,
  which runs all three;
- :mod:`~twin.population.demand`: :func:`read_trip_table`, a given trip table instead.
"""

from twin.population.choice import choose_modes, mode_probabilities, plan_day, travel_times
from twin.population.demand import read_trip_table
from twin.population.plans import build_plans
from twin.population.residents import synthesize_residents

__all__ = [
    "build_plans",
    "choose_modes",
    "mode_probabilities",
    "plan_day",
    "read_trip_table",
    "synthesize_residents",
    "travel_times",
]
