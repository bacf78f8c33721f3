"""Compiled helpers shared by the lighting controllers and engine: reading a level timeline.

A timeline is a run ``t[lo:hi]``, ``v[lo:hi]`` of points, linear between them, right-continuous
(two points at one time make a step) and constant beyond its ends.
"""

from __future__ import annotations

from numba import njit

__all__ = ["is_dark", "last_at_or_before", "level_at", "values_at"]


@njit(cache=True, inline="always")
def last_at_or_before(t, lo, hi, x):
    """Largest k in [lo, hi) with t[k] <= x, or lo - 1."""
    a, b = lo, hi
    while a < b:
        m = (a + b) >> 1
        if t[m] <= x:
            a = m + 1
        else:
            b = m
    return a - 1


@njit(cache=True, inline="always")
def level_at(t, v, lo, hi, x):
    """A timeline's level at x (right-continuous, constant beyond its ends)."""
    k = last_at_or_before(t, lo, hi, x)
    if k < lo:
        return v[lo]
    if k >= hi - 1:
        return v[hi - 1]
    t0 = t[k]
    t1 = t[k + 1]
    return v[k] + (v[k + 1] - v[k]) * (x - t0) / (t1 - t0)


@njit(cache=True, inline="always")
def is_dark(dark_a, dark_b, x):
    j = last_at_or_before(dark_a, 0, dark_a.size, x)
    return j >= 0 and x < dark_b[j]


@njit(cache=True)
def values_at(t, v, lo, hi, times, out):
    for i in range(times.size):
        out[i] = level_at(t, v, lo, hi, times[i])
