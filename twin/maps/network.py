"""The street network every other part of twin runs on.

A :class:`StreetNetwork` holds nodes, directed edges and streetlights as GeoDataFrames in a
projected metric CRS, and hands out compact CSR graphs per travel mode for routing and for
the engines. Build one with :func:`twin.maps.load_network` or a synthetic town generator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

__all__ = ["Mode", "MODES", "CSRGraph", "StreetNetwork"]

Mode = Literal["car", "bike", "walk"]
MODES: tuple[Mode, ...] = ("car", "bike", "walk")

EDGE_COLUMNS = (
    "u", "v", "street_id", "road_class", "name", "length_m", "speed_mps", "lanes",
    "capacity_vph", "storage_veh", "freeflow_s", "lit",
    "allows_car", "allows_bike", "allows_walk", "geometry",
)  # fmt: skip
"""Columns of :attr:`StreetNetwork.edges`, in order."""

NODE_COLUMNS = ("node_id", "x", "y", "geometry")
LAMP_COLUMNS = (
    "lamp_id", "edge_id", "street_id", "offset_m", "power_w", "technology", "source", "geometry",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class CSRGraph:
    """A directed graph in compressed sparse row form.

    The out-edges of node ``i`` occupy slots ``indptr[i]:indptr[i + 1]``; slot ``k`` leads to
    node ``heads[k]`` along network edge ``edge_ids[k]``.

    Attributes
    ----------
    indptr
        ``int64`` array of length ``n_nodes + 1``.
    heads
        ``int32`` head node of each slot.
    edge_ids
        ``int64`` edge id (row of :attr:`StreetNetwork.edges`) of each slot.
    n_nodes
        Number of nodes, including nodes the mode cannot reach.
    """

    indptr: np.ndarray
    heads: np.ndarray
    edge_ids: np.ndarray
    n_nodes: int

    @classmethod
    def from_edges(cls, tails: np.ndarray, heads: np.ndarray, edge_ids: np.ndarray, n_nodes: int) -> CSRGraph:
        """Build the graph from parallel arrays of edge tails, heads and ids."""
        order = np.lexsort((edge_ids, tails))
        counts = np.bincount(tails, minlength=n_nodes)
        indptr = np.zeros(n_nodes + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return cls(
            indptr=indptr,
            heads=np.asarray(heads[order], dtype=np.int32),
            edge_ids=np.asarray(edge_ids[order], dtype=np.int64),
            n_nodes=n_nodes,
        )

    @property
    def n_edges(self) -> int:
        """Number of directed edges in the graph."""
        return int(self.heads.size)

    @property
    def tails(self) -> np.ndarray:
        """Tail node of each slot (expanded from ``indptr``)."""
        return np.repeat(np.arange(self.n_nodes, dtype=np.int32), np.diff(self.indptr))


@dataclass(frozen=True, eq=False)
class StreetNetwork:
    """Nodes, directed edges and streetlights of a city, in a projected metric CRS.

    Attributes
    ----------
    nodes
        One row per node, indexed ``0..n-1``. ``node_id`` keeps the map's own id (an OSM
        node id, a string from another model, ...); ``x`` and ``y`` are in metres.
    edges
        One row per directed edge, indexed ``0..m-1``: ``u`` and ``v`` are node positions,
        ``street_id`` groups the two directions of a two-way street, and the remaining
        columns are listed in :data:`EDGE_COLUMNS`. ``allows_car``, ``allows_bike`` and
        ``allows_walk`` say which modes may use the edge.
    lamps
        One row per streetlight: the edge it stands on, its distance along that edge, its
        rated power and technology, and whether it came from the map (``"map"``) or was
        placed by twin (``"placed"``).
    source
        Where the network came from: a file path or ``synthetic:<kind>``.
    source_hash
        SHA-256 of the source file, or of the generator's parameters.
    attribution
        The credit the data's licence asks for, shown on maps (OpenStreetMap data: ODbL).
    """

    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    lamps: gpd.GeoDataFrame
    source: str
    source_hash: str
    attribution: str = ""
    _graphs: dict = field(default_factory=dict, init=False, repr=False)

    @property
    def crs(self) -> pyproj.CRS:
        """The projected CRS all geometries are in."""
        return self.edges.crs

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.nodes)

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return len(self.edges)

    def graph(self, mode: Mode = "car") -> CSRGraph:
        """Return the CSR graph of the edges a mode may use (built once, then cached).

        Parameters
        ----------
        mode
            ``"car"``, ``"bike"`` or ``"walk"``.
        """
        if mode not in MODES:
            raise ValueError(f"Unknown mode {mode!r}; use one of {', '.join(MODES)}")
        if mode not in self._graphs:
            mask = self.edges[f"allows_{mode}"].to_numpy()
            ids = np.flatnonzero(mask)
            self._graphs[mode] = CSRGraph.from_edges(
                self.edges["u"].to_numpy()[ids], self.edges["v"].to_numpy()[ids], ids, self.n_nodes
            )
        return self._graphs[mode]

    def mode_nodes(self, mode: Mode = "car") -> np.ndarray:
        """Positions of the nodes a mode can start from and arrive at.

        After connectivity repair these are all mutually reachable by that mode; in a city
        centre with many footpaths they are far fewer than all nodes, so trips for a mode
        must be drawn from here.
        """
        graph = self.graph(mode)
        has_out = np.diff(graph.indptr) > 0
        has_in = np.zeros(self.n_nodes, dtype=bool)
        has_in[graph.heads] = True
        return np.flatnonzero(has_out & has_in)

    def node_positions(self, node_ids) -> np.ndarray:
        """Translate the map's own node ids into node positions (rows of :attr:`nodes`).

        Raises
        ------
        KeyError
            Naming the first id that is not in the network.
        """
        lookup = pd.Index(self.nodes["node_id"])
        wanted = pd.Index(np.atleast_1d(np.asarray(node_ids, dtype=object)))
        if lookup.dtype != object and wanted.dtype == object:
            wanted = wanted.astype(lookup.dtype, copy=False) if len(wanted) else wanted
        positions = lookup.get_indexer(wanted)
        if (positions < 0).any():
            raise KeyError(f"node id {wanted[np.argmax(positions < 0)]!r} is not in the network")
        return positions

    def centre_lonlat(self) -> tuple[float, float]:
        """Longitude and latitude of the centre of the network's bounds (for the sun)."""
        minx, miny, maxx, maxy = self.edges.total_bounds
        to_geo = pyproj.Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True)
        lon, lat = to_geo.transform((minx + maxx) / 2, (miny + maxy) / 2)
        return float(lon), float(lat)

    def timezone(self) -> str:
        """The IANA time zone at the network's centre (e.g. ``"Europe/Helsinki"``).

        Looked up offline in the time zone boundaries that ``timezonefinder`` ships; a
        point at sea gets its nautical ``Etc/GMT±h`` zone. A scenario without a
        ``timezone`` takes this one.
        """
        from timezonefinder import TimezoneFinder

        lon, lat = self.centre_lonlat()
        return TimezoneFinder().timezone_at(lng=lon, lat=lat) or "UTC"

    def summary(self) -> dict:
        """Counts, street length by class, lamps, CRS and bounds, as plain values.

        Street length counts each street once, whatever its number of directions.
        """
        streets = self.edges.drop_duplicates("street_id")
        km_by_class = (streets.groupby("road_class")["length_m"].sum() / 1000).sort_values(ascending=False)
        lit_km = float(streets.loc[streets["lit"], "length_m"].sum() / 1000)
        lon, lat = self.centre_lonlat()
        return {
            "source": self.source,
            "source_hash": self.source_hash,
            "attribution": self.attribution,
            "crs": self.crs.to_string(),
            "nodes": self.n_nodes,
            "edges": self.n_edges,
            "edges_by_mode": {mode: int(self.edges[f"allows_{mode}"].sum()) for mode in MODES},
            "street_km": round(float(streets["length_m"].sum() / 1000), 3),
            "lit_street_km": round(lit_km, 3),
            "street_km_by_class": {k: round(float(v), 3) for k, v in km_by_class.items()},
            "lamps": len(self.lamps),
            "lamps_by_source": {k: int(v) for k, v in self.lamps["source"].value_counts().items()},
            "lamp_power_kw": round(float(self.lamps["power_w"].sum() / 1000), 3),
            "bounds": [round(float(b), 1) for b in self.edges.total_bounds],
            "centre_lonlat": [round(lon, 6), round(lat, 6)],
            "timezone": self.timezone(),
        }
