"""Free-flow car travel times across the bundled city, by origin district of the map.

Run with ``.venv/bin/python experiments/route_sample.py``. Shows the researcher's path
through the API: a scenario, its network, a seeded sample of trips, batched routing, and
the results as a pandas table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin import load_scenario, network_from_spec, route
from twin.demo import sample_car_trips


def main() -> None:
    scenario = load_scenario("scenarios/helsinki-baseline.yaml")
    city = network_from_spec(scenario.map)
    rng = np.random.default_rng(np.random.SeedSequence(scenario.seed))
    origins, destinations = sample_car_trips(city, 5000, rng=rng)
    routes = route(city, origins, destinations, mode="car")
    x = city.nodes["x"].to_numpy()
    table = pd.DataFrame({
        "origin_side": np.where(x[origins] < np.median(x), "west", "east"),
        "freeflow_min": routes.cost / 60,
        "edges": np.diff(routes.offsets),
    })  # fmt: skip
    print(table[np.isfinite(table["freeflow_min"])].groupby("origin_side").describe().T.round(2))


if __name__ == "__main__":
    main()
