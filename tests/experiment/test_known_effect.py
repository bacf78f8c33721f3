"""The summary's confidence interval finds a known effect on the bundled city.

Presence-based lights dimmed to 30% when nobody is near use less energy than lights always
on, whatever the seed: the paired 95% interval of the saving must exclude zero. Always-on
energy does not depend on random numbers (every lamp burns from dusk to dawn); presence
energy does (it follows the people), so the baseline's spread is zero and the variant's not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from twin._errors import MapWarning
from twin.experiment import Variant, load_batch, run_batch

HELSINKI = Path(__file__).resolve().parents[2] / "scenarios" / "helsinki-baseline.yaml"
PRESENCE_30 = Variant("presence-30", overrides=("lighting.controller=presence", "lighting.dim_level=0.3"))


def test_presence_lights_at_30_percent_save_energy_with_a_ci_excluding_zero(tmp_path):
    with pytest.warns(MapWarning) as caught:
        runs = run_batch(HELSINKI, variants=[PRESENCE_30], overrides=["population.residents=1000"], replications=3,
                         workers=2, out=tmp_path / "batch")  # fmt: skip
    # Each map warning is issued once for the batch, not once per run.
    texts = [str(w.message) for w in caught]
    assert len(texts) == len(set(texts))
    assert (runs["status"] == "ok").all() and len(runs) == 6

    summary = load_batch(tmp_path / "batch").summary().set_index(["variant", "kpi"])
    base = summary.loc[("helsinki-baseline", "energy.lighting_kwh")]
    assert base["n"] == 3 and base["sd"] == 0  # always on: no randomness in the energy
    saving = summary.loc[("presence-30", "energy.lighting_kwh")]
    assert saving["n_pairs"] == 3 and saving["sd"] > 0
    assert saving["ci_low"] <= saving["diff_mean"] <= saving["ci_high"] < 0
    assert -0.9 < saving["rel_change"] < -0.3
