"""A resident: a person with a home, perhaps a job, and a plan for the day."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import pandas as pd

if TYPE_CHECKING:
    from twin.model import CityModel

__all__ = ["Resident"]


class Resident(mesa.Agent):
    """One person of the synthetic population.

    Parameters
    ----------
    model
        The city the person lives in.
    person_id
        The person's row in ``model.residents``.

    Notes
    -----
    Attributes such as ``income`` or ``car_access`` are read from the residents table, and
    ``trips`` from the trip table, so a million residents cost a million small objects and
    nothing more.
    """

    def __init__(self, model: CityModel, person_id: int) -> None:
        super().__init__(model)
        self.person_id = int(person_id)

    def _field(self, column: str):
        return self.model.residents[column].iat[self.person_id]

    @property
    def home_node(self) -> int:
        """Node position of the home."""
        return int(self._field("home_node"))

    @property
    def work_node(self) -> int:
        """Node position of the workplace, or -1."""
        return int(self._field("work_node"))

    @property
    def income(self) -> str:
        """Income group: ``"low"``, ``"middle"`` or ``"high"``."""
        return str(self._field("income"))

    @property
    def age_group(self) -> str:
        """Age group: ``"child"``, ``"adult"`` or ``"senior"``."""
        return str(self._field("age_group"))

    @property
    def car_access(self) -> bool:
        """Whether the person can drive a car."""
        return bool(self._field("car_access"))

    @property
    def smartphone(self) -> bool:
        """Whether the person has a smartphone (needed to book app-only services)."""
        return bool(self._field("smartphone"))

    @property
    def trips(self) -> pd.DataFrame:
        """The person's trips of the day, with their outcomes once the day has run."""
        return self.model.trip_table(person_id=self.person_id)
