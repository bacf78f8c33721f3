"""A tiny town for batch tests: a 4 x 5 grid with 150 residents, each run a fraction of a second."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

TINY = """\
name: tiny
seed: 3
date: 2026-12-15
timezone: Europe/Helsinki
map:
  synthetic: {kind: grid, rows: 4, cols: 5, block_m: 100, arterial_every: 2}
population: {residents: 150}
lighting: {controller: presence}
outputs: {dir: out/tiny}
"""

# A trip table that reads as a valid scenario but fails inside the run: no such node.
BAD_TRIPS = "trip_id,origin_node,dest_node,depart_s,mode\n1,r0c0,r9c9,28800,car\n"


@pytest.fixture(scope="session")
def tiny_text() -> str:
    """The tiny town's scenario, as text (for fixtures wider than a test)."""
    return TINY


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write ``text`` to ``tmp_path / name`` and return the path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def tiny(write) -> Path:
    """The tiny town's scenario file."""
    return write("tiny.yaml", TINY)


@pytest.fixture
def failing_variant(write) -> Path:
    """A variant scenario that passes validation and raises inside its run."""
    write("bad-trips.csv", BAD_TRIPS)
    return write("broken.yaml", TINY.replace("population: {residents: 150}", "demand: {trips: bad-trips.csv}")
                 .replace("name: tiny", "name: broken"))
