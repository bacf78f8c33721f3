"""The ``twin`` command: what a planner types, what they see, and the exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString

from twin.cli import main

ROOT = Path(__file__).resolve().parents[1]
GRID_SCENARIO = """\
name: tiny-grid
seed: 3
map:
  synthetic: {kind: grid, rows: 4, cols: 5, block_m: 100, arterial_every: 2}
population: {residents: 150}
outputs:
  dir: out
"""


@pytest.fixture
def grid_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(GRID_SCENARIO, encoding="utf-8")
    return path


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_validate_accepts_the_bundled_scenarios(capsys):
    for name in ("helsinki-baseline", "gridtown-baseline", "radialtown-baseline"):
        code, out, err = run(capsys, "validate", str(ROOT / "scenarios" / f"{name}.yaml"))
        assert code == 0, err
        assert "is valid" in out


def test_validate_reports_a_bad_value_in_one_line_with_exit_code_2(capsys, grid_scenario):
    code, out, err = run(capsys, "validate", str(grid_scenario), "--set", "lighting.dim_level=1.4")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {grid_scenario}: lighting.dim_level: 1.4 is above 1.0")
    assert "Traceback" not in err


def test_validate_checks_intervention_areas_against_the_map(capsys, grid_scenario):
    # Valid keys and degrees, but the box lies in the Gulf of Guinea: only the map can tell.
    grid_scenario.write_text(GRID_SCENARIO + "interventions: [{type: car_free_zone, area: {bbox: [0, 0, 0.001, 0.001]}}]\n")
    code, out, err = run(capsys, "validate", str(grid_scenario))
    assert code == 2 and out == ""
    (line,) = [line for line in err.strip().splitlines() if line.startswith("error:")]
    assert "car_free_zone: area: the bbox" in line and "selects no street of the map" in line
    assert "Traceback" not in err


def test_validate_suggests_the_closest_key(capsys, grid_scenario):
    code, _, err = run(capsys, "validate", str(grid_scenario), "--set", "lighting.dim_levl=0.3")
    assert code == 2
    assert "did you mean 'dim_level'?" in err


def test_missing_scenario_file_is_a_user_error(capsys, tmp_path):
    code, _, err = run(capsys, "validate", str(tmp_path / "nope.yaml"))
    assert code == 2
    assert "nope.yaml" in err and "Traceback" not in err


def test_debug_flag_shows_the_traceback(capsys, grid_scenario):
    code, _, err = run(capsys, "--debug", "validate", str(grid_scenario), "--set", "seed=-1")
    assert code == 2
    assert "Traceback" in err


def test_schema_is_json_schema_of_scenarios(capsys, tmp_path):
    code, out, _ = run(capsys, "schema")
    assert code == 0
    schema = json.loads(out)
    assert "lighting" in schema["properties"] and "map" in schema["properties"]
    target = tmp_path / "schema.json"
    assert run(capsys, "schema", "--out", str(target))[0] == 0
    assert json.loads(target.read_text()) == schema


def test_maps_grid_writes_a_map_that_loads_back_identically(capsys, tmp_path):
    out = tmp_path / "grid.gpkg"
    code, stdout, err = run(capsys, "maps", "grid", "--rows", "4", "--cols", "6", "--block-m", "80", "--out", str(out))
    assert code == 0, err
    assert "24 nodes" in stdout
    code, stdout, _ = run(capsys, "maps", "info", str(out), "--json")
    summary = json.loads(stdout)
    # 4 x 6 grid: 4*5 + 6*3 = 38 streets of 80 m, two directions each.
    assert summary["nodes"] == 24 and summary["edges"] == 76
    assert summary["street_km"] == pytest.approx(38 * 0.08)


def test_maps_info_reads_a_scenarios_synthetic_map(capsys, grid_scenario):
    code, out, _ = run(capsys, "maps", "info", str(grid_scenario), "--json")
    assert code == 0
    assert json.loads(out)["nodes"] == 20


def test_maps_info_names_a_bad_map_and_exits_2(capsys, tmp_path):
    broken = tmp_path / "broken.gpkg"
    broken.write_bytes(b"not a geopackage at all")
    code, _, err = run(capsys, "maps", "info", str(broken))
    assert code == 2
    assert err.startswith(f"error: {broken}: cannot read the map") and len(err.strip().splitlines()) == 1


def test_map_without_crs_is_refused(capsys, tmp_path):
    # A shapefile without its .prj has no CRS at all.
    shp = tmp_path / "nocrs.shp"
    frame = gpd.GeoDataFrame({"highway": ["residential"]}, geometry=[LineString([(0, 0), (100, 0)])])
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        frame.to_file(shp)
    code, _, err = run(capsys, "maps", "info", str(shp))
    assert code == 2
    assert err.startswith(f"error: {shp}: the map has no coordinate reference system") and "map.crs" in err


def test_maps_plot_writes_a_png(capsys, tmp_path, grid_scenario):
    out = tmp_path / "plots" / "grid.png"
    code, _, err = run(capsys, "maps", "plot", str(grid_scenario), "--out", str(out))
    assert code == 0, err
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")], "temporary files left behind"


def test_demo_runs_a_batch_and_writes_the_report_and_the_film(capsys, tmp_path, grid_scenario):
    # The demo on a reduced setting: a tiny town, one variant, two replications, a 2 s film.
    variant = tmp_path / "presence.yaml"
    variant.write_text(GRID_SCENARIO.replace("name: tiny-grid", "name: tiny-presence")
                       + "lighting: {controller: presence, dim_level: 0.3}\n", encoding="utf-8")  # fmt: skip
    out = tmp_path / "demo"
    args = ("demo", str(grid_scenario), "--variant", str(variant), "--out", str(out), "-r", "2", "--workers", "1",
            "--film-seconds", "2", "--from", "15:00", "--to", "17:00", "--quiet")  # fmt: skip
    code, stdout, err = run(capsys, *args)
    assert code == 0, err
    runs = pd.read_parquet(out / "batch" / "runs.parquet")
    assert sorted(runs["variant"]) == ["presence", "presence", "tiny-grid", "tiny-grid"]  # a variant is named after its file
    assert (runs["status"] == "ok").all()
    # Paired seeds: replication k of both variants shares its seed.
    assert runs.groupby("replication")["seed"].nunique().eq(1).all()
    import imageio_ffmpeg

    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(out / "film.mp4"))
    assert frames >= 40 and seconds == pytest.approx(2.0, abs=0.2)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "presence" in html and "data:video/mp4;base64," in html
    assert "http://" not in html.replace("http://www.w3.org", "")
    meta = json.loads((out / "meta.json").read_text())
    assert meta["kind"] == "twin-demo" and meta["replications"] == 2 and meta["film"] is True
    assert f"Report: {out / 'report.html'}" in stdout and "Film:" in stdout
    # Running again replaces the folder whole, leaving no staging folders behind.
    assert run(capsys, *args, "--no-film")[0] == 0
    assert not (out / "film.mp4").exists() and (out / "report.html").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo", "presence.yaml", "tiny.yaml"]


def test_demo_refuses_half_a_film_window(capsys, tmp_path, grid_scenario):
    code, _, err = run(capsys, "demo", str(grid_scenario), "--out", str(tmp_path / "demo"), "--from", "15:00")
    assert code == 2 and "--from and --to go together" in err
    assert not (tmp_path / "demo").exists()


def test_run_writes_the_run_folder_that_load_run_reads(capsys, tmp_path, grid_scenario):
    from twin import load_run

    code, stdout, err = run(capsys, "run", str(grid_scenario), "--quiet", "--set", "lighting.controller=presence",
                            "--set", "outputs.person_level=true")  # fmt: skip
    assert code == 0, err
    folder = tmp_path / "out" / "tiny-grid"  # outputs.dir / name, relative to the scenario file
    loaded = load_run(folder)
    trips = loaded["trips"]
    assert list(trips.columns[:10]) == ["trip_id", "person_id", "mode", "origin_node", "dest_node", "depart_s",
                                        "arrival_s", "duration_s", "route_length_m", "wait_s"]  # fmt: skip
    assert len(trips) == loaded["kpis"]["trips"]["total"] > 150
    arrived = trips[trips["status"] == "arrived"]
    assert (arrived["arrival_s"] - arrived["depart_s"] == arrived["duration_s"]).all()
    assert {"edge_id", "hour", "flow_veh", "mean_travel_time_s", "mean_speed_kmh"} <= set(loaded["links"].columns)
    assert loaded["links"]["flow_veh"].sum() >= 1
    assert loaded["lights"]["energy_kwh"].sum() == pytest.approx(loaded["kpis"]["energy"]["lighting_kwh"], abs=1e-3)
    assert len(loaded["timeseries"]) == 24 * 60  # one row per one-minute step
    assert loaded["meta"]["seed"] == 3 and loaded["meta"]["person_level"] is True
    assert "Mode shares" in stdout


def test_run_with_a_bad_key_is_one_line_and_writes_nothing(capsys, tmp_path, grid_scenario):
    code, _, err = run(capsys, "run", str(grid_scenario), "--quiet", "--set", "lighting.controler=presence")
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "did you mean 'controller'" in err
    assert not (tmp_path / "out").exists()


def test_console_script_exit_codes():
    """The installed ``twin`` entry point returns 2 for user errors, without a traceback."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    ok = subprocess.run([sys.executable, "-m", "twin", "--help"], capture_output=True, text=True, env=env)
    assert ok.returncode == 0 and "maps" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "twin", "validate", "does-not-exist.yaml"],
                         capture_output=True, text=True, env=env, cwd=ROOT)  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: does-not-exist.yaml") and "Traceback" not in bad.stderr
    usage = subprocess.run([sys.executable, "-m", "twin", "validate"], capture_output=True, text=True, env=env)
    assert usage.returncode == 2


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["schema", "--out", "{tmp}"], "error: {tmp}: Is a directory; check the path"),
        (["maps", "grid", "--out", "{grid}/g.gpkg"], "error: {grid}: File exists; check the path"),
        (["maps", "plot", "{grid}", "--out", "{tmp}/map.txt"], "error: {tmp}/map.txt: cannot save a '.txt' image; use"),
        (["maps", "grid", "--out", "{tmp}/g.gpkg", "--origin-lat", "95"], "error: {tmp}/g.gpkg: not written: --origin-lat"),
        (["maps", "grid", "--out", "{tmp}/g.gpkg", "--local-speed-kmh", "-5"], "error: {tmp}/g.gpkg: not written: --local-speed-kmh must be a positive number"),
        (["maps", "radial", "--out", "{tmp}/r.gpkg", "--origin-lat", "-85"], "error: {tmp}/r.gpkg: not written: --origin-lat"),
    ],
)
def test_bad_output_paths_and_options_are_one_line_errors(capsys, tmp_path, grid_scenario, args, expected):
    fill = {"tmp": str(tmp_path), "grid": str(grid_scenario)}
    code, _, err = run(capsys, *(a.format(**fill) for a in args))
    assert code == 2, err
    assert err.startswith(expected.format(**fill)), err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_set_on_a_map_file_is_refused_not_ignored(capsys):
    code, _, err = run(capsys, "maps", "info", str(ROOT / "maps" / "helsinki.gpkg"), "--set", "map.lamp_snap_m=25")
    assert code == 2
    assert "--set changes scenario keys, and this is a map file" in err


def test_validate_show_prints_a_scenario_that_loads_back_the_same(capsys, grid_scenario, tmp_path):
    from twin.scenario import load_scenario

    code, out, _ = run(capsys, "validate", str(grid_scenario), "--show", "--set", "lighting.dim_level=0.25")
    assert code == 0
    copy = tmp_path / "resolved.yaml"
    copy.write_text(out, encoding="utf-8")
    assert load_scenario(copy) == load_scenario(grid_scenario, overrides=["lighting.dim_level=0.25"])


def test_usage_errors_are_plain_text_with_exit_code_2():
    bad = subprocess.run([sys.executable, "-m", "twin", "maps", "grid", "--out", "g.gpkg", "--rows", "1"],
                         capture_output=True, text=True)  # fmt: skip
    assert bad.returncode == 2
    assert "Invalid value for '--rows'" in bad.stderr and "╭" not in bad.stderr


def test_run_writes_trips_and_residents_only_when_person_level_is_asked_for(capsys, tmp_path, grid_scenario):
    from twin import load_run

    code, _, err = run(capsys, "run", str(grid_scenario), "--quiet", "--out", str(tmp_path / "p"),
                       "--set", "outputs.person_level=true")  # fmt: skip
    assert code == 0, err
    assert len(pd.read_parquet(tmp_path / "p" / "residents.parquet")) == 150
    meta = json.loads((tmp_path / "p" / "meta.json").read_text())
    assert {"trips.parquet", "residents.parquet"} <= set(meta["tables"]) and meta["person_level"] is True
    assert run(capsys, "run", str(grid_scenario), "--quiet", "--out", str(tmp_path / "q"))[0] == 0
    assert not (tmp_path / "q" / "residents.parquet").exists() and not (tmp_path / "q" / "trips.parquet").exists()
    meta = json.loads((tmp_path / "q" / "meta.json").read_text())
    assert meta["person_level"] is False and meta["min_group_residents"] == 10
    assert meta["tables"] == ["links.parquet", "lights.parquet", "timeseries.parquet", "services.parquet"]
    loaded = load_run(tmp_path / "q")
    assert "trips" not in loaded and "residents" not in loaded and len(loaded["lights"])


def test_run_refuses_a_foreign_output_folder_and_leaves_it_alone(capsys, tmp_path, grid_scenario):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    code, _, err = run(capsys, "run", str(grid_scenario), "--quiet", "--out", str(foreign))
    assert code == 2 and "is not a twin output folder" in err
    assert (foreign / "notes.txt").read_text() == "keep me"
