"""Fastest paths on a street network, for many origin-destination pairs at once.

:func:`route` runs one Dijkstra search per distinct origin (SciPy's compiled
:func:`scipy.sparse.csgraph.dijkstra`, in chunks of origins so memory stays bounded) and
turns the predecessor matrices into edge sequences with NumPy, walking back from all
destinations of a chunk in lockstep. The result is a :class:`Routes`: every path as a run
of edge ids in one flat array, CSR style, so a day of trips fits in a few arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse
from scipy.sparse.csgraph import dijkstra

from twin.maps.network import MODES, Mode, StreetNetwork

__all__ = ["Routes", "route"]

_CHUNK_BYTES = 64 * 2**20
"""Memory budget of one chunk's distance and predecessor matrices (float64 + int32)."""

_MAX_CHUNK = 256


@dataclass(frozen=True, slots=True)
class Routes:
    """Paths of many origin-destination pairs, stored flat.

    The path of pair ``i`` is ``edges[offsets[i]:offsets[i + 1]]``: edge ids (rows of
    :attr:`StreetNetwork.edges`) in travel order. An unreachable pair and a pair whose
    origin is its destination both have an empty path; ``reachable`` tells them apart.

    Attributes
    ----------
    offsets
        ``int64``, length ``n_pairs + 1``.
    edges
        ``int64`` edge ids of all paths, one after another.
    cost
        ``float64`` sum of the path's edge weights per pair; ``inf`` if unreachable.
    reachable
        ``bool`` per pair.
    """

    offsets: np.ndarray
    edges: np.ndarray
    cost: np.ndarray
    reachable: np.ndarray

    def __len__(self) -> int:
        return int(self.cost.size)

    @property
    def hops(self) -> np.ndarray:
        """Number of edges on each pair's path."""
        return np.diff(self.offsets)

    def path(self, i: int) -> np.ndarray:
        """Return the edge ids of pair ``i``'s path, in travel order (a read-only view)."""
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"pair {i} is out of range for {n} routes")
        i %= n
        return self.edges[self.offsets[i] : self.offsets[i + 1]]


def route(
    network: StreetNetwork,
    origins,
    destinations,
    *,
    mode: Mode = "car",
    weight: str | np.ndarray = "freeflow_s",
    chunk_size: int | None = None,
) -> Routes:
    """Find the cheapest path of each origin-destination pair.

    Parameters
    ----------
    network
        The street network.
    origins, destinations
        Node positions (rows of ``network.nodes``), one per pair, of equal length. Translate
        the map's own node ids with :meth:`StreetNetwork.node_positions`.
    mode
        ``"car"``, ``"bike"`` or ``"walk"``: only edges the mode may use are followed.
    weight
        Name of a numeric column of ``network.edges`` (default ``"freeflow_s"``), or an array
        of one weight per edge of the network, e.g. travel times experienced in a previous
        iteration. Weights must be non-negative; an edge weighing ``inf`` is closed.
    chunk_size
        Number of origins searched at once. By default as many as fit in about 64 MiB of
        distance and predecessor matrices, at most 256.

    Returns
    -------
    Routes
        One path per pair, in the order of the pairs given.

    Raises
    ------
    ValueError
        If the inputs have different lengths, a node position is out of range, a weight
        is negative or NaN, the weight column is unknown, or the mode is unknown.

    Notes
    -----
    Between two nodes joined by parallel edges only the cheapest is ever used (ties go to
    the lower edge id), and ties between equally cheap paths are broken by the search.
    """
    if mode not in MODES:
        raise ValueError(f"`mode` must be one of {', '.join(map(repr, MODES))}, not {mode!r}")
    graph = network.graph(mode)
    n_nodes = graph.n_nodes
    orig = _positions(origins, "origins", n_nodes)
    dest = _positions(destinations, "destinations", n_nodes)
    if orig.size != dest.size:
        raise ValueError(
            f"`origins` and `destinations` must be of equal length, not {orig.size} and {dest.size}"
        )
    weights = _edge_weights(network, weight, graph.edge_ids)
    if chunk_size is None:
        chunk_size = int(np.clip(_CHUNK_BYTES // (12 * max(n_nodes, 1)), 1, _MAX_CHUNK))
    elif chunk_size < 1:
        raise ValueError(f"`chunk_size` must be at least 1, not {chunk_size}")

    matrix, keys, key_edges = _collapse(graph.tails, graph.heads, graph.edge_ids, weights, n_nodes)

    n_pairs = orig.size
    # Group pairs by origin so that each origin is searched once.
    order = np.argsort(orig, kind="stable")
    sorted_orig = orig[order]
    sorted_dest = dest[order]
    uniq, first = np.unique(sorted_orig, return_index=True)
    bounds = np.append(first, n_pairs)

    hops = np.zeros(n_pairs, dtype=np.int64)
    cost = np.full(n_pairs, np.inf)
    # Memory trick: paths wait in int32 until the final offsets are known, halving the copy.
    stash_type = np.int32 if network.n_edges < 2**31 else np.int64
    chunk_edges: list[np.ndarray] = []
    for start in range(0, uniq.size, chunk_size):
        sources = uniq[start : start + chunk_size]
        lo, hi = bounds[start], bounds[start + sources.size]
        dist, pred = dijkstra(matrix, directed=True, indices=sources, return_predecessors=True)
        # Row of each pair's origin in this chunk's matrices.
        rows = np.repeat(np.arange(sources.size), np.diff(bounds[start : start + sources.size + 1]))
        h, c, e = _walk_back(dist, pred, rows, sorted_dest[lo:hi], keys, key_edges, weights, n_nodes)
        del dist, pred
        hops[lo:hi], cost[lo:hi] = h, c
        chunk_edges.append(e.astype(stash_type))

    # Back from origin order to the caller's order: each chunk's runs of edges are
    # scattered to their pairs' offsets.
    out_hops = np.empty_like(hops)
    out_hops[order] = hops
    offsets = np.zeros(n_pairs + 1, dtype=np.int64)
    np.cumsum(out_hops, out=offsets[1:])
    edges = np.empty(int(offsets[-1]), dtype=np.int64)
    for start, stash in zip(range(0, uniq.size, chunk_size), chunk_edges):
        lo, hi = bounds[start], bounds[min(start + chunk_size, uniq.size)]
        chunk_hops = hops[lo:hi]
        local_start = np.cumsum(chunk_hops) - chunk_hops
        target = np.repeat(offsets[order[lo:hi]] - local_start, chunk_hops)
        target += np.arange(stash.size)
        edges[target] = stash
    del chunk_edges
    out_cost = np.empty_like(cost)
    out_cost[order] = cost
    for array in (offsets, edges, out_cost):
        array.flags.writeable = False
    reachable = np.isfinite(out_cost)
    reachable.flags.writeable = False
    return Routes(offsets=offsets, edges=edges, cost=out_cost, reachable=reachable)


def _positions(values, name: str, n_nodes: int) -> np.ndarray:
    """Check and return node positions as a 1-D ``int64`` array."""
    array = np.asarray(values)
    if array.ndim > 1:
        raise ValueError(f"`{name}` must be a 1-D sequence of node positions, not shape {array.shape}")
    array = array.reshape(-1)
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(
            f"`{name}` must hold integer node positions, not {array.dtype}; "
            "translate the map's node ids with `network.node_positions(...)`"
        )
    array = array.astype(np.int64, copy=False)
    bad = (array < 0) | (array >= n_nodes)
    if bad.any():
        raise ValueError(
            f"`{name}` holds node position {array[np.argmax(bad)]}, out of range for a network "
            f"of {n_nodes} nodes; positions are rows of `network.nodes` (0..{n_nodes - 1})"
        )
    return array


def _edge_weights(network: StreetNetwork, weight, edge_ids: np.ndarray) -> np.ndarray:
    """Return one ``float64`` weight per network edge, checked on the edges ``edge_ids``."""
    if isinstance(weight, str):
        if weight not in network.edges.columns:
            raise ValueError(
                f"`weight` {weight!r} is not a column of `network.edges`; pass a numeric column "
                "such as 'freeflow_s' or 'length_m', or an array of one weight per edge"
            )
        column = network.edges[weight]
        if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            raise ValueError(f"`weight` column {weight!r} of `network.edges` is not numeric")
        values = column.to_numpy(dtype=np.float64)
        what = f"column {weight!r}"
    else:
        values = np.asarray(weight, dtype=np.float64)
        if values.shape != (network.n_edges,):
            raise ValueError(
                f"`weight` must hold one value per edge ({network.n_edges}), not shape {values.shape}"
            )
        what = "array"
    used = values[edge_ids]
    bad = np.isnan(used) | (used < 0)
    if bad.any():
        edge = int(edge_ids[np.argmax(bad)])
        raise ValueError(
            f"`weight` {what} has {int(bad.sum())} negative or NaN values, first on edge {edge} "
            f"({values[edge]}); weights must be >= 0 (use inf to close an edge)"
        )
    return values


def _collapse(tails, heads, edge_ids, weights, n_nodes):
    """Build the SciPy matrix with one entry per connected node pair.

    A SciPy sparse matrix would add up parallel edges between the same two nodes, so each
    pair keeps only its cheapest edge, remembered in ``key_edges`` under the sorted key
    ``tail * n_nodes + head``. Closed (``inf``) edges and self-loops, which no fastest path
    uses, are dropped.
    """
    w = weights[edge_ids]
    keep = np.isfinite(w) & (tails != heads)
    tails, heads, edge_ids, w = tails[keep], heads[keep], edge_ids[keep], w[keep]
    order = np.lexsort((edge_ids, w, heads, tails))
    keys = tails[order].astype(np.int64) * n_nodes + heads[order]
    first = np.ones(keys.size, dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    order = order[first]
    keys = keys[first]
    data = w[order]
    # SciPy's csgraph may read an explicit zero as "no edge" once a matrix passes through a
    # conversion that prunes zeros; a zero-weight edge gets a tiny positive weight instead,
    # far below any real travel time, so it is kept and still costs (almost) nothing.
    # Reported costs are summed from the true weights, so the epsilon never shows.
    positive = data[data > 0]
    epsilon = 1e-9 * (positive.min() if positive.size else 1.0)
    data = np.where(data > 0, data, epsilon)
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(tails[order], minlength=n_nodes), out=indptr[1:])
    # Performance trick: the entries are already sorted and unique, so the matrix is built
    # from its CSR arrays directly instead of through COO (which would sort and sum again).
    matrix = scipy.sparse.csr_array(
        (data, heads[order].astype(np.int32), indptr.astype(np.int32)), shape=(n_nodes, n_nodes)
    )
    return matrix, keys, edge_ids[order]


def _walk_back(dist, pred, rows, dest, keys, key_edges, weights, n_nodes):
    """Reconstruct the paths of one chunk's pairs from its predecessor matrix.

    All pending paths take one step back per iteration, so the Python loop runs once per
    edge of the longest path, not once per pair.

    Returns
    -------
    hops, cost, edges
        Path length and cost per pair, and all paths' edges one after another.
    """
    n = dest.size
    # Performance trick: flat indexing into the raveled matrices is faster than 2-D fancy
    # indexing.
    flat_pred = pred.reshape(-1)
    base = rows.astype(np.int64) * n_nodes
    cost = dist.reshape(-1)[base + dest]
    reached = np.isfinite(cost)
    cost = np.where(reached, 0.0, np.inf)

    pending = np.flatnonzero(reached)
    node = dest[pending].astype(np.int64)
    steps_pair: list[np.ndarray] = []
    steps_edge: list[np.ndarray] = []
    while pending.size:
        prev = flat_pred[base[pending] + node]
        going = prev >= 0  # SciPy marks the origin (and unreached nodes) with -9999.
        pending, node, prev = pending[going], node[going], prev[going].astype(np.int64)
        if not pending.size:
            break
        edge = key_edges[np.searchsorted(keys, prev * n_nodes + node)]
        steps_pair.append(pending)
        steps_edge.append(edge)
        cost[pending] += weights[edge]
        node = prev

    hops = np.zeros(n, dtype=np.int64)
    for pairs in steps_pair:
        hops[pairs] += 1
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(hops, out=offsets[1:])
    edges = np.empty(int(offsets[-1]), dtype=np.int64)
    # Step s walked back from the destination, so its edge is s places from the path's end.
    for s, (pairs, edge) in enumerate(zip(steps_pair, steps_edge)):
        edges[offsets[pairs + 1] - 1 - s] = edge
    return hops, cost, edges
