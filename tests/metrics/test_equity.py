"""Tests of twin.metrics.equity against figures worked out by hand.

Twelve residents, person ``p`` makes one trip of ``p + 1`` minutes that arrives:

=======  ==============  ==========  =========
person   income          smartphone  age
=======  ==============  ==========  =========
0-4      low             even: yes   0-3 child
5-7      middle (3)      odd: no     4-9 adult
8-11     high                        10-11 senior (2)
=======  ==============  ==========  =========

Person 0 also has a trip stranded at a stop; person 8 paid a 2.50 EUR fare; person 9
subscribes to a bundle of 1.50 EUR a day; persons 1 and 2 walked 200 m (150 at full light)
and 100 m (all at full light) in the dark. With ``k = 4`` the middle income group (3) and
the seniors (2) are suppressed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from twin.metrics.equity import MEASURES, equity_kpis, inequality, level_ratios, suppressed_cells

K = 4


def approx(value):
    """kpis.json rounds shares to four decimals, means to two to four."""
    return pytest.approx(value, abs=1e-4)


@pytest.fixture(scope="module")
def residents() -> pd.DataFrame:
    n = 12
    person = np.arange(n)
    return pd.DataFrame({
        "person_id": person,
        "income": pd.Categorical(np.select([person < 5, person < 8], ["low", "middle"], "high"),
                                 categories=["low", "middle", "high"], ordered=True),
        "smartphone": person % 2 == 0,
        "age_group": pd.Categorical(np.select([person < 4, person < 10], ["child", "adult"], "senior"),
                                    categories=["child", "adult", "senior"], ordered=True),
        "maas_subscriber": person == 9,
    })  # fmt: skip


@pytest.fixture(scope="module")
def trips() -> pd.DataFrame:
    person = np.r_[np.arange(12), 0]
    night = np.zeros(13)
    night[[1, 2]] = 200.0, 100.0
    full = np.zeros(13)
    full[[1, 2]] = 150.0, 100.0
    return pd.DataFrame({
        "person_id": person, "status": ["arrived"] * 12 + ["stranded"],
        "duration_s": np.r_[(np.arange(12) + 1) * 60.0, np.nan], "fare_eur": np.where(person == 8, 2.5, 0.0),
        "toll_eur": 0.0, "night_m": night, "night_full_m": full,
    })  # fmt: skip


@pytest.fixture(scope="module")
def equity(trips, residents) -> dict:
    return equity_kpis(trips, residents, bundle_eur_per_day=1.5, min_residents=K)


def test_group_figures_by_hand(equity):
    low, high = equity["income"]["low"], equity["income"]["high"]
    assert low["residents"] == 5 and high["residents"] == 4
    assert low["mean_daily_travel_min"] == approx((1 + 2 + 3 + 4 + 5) / 5)
    assert high["mean_daily_travel_min"] == approx((9 + 10 + 11 + 12) / 4)
    assert low["arrived_share"] == approx(5 / 6) and high["arrived_share"] == 1.0
    assert low["mean_daily_paid_eur"] == 0.0 and high["mean_daily_paid_eur"] == approx((2.5 + 1.5) / 4)
    assert low["mean_night_walk_bike_m"] == approx(300 / 5)
    assert low["night_full_light_share"] == approx(250 / 300)
    # Nobody of high income walked in the dark: no share, not a share of 0.
    assert high["mean_night_walk_bike_m"] == 0.0 and high["night_full_light_share"] is None
    assert equity["age"]["child"]["residents"] == 4 and equity["smartphone"]["no"]["residents"] == 6


def test_the_split_sums_back_to_the_city(equity, trips, residents):
    arrived = trips[trips["status"] == "arrived"]
    city_minutes = arrived["duration_s"].sum() / 60 / len(residents)
    paid = (trips["fare_eur"].sum() + 1.5) / len(residents)
    groups = equity["smartphone"].values()  # neither group is suppressed
    assert sum(g["residents"] for g in groups) == len(residents)
    weighted = sum(g["residents"] * g["mean_daily_travel_min"] for g in groups) / len(residents)
    assert weighted == approx(city_minutes)
    assert sum(g["residents"] * g["mean_daily_paid_eur"] for g in groups) / len(residents) == approx(paid)
    # Shares are ratios of the groups' sums: weighted by their trips they give the city's.
    made = {"yes": 7, "no": 6}  # person 0's stranded trip is a smartphone owner's
    share = sum(made[k] * g["arrived_share"] for k, g in equity["smartphone"].items()) / 13
    assert share == approx(12 / 13)


def test_a_small_group_is_suppressed_and_marked(equity):
    middle, senior = equity["income"]["middle"], equity["age"]["senior"]
    for group in (middle, senior):
        assert group["suppressed"] is True and group["residents"] is None and group["residents_fewer_than"] == K
        assert all(group[name] is None for name in MEASURES if name in group)
    assert equity["income"]["low"]["suppressed"] is False
    # Residents and the five measures of each of the two groups (no job access given).
    assert suppressed_cells(equity) == 2 * 6


def test_level_ratios_compare_the_worse_off_with_the_better_off(equity):
    ratios = level_ratios(equity)
    assert ratios["income"]["mean_daily_travel_min"] == approx(3 / 10.5)
    assert ratios["income"]["mean_daily_paid_eur"] == 0.0
    assert ratios["income"]["night_full_light_share"] is None  # the better-off have no share
    assert "age" in ratios and ratios["age"]["mean_daily_travel_min"] is None  # seniors suppressed


def _summary_row(variant, kpi, diff, low, high, n=3):
    return {"variant": variant, "kpi": kpi, "n": n, "mean": 0.0, "n_pairs": n, "diff_mean": diff, "ci_low": low,
            "ci_high": high}  # fmt: skip


def test_inequality_of_a_change_from_the_summary_and_the_runs():
    minutes = "equity.income.{}.mean_daily_travel_min"
    arrived = "equity.income.{}.arrived_share"
    # Replications 0-2: low income's minutes fall by 1, 2, 3 (mean 2); high income's by 1, 1, 1.
    base = {"low": [30.0, 31.0, 29.0], "high": [20.0, 20.0, 20.0]}
    moved = {"low": [29.0, 29.0, 26.0], "high": [19.0, 19.0, 19.0]}
    runs = pd.DataFrame([
        {"variant": v, "replication": r, "status": "ok", minutes.format("low"): values["low"][r],
         minutes.format("high"): values["high"][r]}
        for v, values in (("base", base), ("v", moved)) for r in range(3)
    ])  # fmt: skip
    summary = pd.DataFrame([
        _summary_row("base", minutes.format("low"), np.nan, np.nan, np.nan),
        _summary_row("v", minutes.format("low"), -2.0, -4.48, 0.48),
        _summary_row("v", minutes.format("high"), -1.0, -1.0, -1.0),
        _summary_row("v", arrived.format("low"), 0.01, 0.0, 0.02),
        _summary_row("v", arrived.format("high"), 0.0, -0.01, 0.01),
    ])  # fmt: skip
    table = inequality(summary, baseline="base", runs=runs).set_index(["dimension", "measure"])
    row = table.loc[("income", "mean_daily_travel_min")]
    # Fewer minutes are a gain: low income gains 2, high income 1.
    assert row["gain_worse_off"] == 2.0 and row["gain_better_off"] == 1.0
    assert row["gap"] == 1.0 and row["ratio"] == 2.0
    # The gap per replication: 0, 1, 2; mean 1, sd 1, t(0.975, 2) / sqrt(3).
    half = stats.t.ppf(0.975, 2) * 1.0 / np.sqrt(3)
    assert row["gap_ci_low"] == pytest.approx(1.0 - half) and row["gap_ci_high"] == pytest.approx(1.0 + half)
    # High income's share of arrived trips does not clearly change: no ratio, still a gap.
    row = table.loc[("income", "arrived_share")]
    assert np.isnan(row["ratio"]) and row["gap"] == pytest.approx(0.01) and np.isnan(row["gap_ci_low"])
    assert set(table.index.get_level_values("measure")) == {"mean_daily_travel_min", "arrived_share"}


TOWN = """\
name: tiny
seed: 3
date: 2026-12-15
timezone: Europe/Helsinki
map: {synthetic: {kind: grid, rows: 4, cols: 5, block_m: 100, arterial_every: 2}}
population: {residents: 200}
outputs: {districts: districts.geojson}
"""


@pytest.fixture(scope="module")
def town_run(tmp_path_factory):
    """A day of the 4 x 5 grid town (400 m x 300 m) with three districts: West (x < 150 m), East
    (150-350 m) and Corner (around the node at 400 m, 300 m); the rest is outside."""
    import geopandas as gpd
    import shapely

    from twin.maps.synthetic import grid_town
    from twin.scenario import load_scenario
    from twin.simulation import run

    folder = tmp_path_factory.mktemp("districts")
    town = grid_town(rows=4, cols=5, block_m=100, arterial_every=2)
    x0, y0 = float(town.nodes["x"].min()), float(town.nodes["y"].min())
    boxes = {"West": (-50, -50, 150, 350), "East": (150, -50, 350, 350), "Corner": (390, 290, 410, 310)}
    frame = gpd.GeoDataFrame({"name": list(boxes)}, crs=town.crs,
                             geometry=[shapely.box(x0 + a, y0 + b, x0 + c, y0 + d) for a, b, c, d in boxes.values()])
    frame.to_file(folder / "districts.geojson")
    (folder / "tiny.yaml").write_text(TOWN, encoding="utf-8")
    result = run(load_scenario(folder / "tiny.yaml", overrides=["outputs.min_group_residents=1"]))
    return town, result


def test_a_run_s_split_sums_back_to_the_city_in_every_dimension(town_run):
    town, result = town_run
    equity, trips, residents = result.kpis["equity"], result.trips, result.residents
    assert set(equity) == {"income", "smartphone", "age", "district"}
    assert list(equity["district"]) == ["West", "East", "Corner", "outside"]
    # Homes by hand: x of the home node against the boxes.
    x = town.nodes["x"].to_numpy()[residents["home_node"]] - town.nodes["x"].min()
    y = town.nodes["y"].to_numpy()[residents["home_node"]] - town.nodes["y"].min()
    corner = (x == 400) & (y == 300)
    expected = {"West": int((x < 150).sum()), "East": int(((x > 150) & (x < 350)).sum()), "Corner": int(corner.sum()),
                "outside": int(((x == 400) & ~corner).sum())}  # fmt: skip
    assert {k: g["residents"] for k, g in equity["district"].items()} == expected
    n = len(residents)
    arrived = trips[trips["status"] == "arrived"]
    city = {"mean_daily_travel_min": arrived["duration_s"].sum() / 60 / n,
            "mean_night_walk_bike_m": trips["night_m"].sum() / n,
            "mean_jobs_30min_walk": residents["jobs_30min_walk"].mean()}  # fmt: skip
    for dimension, groups in equity.items():
        assert sum(g["residents"] for g in groups.values()) == n, dimension
        for measure, value in city.items():
            weighted = sum(g["residents"] * g[measure] for g in groups.values()) / n
            assert weighted == pytest.approx(value, rel=1e-3, abs=1e-3), (dimension, measure)
    assert result.kpis["inequality"]["income"]["mean_daily_travel_min"] == approx(
        equity["income"]["low"]["mean_daily_travel_min"] / equity["income"]["high"]["mean_daily_travel_min"])


def test_a_run_suppresses_a_district_of_few_residents(town_run, tmp_path):
    from twin.run_folder import load_run
    from twin.scenario import load_scenario
    from twin.simulation import run

    _, result = town_run
    few = result.kpis["equity"]["district"]["Corner"]["residents"]
    assert 0 < few < 20  # the corner node holds a handful of homes
    folder = tmp_path / "run"
    run(load_scenario(result.scenario.outputs.districts.parent / "tiny.yaml", overrides=["outputs.min_group_residents=20"]),
        out=folder)  # fmt: skip
    loaded = load_run(folder)
    corner = loaded["kpis"]["equity"]["district"]["Corner"]
    assert corner["suppressed"] is True and corner["residents"] is None and corner["residents_fewer_than"] == 20
    assert corner["mean_daily_travel_min"] is None and corner["mean_jobs_30min_car"] is None
    assert loaded["kpis"]["equity"]["district"]["West"]["suppressed"] is False
    # Each suppressed group's residents and nine measures (the corner's and any other small group's).
    groups = [g for d in loaded["kpis"]["equity"].values() for g in d.values() if g["suppressed"]]
    assert loaded["meta"]["suppressed_cells"] == len(groups) * (1 + len(MEASURES)) >= 1 + len(MEASURES)
    assert loaded["meta"]["min_group_residents"] == 20
    # Nothing per person on disk.
    assert loaded["meta"]["person_level"] is False and "trips" not in loaded and "residents" not in loaded
