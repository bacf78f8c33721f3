"""Where activities can happen: eligible nodes, their attractiveness, and gravity choice.

Residents live, work and shop at network *nodes*. A node is eligible only if every mode can
start and end a trip there (the intersection of :meth:`StreetNetwork.mode_nodes` for car, bike
and walk), so whatever mode a person later chooses, the trip can be routed.

Attractiveness without a land-use layer
---------------------------------------
A street map says where the streets are, not where the homes and jobs are. Without a land-use
layer twin uses street *frontage* as a proxy: a node weighs as much as half the length of the
streets that meet there, counting only streets of the classes in :data:`HOME_CLASSES` for homes
and :data:`COMMERCIAL_CLASSES` for jobs, shops and errands (the main roads where shops and
offices line up). Leisure and school destinations weigh every eligible node alike.

If ``network.nodes`` carries a numeric ``homes``, ``jobs`` or ``shops`` column (e.g. dwellings
and jobs per node from a census grid or a city's land-use model, joined to the nodes before the
run), that column is used instead, as is; ``shops`` falls back to ``jobs``. This is the hook for
real land-use data. Where every eligible node weighs 0 (a grid town without arterials has no
commercial frontage) the weights fall back to the length of all adjacent streets.

Gravity choice
--------------
Destinations are drawn with probability proportional to ``weight_j * exp(-d_ij / decay_m)``, with
``d_ij`` the straight-line distance from the trip's anchor (home, or the previous activity): a
production-constrained gravity model (destination choice) with exponential deterrence.
Computing those probabilities needs one row per anchor over all candidate nodes, too large for a
city, so :func:`gravity_choice` samples candidates from the weights and accepts them with the
deterrence (rejection sampling), which draws from exactly the same distribution.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from twin._errors import MapDataError
from twin.maps.network import MODES, StreetNetwork

__all__ = [
    "COMMERCIAL_CLASSES",
    "HOME_CLASSES",
    "WeightedSampler",
    "eligible_nodes",
    "gravity_choice",
    "node_weights",
]

HOME_CLASSES = frozenset({"residential", "living_street", "unclassified", "service", "road"})
"""Road classes whose frontage counts towards homes (OSM ``highway`` values)."""

COMMERCIAL_CLASSES = frozenset({"primary", "secondary", "tertiary", "pedestrian"})
"""Road classes whose frontage counts towards jobs and shops: main roads and pedestrian
shopping streets."""

Kind = Literal["homes", "jobs", "shops", "any"]

_CHUNK_ROWS = 65_536
"""Trips handled at once by :func:`gravity_choice` (bounds memory to a few MiB per array)."""


def eligible_nodes(network: StreetNetwork) -> np.ndarray:
    """Return the positions of the nodes where every mode can start and end a trip.

    Raises
    ------
    MapDataError
        If no node is usable by car, bike and walking alike.
    """
    nodes = network.mode_nodes(MODES[0])
    for mode in MODES[1:]:
        nodes = np.intersect1d(nodes, network.mode_nodes(mode), assume_unique=True)
    if nodes.size == 0:
        raise MapDataError(
            f"{network.source}: no node of the map can be used by car, bike and walking alike, "
            "so residents have nowhere to live; check the map's road classes and access tags"
        )
    return nodes


def node_weights(network: StreetNetwork, nodes: np.ndarray, kind: Kind) -> np.ndarray:
    """Return the attractiveness of each of ``nodes`` for homes, jobs, shops or anything.

    Parameters
    ----------
    network
        The street network.
    nodes
        Node positions, e.g. from :func:`eligible_nodes`.
    kind
        ``"homes"``, ``"jobs"``, ``"shops"`` (a ``shops`` column, else as ``"jobs"``) or
        ``"any"`` (every node alike).

    Returns
    -------
    numpy.ndarray
        ``float64`` weights, one per node, not all zero. See the module docstring for the
        frontage proxy and the ``homes``/``jobs``/``shops`` columns that override it.

    Raises
    ------
    MapDataError
        If a weight column of ``network.nodes`` is not numeric, is negative or NaN, or is 0 at
        every eligible node.
    """
    if kind == "any":
        return np.ones(nodes.size)
    column = kind if kind in network.nodes.columns else (
        "jobs" if kind == "shops" and "jobs" in network.nodes.columns else None
    )
    if column is not None:
        values = np.asarray(network.nodes[column].to_numpy()[nodes], dtype=object)
        try:
            weights = values.astype(np.float64)
        except (TypeError, ValueError):
            raise MapDataError(
                f"{network.source}: node column {column!r} is not numeric; give a number of "
                f"{column} per node"
            ) from None
        if not (np.isfinite(weights).all() and (weights >= 0).all() and weights.sum() > 0):
            raise MapDataError(
                f"{network.source}: node column {column!r} has negative, missing or only zero "
                f"values at the nodes residents can use; give a number >= 0 of {column} per node"
            )
        return weights
    classes = HOME_CLASSES if kind == "homes" else COMMERCIAL_CLASSES
    weights = _frontage(network, classes)[nodes]
    if weights.sum() <= 0:
        weights = _frontage(network, None)[nodes]
    if weights.sum() <= 0:
        weights = np.ones(nodes.size)
    return weights


def _frontage(network: StreetNetwork, classes: frozenset[str] | None) -> np.ndarray:
    """Half the length of the streets of ``classes`` (all if None) meeting at each node."""
    edges = network.edges
    street = edges["street_id"].to_numpy()
    # One row per street: both directions of a two-way street share a street_id.
    _, first = np.unique(street, return_index=True)
    u = edges["u"].to_numpy()[first]
    v = edges["v"].to_numpy()[first]
    length = edges["length_m"].to_numpy(dtype=np.float64)[first]
    if classes is not None:
        length = length * np.isin(edges["road_class"].to_numpy()[first].astype(str), list(classes))
    n = network.n_nodes
    return 0.5 * (np.bincount(u, length, minlength=n) + np.bincount(v, length, minlength=n))


class WeightedSampler:
    """Draw indices with probability proportional to fixed weights, in constant time each.

    A guide table (Chen and Asau's method) maps each of ``2 n`` equal slices of ``[0, 1)`` to
    the first index whose cumulative weight passes the slice's start; a draw then steps
    forward from there, on average less than one step. This is several times faster than a
    binary search (``numpy.searchsorted``) for the millions of draws a city's plans need.

    Parameters
    ----------
    weights
        Non-negative weights, not all zero; indices of zero weight are never drawn.
    """

    def __init__(self, weights: np.ndarray) -> None:
        weights = np.asarray(weights, dtype=np.float64)
        self._index = np.flatnonzero(weights > 0)
        if self._index.size == 0:
            raise ValueError("`weights` are all zero; at least one must be positive")
        cdf = np.cumsum(weights[self._index])
        cdf /= cdf[-1]
        cdf[-1] = 1.0
        self._cdf = cdf
        self._slices = 2 * cdf.size
        self._guide = np.searchsorted(cdf, np.arange(self._slices) / self._slices, side="right")

    def __call__(self, u: np.ndarray) -> np.ndarray:
        """Map uniform numbers in ``[0, 1)`` (any shape) to drawn indices (same shape)."""
        flat = np.asarray(u, dtype=np.float64).reshape(-1)
        slot = np.minimum((flat * self._slices).astype(np.intp), self._slices - 1)
        at = self._guide[slot]
        behind = np.flatnonzero(self._cdf[at] <= flat)
        while behind.size:
            at[behind] += 1
            behind = behind[self._cdf[at[behind]] <= flat[behind]]
        return self._index[at].reshape(np.shape(u))


def gravity_choice(
    anchors: np.ndarray,
    candidates: np.ndarray,
    weights: np.ndarray,
    *,
    xy: np.ndarray,
    decay_m: float,
    rng: np.random.Generator,
    n_candidates: int = 32,
    max_rounds: int = 20,
) -> np.ndarray:
    """Draw one destination node per anchor with a distance-decayed gravity choice.

    Node ``j`` is drawn with probability proportional to ``weights[j] * exp(-d / decay_m)``,
    ``d`` the straight-line distance from the anchor, by rejection sampling: each round draws
    ``n_candidates`` nodes per unfinished anchor from the weights alone and accepts each with
    probability ``exp(-(d - d_near) / decay_m)``, ``d_near`` being the distance to the nearest
    candidate of positive weight; the first accepted one is the destination. This is exact, and
    needs no anchor-by-candidate matrix. An anchor still without a destination after
    ``max_rounds`` (only when the decay is far shorter than the distances to attractive nodes)
    takes its last round's candidate with the highest ``exp(-d / decay_m)`` instead.

    Parameters
    ----------
    anchors
        Node positions the trips start from, one per trip.
    candidates
        Node positions a destination may be.
    weights
        Attractiveness of each candidate (non-negative, not all zero).
    xy
        Coordinates of every network node in metres, shape ``(n_nodes, 2)``.
    decay_m
        Distance decay: a candidate ``decay_m`` further away is ``e`` times less attractive.
    rng
        The random generator to draw from.
    n_candidates
        Candidates drawn per unfinished anchor and round.
    max_rounds
        Rounds before the fallback.

    Returns
    -------
    numpy.ndarray
        ``int64`` destination node positions, one per anchor.
    """
    from scipy.spatial import cKDTree

    anchors = np.asarray(anchors, dtype=np.int64)
    candidates = np.asarray(candidates, dtype=np.int64)
    weights = np.asarray(weights, dtype=np.float64)
    sampler = WeightedSampler(weights)
    out = np.full(anchors.size, -1, dtype=np.int64)
    if anchors.size == 0:
        return out
    # Distance from each distinct anchor to its nearest candidate of positive weight.
    positive = candidates[weights > 0]
    unique, inverse = np.unique(anchors, return_inverse=True)
    near, _ = cKDTree(xy[positive]).query(xy[unique])
    for start in range(0, anchors.size, _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, anchors.size)
        todo = np.arange(start, stop)
        for round_ in range(max_rounds):
            rows = anchors[todo]
            picked = candidates[sampler(rng.random((todo.size, n_candidates)))]
            dist = np.hypot(xy[picked, 0] - xy[rows, 0, None], xy[picked, 1] - xy[rows, 1, None])
            dist -= near[inverse[todo], None]
            accept = rng.random(dist.shape) * np.exp(dist / decay_m) < 1.0
            first = np.argmax(accept, axis=1)
            done = accept[np.arange(todo.size), first]
            out[todo[done]] = picked[done, first[done]]
            if round_ == max_rounds - 1:
                left = ~done
                out[todo[left]] = picked[left, np.argmin(dist[left], axis=1)]
            todo = todo[~done]
            if not todo.size:
                break
    return out
