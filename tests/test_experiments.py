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
