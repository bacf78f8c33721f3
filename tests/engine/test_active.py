"""Walking and cycling passages: length over speed, and tours that wait for the previous trip."""

from __future__ import annotations

import numpy as np
import pytest

from twin.engine.active import ActiveTravel
from twin.engine.traversals import MODE_CODES


def make(depart, speeds, routes, prev=None):
    lengths = np.array([100.0, 50.0, 200.0])
    offsets = np.concatenate(([0], np.cumsum([len(r) for r in routes])))
    edges = np.concatenate([np.asarray(r, dtype=np.int64) for r in routes])
    modes = np.where(np.asarray(speeds) > 2, MODE_CODES["bike"], MODE_CODES["walk"])
    return ActiveTravel(length_m=lengths, depart_s=depart, speed_mps=speeds, route_offsets=offsets,
                        route_edges=edges, mode=modes, prev_trip=prev)  # fmt: skip


def test_passages_enter_each_edge_after_the_metres_before_it():
    travel = make([10.0, 20.0], [1.25, 5.0], [[0, 1, 2], [2]])
    passages = travel.traversals()
    assert passages.enter_s.tolist() == pytest.approx([10.0, 90.0, 130.0, 20.0])
    assert passages.exit_s.tolist() == pytest.approx([90.0, 130.0, 290.0, 60.0])
    assert travel.arrival_s.tolist() == pytest.approx([290.0, 60.0])
    assert travel.route_length_m.tolist() == [350.0, 200.0]
    assert travel.on_the_move(50.0, mode=MODE_CODES["walk"]) == 1
    assert travel.on_the_move(50.0, mode=MODE_CODES["bike"]) == 1
    assert travel.on_the_move(300.0, mode=MODE_CODES["walk"]) == 0


def test_a_tour_leaves_no_earlier_than_the_previous_trip_arrives():
    # Trip 1 arrives at 10 + 350/1.25 = 290; trip 2 is planned at 100 and must wait; trip 3 then waits for 2.
    travel = make([10.0, 100.0, 120.0], [1.25, 1.25, 1.25], [[0, 1, 2], [2], [0]], prev=[-1, 0, 1])
    assert travel.depart_s.tolist() == pytest.approx([10.0, 290.0, 450.0])
    later = make([10.0, 1000.0], [1.25, 1.25], [[0], [1]], prev=[-1, 0])
    assert later.depart_s.tolist() == [10.0, 1000.0]


def test_a_cycle_of_predecessors_is_refused():
    with pytest.raises(ValueError, match="cycle"):
        make([0.0, 0.0], [1.0, 1.0], [[0], [1]], prev=[1, 0])
