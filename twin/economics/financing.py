"""Financing models: the city's cash flow year by year when the capital is paid another way.

Every model starts from the city's own cash flow of a business case (its lines of
:mod:`twin.economics.cashflows` summed: capital in year 0 and at replacements, the yearly
savings and costs, the residual value at the end) and changes who pays the year-0 capital:

``city``
    City-funded: the city pays the capital upfront from its budget.
``bond``
    Municipal bond: the capital is borrowed at ``rate`` and repaid in ``years`` equal yearly
    instalments (a level annuity ``C r / (1 - (1 + r)^-T)``: interest on the balance, the
    rest principal, the balance 0 after the last one).
``esco``
    Energy-performance contract: an energy service company pays the capital and takes
    ``savings_share`` of the measured savings of energy and maintenance each year of the
    contract; the city keeps the rest, and all of it after the term. Without savings to
    share the model does not apply.
``lease``
    Lease: no upfront cost; a yearly fee for ``years`` (given, or the annuity of the capital
    at the lessor's ``rate``), after which the city owns the equipment (a finance lease).

In every model the city pays the yearly running costs, and replacements at the end of an
intervention's life, from its budget when they fall due; only the first purchase is
financed. The flows are cash: the residual value of the business case is not cash and is
left out (it is the same in every model, as the city owns the equipment at the end, so it
does not change their order). Each model's NPV to the city is at the appraisal's discount
rate, so a loan at a rate above it costs the city more than paying cash, and one below it
less.

An ESCO signs only if its share repays its capital with the return it needs
(``costs.financing.esco.rate``): the model says whether the terms do (``feasible``) and the
smallest share that would.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from twin.economics.measures import annuity, npv
from twin.scenario.costs import FinancingSpec

__all__ = ["MODELS", "FinancingModel", "bond_schedule", "compare_financing"]

MODELS = {
    "city": "City-funded (capital upfront)",
    "bond": "Municipal bond",
    "esco": "Energy-performance contract (ESCO)",
    "lease": "Lease",
}
"""Model keys and their names for readers."""


@dataclass(frozen=True)
class FinancingModel:
    """One financing model's cash flow to the city.

    Attributes
    ----------
    key, label
        ``"city"``, ``"bond"``, ``"esco"`` or ``"lease"``, and its name for readers.
    flows_eur
        The city's net cash flow in years ``0 ... T``, EUR (``None`` when the model does not apply).
    npv_eur
        Its net present value at the appraisal's discount rate.
    upfront_eur
        What the city pays in year 0 (0 when year 0 is not a cost).
    worst_year, worst_eur
        The year with the lowest net cash flow and that flow.
    payments_eur
        What the city pays the lender, ESCO or lessor in each year (zeros for ``city``).
    note
        Terms in words, or why the model does not apply.
    feasible
        Whether the other party would sign: ``False`` for an ESCO whose share does not repay
        its capital at its required return.
    """

    key: str
    label: str
    flows_eur: np.ndarray | None
    npv_eur: float | None
    upfront_eur: float | None
    worst_year: int | None
    worst_eur: float | None
    payments_eur: np.ndarray | None = field(default=None, repr=False)
    note: str = ""
    feasible: bool = True

    @property
    def applies(self) -> bool:
        return self.flows_eur is not None


def bond_schedule(principal: float, rate: float, years: int) -> pd.DataFrame:
    """The repayment schedule of a level-annuity loan: one row per year ``1 ... years``.

    Columns ``year``, ``payment_eur``, ``interest_eur`` (on the balance at the start of the
    year), ``principal_eur`` (the rest of the payment) and ``balance_eur`` (after the
    payment; 0 after the last).
    """
    payment = annuity(principal, rate, years)
    rows, balance = [], float(principal)
    for year in range(1, years + 1):
        interest = balance * rate
        repaid = payment - interest
        balance = 0.0 if year == years else balance - repaid
        rows.append((year, payment, interest, repaid, balance))
    return pd.DataFrame(rows, columns=["year", "payment_eur", "interest_eur", "principal_eur", "balance_eur"])


def _model(key: str, flows: np.ndarray, payments: np.ndarray, rate: float, note: str, *,
           feasible: bool = True) -> FinancingModel:  # fmt: skip
    worst = int(np.argmin(flows))
    return FinancingModel(key=key, label=MODELS[key], flows_eur=flows, npv_eur=npv(flows, rate),
                          upfront_eur=float(max(-flows[0], 0.0)) + 0.0, worst_year=worst, worst_eur=float(flows[worst]),
                          payments_eur=payments, note=note, feasible=feasible)  # fmt: skip


def compare_financing(city_flows: np.ndarray, *, capital_eur: float, savings_eur: np.ndarray, terms: FinancingSpec,
                      discount_rate: float) -> tuple[dict[str, FinancingModel], pd.DataFrame | None]:  # fmt: skip
    """The city's cash flow under each financing model.

    Parameters
    ----------
    city_flows
        The city's net cash flow when it pays everything itself, years ``0 ... T`` (cash:
        without residual value).
    capital_eur
        The capital bought in year 0 (what a lender, ESCO or lessor funds), positive.
    savings_eur
        The measured savings of energy and maintenance in each year ``0 ... T`` (what an ESCO
        shares; negative or zero: nothing to share).
    terms
        The bond's, the ESCO's and the lease's terms (``costs.financing``).
    discount_rate
        The appraisal's rate, for each model's NPV to the city.

    Returns
    -------
    models, schedule
        The models by key, and the bond's repayment schedule (``None`` without capital).

    A term longer than the appraisal is settled in its last year at what is left: the bond's
    balance, the lease's remaining fees at the lessor's rate, the ESCO's remaining share of
    that year's savings at its rate; the note says so.
    """
    flows = np.asarray(city_flows, dtype=float)
    years = flows.size - 1
    none = np.zeros_like(flows)
    models = {"city": _model("city", flows.copy(), none, discount_rate, "the city pays the capital in year 0")}
    if capital_eur <= 0:
        for key in ("bond", "esco", "lease"):
            models[key] = FinancingModel(key, MODELS[key], None, None, None, None, None,
                                         note="nothing to finance: no capital in year 0")  # fmt: skip
        return models, None
    bond = terms.bond
    schedule = bond_schedule(capital_eur, bond.rate, bond.years)
    paid = none.copy()
    inside = min(bond.years, years)
    paid[1:inside + 1] = schedule["payment_eur"].to_numpy()[:inside]
    tail = ""
    if bond.years > years:
        paid[years] += schedule["balance_eur"].iloc[years - 1]
        tail = f"; the {schedule['balance_eur'].iloc[years - 1]:,.0f} EUR still owed is repaid in year {years}"
    models["bond"] = _model("bond", flows + _funded(flows, capital_eur) - paid, paid, discount_rate,
                            f"{capital_eur:,.0f} EUR borrowed at {bond.rate:.2%} for {bond.years} years: "
                            f"{schedule['payment_eur'].iloc[0]:,.0f} EUR a year{tail}")  # fmt: skip
    esco = terms.esco
    shared = np.clip(np.asarray(savings_eur, dtype=float), 0.0, None)
    shared[0] = 0.0
    shared[esco.years + 1:] = 0.0
    if shared.sum() <= 0:
        models["esco"] = FinancingModel("esco", MODELS["esco"], None, None, None, None, None,
                                        note="no energy or maintenance savings to share: an ESCO would not fund it")  # fmt: skip
    else:
        fee = esco.savings_share * shared
        rest = _rest(esco.years - years, esco.rate)
        if rest:
            fee[years] += esco.savings_share * shared[years] * rest  # the ESCO's remaining years bought out
        # The share at which the ESCO's receipts, at the return it needs, repay its capital.
        needed = capital_eur / (npv(shared, esco.rate) + shared[years] * rest / (1 + esco.rate) ** years)
        feasible = bool(esco.savings_share >= needed - 1e-12)
        verdict = ("which repays it" if feasible else
                   f"which does not repay it: it would need {needed:.1%} of the savings" + (" (more than all of "
                   "them: a longer term)" if needed > 1 else "") + ", so no ESCO would sign these terms")
        bought_out = f"; its years after year {years} bought out then" if rest else ""
        models["esco"] = _model("esco", flows + _funded(flows, capital_eur) - fee, fee, discount_rate,
                                f"the ESCO funds {capital_eur:,.0f} EUR and takes {esco.savings_share:.0%} of the "
                                f"savings for {esco.years} years ({fee.sum():,.0f} EUR{bought_out}), {verdict} at "
                                f"{esco.rate:.0%} a year", feasible=feasible)  # fmt: skip
    lease = terms.lease
    fee_per_year = lease.fee_eur_per_year if lease.fee_eur_per_year is not None else annuity(capital_eur, lease.rate,
                                                                                             lease.years)  # fmt: skip
    rent = none.copy()
    rent[1:min(lease.years, years) + 1] = fee_per_year
    rest = _rest(lease.years - years, lease.rate)
    rent[years] += fee_per_year * rest
    how = "as given" if lease.fee_eur_per_year is not None else f"the annuity of the capital at {lease.rate:.2%}"
    bought_out = f"; the fees after year {years} are paid off then" if rest else ""
    models["lease"] = _model("lease", flows + _funded(flows, capital_eur) - rent, rent, discount_rate,
                             f"{fee_per_year:,.0f} EUR a year for {lease.years} years ({how}); the city owns it "
                             f"after the last fee{bought_out}")  # fmt: skip
    return models, schedule


def _rest(years_left: int, rate: float) -> float:
    """The present value of 1 a year for ``years_left`` more years at ``rate`` (0 when none are left)."""
    if years_left <= 0:
        return 0.0
    return float(np.sum((1.0 + rate) ** -np.arange(1, years_left + 1)))


def _funded(flows: np.ndarray, capital_eur: float) -> np.ndarray:
    """The year-0 capital given back to the city (someone else pays it)."""
    back = np.zeros_like(flows)
    back[0] = capital_eur
    return back
