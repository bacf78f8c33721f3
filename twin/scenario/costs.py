"""The ``costs:`` section: the prices and rules that turn a batch's outcomes into money.

Nothing here changes a run; :mod:`twin.economics` reads it (from the baseline's resolved
scenario, with ``twin economics --set costs.KEY=VALUE`` on top) to annualise the simulated
day, value it and compare financing models::

    costs:
      energy_tariff_eur_per_kwh: 0.12
      co2_price_eur_per_t: 100
      discount_rate: 0.035
      esco: {savings_share: 0.8, years: 12}

What the capital, yearly costs and lifetimes of the interventions are is each intervention's
own parameter (``capital_eur_per_unit``, ``operating_eur_per_unit_year``,
``lifetime_years``; see :mod:`twin.interventions`), and what the services cost to run and
earn in fares is in the ``services:`` section. Emission factors are in ``emissions:``.

Sources of the defaults
-----------------------
Every default is a round value of the right order for an EU city in the mid-2020s, with its
source in the field's description; where it is only an order of magnitude, the description
says so. Replace them with the city's own figures (its electricity contract, its lighting
maintenance contract, its borrowing rate) before a decision.

- Discount rate 3 %: the European Commission's Better Regulation Toolbox (2021, tool #61)
  recommends a 3 % real social discount rate; the Commission's *Guide to Cost-Benefit
  Analysis of Investment Projects* (DG REGIO, 2014) 3 % outside cohesion countries.
- CO2 100 EUR/t: *Handbook on the external costs of transport*, version 2019 (CE Delft for the
  European Commission), central avoidance cost of climate change for the short and medium
  run (up to 2030) of about 100 EUR per tonne CO2e; EU ETS prices were 60-100 EUR/t in 2022-2024.
- Values of time: the same as the residents' mode choice uses by default
  (``population.mode_choice.value_of_time_eur_per_h``), so that the appraisal values time as
  the simulated people do; round values of the order of national appraisal guidance for
  commuting and other non-work trips (German BVWP 2030, UK TAG data book A1.3.1, HEATCO
  deliverable 5 national values). For a Finnish appraisal use the Finnish Transport
  Infrastructure Agency's unit values (*Tie- ja rautatieliikenteen hankearvioinnin
  yksikköarvot*, Väyläviraston julkaisuja 48/2020). Setting the three groups equal gives
  the "equity value of time" most national guidance applies to every traveller.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from twin.scenario._fields import MODEL_CONFIG, Share, rule

__all__ = ["BondSpec", "CostsSpec", "EscoSpec", "FinancingSpec", "LeaseSpec"]

IncomeGroup = Literal["low", "middle", "high"]

_DEFAULT_VOT = {"low": 6.5, "middle": 9.0, "high": 13.0}
_DEFAULT_MAINTENANCE_CHANGE = {"led_retrofit": -0.5}


class BondSpec(BaseModel):
    """A municipal bond: the capital borrowed at ``rate`` and repaid as a level annuity."""

    model_config = MODEL_CONFIG

    rate: float = Field(
        0.035, ge=0, le=0.5,
        description="yearly interest rate of the bond, a fraction (order of magnitude: euro-area "
        "municipal borrowing for 10-20 years cost about 3-3.5% in 2024; set the city's own rate)",
    )  # fmt: skip
    years: int = Field(
        15, ge=1, le=100,
        description="years to repay the bond in equal yearly instalments of interest and principal",
    )  # fmt: skip


class EscoSpec(BaseModel):
    """An energy-performance contract: an energy service company (ESCO) funds the capital and
    takes a share of the measured savings of energy and maintenance for ``years``."""

    model_config = MODEL_CONFIG

    savings_share: Share = Field(
        0.8,
        description="share of the measured energy and maintenance savings the ESCO takes each "
        "contract year (assumption: shared-savings contracts give it 50-90% for 7-15 years)",
    )  # fmt: skip
    years: int = Field(12, ge=1, le=50, description="length of the contract, in years (assumption)")
    rate: float = Field(
        0.06, ge=0, le=0.5,
        description="return the ESCO needs on its capital, a fraction: below it the contract does not "
        "repay the ESCO (assumption: private capital a few points above a city's borrowing rate)",
    )  # fmt: skip


class LeaseSpec(BaseModel):
    """A lease: no upfront cost, a yearly fee for ``years``; the city owns the equipment at the end."""

    model_config = MODEL_CONFIG

    fee_eur_per_year: float | None = Field(
        None, ge=0, le=1e10,
        description="yearly lease fee, in EUR; null: the annuity of the intervention's capital at "
        "`rate` over `years` (a finance lease)",
    )  # fmt: skip
    rate: float = Field(
        0.05, ge=0, le=0.5,
        description="interest rate of the lessor when the fee is the annuity of the capital, a "
        "fraction (assumption: a point or two above the city's own borrowing rate)",
    )  # fmt: skip
    years: int = Field(10, ge=1, le=50, description="length of the lease, in years (assumption)")


class FinancingSpec(BaseModel):
    """The financing models compared besides paying the capital upfront."""

    model_config = MODEL_CONFIG

    bond: BondSpec = Field(default_factory=BondSpec, description="a municipal bond")
    esco: EscoSpec = Field(default_factory=EscoSpec, description="an energy-performance contract")
    lease: LeaseSpec = Field(default_factory=LeaseSpec, description="a lease")


class CostsSpec(BaseModel):
    """Prices, appraisal rules and financing terms of the business case (:mod:`twin.economics`).

    Sources of the defaults are in :mod:`twin.scenario.costs` and each field's description.
    """

    model_config = MODEL_CONFIG

    energy_tariff_eur_per_kwh: float = Field(
        0.15, ge=0, le=10,
        description="price the city pays per kWh of street-lighting electricity, network and "
        "taxes included, VAT excluded, in EUR (order of magnitude: Eurostat non-household "
        "prices in the EU were about 0.15-0.20 in 2023-2024, lower in the Nordics; use the "
        "city's contract)",
    )  # fmt: skip
    co2_price_eur_per_t: float = Field(
        100.0, ge=0, le=10_000,
        description="value of a tonne of CO2e avoided, in EUR (Handbook on the external costs of "
        "transport 2019, central avoidance cost to 2030: about 100)",
    )  # fmt: skip
    value_of_time_eur_per_h: dict[IncomeGroup, Annotated[float, Field(ge=0, le=1000)]] = Field(
        default_factory=lambda: dict(_DEFAULT_VOT),
        description="value of an hour of travel per income group, in EUR (the mode choice's "
        "defaults; order of national appraisal values, e.g. BVWP 2030, UK TAG, HEATCO); absent "
        "groups keep their default",
    )  # fmt: skip
    discount_rate: float = Field(
        0.03, ge=0, le=0.5,
        description="real social discount rate per year, a fraction (European Commission Better "
        "Regulation Toolbox 2021, tool #61: 3%)",
    )  # fmt: skip
    appraisal_years: int | None = Field(
        None, ge=1, le=100,
        description="years the business case covers; null: the longest lifetime of the "
        "interventions compared (20 without any), shorter-lived ones replaced at the end of "
        "their life",
    )  # fmt: skip
    residual_value: bool = Field(
        True,
        description="count what is left of the capital at the end of the appraisal, written down "
        "straight-line over its lifetime, as a benefit in the last year",
    )  # fmt: skip
    lighting_maintenance_eur_per_lamp_year: float = Field(
        30.0, ge=0, le=10_000,
        description="yearly maintenance of a street lamp (relamping, cleaning, repairs), in EUR "
        "(order of magnitude: maintenance contracts of about 20-40 per lamp and year)",
    )  # fmt: skip
    lighting_maintenance_change: dict[str, Annotated[float, Field(ge=-1, le=10)]] = Field(
        default_factory=lambda: dict(_DEFAULT_MAINTENANCE_CHANGE),
        description="by intervention type: the relative change of maintenance of each lamp it "
        "buys, e.g. -0.5 halves it (assumption: LED luminaires need no relamping every 4-5 "
        "years; cities report maintenance savings of the order of half); absent types: 0",
    )  # fmt: skip
    travel_days_per_year: float = Field(
        300.0, gt=0, le=366,
        description="weekday-equivalents of travel in a year: yearly travel, fares, tolls, "
        "operator costs and traffic CO2 are the simulated weekday's times this (assumption: "
        "about 250 working days plus weekends and holidays at about half a weekday)",
    )  # fmt: skip
    lighting_days: Literal["every_day", "mid_month"] = Field(
        "every_day",
        description="how the year's lighting energy is summed: every_day integrates the "
        "simulated day's lighting demand over the dark hours of each of the 365 days; "
        "mid_month over the 15th of each month, weighted by the month's days (quicker, within "
        "about 1%)",
    )  # fmt: skip
    financing: FinancingSpec = Field(
        default_factory=FinancingSpec, description="terms of the bond, the ESCO contract and the lease"
    )

    @field_validator("value_of_time_eur_per_h", mode="after")
    @classmethod
    def _all_groups(cls, value: dict[str, float]) -> dict[str, float]:
        return {group: float(value.get(group, default)) for group, default in _DEFAULT_VOT.items()}

    @field_validator("lighting_maintenance_change", mode="after")
    @classmethod
    def _known_types(cls, value: dict[str, float]) -> dict[str, float]:
        # Deferred: twin.interventions builds on twin.scenario. Plugin names are read from their
        # entry points without importing the plugins.
        from importlib.metadata import entry_points

        from twin.interventions.registry import ENTRY_POINT_GROUP, builtin_types

        known = [*builtin_types(), *(point.name for point in entry_points(group=ENTRY_POINT_GROUP))]
        for name in value:
            if name not in known:
                import difflib

                close = difflib.get_close_matches(name, known, n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(sorted(known))}"
                raise rule(f"{name!r} is not an intervention type; {hint}")
        return value
