"""A vehicle: a car that a resident (or a given trip table) drives through the traffic."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from twin.model import CityModel

__all__ = ["Vehicle"]


class Vehicle(mesa.Agent):
    """One car, driving its trips one after another.

    Parameters
    ----------
    model
        The city.
    owner
        ``person_id`` of the driver, or -1 for a trip from a given trip table.
    trips
        Rows of the car trips it drives in the model's trip table, in order.

    Notes
    -----
    Its position and queueing state live in :attr:`CityModel.traffic`; :attr:`edge` reads
    them at the model's current time.
    """

    def __init__(self, model: CityModel, owner: int, trips: np.ndarray) -> None:
        super().__init__(model)
        self.owner = int(owner)
        self.trips = np.asarray(trips, dtype=np.int64)

    @property
    def edge(self) -> int | None:
        """Edge id the vehicle is on now, or ``None`` when parked."""
        return self.model.vehicle_edge(self.trips)
