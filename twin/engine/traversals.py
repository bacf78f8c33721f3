"""Passages of road users along edges: what the traffic engine records and the lights see."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MODE_CODES", "Traversals"]

#: Integer code of each travel mode in engine arrays.
MODE_CODES: dict[str, int] = {"car": 0, "bike": 1, "walk": 2}


@dataclass(frozen=True, slots=True)
class Traversals:
    """One row per passage of one road user along one directed edge, as parallel arrays.

    Attributes
    ----------
    edge
        ``int64`` edge id (row of :attr:`StreetNetwork.edges`).
    enter_s, exit_s
        ``float64`` times the road user entered and left the edge, in seconds from local
        midnight of the scenario's date.
    mode
        ``int8`` travel mode, coded as in :data:`MODE_CODES`.
    trip
        ``int64`` row of the trip in the run's trip table.
    """

    edge: np.ndarray
    enter_s: np.ndarray
    exit_s: np.ndarray
    mode: np.ndarray
    trip: np.ndarray

    def __len__(self) -> int:
        return int(self.edge.size)

    @classmethod
    def empty(cls) -> Traversals:
        """Return a table with no passages."""
        return cls(
            edge=np.empty(0, np.int64), enter_s=np.empty(0), exit_s=np.empty(0),
            mode=np.empty(0, np.int8), trip=np.empty(0, np.int64),
        )  # fmt: skip

    @classmethod
    def concat(cls, parts: list[Traversals]) -> Traversals:
        """Join several tables into one, in the order given."""
        if not parts:
            return cls.empty()
        return cls(
            edge=np.concatenate([p.edge for p in parts]).astype(np.int64, copy=False),
            enter_s=np.concatenate([p.enter_s for p in parts]).astype(float, copy=False),
            exit_s=np.concatenate([p.exit_s for p in parts]).astype(float, copy=False),
            mode=np.concatenate([p.mode for p in parts]).astype(np.int8, copy=False),
            trip=np.concatenate([p.trip for p in parts]).astype(np.int64, copy=False),
        )
