"""A tiny batch for the business case: an 8 x 8 grid town of 300 residents, always-on lights
against presence dimming everywhere, three replications (each run a fraction of a second)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "gridtown-baseline.yaml"
SMALL = ("population.residents=300", "map.synthetic.rows=8", "map.synthetic.cols=8")

PRESENCE = """\
interventions:
  - type: adaptive_lighting
    name: presence-all
    controller: presence
    dim_level: 0.3
"""


@pytest.fixture(scope="session")
def tiny_batch(tmp_path_factory) -> Path:
    """A finished batch folder: gridtown-baseline (always on) and presence-all, 3 replications each."""
    from twin.experiment.batch import run_batch

    folder = tmp_path_factory.mktemp("economics")
    variant = folder / "presence.yaml"
    variant.write_text(PRESENCE, encoding="utf-8")
    run_batch(BASELINE, variants=[variant], overrides=SMALL, replications=3, workers=1, out=folder / "batch")
    return folder / "batch"
