"""A service vehicle: a bus on one run of a transit line, or an on-demand shuttle."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import mesa

if TYPE_CHECKING:
    from twin.model import CityModel

__all__ = ["ServiceVehicle"]


class ServiceVehicle(mesa.Agent):
    """One bus run or one shuttle of the city's mobility services.

    Parameters
    ----------
    model
        The city.
    kind
        ``"bus"`` (one run of a line from its first stop to its last) or ``"shuttle"``.
    service
        The line's or the shuttle service's name.
    index
        The run's number in the timetable, or the shuttle's number in its fleet.

    Notes
    -----
    Its legs between stops are vehicle trips in :attr:`CityModel.traffic`, after the cars;
    its schedule is in :attr:`CityModel.mobility` (``timetable`` for buses, each shuttle
    service's ``result.legs`` for shuttles).
    """

    def __init__(self, model: CityModel, kind: Literal["bus", "shuttle"], service: str, index: int) -> None:
        super().__init__(model)
        self.kind = kind
        self.service = service
        self.index = int(index)
