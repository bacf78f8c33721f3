"""A streetlight: a lamp on a street, dimmed or raised by its controller."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from twin.model import CityModel

__all__ = ["Streetlight"]


class Streetlight(mesa.Agent):
    """One lamp of the network's lamp table.

    Parameters
    ----------
    model
        The city.
    lamp
        The lamp's row in ``model.network.lamps``.

    Notes
    -----
    Lamps are switched by street (all lamps of a street share a controller state) in
    :attr:`CityModel.lighting`; energy and service hours are known once the night has been
    evaluated, at the end of the run.
    """

    def __init__(self, model: CityModel, lamp: int) -> None:
        super().__init__(model)
        self.lamp = int(lamp)

    @property
    def street_id(self) -> int:
        """The street the lamp lights."""
        return int(self.model.network.lamps["street_id"].iat[self.lamp])

    @property
    def power_w(self) -> float:
        """Rated power at full level, in watts."""
        return float(self.model.network.lamps["power_w"].iat[self.lamp])

    @property
    def energy_kwh(self) -> float | None:
        """Energy used over the run, standby included; ``None`` until the run has finished."""
        result = self.model.lighting_result
        if result is None:
            return None
        return float(result.energy_kwh[self.lamp])
