"""The business case: a batch's outcomes in money over years, and how the city could pay for them.

::

    from twin.economics import business_case
    case = business_case("runs/helsinki-batch", overrides=["costs.energy_tariff_eur_per_kwh=0.12"])
    case.variants[0].city.npv_eur          # Estimate(value, low, high): NPV with its 95% interval
    case.write("economics.json")           # and economics-cashflows.csv beside it

One concept per module:

:mod:`~twin.economics.annual`
    From the simulated day to a year: lighting over every night of the year (from the run's
    ``lighting_demand_kw`` and the sun), travel over ``costs.travel_days_per_year``.
:mod:`~twin.economics.cashflows`
    The lines of the cash flow, who pays and who benefits (the city budget; society adds the
    residents' time and money, their cars' running costs and CO2), capital and replacements.
:mod:`~twin.economics.measures`
    NPV, IRR, simple and discounted payback, benefit-cost ratio.
:mod:`~twin.economics.uncertainty`
    The bootstrap of the paired replications: 95% intervals and P(NPV > 0).
:mod:`~twin.economics.financing`
    City-funded, municipal bond, energy-performance contract (ESCO), lease.
:mod:`~twin.economics.case`
    :func:`business_case`: all of it for every variant of a batch.

Prices, appraisal rules and financing terms are the scenario's ``costs:`` section
(:mod:`twin.scenario.costs`, with the sources of its defaults); the interventions' capital,
yearly costs and lifetimes are their own parameters (:mod:`twin.interventions`).
"""

from twin.economics.annual import AnnualLighting, annual_lighting, year_dark_intervals
from twin.economics.case import BusinessCase, Estimate, Measures, VariantCase, business_case, costs_from
from twin.economics.cashflows import LINES, Line, Purchase, capital_flows
from twin.economics.financing import MODELS, FinancingModel, bond_schedule, compare_financing
from twin.economics.measures import annuity, bcr, discount_factors, discounted_payback, irr, npv, payback
from twin.economics.uncertainty import bootstrap_rng, interval, resample_means

__all__ = [
    "LINES",
    "MODELS",
    "AnnualLighting",
    "BusinessCase",
    "Estimate",
    "FinancingModel",
    "Line",
    "Measures",
    "Purchase",
    "VariantCase",
    "annual_lighting",
    "annuity",
    "bcr",
    "bond_schedule",
    "bootstrap_rng",
    "business_case",
    "capital_flows",
    "compare_financing",
    "costs_from",
    "discount_factors",
    "discounted_payback",
    "interval",
    "irr",
    "npv",
    "payback",
    "resample_means",
    "year_dark_intervals",
]
