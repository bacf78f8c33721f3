"""Property: whatever a scenario file holds, loading gives a Scenario or a one-line-per-problem
ScenarioError, never another exception."""

from __future__ import annotations

import copy
import math
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twin._errors import ScenarioError
from twin.scenario import Scenario, load_scenario

VALID: list[dict[str, Any]] = [
    {"name": "grid", "map": {"synthetic": {"kind": "grid"}}},
    {
        "name": "radial night",
        "seed": 7,
        "date": "2026-12-21",
        "timezone": "Europe/Helsinki",
        "map": {"synthetic": {"kind": "radial", "rings": 3, "spokes": 6}},
        "population": {"residents": 500, "income_shares": {"low": 0.2, "middle": 0.8}},
        "lighting": {"controller": "presence", "dim_level": 0.2, "hold_s": 30},
        "interventions": [{"type": "led_retrofit", "name": "led", "power_ratio": 0.5}],
        "traffic": {"iterations": 3},
        "outputs": {"dir": "out", "person_level": True},
    },
    {
        "name": "file map",
        "map": {"file": "town.gpkg", "crs": "EPSG:3067", "road_classes": {"primary": {"lanes": 2}}},
        "demand": {"trips": "trips.csv"},
        "lighting": {"controller": "part_night"},
        "duration_s": 3600,
        "step_s": 1,
    },
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.dates().map(str)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path in a nested dict/list, the empty path excluded."""
    found = []
    if isinstance(node, dict):
        items = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    else:
        return found
    for key, child in items:
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(data)
        if not paths:
            break
        target = draw(st.sampled_from(paths))
        parent: Any = data
        for key in target[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["delete", "insert", "replace"]))
        if action == "delete":
            del parent[target[-1]]
        elif action == "replace":
            parent[target[-1]] = draw(values)
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=10))] = draw(values)
        else:
            parent.append(draw(values))
    return data


def _check(path: Path) -> None:
    try:
        result = load_scenario(path)
    except ScenarioError as exc:
        message = str(exc)
        assert message
        for line in message.split("\n"):
            assert line.startswith(f"{path}: "), message
            assert "Traceback" not in line
            assert line.isprintable(), line
            assert len(line) < 600, line
        assert len(message.split("\n")) <= 10
    else:
        assert isinstance(result, Scenario)
        assert result.outputs.dir.is_absolute()


@settings(max_examples=200, deadline=None)
@given(mutated())
def test_mutated_scenarios_load_or_fail_cleanly(data: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        (base / "town.gpkg").write_bytes(b"")
        (base / "trips.csv").write_text("trip_id,origin_node,dest_node,depart_s,mode\n")
        path = base / "scenario.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        _check(path)


def test_valid_examples_are_valid(tmp_path: Path) -> None:
    (tmp_path / "town.gpkg").write_bytes(b"")
    (tmp_path / "trips.csv").write_text("trip_id\n")
    for i, data in enumerate(VALID):
        path = tmp_path / f"s{i}.yaml"
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        assert isinstance(load_scenario(path), Scenario)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_any_text_loads_or_fails_cleanly(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scenario.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        _check(path)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=3))
def test_any_overrides_load_or_fail_cleanly(overrides: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scenario.yaml"
        path.write_text(yaml.safe_dump(VALID[0]), encoding="utf-8")
        try:
            result = load_scenario(path, overrides=overrides)
        except ScenarioError as exc:
            for line in str(exc).split("\n"):
                assert line.startswith(f"{path}: "), str(exc)
                assert line.isprintable(), line
        else:
            assert isinstance(result, Scenario)


def test_nan_is_never_accepted(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({**VALID[0], "lighting": {"hold_s": math.nan}}))
    _check(path)
