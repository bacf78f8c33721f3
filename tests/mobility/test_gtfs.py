"""Tests of twin.mobility.gtfs on the bundled sample feed (tests/data/gtfs-sample, see its README)."""

from __future__ import annotations

import datetime
import math
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from twin._errors import MapWarning, ScenarioError
from twin.maps.synthetic import grid_town
from twin.mobility.gtfs import read_gtfs
from twin.mobility.transit import build_lines, build_timetable, level_of_service
from twin.scenario.services import LineSpec, TransitSpec

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "gtfs-sample"
H = 3600.0


@pytest.fixture(scope="module")
def town():
    return grid_town(rows=5, cols=5, block_m=200.0)


def _ids(network, line):
    return network.nodes["node_id"].to_numpy()[line.stop_nodes].tolist()


def test_sample_feed_gives_its_lines_stops_and_headways(town):
    lines = read_gtfs(SAMPLE, town)
    assert [line.name for line in lines] == ["1", "1 (return)", "2"]
    assert _ids(town, lines[0]) == ["r2c0", "r2c1", "r2c2", "r2c3", "r2c4"]
    assert _ids(town, lines[1]) == ["r2c4", "r2c3", "r2c2", "r2c1", "r2c0"]
    # Route 2's usual pattern (6 trips) wins over the one entering service at the hub.
    assert _ids(town, lines[2]) == ["r0c2", "r1c2", "r2c2", "r3c2", "r4c2"]
    # Route 1 east: 6 departures an hour 06-09 (3600 / 6 = 600 s), 4 an hour 09-12 (900 s);
    # service ends one headway after the 11:45 departure.
    assert lines[0].headways == ((6 * H, 600.0), (9 * H, 900.0), (12 * H, math.inf))
    assert lines[1].headways == ((6 * H, 600.0), (9 * H, math.inf))
    # Route 2: the 06:40 working alone in its hour (3600 s), then 3 an hour (1200 s) from
    # 07:00 to 08:40; the weekend trips (every 30 min 10-18) do not count on a weekday.
    assert lines[2].headways == ((6 * H + 40 * 60, 3600.0), (7 * H, 1200.0), (8 * H + 40 * 60 + 1200, math.inf))
    defaults = LineSpec.model_fields
    assert lines[0].capacity == defaults["capacity"].default and lines[0].dwell_s == defaults["dwell_s"].default


def test_timetable_from_the_feed_reproduces_its_departures(town):
    tt = build_timetable(read_gtfs(SAMPLE, town), town, start_s=0, end_s=24 * H)
    # 18 + 12 eastbound, 18 westbound, 7 on route 2 (06:40, 07:00, ..., 08:40).
    assert np.bincount(tt.run_line).tolist() == [30, 18, 7]
    route2 = tt.run_start_s[tt.run_line == 2]
    np.testing.assert_allclose(route2, [6 * H + 2400, 7 * H, 7 * H + 1200, 7 * H + 2400, 8 * H, 8 * H + 1200,
                                        8 * H + 2400])  # fmt: skip


def test_the_shared_stop_is_a_transfer(town):
    lines = read_gtfs(SAMPLE, town)
    tt = build_timetable(lines, town, start_s=0, end_s=24 * H)
    nodes = town.node_positions(["r2c0", "r4c2"])
    los = level_of_service(tt, town, nodes[:1], nodes[1:], 7 * H + 600, max_walk_m=150)
    assert los.boardings[0] == 2
    assert [lines[i].name for i in los.paths.ride_line] == ["1", "2"]
    assert los.wait_s[0] == pytest.approx(300 + 600)


def test_a_saturday_keeps_the_weekend_trip_cut_to_the_map(town):
    with pytest.warns(MapWarning, match="1 line\\(s\\) of the feed run partly off the map"):
        lines = read_gtfs(SAMPLE, town, service_date=datetime.date(2026, 3, 7))
    assert [line.name for line in lines] == ["2"]
    # S2 S1 HUB FAR, FAR 5 km east of the map: cut to S2 S1 HUB; every 30 min 10:00-18:00.
    assert _ids(town, lines[0]) == ["r0c2", "r1c2", "r2c2"]
    assert lines[0].headways == ((10 * H, 1800.0), (18 * H, math.inf))


def test_a_zip_with_the_tables_in_a_folder_reads_the_same(town, tmp_path):
    archive = tmp_path / "feed.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for file in SAMPLE.glob("*.txt"):
            z.write(file, f"gridtown-gtfs/{file.name}")
    assert [(line.name, line.headways) for line in read_gtfs(archive, town)] == [
        (line.name, line.headways) for line in read_gtfs(SAMPLE, town)]  # fmt: skip


def test_build_lines_reads_the_feed_after_the_listed_lines(town):
    spec = TransitSpec(lines=[LineSpec(name="9", stops=[[24.9400, 60.1700], [24.9436, 60.1701]], bidirectional=False)],
                       gtfs=SAMPLE)  # fmt: skip
    assert [line.name for line in build_lines(spec, town)] == ["9", "1", "1 (return)", "2"]
    clash = TransitSpec(lines=[LineSpec(name="2", stops=[[24.9400, 60.1700], [24.9436, 60.1701]])], gtfs=SAMPLE)
    with pytest.raises(ScenarioError, match="services.transit.gtfs: the feed has a line named '2'"):
        build_lines(clash, town)


def test_a_missing_table_is_named(town, tmp_path):
    feed = tmp_path / "feed"
    shutil.copytree(SAMPLE, feed)
    (feed / "stop_times.txt").unlink()
    with pytest.raises(ScenarioError) as error:
        read_gtfs(feed, town, where="city.yaml: services.transit.gtfs")
    message = str(error.value)
    assert message.startswith("city.yaml: services.transit.gtfs: the feed ") and "has no stop_times.txt" in message
    assert "\n" not in message
    with pytest.raises(ScenarioError, match="does not exist"):
        read_gtfs(tmp_path / "nowhere.zip", town)


def test_a_missing_column_and_a_bad_time_are_named(town, tmp_path):
    feed = tmp_path / "feed"
    shutil.copytree(SAMPLE, feed)
    text = (feed / "stops.txt").read_text().replace("stop_lat", "latitude")
    (feed / "stops.txt").write_text(text)
    with pytest.raises(ScenarioError, match="stops.txt of .* has no column 'stop_lat'"):
        read_gtfs(feed, town)
    shutil.copy(SAMPLE / "stops.txt", feed / "stops.txt")
    (feed / "frequencies.txt").write_text("trip_id,start_time,end_time,headway_secs\nR1E,6am,09:00:00,600\n")
    with pytest.raises(ScenarioError, match="frequencies.txt has start_time '6am', not a time"):
        read_gtfs(feed, town)


def test_a_feed_for_another_city_is_refused(tmp_path):
    paris = grid_town(rows=3, cols=3, origin_lat=48.85, origin_lon=2.35)
    with pytest.raises(ScenarioError, match="no line of the feed has two stops within 500 m"):
        read_gtfs(SAMPLE, paris)
