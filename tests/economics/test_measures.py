"""NPV, IRR, paybacks and the benefit-cost ratio against figures worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from twin.economics.measures import annuity, bcr, discount_factors, discounted_payback, irr, npv, payback


def test_npv_by_hand():
    # -1000 + 300/1.05 + 400/1.05^2 + 500/1.05^3
    expected = -1000 + 300 / 1.05 + 400 / 1.05**2 + 500 / 1.05**3
    assert npv([-1000, 300, 400, 500], 0.05) == pytest.approx(expected, rel=1e-12)
    assert npv([-1000, 300, 400, 500], 0.0) == pytest.approx(200.0)
    assert expected == pytest.approx(80.4449, abs=1e-4)


def test_npv_of_many_rows_is_each_rows_npv():
    flows = np.array([[-100.0, 60, 60], [-50.0, 10, 70]])
    assert npv(flows, 0.1) == pytest.approx([npv(flows[0], 0.1), npv(flows[1], 0.1)])


def test_irr_of_minus_100_plus_60_plus_60_is_13_07_percent():
    # 60 x^2 + 60 x - 100 = 0 with x = 1 / (1 + r): x = (-60 + sqrt(60^2 + 4 * 60 * 100)) / 120
    x = (-60 + math.sqrt(60**2 + 4 * 60 * 100)) / 120
    assert irr([-100, 60, 60]) == pytest.approx(1 / x - 1, abs=1e-10)
    assert irr([-100, 60, 60]) == pytest.approx(0.1307, abs=5e-5)
    assert npv([-100, 60, 60], irr([-100, 60, 60])) == pytest.approx(0.0, abs=1e-9)


def test_irr_vectorised_matches_brentq_and_is_none_without_a_sign_change():
    rows = np.array([[-100.0, 60, 60], [-1000.0, 600, 600], [100.0, 10, 10], [-100.0, 0, 0]])
    found = irr(rows)
    assert found[0] == pytest.approx(irr([-100, 60, 60]), abs=1e-12)
    assert found[1] == pytest.approx(irr([-1000, 600, 600]), abs=1e-12)
    assert np.isnan(found[2]) and np.isnan(found[3])
    assert irr([100, 10, 10]) is None and irr([-100, 0, 0]) is None


def test_simple_payback_interpolates_within_the_year():
    # Running sum -100, -70, -40, -10, +20: a third of year 4's 30 repays the last 10.
    assert payback([-100, 30, 30, 30, 30]) == pytest.approx(3 + 1 / 3)
    assert payback([-100, 50, 50]) == pytest.approx(2.0)
    assert payback([0, 5, 5]) == 0.0
    assert payback([-100, 10, 10]) is None


def test_discounted_payback_by_hand():
    # Discounted at 10%: -100, 54.545, 49.587; after year 1 -45.455 is left, 45.455/49.587 of year 2.
    left = 100 - 60 / 1.1
    assert discounted_payback([-100, 60, 60], 0.1) == pytest.approx(1 + left / (60 / 1.1**2))
    assert discounted_payback([-100, 50, 50], 0.1) is None  # pays back undiscounted only
    assert payback([-100, 50, 50]) == pytest.approx(2.0)


def test_bcr_is_gains_over_costs_and_above_one_exactly_when_npv_is_positive():
    assert bcr([-100.0, 150.0, -20.0, 30.0]) == pytest.approx(180 / 120)
    assert bcr([10.0, 5.0]) is None  # nothing costs
    rng = np.random.default_rng(7)
    lines = rng.normal(0, 100, size=(500, 6))
    ratio = bcr(lines)
    costs = (lines < 0).any(axis=1)
    assert np.array_equal(ratio[costs] > 1, lines[costs].sum(axis=1) > 0)
    assert np.isnan(ratio[~costs]).all()


def test_annuity_formula_and_discount_factors():
    assert annuity(1000, 0.05, 10) == pytest.approx(1000 * 0.05 / (1 - 1.05**-10))
    assert annuity(1000, 0.0, 4) == 250.0
    assert discount_factors(0.1, 2) == pytest.approx([1, 1 / 1.1, 1 / 1.21])
    # The NPV of an annuity at its own rate is the principal.
    assert npv([0.0] + [annuity(1000, 0.05, 10)] * 10, 0.05) == pytest.approx(1000.0)
