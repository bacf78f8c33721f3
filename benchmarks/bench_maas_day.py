"""Benchmark of a whole MaaS day: 100,000 residents, 200 shuttles and two bus lines on a 30 x 30 town.

Run from the repository root::

    .venv/bin/python benchmarks/bench_maas_day.py [--residents 100000] [--fleet 200] [--size 30]

Unlike ``bench_drt.py`` (the dispatcher alone on drawn requests), this runs the model end to
end: residents, plans, mode choice with transit and shuttles (level of service, bundle
uptake on savings), the offers and dispatch, buses and shuttle legs in the queue network with
the cars, the riders' day, the lights and the KPIs. The shuttle requests are whatever the
residents choose. A warm-up day on a small town compiles (or loads) the numba kernels first.
Prints the wall time per stage and the services' figures.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from twin.scenario import load_scenario
from twin.simulation import run

SCENARIO = """\
name: maas-day
seed: 3
date: 2026-12-15
timezone: Europe/Helsinki
map: {{synthetic: {{kind: grid, rows: {size}, cols: {size}, block_m: 150, arterial_every: 5}}}}
population: {{residents: {residents}}}
interventions:
  - type: maas
    lines:
      - name: "N"
        area: {{road_classes: [secondary], bbox: [{x_mid_lo}, {y_lo}, {x_mid_hi}, {y_hi}], crs: EPSG:32635}}
      - name: "E"
        area: {{road_classes: [secondary], bbox: [{x_lo}, {y_mid_lo}, {x_hi}, {y_mid_hi}], crs: EPSG:32635}}
    drt:
      - name: shuttle
        fleet: {fleet}
        area: {{road_classes: [residential, secondary]}}
    subscription: {{price_eur_per_month: 49, uptake: savings}}
"""


def scenario_text(*, size: int, residents: int, fleet: int) -> str:
    """The benchmark scenario; the lines run along the middle arterials (the town's UTM coordinates)."""
    x0, y0 = 385700.42, 6672126.74  # the grid's south-west corner at 60.17 N, 24.94 E
    span = (size - 1) * 150.0
    mid = 150.0 * 5 * ((size - 1) // 10)  # an arterial near the middle
    return SCENARIO.format(size=size, residents=residents, fleet=fleet,
                           x_lo=x0 - 10, x_hi=x0 + span + 10, y_lo=y0 - 10, y_hi=y0 + span + 10,
                           x_mid_lo=x0 + mid - 10, x_mid_hi=x0 + mid + 10, y_mid_lo=y0 + mid - 10, y_mid_hi=y0 + mid + 10)  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--fleet", type=int, default=200)
    parser.add_argument("--size", type=int, default=30, help="rows and columns of the grid town")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        warm = Path(folder) / "warm.yaml"
        warm.write_text(scenario_text(size=10, residents=2000, fleet=5))
        run(load_scenario(warm))
        path = Path(folder) / "maas.yaml"
        path.write_text(scenario_text(size=args.size, residents=args.residents, fleet=args.fleet))
        started = time.perf_counter()
        result = run(load_scenario(path))
        wall = time.perf_counter() - started
    kpis = result.kpis
    drt, transit = kpis["services"]["drt"], kpis["services"]["transit"]
    print(f"{args.size} x {args.size} town, {args.residents:,} residents, {args.fleet} shuttles, 2 bus lines")
    print(f"  wall time            {wall:.1f} s")
    for name, seconds in kpis["run"].items():
        if name.endswith("_s") and not name.endswith("per_s") and name != "wall_time_s" and seconds is not None:
            print(f"    {name:<20}{seconds:7.2f} s")
    print(f"  trips                {kpis['trips']['total']:,}; shares " +
          ", ".join(f"{m} {v:.1%}" for m, v in kpis["mode_shares"].items() if v is not None))  # fmt: skip
    print(f"  shuttle requests     {drt['requests']:,.0f}: served {drt['served']:,.0f}, rejected {drt['rejected']:,.0f}, "
          f"declined {drt['declined']:,.0f}")  # fmt: skip
    print(f"  shuttle wait         {drt['mean_wait_s'] / 60:.2f} min mean, {drt['p95_wait_s'] / 60:.2f} min p95 (on the road)")
    print(f"  shuttle service      detour {drt['mean_detour']:.2f}, occupancy {drt['occupancy']:.2f}, "
          f"{drt['passengers_per_vehicle_hour']:.2f} riders/veh-h, empty km {drt['empty_km_share']:.1%}, "
          f"subsidy {drt['subsidy_per_trip_eur']:.2f} EUR/trip")  # fmt: skip
    print(f"  transit              {transit['riders']:,.0f} riders, mean wait {(transit['mean_wait_s'] or 0) / 60:.2f} min, "
          f"{transit['vehicle_km']:,.0f} bus-km")  # fmt: skip
    print(f"  bundle               {kpis['services']['maas']['subscribers']:,} subscribers")


if __name__ == "__main__":
    main()
