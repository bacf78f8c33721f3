"""An example twin intervention from outside twin: every lamp at a fraction of its power."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from twin.interventions import City, Intervention, InterventionParameters, Outcome


class LampDimmerParameters(InterventionParameters):
    """How far the lamps are turned down."""

    factor: float = Field(0.8, gt=0, le=1, description="new power as a fraction of the old")


class LampDimmer(Intervention):
    """Set every lamp's rated power to ``factor`` times its power."""

    type: ClassVar[str] = "lamp_dimmer"
    Parameters: ClassVar[type[InterventionParameters]] = LampDimmerParameters

    def apply(self, city: City) -> Outcome:
        lamps = city.network.lamps.copy()
        lamps["power_w"] = lamps["power_w"] * self.parameters.factor
        city.with_lamps(lamps)
        return Outcome(self.name, self.type, {"lamps": float(len(lamps))}, self.cost(len(lamps), "lamp"))
