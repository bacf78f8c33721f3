"""The batch folder: run keys, which folders a batch may write, and cleaning up after a kill."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from twin._errors import TwinError
from twin.experiment.store import BatchFolder, RunKeys, flatten_kpis, is_batch_folder
from twin.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def test_run_key_depends_on_what_decides_the_results(tiny):
    scenario = load_scenario(tiny)
    keys = RunKeys()
    key = keys.key(scenario)
    assert len(key) == 16 and int(key, 16) >= 0
    assert keys.key(load_scenario(tiny)) == key
    assert keys.key(scenario.model_copy(update={"seed": 4})) != key
    assert keys.key(load_scenario(tiny, overrides=["lighting.dim_level=0.3"])) != key
    # Where the run would write by itself does not change its results.
    assert keys.key(load_scenario(tiny, overrides=["outputs.dir=elsewhere"])) == key


def test_a_map_file_is_keyed_by_its_content_not_its_path(tmp_path, write):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for folder, content in (("a", b"one map"), ("b", b"one map")):
        (tmp_path / folder / "town.gpkg").write_bytes(content)
    text = "name: t\nmap: {file: town.gpkg}\n"
    a, b = write("a/s.yaml", text), write("b/s.yaml", text)
    keys = RunKeys()
    assert keys.key(load_scenario(a)) == keys.key(load_scenario(b))
    (tmp_path / "b" / "town.gpkg").write_bytes(b"another map")
    assert RunKeys().key(load_scenario(a)) != RunKeys().key(load_scenario(b))


def test_kpis_flatten_to_dotted_names():
    flat = flatten_kpis({"energy": {"lighting_kwh": 5.0, "switch_on_s": None}, "vehicle_km": 3,
                         "traffic": {"relative_gap": [0.1, 0.02]}})  # fmt: skip
    assert flat["energy.lighting_kwh"] == 5.0 and flat["vehicle_km"] == 3
    assert math.isnan(flat["energy.switch_on_s"])
    assert flat["traffic.relative_gap.0"] == 0.1 and flat["traffic.relative_gap.1"] == 0.02


def test_a_new_folder_or_an_empty_one_is_made_a_batch_folder(tmp_path):
    for root in (tmp_path / "new" / "batch", tmp_path / "empty"):
        if root.name == "empty":
            root.mkdir()
        folder = BatchFolder(root)
        with folder.open(resume=False):
            folder.write_experiment({"name": "x"})
        assert is_batch_folder(root) and (root / "runs").is_dir() and (root / "failures").is_dir()


def test_a_batch_folder_needs_resume_and_a_foreign_folder_is_never_touched(tmp_path):
    batch = BatchFolder(tmp_path / "batch")
    with batch.open(resume=False):
        batch.write_experiment({"name": "x"})
    with pytest.raises(TwinError, match="holds a batch already; pass --resume"):
        batch.check(resume=False)
    batch.check(resume=True)

    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    for resume in (False, True):
        with pytest.raises(TwinError, match="is not a twin batch folder"):
            BatchFolder(foreign).check(resume=resume)
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]
    (tmp_path / "file").write_text("")
    with pytest.raises(TwinError, match="is a file"):
        BatchFolder(tmp_path / "file").check(resume=True)


def test_one_batch_at_a_time_writes_a_folder(tmp_path):
    folder = BatchFolder(tmp_path / "b")
    with folder.open(resume=False):
        folder.write_experiment({"name": "x"})
        with pytest.raises(TwinError, match="another twin batch is writing here"):
            with BatchFolder(tmp_path / "b").open(resume=True):
                pass
    with BatchFolder(tmp_path / "b").open(resume=True):
        pass


def test_reopening_removes_what_a_killed_batch_left_half_written(tmp_path):
    folder = BatchFolder(tmp_path / "b")
    with folder.open(resume=False):
        folder.write_experiment({"name": "x"})
    staging = folder.runs_dir / ".0123456789abcdef-staging-x1y2"
    staging.mkdir()
    (staging / "trips.parquet").write_bytes(b"half")
    finished = folder.runs_dir / "0123456789abcdef"
    finished.mkdir()
    (finished / "kpis.json").write_text("{}")
    temporary = folder.root / ".runs.parquet.123.tmp"
    temporary.write_bytes(b"half")
    with folder.open(resume=True):
        pass
    assert not staging.exists() and not temporary.exists()
    assert folder.finished("0123456789abcdef") and not folder.finished("fedcba9876543210")


def test_any_input_file_a_scenario_names_is_keyed_by_its_content(tmp_path, write, tiny):
    from twin.experiment.files import checked_interventions

    districts = write("d.geojson", (ROOT / "maps" / "helsinki-districts.geojson").read_text(encoding="utf-8"))
    (item,) = checked_interventions([{"type": "car_free_zone", "area": {"district": "Kluuvi", "districts": "d.geojson"}}],
                                    source=tiny)  # fmt: skip
    scenario = load_scenario(tiny, overrides=[f"interventions={json.dumps([item])}"])
    key = RunKeys().key(scenario)
    districts.write_text(districts.read_text(encoding="utf-8") + "\n")  # edited: the same runs no more
    assert RunKeys().key(scenario) != key
