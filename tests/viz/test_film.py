"""Films of runs: positions, lamp levels and the energy counter against hand calculations;
MP4 and GIF files read back (frames, duration, codec); ``twin animate`` and its errors.

The renderer is tested on a 4 x 5 grid town of 150 residents (a run takes about a second);
the arithmetic on a hand-made Replay of two edges whose every number is known.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
import yaml
from PIL import Image

from twin._errors import TwinError
from twin.cli import main
from twin.engine.controllers import LevelTimelines
from twin.engine.traversals import MODE_CODES, Traversals
from twin.maps.io import save_network
from twin.maps.synthetic import grid_town
from twin.model import CityModel
from twin.scenario import load_scenario
from twin.viz.film import Replay, film_window, render_film, render_still

CAR, BIKE, WALK = MODE_CODES["car"], MODE_CODES["bike"], MODE_CODES["walk"]
TINY = """\
name: tiny-film
seed: 3
map:
  synthetic: {kind: grid, rows: 4, cols: 5, block_m: 100, arterial_every: 2}
date: 2026-12-15
timezone: Europe/Helsinki
population: {residents: 150}
lighting: {controller: presence, dim_level: 0.3, hold_s: 30}
"""


def hand_replay() -> Replay:
    """Edge 0 runs (0, 0) -> (100, 0) -> (100, 50), 150 m; edge 1 (0, 0) -> (0, 100).

    A walker passes edge 0 from 10 s to 40 s, a car edge 1 from 20 s to 30 s. Street 0 is at
    full level until 50 s and ramps down to 0.3 at 60 s; street 1 stays at 0.5. It is dark
    from 0 s to 80 s; the run lasts 100 s.
    """
    return Replay(
        label="hand", map_sha256="hand", crs="EPSG:3067", attribution="test data", date="2026-12-15",
        edge_ptr=np.array([0, 3, 5]), edge_xy=np.array([[0, 0], [100, 0], [100, 50], [0, 0], [0, 100]], float),
        edge_kind=np.array([2, 3], np.int8),
        passages=Traversals(edge=np.array([0, 1]), enter_s=np.array([10.0, 20.0]), exit_s=np.array([40.0, 30.0]),
                            mode=np.array([WALK, CAR], np.int8), trip=np.array([0, 1])),
        lamp_xy=np.array([[50.0, 0.0], [100.0, 25.0], [0.0, 50.0]]), lamp_street=np.array([0, 0, 1]),
        timelines=LevelTimelines(ptr=np.array([0, 3, 4]), t=np.array([0.0, 50.0, 60.0, 0.0]),
                                 level=np.array([1.0, 1.0, 0.3, 0.5])),
        street_power_w=np.array([200.0, 100.0]), standby_kw=0.01, dark_s=np.array([[0.0, 80.0]]),
        start_s=0.0, end_s=100.0,
    )  # fmt: skip


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("film") / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def model(scenario_file) -> CityModel:
    model = CityModel(load_scenario(scenario_file))
    model.run()
    return model


@pytest.fixture(scope="module")
def replay(model) -> Replay:
    return Replay.from_model(model)


@pytest.fixture(scope="module")
def run_dir(scenario_file, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "tiny"
    assert main(["run", str(scenario_file), "--out", str(out), "--quiet"]) == 0
    return out


def one_error_line(capsys, *args: str) -> str:
    code = main(list(args))
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    return lines[0]


# ------------------------------------------------------------------ by hand


def test_positions_follow_the_edge_line_at_the_time_fraction():
    positions = hand_replay().positions_at([10.0, 25.0, 30.0, 35.0, 40.0])
    xy, mode = positions.at(0)  # the walker just entered; the car is not on the road yet
    np.testing.assert_allclose(xy, [[0.0, 0.0]])
    assert mode.tolist() == [WALK]
    xy, mode = positions.at(1)  # walker 15/30 of 150 m: 75 m along; car 5/10 of 100 m
    assert sorted(zip(mode.tolist(), map(tuple, xy.round(9)))) == [(CAR, (0.0, 50.0)), (WALK, (75.0, 0.0))]
    np.testing.assert_allclose(positions.at(2)[0], [[100.0, 0.0]])  # 100 m: the corner; the car has left
    np.testing.assert_allclose(positions.at(3)[0], [[100.0, 25.0]])  # 125 m: 25 m up the second segment
    assert positions.at(4)[0].shape == (0, 2)  # on an edge from enter_s up to, not including, exit_s
    assert positions.counts().tolist() == [[0, 0, 1], [1, 0, 1], [0, 0, 1], [0, 0, 1], [0, 0, 0]]


def test_lamp_levels_follow_their_street_while_dark():
    levels = hand_replay().lamp_levels_at([30.0, 55.0, 60.0, 85.0])
    np.testing.assert_allclose(levels, [[1.0, 1.0, 0.5], [0.65, 0.65, 0.5], [0.3, 0.3, 0.5], [0.0, 0.0, 0.0]])
    # Averaged over the 10 s (20 s) before: the ramp's mean; 10 s at 0.3, then 10 s of daylight.
    averaged = hand_replay().lamp_levels_at([60.0, 90.0], over_s=10.0)
    np.testing.assert_allclose(averaged, [[0.65, 0.65, 0.5], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(hand_replay().lamp_levels_at([90.0], over_s=20.0), [[0.15, 0.15, 0.25]])


def test_power_and_energy_by_hand():
    replay = hand_replay()
    # 0.2 kW x 0.65 + 0.1 kW x 0.5 + 0.01 kW standby at 55 s; standby only by day.
    np.testing.assert_allclose(replay.power_kw([55.0, 90.0]), [0.19, 0.01])
    # Street 0: 50 s at full, 10 s ramping (mean 0.65), 20 s at 0.3 = 62.5 level-seconds;
    # street 1: 80 s at 0.5; standby: 100 s.
    total_kws = 0.2 * 62.5 + 0.1 * 40.0 + 0.01 * 100.0
    np.testing.assert_allclose(replay.energy_kwh([0.0, 55.0, 100.0]),
                               [0.0, (0.2 * 54.125 + 0.1 * 27.5 + 0.01 * 55.0) / 3600, total_kws / 3600])  # fmt: skip
    rest_kws = total_kws - (0.2 * 54.125 + 0.1 * 27.5 + 0.01 * 55.0)
    np.testing.assert_allclose(replay.energy_kwh([55.0, 100.0])[-1], rest_kws / 3600)


def test_film_window_reads_times_of_day_and_wraps_past_midnight():
    assert film_window("18:00", "07:00", span=(64800.0, 111600.0)) == (64800.0, 111600.0)
    assert film_window("02:00", None, span=(64800.0, 111600.0)) == (93600.0, 111600.0)
    assert film_window("15:00", "24:00", span=(0.0, 86400.0)) == (54000.0, 86400.0)
    assert film_window(None, None, span=(0.0, 86400.0)) == (0.0, 86400.0)
    with pytest.raises(TwinError, match=r"--to 07:00 \(after 18:00\) is outside the run: the run covers 00:00 to 24"):
        film_window("18:00", "07:00", span=(0.0, 86400.0))
    with pytest.raises(TwinError, match="--from 6pm: not a time of day; write HH:MM"):
        film_window("6pm", None, span=(0.0, 86400.0))


# ------------------------------------------------------------ from a model


def test_edges_run_from_their_tail_node_to_their_head(model, replay):
    edges, nodes = model.network.edges, model.network.nodes[["x", "y"]].to_numpy()
    np.testing.assert_allclose(replay.edge_xy[replay.edge_ptr[:-1]], nodes[edges["u"].to_numpy()], atol=1e-6)
    np.testing.assert_allclose(replay.edge_xy[replay.edge_ptr[1:] - 1], nodes[edges["v"].to_numpy()], atol=1e-6)


def test_energy_counter_ends_at_the_lights_energy(model, replay):
    result = model.lighting_result
    times = np.linspace(replay.start_s, replay.end_s, 97)
    np.testing.assert_allclose(replay.energy_kwh(times)[-1], result.total_kwh, rtol=1e-9)
    np.testing.assert_allclose(replay.power_kw(times), result.power_kw(times), rtol=1e-12, atol=1e-12)
    # An evening window, against the power sampled every second (steps make it inexact).
    window = np.arange(17 * 3600, 22 * 3600 + 1, 1.0)
    power = result.power_kw(window)
    expected = ((power[1:] + power[:-1]) / 2).sum() / 3600
    counted = replay.energy_kwh(np.linspace(window[0], window[-1], 301))[-1]
    assert counted == pytest.approx(expected, rel=1e-3)


def test_lamp_levels_are_their_streets_timelines(model, replay):
    timelines, lamps = model.lighting_result.timelines, model.network.lamps
    at = 20 * 3600.0 + 17.0  # dark
    expected = [timelines.at(street, [at])[0] for street in lamps["street_id"]]
    np.testing.assert_allclose(replay.lamp_levels_at([at])[0], expected)
    assert set(np.round(expected, 6)) >= {0.3, 1.0}, "the presence controller should show dimmed and full lamps"


# --------------------------------------------------------------- films


def test_mp4_is_h264_yuv420p_with_its_frames_and_duration(replay, tmp_path):
    out = tmp_path / "night.mp4"
    done = []
    info = render_film([replay], out=out, start_s=17 * 3600, end_s=23 * 3600, seconds=2.0, fps=10, width_px=200,
                       progress=lambda k, n: done.append((k, n)))  # fmt: skip
    assert info.path == out and info.frames == 20 and info.duration_s == 2.0 and info.bytes == out.stat().st_size
    assert info.width % 2 == 0 and info.height % 2 == 0 and info.width == 200
    assert done[-1] == (20, 20) and len(done) == 20
    assert imageio_ffmpeg.count_frames_and_secs(str(out)) == (20, 2.0)
    reader = imageio_ffmpeg.read_frames(str(out))
    meta = next(reader)
    reader.close()
    assert meta["codec"] == "h264" and meta["pix_fmt"].startswith("yuv420p") and meta["size"] == (200, info.height)
    assert [p.name for p in tmp_path.iterdir()] == ["night.mp4"]  # no temporary file left behind


def test_gif_has_its_frames_and_duration(replay, tmp_path):
    out = tmp_path / "night.gif"
    info = render_film([replay], out=out, start_s=17 * 3600, end_s=23 * 3600, seconds=2.0, fps=5, width_px=160)
    assert info.frames == 10 and info.duration_s == pytest.approx(2.0)
    with Image.open(out) as gif:
        assert gif.size == (info.width, info.height) and gif.n_frames == 10
        delays = []
        for k in range(gif.n_frames):
            gif.seek(k)
            delays.append(gif.info["duration"])
        last = np.asarray(gif.convert("RGB"))
    assert delays == [200] * 10
    # The last frame, put together from the changed boxes, is the film's last picture.
    still = render_still([replay], at_s=23 * 3600, start_s=17 * 3600, width_px=160, trail_s=6 * 3600 / 9)[:, :, :3]
    assert np.mean(np.abs(last.astype(int) - still.astype(int)) > 48) < 0.01


def test_side_by_side_doubles_the_width_and_needs_one_map(replay):
    one = render_still([replay], at_s=20 * 3600, width_px=240)
    two = render_still([replay, replay], at_s=20 * 3600, width_px=240)
    assert two.shape[1] == 2 * one.shape[1] == 480
    other = dataclasses.replace(replay, map_sha256="another map")
    with pytest.raises(TwinError, match="must share a map"):
        render_still([replay, other], at_s=20 * 3600)


def test_a_failed_film_leaves_no_file(replay, tmp_path):
    def stop(done, total):
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        render_film([replay], out=tmp_path / "film.mp4", seconds=1.0, fps=10, width_px=160, progress=stop)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------- the CLI


def test_animate_writes_the_film_and_says_where(capsys, run_dir, tmp_path):
    out = tmp_path / "films" / "night.mp4"
    code = main(["animate", str(run_dir), "--vs", str(run_dir), "--out", str(out), "--from", "18:00", "--to", "23:00",
                 "--seconds", "1", "--fps", "6", "--width", "160", "--quiet"])  # fmt: skip
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert f"Wrote film {out}: 6 frames, 1 s at 6 fps, 320 x" in printed.out.replace("\n", "")
    assert imageio_ffmpeg.count_frames_and_secs(str(out)) == (6, 1.0)


@pytest.fixture
def altered(run_dir, tmp_path):
    """A copy of the run folder, changed by ``edit(folder)``."""

    def make(edit) -> Path:
        folder = tmp_path / "altered"
        shutil.copytree(run_dir, folder)
        edit(folder)
        return folder

    return make


def _edit_json(folder: Path, name: str, change) -> None:
    data = json.loads((folder / name).read_text(encoding="utf-8"))
    change(data)
    (folder / name).write_text(json.dumps(data), encoding="utf-8")


def test_animate_errors_are_one_line(capsys, run_dir, tmp_path, altered):
    film = str(tmp_path / "film.mp4")
    assert "not a twin run folder (no kpis.json)" in one_error_line(capsys, "animate", str(tmp_path), "--out", film)
    line = one_error_line(capsys, "animate", str(run_dir), "--out", str(tmp_path / "film.avi"))
    assert "film.avi: cannot write a .avi film; name it .mp4 (H.264) or .gif" in line
    assert "--from 25:00: not a time of day" in one_error_line(capsys, "animate", str(run_dir), "--out", film,
                                                                "--from", "25:00")  # fmt: skip
    evening = altered(lambda f: (f / "scenario.resolved.yaml").write_text(
        (f / "scenario.resolved.yaml").read_text().replace("start_s: 0.0", "start_s: 64800.0")
        .replace("duration_s: 86400.0", "duration_s: 21600.0")))  # fmt: skip
    line = one_error_line(capsys, "animate", str(evening), "--out", film, "--from", "12:00")
    assert "--from 12:00 is outside the run: the run covers 18:00 to 24:00" in line
    shutil.rmtree(evening)
    elsewhere = altered(lambda f: _edit_json(f, "meta.json", lambda m: m["map"].update(sha256="0" * 64)))
    line = one_error_line(capsys, "animate", str(run_dir), "--vs", str(elsewhere), "--out", film)
    assert "--vs needs a run on the same map" in line
    assert not (tmp_path / "film.mp4").exists()


def test_animate_refuses_a_run_the_code_no_longer_reproduces(capsys, run_dir, tmp_path, altered):
    changed = altered(lambda f: _edit_json(f, "kpis.json", lambda k: k["trips"].update(total=k["trips"]["total"] + 1)))
    line = one_error_line(capsys, "animate", str(changed), "--out", str(tmp_path / "film.mp4"))
    assert "simulating the run again gave other results (trips.total differs from kpis.json)" in line


def test_replay_refuses_a_changed_or_missing_map(capsys, tmp_path):
    town = tmp_path / "town.gpkg"
    save_network(grid_town(rows=3, cols=4, block_m=100.0), town)
    scenario = yaml.safe_load(TINY)
    scenario["map"] = {"file": str(town)}
    (tmp_path / "town.yaml").write_text(yaml.safe_dump(scenario), encoding="utf-8")
    run = tmp_path / "run"
    assert main(["run", str(tmp_path / "town.yaml"), "--out", str(run), "--quiet"]) == 0
    capsys.readouterr()
    with town.open("ab") as handle:
        handle.write(b"\0")
    film = str(tmp_path / "film.mp4")
    assert "town.gpkg: the map changed since run" in one_error_line(capsys, "animate", str(run), "--out", film)
    town.unlink()
    assert "town.gpkg: the map of run" in one_error_line(capsys, "animate", str(run), "--out", film)


def test_one_clock_reads_midnight_the_same_in_films_reports_and_the_command():
    import twin.report._format as report_format
    import twin.viz.film.animate as animate
    import twin.viz.film.render as render
    from twin._clock import DAY_S, clock, parse_clock
    from twin.engine.sun import DAY_S as SUN_DAY_S

    assert report_format.clock is clock and render.clock is clock and animate.clock is clock
    assert animate.parse_clock is parse_clock and animate.DAY_S is DAY_S is SUN_DAY_S
    assert [clock(s) for s in (0, 54000, 86400, 93600, 172800)] == ["00:00", "15:00", "00:00 (+1 d)", "02:00 (+1 d)",
                                                                    "00:00 (+2 d)"]  # fmt: skip
    # A midnight that ends a window is 24:00 of the day it ends.
    assert [clock(s, end=True) for s in (86400, 172800, 61200, 93600)] == ["24:00", "24:00 (+1 d)", "17:00",
                                                                           "02:00 (+1 d)"]  # fmt: skip
    assert clock(None) == clock(float("nan")) == "-" and clock(np.float64(59.6)) == "00:01"
    assert [parse_clock(t, option="--from") for t in ("00:00", "18:30", "24:00")] == [0.0, 66600.0, 0.0]
    with pytest.raises(TwinError, match="--to 25:70: not a time of day"):
        parse_clock("25:70", option="--to")


def test_the_last_frame_of_a_film_to_the_run_s_end_shows_the_end_not_the_next_day(model, replay):
    from twin.viz.film.render import _Scene

    # 14:30 to 24:00 in 21 frames, as the demo's film ends: the last frame is midnight, the run's end.
    times = np.linspace(14.5 * 3600, replay.end_s, 21)
    scene = _Scene([replay], times, width_px=160, trail_s=times[1] - times[0])
    state = scene._state[0]
    assert scene.header(20) == ("24:00", "Tue 15 Dec 2026 · dark: lights on")
    assert scene.header(19) == ("23:31", "Tue 15 Dec 2026 · dark: lights on")
    # Counters as the frame before, within reason: the lights still on at midnight, the energy the day's.
    power = model.lighting_result.power_kw(np.array([replay.end_s - 60.0]))[0]
    assert power > 0 and state.power_kw[20] == pytest.approx(power, rel=0.2)
    assert state.power_kw[20] == pytest.approx(state.power_kw[19], rel=0.2)
    assert np.abs(state.counts[20] - state.counts[19]).sum() <= max(3, state.counts[19].sum())
    levels = np.asarray(state.lamp_levels[20], dtype=float)
    assert levels.max() > 0, "the lamps are drawn lit"
    assert state.energy_kwh[20] == pytest.approx(replay.energy_kwh([times[0], replay.end_s])[-1], rel=1e-12)
