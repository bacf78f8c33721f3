"""Measures of a yearly cash flow: NPV, IRR, simple and discounted payback, benefit-cost ratio.

A cash flow is an array ``flows[t]`` for years ``t = 0, 1, ..., T``: year 0 is the
investment (today, not discounted), year ``t`` is discounted by ``(1 + r) ** t``. Money in
(savings, revenue, benefits) is positive, money out is negative.

Each function takes one cash flow (1-D) or many at once (2-D, one per row, for the
bootstrap); the 2-D forms are vectorised over the rows.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["annuity", "bcr", "discount_factors", "discounted_payback", "irr", "npv", "payback"]


def discount_factors(rate: float, years: int) -> np.ndarray:
    """``1 / (1 + rate) ** t`` for ``t = 0 ... years``."""
    if rate <= -1:
        raise ValueError(f"a discount rate of {rate} is -100% or less; use a rate above -1")
    return (1.0 + rate) ** -np.arange(years + 1, dtype=float)


def npv(flows, rate: float) -> float | np.ndarray:
    """Net present value of ``flows`` at ``rate``: ``sum(flows[t] / (1 + rate) ** t)``.

    Examples
    --------
    >>> round(npv([-100, 60, 60], 0.1), 4)
    4.1322
    """
    flows = np.asarray(flows, dtype=float)
    value = flows @ discount_factors(rate, flows.shape[-1] - 1)
    return float(value) if flows.ndim == 1 else value


def annuity(principal: float, rate: float, years: int) -> float:
    """The level yearly payment that repays ``principal`` with interest ``rate`` in ``years``."""
    if years < 1:
        raise ValueError(f"an annuity needs at least one year, not {years}")
    if rate == 0:
        return principal / years
    return principal * rate / (1.0 - (1.0 + rate) ** -years)


# Rates at which IRRs are searched: from -99% to +1000% a year, finer near 0 where they are.
_GRID = np.unique(np.concatenate([np.linspace(-0.99, -0.2, 40), np.linspace(-0.2, 0.5, 141),
                                  np.geomspace(0.5, 10.0, 60)]))  # fmt: skip


def irr(flows) -> float | None | np.ndarray:
    """Internal rate of return: the rate at which the NPV of ``flows`` is 0.

    The NPV is evaluated on a grid of rates from -99% to +1000%; the IRR is the root in the
    first interval where it changes sign, found by :func:`scipy.optimize.brentq` (1-D) or
    by vectorised bisection (2-D, one IRR per row). ``None`` (NaN in 2-D) when the NPV does
    not change sign: all flows of one sign, or a project that never repays. A cash flow
    whose sign changes more than once (a replacement midway) can have several IRRs; this is
    the lowest.

    Examples
    --------
    >>> round(irr([-100, 60, 60]), 4)
    0.1307
    """
    flows = np.asarray(flows, dtype=float)
    rows = np.atleast_2d(flows)
    values = rows @ ((1.0 + _GRID[None, :]) ** -np.arange(rows.shape[1])[:, None])
    signs = np.sign(values)
    change = (signs[:, :-1] * signs[:, 1:] <= 0) & (signs[:, :-1] != 0)
    has = change.any(axis=1)
    first = np.argmax(change, axis=1)
    if flows.ndim == 1:
        if not has[0]:
            return None
        from scipy.optimize import brentq

        lo, hi = _GRID[first[0]], _GRID[first[0] + 1]
        if values[0, first[0] + 1] == 0:
            return float(hi)
        return float(brentq(lambda r: npv(flows, r), lo, hi, xtol=1e-12, rtol=1e-12))
    # Vectorised bisection, one bracket per row (60 halvings: below 1e-15 of the bracket).
    lo, hi = _GRID[first].copy(), _GRID[first + 1].copy()
    f_lo = values[np.arange(len(rows)), first]
    powers = np.arange(rows.shape[1])
    for _ in range(60):
        mid = (lo + hi) / 2
        f_mid = np.einsum("ij,ij->i", rows, (1.0 + mid[:, None]) ** -powers[None, :])
        left = np.sign(f_mid) == np.sign(f_lo)
        lo = np.where(left, mid, lo)
        f_lo = np.where(left, f_mid, f_lo)
        hi = np.where(left, hi, mid)
    return np.where(has, (lo + hi) / 2, np.nan)


def _payback(flows: np.ndarray) -> np.ndarray:
    """Years until the running sum of each row first reaches 0, interpolated within the year; inf if never."""
    rows = np.atleast_2d(flows)
    running = np.cumsum(rows, axis=1)
    reached = running >= -1e-9 * np.maximum(1.0, np.abs(rows).max(axis=1, keepdims=True))
    ever = reached.any(axis=1)
    k = np.argmax(reached, axis=1)
    index = np.arange(len(rows))
    before = running[index, np.maximum(k - 1, 0)]
    gain = rows[index, k]
    # Inside year k the flow comes in evenly: the sum crosses 0 a fraction -before/gain into it.
    fraction = np.where(gain > 0, -before / np.where(gain > 0, gain, 1.0), 1.0)
    years = np.where(k == 0, 0.0, (k - 1) + np.clip(fraction, 0.0, 1.0))
    return np.where(ever, years, np.inf)


def payback(flows) -> float | None | np.ndarray:
    """Simple payback: years until the undiscounted running sum of ``flows`` first reaches 0.

    Fractional: within the year it is reached, the year's flow is taken to come in evenly.
    0 when year 0 is not negative (nothing to pay back); ``None`` (inf in 2-D) when the sum
    never reaches 0 within the flows.

    Examples
    --------
    >>> payback([-100, 30, 30, 30, 30])
    3.3333333333333335
    """
    flows = np.asarray(flows, dtype=float)
    years = _payback(flows)
    if flows.ndim == 1:
        return None if math.isinf(years[0]) else float(years[0])
    return years


def discounted_payback(flows, rate: float) -> float | None | np.ndarray:
    """Discounted payback: as :func:`payback` on the flows discounted at ``rate``.

    Examples
    --------
    >>> round(discounted_payback([-100, 60, 60], 0.1), 4)
    1.9167
    """
    flows = np.asarray(flows, dtype=float)
    return payback(flows * discount_factors(rate, flows.shape[-1] - 1))


def bcr(present_values) -> float | None | np.ndarray:
    """Benefit-cost ratio of lines of a business case, from their present values.

    ``present_values[..., j]`` is the PV of line ``j`` (energy, capital, time, ...). Lines
    with a positive PV are benefits, lines with a negative PV costs; the ratio is the sum of
    the benefits over the sum of the costs, so it is above 1 exactly when the NPV is above 0.
    ``None`` (NaN in 2-D) when nothing costs.

    Examples
    --------
    >>> bcr([-100.0, 150.0, -20.0, 30.0])
    1.5
    """
    pv = np.asarray(present_values, dtype=float)
    benefits = np.clip(pv, 0, None).sum(axis=-1)
    costs = -np.clip(pv, None, 0).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(costs > 0, benefits / np.where(costs > 0, costs, 1.0), np.nan)
    if pv.ndim == 1:
        return None if not costs > 0 else float(ratio)
    return ratio
