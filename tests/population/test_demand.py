"""Trip tables: reading a valid one, and one line per kind of bad input."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from twin._errors import ScenarioError
from twin.population.demand import read_trip_table
from twin.population.plans import TRIP_COLUMNS

HEADER = "trip_id,origin_node,dest_node,depart_s,mode"


@pytest.fixture
def write(tmp_path):
    def _write(text: str, name: str = "trips.csv"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write


def position(network, node_id: str) -> int:
    return int(np.flatnonzero(network.nodes["node_id"] == node_id)[0])


def test_reads_a_valid_table(town, write):
    path = write(f"{HEADER},person_id\nt1,r0c0,r5c7,28800,car,3\n\n t2 , r3c2 ,r3c9,29100.5,bike,\n")
    trips = read_trip_table(path, town)
    assert tuple(trips.columns) == (*TRIP_COLUMNS, "mode")
    assert trips["trip_id"].tolist() == ["t1", "t2"]
    assert trips["origin_node"].tolist() == [position(town, "r0c0"), position(town, "r3c2")]
    assert trips["dest_node"].tolist() == [position(town, "r5c7"), position(town, "r3c9")]
    assert trips["depart_s"].tolist() == [28800.0, 29100.5]
    assert trips["mode"].astype(str).tolist() == ["car", "bike"]
    assert trips["person_id"].tolist() == [3, -1]
    assert trips["tour_id"].tolist() == [-1, -1] and trips["seq"].tolist() == [0, 0]
    assert (trips["purpose"] == "given").all()


def test_integer_node_ids_and_trip_ids(town, write):
    numbered = dataclasses.replace(town, nodes=town.nodes.assign(node_id=np.arange(town.n_nodes) * 10 + 1000))
    trips = read_trip_table(write(f"{HEADER}\n7,1000,1050,0,walk\n8,1050,1000,60,walk\n"), numbered)
    assert trips["origin_node"].tolist() == [0, 5]
    assert trips["trip_id"].dtype == np.int64 and trips["trip_id"].tolist() == [7, 8]
    assert "person_id" in trips and (trips["person_id"] == -1).all()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "the file is empty; its first line must be the header " + HEADER),
        (HEADER + "\n\n", "the header has no trips below it; add one line per trip"),
        ("trip_id,origin,dest_node,depart_s,mode\nt1,r0c0,r0c1,0,car\n",
         "line 1: no column 'origin_node'; did you mean 'origin'? the header must name " + HEADER),
        (HEADER + "\nt1,r0c0,r0c1,0,car\nt1,r0c1,r0c2,10,car\n",
         "line 3: column trip_id: 't1' is already used on line 2; give each trip its own id"),
        (HEADER + "\n,r0c0,r0c1,0,car\n", "line 2: column trip_id: is empty; give every trip an id"),
        (HEADER + "\nt1,r0c0,r0c1,0,car\nt2,r0c0,r0c77,0,car\n",
         "line 3: column dest_node: 'r0c77' is not a node id of the map synthetic:grid; did you mean "
         "'r0c7'? use ids from its node_id column, e.g. 'r0c0'"),
        (HEADER + "\nt1,r0c0,r0c1,eight,car\n",
         "line 2: column depart_s: 'eight' is not a number; give the departure in seconds from "
         "midnight, e.g. 28800 for 08:00"),
        (HEADER + "\nt1,r0c0,r0c1,-5,car\nt2,r0c0,r0c1,-6,car\n",
         "line 2: column depart_s: -5 is negative; give seconds from midnight, 0 or more "
         "(1 more line like it)"),
        (HEADER + "\nt1,r0c0,r0c1,0,cars\n",
         "line 2: column mode: 'cars' is not a mode; did you mean 'car'? use one of car, bike, walk"),
        (HEADER + "\nt1,r0c0,r0c1,0,car\nt2,r0c0,r0c1,0,car,extra\n",
         "line 3: more fields than the header has columns; check for a stray comma and quote text "
         "that contains one"),
        (HEADER + ",person_id\nt1,r0c0,r0c1,0,car,anna\n",
         "line 2: column person_id: 'anna' is not a whole number; give each traveller a number "
         "(0 or more), or leave the cell empty"),
    ],
    ids=["empty", "header-only", "missing-column", "duplicate-id", "empty-id", "unknown-node",
         "depart-not-number", "depart-negative", "unknown-mode", "extra-field", "bad-person"],
)  # fmt: skip
def test_each_bad_input_gives_one_line(town, write, content, expected):
    path = write(content)
    with pytest.raises(ScenarioError) as caught:
        read_trip_table(path, town)
    message = str(caught.value)
    assert message == f"{path}: {expected}"
    assert "\n" not in message


def test_a_node_the_mode_cannot_use(car_free_streets, write):
    # r1c1 lies on residential streets only, which cars may not use here.
    path = write(f"{HEADER}\nt1,r0c0,r0c4,0,car\nt2,r0c0,r1c1,0,car\nt3,r0c0,r1c1,0,walk\n")
    with pytest.raises(ScenarioError) as caught:
        read_trip_table(path, car_free_streets)
    assert str(caught.value) == (
        f"{path}: line 3: column dest_node: node 'r1c1' cannot be used by car (no street there "
        "that car trips may take); choose a node on such a street or another mode"
    )


def test_the_earliest_line_is_reported(town, write):
    path = write(f"{HEADER}\nt1,r0c0,r0c1,0,car\nt2,r0c0,r0c1,0,bus\nt3,nowhere,r0c1,0,car\n")
    with pytest.raises(ScenarioError, match=r": line 3: column mode: 'bus' is not a mode"):
        read_trip_table(path, town)


def test_missing_file_and_folder(town, tmp_path):
    with pytest.raises(ScenarioError) as caught:
        read_trip_table(tmp_path / "nope.csv", town)
    assert str(caught.value) == (
        f"{tmp_path / 'nope.csv'}: no such trip table; check demand.trips (relative paths start "
        "from the scenario's folder)"
    )
    with pytest.raises(ScenarioError, match="is a folder; give the trip table's .csv file"):
        read_trip_table(tmp_path, town)


def test_not_utf8(town, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(f"{HEADER}\nt1,r0c0,r0c1,0,car\nt\xe4,r0c0,r0c1,0,car\n".encode("latin-1"))
    with pytest.raises(ScenarioError, match="is not UTF-8 text; save it as UTF-8 CSV"):
        read_trip_table(path, town)
