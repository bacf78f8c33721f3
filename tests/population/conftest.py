"""Shared networks and populations for the population tests.

The towns are small grid towns (every street length and speed known by hand) so that the whole
suite runs in seconds; the populations are built once per session.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from twin.maps.network import StreetNetwork
from twin.maps.synthetic import grid_town
from twin.population.choice import plan_day
from twin.scenario.schema import PopulationSpec

#: Residents in the shared day: enough for shares and hourly profiles within ~1 percentage point.
RESIDENTS = 20_000


@pytest.fixture(scope="session")
def town() -> StreetNetwork:
    """A 12 x 12 grid town, 150 m blocks, arterials (secondary) on every 4th line."""
    return grid_town(rows=12, cols=12, block_m=150.0, arterial_every=4)


@pytest.fixture(scope="session")
def car_free_streets() -> StreetNetwork:
    """A 9 x 9 grid town whose residential streets cars may not use.

    Only nodes on an arterial line (45 of 81) can be reached by car, so only they are eligible
    for homes and destinations.
    """
    return grid_town(
        rows=9, cols=9, block_m=150.0, arterial_every=4, road_classes={"residential": {"car": False}}
    )


@pytest.fixture(scope="session")
def day(town: StreetNetwork) -> tuple[PopulationSpec, pd.DataFrame, pd.DataFrame]:
    """The default population spec with RESIDENTS residents, and their planned day (seed 7)."""
    spec = PopulationSpec(residents=RESIDENTS)
    residents, trips = plan_day(town, spec, rng=np.random.default_rng(7))
    return spec, residents, trips
