"""``led_retrofit``: replace the lamps that are not LED with LED luminaires.

Every lamp inside the area (on a street inside it; without ``area``, in the whole city) whose
``technology`` is not ``"LED"`` becomes ``"LED"`` with a new ``power_w``::

    interventions:
      - type: led_retrofit
        area: {road_classes: [residential, living_street]}

The wattage mapping
-------------------
A lamp's ``power_w`` is its nominal rating (twin's road class defaults give typical
high-pressure sodium (HPS) ratings, see :mod:`twin.maps.road_classes`). The LED luminaire
that lights the street to the same class draws about half of that:
:data:`LED_POWER_W` maps the common HPS ratings to an LED system power (driver included):

======  ======
HPS, W  LED, W
======  ======
50      25
70      35
100     50
150     75
250     125
400     200
======  ======

This is a rule of thumb, not a measurement: current LED road luminaires deliver roughly
100-150 lm per system watt, HPS lamps 80-120 lm per lamp watt before ballast losses, and LED
optics put more of the light on the road, so one-for-one retrofits commonly report savings of
40-60 %. The 50 % of the table is the middle of that range (an assumption, as in the road
class defaults). A city's own luminaire schedule should replace it: set ``power_map_w``.

Ratings between two rows are interpolated linearly; ratings outside the table keep the ratio
of the nearest end row (400 W -> 200 W, so 600 W -> 300 W). ``power_ratio`` instead scales
every lamp by one factor (and replaces the table).

Cost
----
One unit is a lamp retrofitted.

- ``capital_eur_per_unit`` 400 EUR (assumption: an LED road luminaire with installation on
  an existing pole; tenders span roughly 250-800 EUR, more for decorative luminaires).
- ``operating_eur_per_unit_year`` 0 EUR (assumption: no more maintenance than the HPS lamp it
  replaces; the saved relamping is not counted).
- ``lifetime_years`` 20 years (LED road luminaires are commonly rated 50,000-100,000 hours;
  at about 4,000 burning hours a year that is 12-25 years).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, ClassVar

import numpy as np
from pydantic import Field, model_validator

from twin.scenario.area import Area
from twin.interventions.base import City, Intervention, InterventionParameters, Outcome
from twin.scenario._fields import rule

__all__ = ["LED_POWER_W", "LedRetrofit", "LedRetrofitParameters", "led_power_w"]

#: Nominal HPS lamp rating -> LED luminaire system power with comparable road lighting, in W.
#: See the module notes for where the numbers come from.
LED_POWER_W: Mapping[float, float] = MappingProxyType(
    {50.0: 25.0, 70.0: 35.0, 100.0: 50.0, 150.0: 75.0, 250.0: 125.0, 400.0: 200.0}
)

_Watts = Annotated[float, Field(gt=0, le=10000)]


class LedRetrofitParameters(InterventionParameters):
    """Parameters of ``led_retrofit``: where, the wattage mapping, and cost."""

    area: Area | None = Field(
        None, description="which lamps are replaced (bbox, polygon, file, district, "
        "road_classes); none: every lamp in the city",
    )  # fmt: skip
    power_map_w: dict[_Watts, _Watts] = Field(
        default_factory=lambda: dict(LED_POWER_W),
        description="nominal power of the old lamp -> power of its LED replacement, in W; "
        "interpolated between ratings",
    )  # fmt: skip
    power_ratio: float | None = Field(
        None, gt=0, le=2,
        description="instead of power_map_w: LED power as a fraction of the old lamp's power",
    )  # fmt: skip
    capital_eur_per_unit: float = Field(
        400.0, ge=0, le=1e9,
        description="capital cost per lamp retrofitted, in EUR (assumption: luminaire and "
        "installation; tenders roughly 250-800)",
    )  # fmt: skip
    operating_eur_per_unit_year: float = Field(
        0.0, ge=0, le=1e9,
        description="extra yearly operating cost per lamp, in EUR (assumption: none beyond the "
        "old lamp's)",
    )  # fmt: skip
    lifetime_years: float = Field(
        20.0, gt=0, le=100,
        description="service life of an LED luminaire, in years (50,000-100,000 h rated life "
        "at about 4,000 h a year)",
    )  # fmt: skip

    @model_validator(mode="after")
    def _one_mapping(self) -> LedRetrofitParameters:
        if self.power_ratio is not None and "power_map_w" in self.model_fields_set:
            raise rule("give power_map_w or power_ratio, not both; remove one", at="power_ratio")
        if self.power_ratio is None and not self.power_map_w:
            raise rule("is empty; give at least one rating (e.g. {70: 35}) or use power_ratio",
                       at="power_map_w")  # fmt: skip
        return self


def led_power_w(
    power_w: np.ndarray, *, power_map_w: Mapping[float, float] = LED_POWER_W, power_ratio: float | None = None
) -> np.ndarray:
    """The power of the LED replacement of lamps of the given power.

    Parameters
    ----------
    power_w
        Nominal power of the old lamps, in W.
    power_map_w
        Old rating -> LED power, in W; linear in between, the nearest end row's ratio
        outside.
    power_ratio
        If given, every lamp's LED power is this fraction of its power (the map is unused).

    Returns
    -------
    numpy.ndarray
        ``float64`` LED power per lamp, in W.

    Examples
    --------
    >>> led_power_w(np.array([70.0, 85.0, 600.0])).tolist()
    [35.0, 42.5, 300.0]
    """
    power_w = np.asarray(power_w, dtype=np.float64)
    if power_ratio is not None:
        return power_w * power_ratio
    rated = np.array(sorted(power_map_w), dtype=np.float64)
    led = np.array([power_map_w[k] for k in sorted(power_map_w)], dtype=np.float64)
    inside = np.interp(power_w, rated, led)
    below = power_w * (led[0] / rated[0])
    above = power_w * (led[-1] / rated[-1])
    return np.where(power_w < rated[0], below, np.where(power_w > rated[-1], above, inside))


class LedRetrofit(Intervention):
    """Replace the non-LED lamps of an area with LED luminaires of a mapped power.

    Cost unit: a lamp retrofitted.
    """

    type: ClassVar[str] = "led_retrofit"
    Parameters: ClassVar[type[InterventionParameters]] = LedRetrofitParameters

    def apply(self, city: City) -> Outcome:
        """Replace the lamp table with one whose retrofitted lamps are LED."""
        params: LedRetrofitParameters = self.parameters  # type: ignore[assignment]
        network = city.network
        lamps = network.lamps
        if params.area is None:
            inside = np.ones(len(lamps), dtype=bool)
        else:
            where = f"{city.scenario.name}: interventions: {self.name}: area"
            inside = params.area.lamps_inside(network, where=where)
        technology = lamps["technology"].astype("string").str.upper()
        chosen = inside & (technology != "LED").fillna(True).to_numpy(dtype=bool)
        before = lamps["power_w"].to_numpy(dtype=np.float64)
        after = before.copy()
        after[chosen] = led_power_w(before[chosen], power_map_w=params.power_map_w, power_ratio=params.power_ratio)
        changed = lamps.copy()
        changed["power_w"] = after
        changed["technology"] = np.where(chosen, "LED", lamps["technology"].to_numpy(dtype=object))
        changed["technology"] = changed["technology"].astype(lamps["technology"].dtype)
        city.with_lamps(changed)
        n = int(chosen.sum())
        return Outcome(
            name=self.name, type=self.type,
            affected={"lamps": float(n), "power_kw_before": float(before[chosen].sum() / 1000),
                      "power_kw_after": float(after[chosen].sum() / 1000)},
            cost=self.cost(n, "lamp"),
        )  # fmt: skip
