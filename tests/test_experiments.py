"""The researchers' studies in experiments/ still run, on a tiny town, and say what they should."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]

TINY = """\
name: tiny
seed: 3
map:
  synthetic: {kind: grid, rows: 6, cols: 6, block_m: 100, arterial_every: 3, origin_lat: 60.17, origin_lon: 24.94}
date: 2026-12-15
timezone: Europe/Helsinki
population: {residents: 300}
lighting: {controller: always_on}
outputs: {dir: runs}
"""


def _script(name: str):
    spec = importlib.util.spec_from_file_location(f"study_{name}", ROOT / "experiments" / name / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    return path


def test_dim_hold_tradeoff(tiny: Path, tmp_path: Path) -> None:
    out = _script("dim_hold_tradeoff").main(["--scenario", str(tiny), "--dim-levels", "0.2,0.5", "--hold-times",
                                             "15,120", "--replications", "2", "--workers", "1",
                                             "--out", str(tmp_path / "batch")])  # fmt: skip
    table = pd.read_csv(out / "tradeoff.csv")
    assert len(table) == 4 and (table["replications"] == 2).all()
    assert (table["saving_pct_ci_low"] > 0).all()  # presence saves energy against always on
    by = table.set_index(["hold_s", "dim_level"])
    for hold in (15.0, 120.0):  # a deeper dim saves more
        assert by.loc[(hold, 0.2), "saving_pct"] > by.loc[(hold, 0.5), "saving_pct"]
    for dim in (0.2, 0.5):  # the same people and sensor misses: a longer hold never leaves more in the dark
        assert by.loc[(120.0, dim), "dark_arrivals_walk_bike"] <= by.loc[(15.0, dim), "dark_arrivals_walk_bike"]
    assert (out / "tradeoff.png").stat().st_size > 10_000


def test_morris_sensitivity(tiny: Path, tmp_path: Path) -> None:
    out = _script("sensitivity").main(["--scenario", str(tiny), "--trajectories", "3", "--workers", "1",
                                       "--out", str(tmp_path / "morris")])  # fmt: skip
    table = pd.read_csv(out / "morris.csv")
    assert len(table) == 10
    energy = table[table["output"] == "energy.lighting_kwh"].set_index("parameter")["mu_star"]
    assert energy.idxmax() == "dim_level"  # the dim level drives energy
    dark = table[table["output"] == "safety.dark_arrivals_walk_bike"].set_index("parameter")["mu_star"]
    assert dark["dim_level"] == 0  # a dark arrival is any level below full, whatever the dim level
    assert dark.idxmax() == "sensor_miss_rate"
    assert (out / "morris.png").stat().st_size > 10_000


TINY_SHUTTLE = """\
interventions:
  - type: maas
    name: tiny-maas
    drt:
      # The whole town (and more); free rides and a short expected wait, so that a tiny
      # town takes the shuttle at all.
      - {name: tiny-shuttle, fleet: 3, area: {bbox: [24.9, 60.1, 25.0, 60.2]}, expected_wait_s: 60}
    fares: {drt_base_eur: 0, drt_eur_per_km: 0}
    booking_channels: [app]
"""


def test_maas_digital_divide(tmp_path: Path) -> None:
    nobody = TINY.replace("population: {residents: 300}", "population: {residents: 300, smartphone_share: 0}")
    assert nobody != TINY
    (tmp_path / "tiny.yaml").write_text(nobody, encoding="utf-8")
    (tmp_path / "tiny-maas.yaml").write_text(nobody + TINY_SHUTTLE, encoding="utf-8")
    out = _script("maas_digital_divide").main(["--scenario", str(tmp_path / "tiny.yaml"), "--maas",
                                               str(tmp_path / "tiny-maas.yaml"), "-r", "2", "--workers", "1",
                                               "--out", str(tmp_path / "batch")])  # fmt: skip
    table = pd.read_csv(out / "divide.csv")
    assert set(table["variant"]) == {"app-only", "app-and-phone", "app-only-more-phones"}
    assert (table.loc[table["figure"] == "shuttle requests per day", "replications"] == 2).all()
    figure = table.set_index(["variant", "group", "figure"])["mean"]
    # Nobody has a smartphone: with app-only booking nobody can book a shuttle ...
    assert figure[("app-only", "all", "shuttle requests per day")] == 0
    assert figure[("app-only", "smartphone: no", "shuttle requests per 100 residents")] == 0
    # ... and a phone line lets them, on the same days and trips.
    assert figure[("app-and-phone", "all", "shuttle requests per day")] > 0
    assert figure[("app-and-phone", "smartphone: no", "shuttle requests per 100 residents")] > 0
    # With 95% holding a smartphone, the holders book; those still without one never do.
    assert figure[("app-only-more-phones", "smartphone: yes", "shuttle requests per 100 residents")] > 0
    assert figure[("app-only-more-phones", "smartphone: no", "shuttle requests per 100 residents")] == 0
    assert (out / "divide.png").stat().st_size > 10_000
