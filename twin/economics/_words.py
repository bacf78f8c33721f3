"""Figures of a business case as text, shared by ``twin economics`` and the report."""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["eur", "estimate_text", "pct", "ratio", "years"]

_MINUS = "\u2212"


def _ok(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _three(value: float) -> str:
    """Three significant figures, trailing zeros kept (``10.0``, ``227``, ``1,234``)."""
    if value == 0:
        return "0"
    decimals = max(0, 2 - math.floor(math.log10(abs(value))))
    return f"{value:,.{decimals}f}"


def eur(value: float | None) -> str:
    """EUR to three significant figures: ``-1234567`` -> ``−1.23 M EUR``, ``10228`` -> ``10.2 k EUR``; "-" for none."""
    if not _ok(value):
        return "-"
    size = abs(value)
    if size >= 1e6:
        text = f"{_three(value / 1e6)} M EUR"
    elif size >= 1e3:
        text = f"{_three(value / 1e3)} k EUR"
    else:
        text = f"{value:,.0f} EUR"
    return text.replace("-", _MINUS)


def pct(value: float | None) -> str:
    """A rate as a percentage with one decimal; "none" when there is none."""
    return f"{value * 100:.1f}%".replace("-", _MINUS) if _ok(value) else "none"


def years(value: float | None) -> str:
    """Years with one decimal; "never" when the sum never turns positive."""
    return f"{value:.1f} y" if _ok(value) else "never"


def ratio(value: float | None) -> str:
    """A ratio with two decimals; "-" when undefined (nothing costs)."""
    return f"{value:.2f}".replace("-", _MINUS) if _ok(value) else "-"


def estimate_text(estimate, form: Callable[[float | None], str], *, low_word: str = "", high_word: str = "") -> str:
    """``value [low, high]`` of an :class:`~twin.economics.case.Estimate`; the value alone without an interval.

    The bounds drop the unit the value carries ("EUR", "y"); an infinite bound reads
    ``low_word``/``high_word`` (e.g. "never" for a payback).
    """
    text = form(estimate.value)
    if not estimate.has_interval or not (_ok(estimate.low) or _ok(estimate.high)):
        return text  # no interval, or every resample as the value ("never", no IRR)

    def bound(x: float | None) -> str:
        if not _ok(x):
            return (low_word if x is not None and x < 0 else high_word) or form(None)
        return form(x).removesuffix(" EUR").removesuffix(" y")

    return f"{text} [{bound(estimate.low)}, {bound(estimate.high)}]"
