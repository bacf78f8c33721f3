"""Uncertainty carried from the batch: a bootstrap of the paired replications.

A batch runs every variant with the same replication seeds, so the baseline's and a
variant's runs pair up by seed and each pair gives one difference of every yearly line.
Resampling the pairs with replacement (``resamples`` times, vectorised) gives resampled
mean differences; every measure (NPV, IRR, paybacks, BCR) is computed on each of them and
its 95% interval is the 2.5th to 97.5th percentile (the percentile bootstrap), with
``P(NPV > 0)`` the share of resamples with a positive NPV.

The generator is seeded from the batch's root seed and the variant's name (a fixed spawn
key of its own), so the same batch gives the same intervals every time, and adding a
variant does not change the others'. With one pair there is nothing to resample: no
interval. With few pairs (3 is the default of a batch) the percentile interval is too
narrow: it cannot be wider than the pairs' own spread. It measures the model's randomness
only, not the uncertainty of the prices and assumptions.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["LEVEL", "MIN_RESAMPLES", "bootstrap_rng", "interval", "resample_means"]

LEVEL = 0.95
"""Coverage of the intervals."""

MIN_RESAMPLES = 1000
"""Fewer resamples than this give percentiles that move from one seed to the next."""

_SPAWN_KEY = 0xEC0  # this module's own stream, apart from the replications' seeds


def bootstrap_rng(root_seed: int, variant: str) -> np.random.Generator:
    """The generator of one variant's resamples: from the batch's root seed and the variant's name."""
    key = (_SPAWN_KEY, zlib.crc32(variant.encode("utf-8")))
    return np.random.default_rng(np.random.SeedSequence(int(root_seed), spawn_key=key))


def resample_means(differences: np.ndarray, *, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Means of ``differences`` (one row per pair) over pairs drawn with replacement.

    Returns
    -------
    numpy.ndarray
        ``(resamples, n_columns)``.
    """
    differences = np.asarray(differences, dtype=float)
    n = differences.shape[0]
    if resamples < MIN_RESAMPLES:
        raise ValueError(f"resamples={resamples}: use at least {MIN_RESAMPLES} for stable 95% intervals")
    picks = rng.integers(0, n, size=(resamples, n))
    return differences[picks].mean(axis=1)


def interval(values: np.ndarray, *, level: float = LEVEL) -> tuple[float, float]:
    """The central ``level`` percentile interval of resampled ``values`` (infinities allowed).

    The percentiles are order statistics (no interpolation), so a bound may be infinite (a
    payback that never comes in part of the resamples) without turning into NaN.
    """
    values = np.asarray(values, dtype=float)
    tail = (1 - level) / 2
    low, high = np.quantile(values, [tail, 1 - tail], method="inverted_cdf")
    return float(low), float(high)
