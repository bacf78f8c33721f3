"""Reading OSM tags into speeds, lanes, lighting and per-mode directions (twin.maps._tags)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from twin.maps import _tags
from twin.maps.road_classes import ROAD_CLASSES, road_class_table

TABLE = road_class_table()


@pytest.mark.parametrize(
    ("tag", "kmh"),
    [
        ("50", 50.0),
        (" 40 ", 40.0),
        ("30 mph", 30 * 1.609344),
        ("FI:urban", 50.0),
        ("DE:zone30", 30.0),
        ("DE:zone:20", 20.0),
        ("DE:living_street", 20.0),
        ("50;30", 50.0),
        ("none", math.nan),
        ("walk", math.nan),
        ("signals", math.nan),
        ("0", math.nan),  # a mapping error, not a closed street
        (None, math.nan),
    ],
)
def test_maxspeed_spellings(tag, kmh):
    frame = pd.DataFrame({"maxspeed": [tag]})
    got = _tags.maxspeed_kmh(_tags.column(frame, "maxspeed")).iloc[0]
    assert got == pytest.approx(kmh, nan_ok=True)


@pytest.mark.parametrize(("tag", "lanes"), [("4", 4.0), ("2;3", 3.0), ("1.0", 1.0), (2.0, 2.0), ("", math.nan), (None, math.nan)])
def test_lanes_spellings(tag, lanes):
    got = _tags.lanes_total(_tags.column(pd.DataFrame({"lanes": [tag]}), "lanes")).iloc[0]
    assert got == pytest.approx(lanes, nan_ok=True)


def _values(series: pd.Series) -> list:
    return [None if pd.isna(value) else value for value in series]


def test_column_lowercases_strips_and_spells_booleans_and_whole_numbers_as_tags():
    frame = pd.DataFrame({
        "highway": [" Residential ", "", None, "PRIMARY"],
        # A GeoPackage integer column with gaps comes back as floats; booleans from a city GIS.
        "oneway": [1.0, -1.0, np.nan, 0.0],
        "lit": [True, False, None, True],
    })  # fmt: skip
    assert _values(_tags.column(frame, "highway")) == ["residential", None, None, "primary"]
    assert _values(_tags.column(frame, "oneway")) == ["1", "-1", None, "0"]
    assert _values(_tags.column(frame, "lit")) == ["yes", "no", None, "yes"]
    absent = _tags.column(frame, "maxspeed")
    assert len(absent) == 4 and absent.isna().all()


def test_road_class_of_highway_values_and_fallback():
    highway = pd.Series(["residential", "['service', 'residential']", "busy_road", None], dtype=object)
    assert _tags.road_classes_of(highway, TABLE).tolist() == ["residential", "service", "unclassified", "unclassified"]


def test_lit_tags_and_class_default():
    lit = pd.Series(["yes", "24/7", "automatic", "no", "disused", None, None, "maybe", "true", "1", "false", "0"], dtype=object)
    default = pd.Series([False, False, False, True, True, True, False, True, False, False, True, True])
    assert _tags.lit_flags(lit, default).tolist() == [True, True, True, False, False, True, False, True, True, True, False, False]


FLAG_NAMES = ("car_fwd", "car_bwd", "bike_fwd", "bike_bwd", "walk")


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"highway": "residential"}, (1, 1, 1, 1, 1)),
        ({"highway": "residential", "oneway": "yes"}, (1, 0, 1, 0, 1)),
        ({"highway": "residential", "oneway": "true"}, (1, 0, 1, 0, 1)),
        ({"highway": "residential", "oneway": "1"}, (1, 0, 1, 0, 1)),
        ({"highway": "residential", "oneway": "-1"}, (0, 1, 0, 1, 1)),
        ({"highway": "residential", "oneway": "reverse"}, (0, 1, 0, 1, 1)),
        ({"highway": "residential", "oneway": "no"}, (1, 1, 1, 1, 1)),
        ({"highway": "residential", "oneway": "yes", "oneway:bicycle": "no"}, (1, 0, 1, 1, 1)),
        ({"highway": "residential", "junction": "roundabout"}, (1, 0, 1, 0, 1)),
        ({"highway": "motorway"}, (1, 0, 0, 0, 0)),  # implied one-way, no bikes or walkers
        ({"highway": "motorway", "oneway": "no"}, (1, 1, 0, 0, 0)),
        ({"highway": "residential", "access": "private"}, (0, 0, 0, 0, 0)),
        ({"highway": "residential", "access": "no", "foot": "yes"}, (0, 0, 0, 0, 1)),
        ({"highway": "residential", "foot": "no"}, (1, 1, 1, 1, 0)),
        ({"highway": "residential", "motor_vehicle": "no"}, (0, 0, 1, 1, 1)),
        ({"highway": "pedestrian", "motor_vehicle": "destination"}, (0, 0, 1, 1, 1)),  # class has no cars
        ({"highway": "footway"}, (0, 0, 0, 0, 1)),
        ({"highway": "footway", "bicycle": "yes"}, (0, 0, 1, 1, 1)),
        ({"highway": "footway", "bicycle": "designated", "oneway": "yes"}, (0, 0, 1, 0, 1)),
        ({"highway": "cycleway", "foot": "no"}, (0, 0, 1, 1, 0)),
    ],
)
def test_mode_flags_follow_oneway_and_access_tags(tags, expected):
    frame = pd.DataFrame([tags])
    classes = _tags.road_classes_of(_tags.column(frame, "highway"), TABLE)
    flags = _tags.mode_flags(frame, classes, TABLE)
    assert tuple(int(flags[name][0]) for name in FLAG_NAMES) == expected


def test_mode_flags_read_each_row_on_its_own():
    frame = pd.DataFrame({"highway": ["residential", "footway", "motorway"], "oneway": ["-1", None, None]})
    classes = _tags.road_classes_of(_tags.column(frame, "highway"), TABLE)
    flags = _tags.mode_flags(frame, classes, TABLE)
    assert flags["car_fwd"].tolist() == [False, False, True]
    assert flags["car_bwd"].tolist() == [True, False, False]
    assert flags["walk"].tolist() == [True, True, False]


def test_road_class_overrides_change_one_class_and_never_the_default_table():
    table = road_class_table({"residential": {"speed_kmh": 20, "lamp_power_w": 35, "lanes": None}, "shared_space": {"speed_kmh": 10}})
    assert table["residential"].speed_kmh == 20 and table["residential"].lamp_power_w == 35
    assert table["residential"].lanes == ROAD_CLASSES["residential"].lanes  # None leaves a field alone
    assert table["shared_space"].speed_kmh == 10
    assert table["shared_space"].capacity_vph_per_lane == ROAD_CLASSES["unclassified"].capacity_vph_per_lane
    assert ROAD_CLASSES["residential"].speed_kmh == 30
