"""Synthetic residents: who lives where, who works where, and what they can travel with.

:func:`synthesize_residents` draws every attribute independently from the shares of a
:class:`~twin.scenario.schema.PopulationSpec`, all at once with NumPy:

- ``age_group`` (child / adult / senior) and ``income`` (low / middle / high) from
  ``age_shares`` and ``income_shares``;
- ``employed``: adults only, with ``employment_share`` (Eurostat: about 75% of people aged 20-64
  in the EU are employed, 2023). Seniors and children are not employed;
- ``student``: children only, with ``student_share`` (school or childcare on a weekday);
- ``car_access``: adults and seniors with ``car_access_share``; children never drive (they may
  still be driven, which twin does not model yet);
- ``bike_access`` with ``bike_access_share`` and ``smartphone`` with ``smartphone_share``, for
  everyone.

Homes are placed on eligible nodes weighted by residential street frontage, workplaces by
commercial frontage with a gentle distance decay from home (``plans.destination_decay_m
["work"]``); see :mod:`twin.population.places` for the proxy and for the ``homes``/``jobs``
node columns that replace it when a map has land-use data.

Attributes are drawn independently of each other: income does not change car ownership,
and members of one household are not grouped. Both would need household synthesis (e.g.
iterative proportional fitting to census tables), which twin does not do yet.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.maps.network import StreetNetwork
from twin.population.places import (
    WeightedSampler,
    eligible_nodes,
    gravity_choice,
    node_weights,
)
from twin.scenario.schema import PopulationSpec

__all__ = ["AGE_GROUPS", "INCOME_GROUPS", "RESIDENT_COLUMNS", "synthesize_residents"]

AGE_GROUPS = ("child", "adult", "senior")
INCOME_GROUPS = ("low", "middle", "high")

RESIDENT_COLUMNS = (
    "person_id", "home_node", "work_node", "employed", "student", "income", "age_group",
    "car_access", "bike_access", "smartphone",
)  # fmt: skip
"""Columns of the table :func:`synthesize_residents` returns, in order."""


def synthesize_residents(
    network: StreetNetwork, spec: PopulationSpec, *, rng: np.random.Generator
) -> pd.DataFrame:
    """Draw ``spec.residents`` residents with homes, workplaces and travel options.

    Parameters
    ----------
    network
        The street network; homes and workplaces are nodes every mode can use.
    spec
        Shares of age and income groups, employment, car, bicycle and smartphone access.
    rng
        The random generator to draw from; the same seed gives the same residents.

    Returns
    -------
    pandas.DataFrame
        One row per resident, columns :data:`RESIDENT_COLUMNS`:

        ``person_id``
            ``int64``, ``0 .. N-1`` (also the row).
        ``home_node``, ``work_node``
            ``int64`` node positions (rows of ``network.nodes``); ``work_node`` is -1 for
            residents who are not employed.
        ``employed``, ``student``, ``car_access``, ``bike_access``, ``smartphone``
            ``bool``.
        ``income``, ``age_group``
            Ordered categoricals (:data:`INCOME_GROUPS`, :data:`AGE_GROUPS`).

    Raises
    ------
    twin._errors.MapDataError
        If no node can be used by every mode, or a ``homes``/``jobs`` node column is unusable.
    """
    n = int(spec.residents)
    nodes = eligible_nodes(network)
    xy = network.nodes[["x", "y"]].to_numpy(dtype=np.float64)

    age = _categories(rng, n, [spec.age_shares[g] for g in AGE_GROUPS])
    income = _categories(rng, n, [spec.income_shares[g] for g in INCOME_GROUPS])
    child, adult = age == 0, age == 1
    employed = adult & (rng.random(n) < spec.employment_share)
    student = child & (rng.random(n) < spec.student_share)
    car_access = ~child & (rng.random(n) < spec.car_access_share)
    bike_access = rng.random(n) < spec.bike_access_share
    smartphone = rng.random(n) < spec.smartphone_share

    home_weights = node_weights(network, nodes, "homes")
    home = nodes[_draw(rng, home_weights, n)]
    work = np.full(n, -1, dtype=np.int64)
    workers = np.flatnonzero(employed)
    work[workers] = gravity_choice(
        home[workers], nodes, node_weights(network, nodes, "jobs"), xy=xy,
        decay_m=spec.plans.destination_decay_m["work"], rng=rng,
    )  # fmt: skip

    return pd.DataFrame(
        {
            "person_id": np.arange(n, dtype=np.int64),
            "home_node": home.astype(np.int64),
            "work_node": work,
            "employed": employed,
            "student": student,
            "income": pd.Categorical.from_codes(income, INCOME_GROUPS, ordered=True),
            "age_group": pd.Categorical.from_codes(age, AGE_GROUPS, ordered=True),
            "car_access": car_access,
            "bike_access": bike_access,
            "smartphone": smartphone,
        }
    )


def _categories(rng: np.random.Generator, n: int, shares: list[float]) -> np.ndarray:
    """Draw ``n`` category codes with the given shares (which sum to 1)."""
    return _draw(rng, np.asarray(shares, dtype=np.float64), n).astype(np.int8)


def _draw(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """Draw ``n`` indices into ``weights`` with probability proportional to the weights."""
    return WeightedSampler(weights)(rng.random(n))
