"""Financing models and capital schedules against hand-made cash flows."""

from __future__ import annotations

import numpy as np
import pytest

from twin.economics.cashflows import Purchase, capital_flows
from twin.economics.financing import bond_schedule, compare_financing
from twin.economics.measures import npv
from twin.scenario.costs import FinancingSpec


def _terms(**parts) -> FinancingSpec:
    return FinancingSpec.model_validate(parts)


def test_bond_schedule_is_the_annuity_interest_on_the_balance_and_ends_at_zero():
    principal, rate, years = 100_000.0, 0.04, 10
    schedule = bond_schedule(principal, rate, years)
    payment = principal * rate / (1 - (1 + rate) ** -years)  # the annuity formula
    assert len(schedule) == years
    assert schedule["payment_eur"].to_numpy() == pytest.approx(np.full(years, payment))
    assert (schedule["interest_eur"] + schedule["principal_eur"]).to_numpy() == pytest.approx(np.full(years, payment))
    balance_before = np.r_[principal, schedule["balance_eur"].to_numpy()[:-1]]
    assert schedule["interest_eur"].to_numpy() == pytest.approx(balance_before * rate)
    assert schedule["principal_eur"].sum() == pytest.approx(principal)
    assert schedule["balance_eur"].iloc[-1] == 0.0
    assert schedule["interest_eur"].iloc[0] == pytest.approx(4000.0)
    assert payment == pytest.approx(12329.09, abs=0.01)


def test_city_funded_and_bond_cash_flows():
    city = np.r_[-1000.0, np.full(10, 150.0)]
    models, schedule = compare_financing(city, capital_eur=1000.0, savings_eur=np.r_[0, np.full(10, 150.0)],
                                         terms=_terms(bond={"rate": 0.05, "years": 5}), discount_rate=0.05)  # fmt: skip
    assert models["city"].flows_eur == pytest.approx(city)
    assert models["city"].upfront_eur == 1000.0 and models["city"].worst_year == 0
    payment = 1000 * 0.05 / (1 - 1.05**-5)
    expected = np.r_[0.0, np.full(5, 150 - payment), np.full(5, 150.0)]
    assert models["bond"].flows_eur == pytest.approx(expected)
    assert models["bond"].upfront_eur == 0.0
    # Borrowing at the discount rate costs nothing in present value.
    assert models["bond"].npv_eur == pytest.approx(models["city"].npv_eur)
    assert schedule["payment_eur"].iloc[0] == pytest.approx(payment)


def test_esco_takes_its_share_of_a_known_saving_stream_for_its_term():
    # The ESCO pays 1000; savings are 200 a year; it takes 60% for 5 years, then the city keeps all.
    savings = np.r_[0.0, np.full(10, 200.0)]
    city = np.r_[-1000.0, np.full(10, 200.0 - 20.0)]  # 20 a year of other running costs
    models, _ = compare_financing(city, capital_eur=1000.0, savings_eur=savings,
                                  terms=_terms(esco={"savings_share": 0.6, "years": 5, "rate": 0.05}),
                                  discount_rate=0.03)  # fmt: skip
    esco = models["esco"]
    assert esco.flows_eur == pytest.approx(np.r_[0.0, np.full(5, 200 * 0.4 - 20), np.full(5, 180.0)])
    assert esco.payments_eur.sum() == pytest.approx(600.0)
    # 120 a year for 5 years at 5% is worth 519.5 to the ESCO: less than its 1000, so it would not sign.
    assert not esco.feasible and "would need" in esco.note
    generous = compare_financing(city, capital_eur=400.0, savings_eur=savings,
                                 terms=_terms(esco={"savings_share": 0.6, "years": 5, "rate": 0.05}),
                                 discount_rate=0.03)[0]["esco"]  # fmt: skip
    assert generous.feasible


def test_esco_does_not_apply_without_savings_and_nothing_applies_without_capital():
    city = np.r_[-500.0, np.full(5, -10.0)]
    models, _ = compare_financing(city, capital_eur=500.0, savings_eur=np.zeros(6), terms=_terms(), discount_rate=0.03)
    assert not models["esco"].applies and "no energy or maintenance savings" in models["esco"].note
    models, schedule = compare_financing(np.r_[0.0, np.full(15, 5.0)], capital_eur=0.0, savings_eur=np.zeros(16),
                                         terms=_terms(), discount_rate=0.03)  # fmt: skip
    assert schedule is None and [k for k, m in models.items() if m.applies] == ["city"]


def test_lease_fee_given_or_the_annuity_of_the_capital():
    city = np.r_[-1000.0, np.full(12, 150.0)]
    given = compare_financing(city, capital_eur=1000.0, savings_eur=np.zeros(13),
                              terms=_terms(lease={"fee_eur_per_year": 130.0, "years": 10}), discount_rate=0.03)[0]
    assert given["lease"].flows_eur == pytest.approx(np.r_[0.0, np.full(10, 20.0), 150.0, 150.0])
    fee = 1000 * 0.06 / (1 - 1.06**-10)
    annuity = compare_financing(city, capital_eur=1000.0, savings_eur=np.zeros(13),
                                terms=_terms(lease={"rate": 0.06, "years": 10}), discount_rate=0.06)[0]
    assert annuity["lease"].payments_eur[1:11] == pytest.approx(np.full(10, fee))
    assert annuity["lease"].npv_eur == pytest.approx(annuity["city"].npv_eur)  # a lease at the discount rate


def test_a_term_longer_than_the_appraisal_is_settled_in_its_last_year():
    city = np.r_[-1000.0, np.full(5, 300.0)]
    models, schedule = compare_financing(city, capital_eur=1000.0, savings_eur=np.r_[0.0, np.full(5, 300.0)],
                                         terms=_terms(bond={"rate": 0.04, "years": 10},
                                                      lease={"rate": 0.05, "years": 8, "fee_eur_per_year": 100.0},
                                                      esco={"savings_share": 0.5, "years": 7, "rate": 0.06}),
                                         discount_rate=0.04)  # fmt: skip
    payment = schedule["payment_eur"].iloc[0]
    owed = schedule["balance_eur"].iloc[4]
    assert models["bond"].payments_eur == pytest.approx(np.r_[0.0, np.full(4, payment), payment + owed])
    # At the bond's own rate, paying off the balance early is worth exactly the capital.
    assert npv(models["bond"].payments_eur, 0.04) == pytest.approx(1000.0)
    assert "still owed is repaid in year 5" in models["bond"].note
    assert models["lease"].payments_eur[5] == pytest.approx(100 + 100 / 1.05 + 100 / 1.05**2 + 100 / 1.05**3)
    assert models["esco"].payments_eur[5] == pytest.approx(150 * (1 + 1 / 1.06 + 1 / 1.06**2))


def test_capital_is_replaced_at_the_end_of_its_life_with_straight_line_residual_value():
    bus = Purchase("shuttles", "maas", 2, "vehicle", capital_eur=100.0, operating_eur_per_year=0, lifetime_years=8)
    capital, residual = capital_flows([bus], years=20)
    assert np.flatnonzero(capital).tolist() == [0, 8, 16]
    assert capital[[0, 8, 16]] == pytest.approx([-100.0] * 3)
    # The one bought in year 16 has 4 of its 8 years left at year 20.
    assert residual[20] == pytest.approx(50.0) and residual[:20].sum() == 0
    assert capital_flows([bus], years=20, residual_value=False)[1].sum() == 0
    lamp = Purchase("led", "led_retrofit", 10, "lamp", capital_eur=400.0, operating_eur_per_year=0, lifetime_years=20)
    capital, residual = capital_flows([lamp], years=20)
    assert capital.sum() == -400.0 and residual.sum() == 0.0
    assert npv(capital, 0.03) == -400.0
