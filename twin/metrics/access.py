"""Access to jobs: how many jobs each resident reaches from home within 30 minutes, by mode.

The jobs are the population's own workplaces: each employed resident's ``work_node`` is one
job, so the city has as many jobs as workers and they lie where the synthetic population
(:mod:`twin.population.residents`) put them. A resident's access by a mode is the number of
those jobs whose node is within ``limit_s`` (30 minutes) of the resident's home node:

- ``walk`` and ``bike``: on the mode's network at the scenario's walking and cycling speeds;
- ``car``: on the car network at the run's own link travel times in the morning peak hour
  (cars entering 08:00-09:00 in the recorded day; free flow on links no car entered), so
  congestion, closures and the interventions' changes to the network count; parking and
  the walk to the car do not;
- ``transit``: on foot, or walking to a stop, waiting (half the headway), riding the
  scheduled lines and walking on, departing at 08:00, whichever is faster
  (:func:`twin.mobility.transit_paths.level_of_service`: the path that is best in
  generalised cost, timed in plain seconds). Without lines it equals ``walk``. On-demand
  shuttles are not included: they have no fixed travel time to search.

Each distinct home node is searched once (SciPy's compiled Dijkstra, stopped at
``limit_s``), in chunks so that memory stays bounded; transit pairs are only the home-job
pairs walking does not already reach in time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse
from scipy.sparse.csgraph import dijkstra

if TYPE_CHECKING:
    from twin.maps.network import StreetNetwork
    from twin.model import CityModel

__all__ = ["ACCESS_MODES", "LIMIT_S", "job_access", "jobs_within"]

ACCESS_MODES = ("walk", "bike", "car", "transit")
"""The modes access to jobs is counted for."""

LIMIT_S = 1800.0
"""The travel time budget: 30 minutes."""

PEAK_HOUR_S = 8 * 3600.0
"""The morning departure the car and transit searches stand for (08:00)."""

_CHUNK_BYTES = 64 * 2**20
_PAIR_CHUNK = 250_000


def jobs_within(network: StreetNetwork, homes: np.ndarray, jobs: np.ndarray, *, mode: str,
                weight: np.ndarray, limit_s: float = LIMIT_S) -> np.ndarray:  # fmt: skip
    """Jobs reachable from each home within ``limit_s`` on one mode's network.

    Parameters
    ----------
    network
        The street network.
    homes
        Node positions, one per resident (repeats are searched once).
    jobs
        Jobs per node, one value per node of the network.
    mode
        ``"car"``, ``"bike"`` or ``"walk"``: the network searched.
    weight
        Travel time of each edge of the network in seconds (``inf`` closes it).
    limit_s
        The time budget.

    Returns
    -------
    numpy.ndarray
        ``float64`` jobs per home, aligned with ``homes``.
    """
    homes = np.asarray(homes, dtype=np.int64)
    jobs = np.asarray(jobs, dtype=np.float64)
    if jobs.shape != (network.n_nodes,):
        raise ValueError(f"`jobs` must hold one value per node ({network.n_nodes}), not shape {jobs.shape}")
    unique, index = np.unique(homes, return_inverse=True)
    targets = np.flatnonzero(jobs > 0)
    reached = np.zeros(unique.size)
    if not unique.size or not targets.size:
        return reached[index]
    matrix = _time_matrix(network, mode, weight)
    chunk = max(1, int(_CHUNK_BYTES // (8 * max(network.n_nodes, 1))))
    for lo in range(0, unique.size, chunk):
        dist = dijkstra(matrix, directed=True, indices=unique[lo:lo + chunk], limit=limit_s)[:, targets]
        reached[lo:lo + chunk] = (dist <= limit_s) @ jobs[targets]
    return reached[index]


def job_access(model: CityModel, residents: pd.DataFrame, *, limit_s: float = LIMIT_S) -> pd.DataFrame:
    """Each resident's jobs within ``limit_s`` of home by walking, cycling, car and transit.

    Parameters
    ----------
    model
        A finished :class:`~twin.model.CityModel` (its network, traffic and services).
    residents
        The residents (``home_node``, ``work_node``).

    Returns
    -------
    pandas.DataFrame
        Columns ``jobs_30min_<mode>`` for :data:`ACCESS_MODES`, aligned with ``residents``.
    """
    network = model.network
    spec = model.spec.traffic
    home = residents["home_node"].to_numpy(np.int64)
    work = residents["work_node"].to_numpy(np.int64)
    jobs = np.bincount(work[work >= 0], minlength=network.n_nodes).astype(np.float64)
    length = network.edges["length_m"].to_numpy(float)
    out = {
        "walk": jobs_within(network, home, jobs, mode="walk", weight=length / spec.walk_speed_mps, limit_s=limit_s),
        "bike": jobs_within(network, home, jobs, mode="bike", weight=length / spec.bike_speed_mps, limit_s=limit_s),
        "car": jobs_within(network, home, jobs, mode="car", weight=_peak_car_times(model), limit_s=limit_s),
    }
    out["transit"] = out["walk"] + _transit_extra(model, home, jobs, length / spec.walk_speed_mps, limit_s)
    return pd.DataFrame({f"jobs_30min_{mode}": out[mode] for mode in ACCESS_MODES}, index=residents.index)


def _peak_car_times(model: CityModel) -> np.ndarray:
    """Link times of cars entering in the morning peak hour, free flow where none entered."""
    freeflow = model.network.edges["freeflow_s"].to_numpy(float)
    times = model.traffic.experienced_times(freeflow_s=freeflow)
    hour = int(PEAK_HOUR_S // 3600)
    return times[:, hour] if times.shape[1] > hour else freeflow


def _transit_extra(model: CityModel, home: np.ndarray, jobs: np.ndarray, walk_s: np.ndarray,
                   limit_s: float) -> np.ndarray:  # fmt: skip
    """Per resident: jobs reached in time by transit that walking does not reach in time."""
    mobility = model.mobility
    timetable = mobility.timetable if mobility is not None else None
    extra = np.zeros(home.size)
    if timetable is None or timetable.n_runs == 0:
        return extra
    from twin.mobility.transit_paths import level_of_service

    network = model.network
    unique, index = np.unique(home, return_inverse=True)
    targets = np.flatnonzero(jobs > 0)
    matrix = _time_matrix(network, "walk", walk_s)
    gained = np.zeros(unique.size)
    choice = mobility.mode_choice
    chunk = max(1, int(_CHUNK_BYTES // (8 * max(network.n_nodes, 1))))
    for lo in range(0, unique.size, chunk):
        sources = unique[lo:lo + chunk]
        walked = dijkstra(matrix, directed=True, indices=sources, limit=limit_s)[:, targets]
        row, col = np.nonzero(~(walked <= limit_s))
        for start in range(0, row.size, _PAIR_CHUNK):
            r, c = row[start:start + _PAIR_CHUNK], col[start:start + _PAIR_CHUNK]
            los = level_of_service(timetable, network, sources[r], targets[c], PEAK_HOUR_S,
                                   walk_speed_mps=mobility.walk_speed_mps, max_walk_m=mobility.spec.transit.max_walk_m,
                                   walk_time_weight=choice.walk_time_weight, wait_time_weight=choice.wait_time_weight,
                                   transfer_penalty_s=mobility.spec.transit.transfer_penalty_s)  # fmt: skip
            total = los.walk_s + los.wait_s + los.in_vehicle_s
            ok = total <= limit_s
            gained[lo:lo + chunk] += np.bincount(r[ok], weights=jobs[targets[c[ok]]], minlength=sources.size)
    extra[:] = gained[index]
    return extra


def _time_matrix(network: StreetNetwork, mode: str, weight: np.ndarray) -> scipy.sparse.csr_array:
    """One mode's network as a CSR matrix of seconds, the quickest of parallel edges kept."""
    graph = network.graph(mode)
    tails = graph.tails.astype(np.int64)
    heads = graph.heads.astype(np.int64)
    w = np.asarray(weight, dtype=np.float64)[graph.edge_ids]
    keep = (tails != heads) & np.isfinite(w)
    tails, heads, w = tails[keep], heads[keep], w[keep]
    order = np.lexsort((w, heads, tails))
    tails, heads, w = tails[order], heads[order], w[order]
    first = np.ones(tails.size, dtype=bool)
    first[1:] = (tails[1:] != tails[:-1]) | (heads[1:] != heads[:-1])
    # SciPy's csgraph may take an explicit zero for a missing edge: a zero time becomes a
    # negligible positive one.
    w = np.where(w[first] > 0, w[first], 1e-6)
    n = network.n_nodes
    return scipy.sparse.csr_array((w, (tails[first], heads[first])), shape=(n, n))
