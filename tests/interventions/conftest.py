"""A tiny grid town whose every street, node and lamp the intervention tests know by hand.

``grid_town(rows=3, cols=4, block_m=100, arterial_every=2)``, in UTM zone 35N::

    r2c0 ==6== r2c1 ==7== r2c2 ==8== r2c3        row 0 and row 2: secondary (==)
     ||         |          ||         |           row 1: residential (--)
     13        14          15        16           columns 0 and 2: secondary (||)
     ||         |          ||         |           columns 1 and 3: residential (|)
    r1c0 --3-- r1c1 --4-- r1c2 --5-- r1c3
     ||         |          ||         |
      9        10          11        12
     ||         |          ||         |
    r0c0 ==0== r0c1 ==1== r0c2 ==2== r0c3         (x0, y0) is r0c0; blocks are 100 m

Street ids: row streets ``3 * r + c``, column streets ``9 + 4 * r + c``; every street is
two-way (two edges), 100 m long. Node ``r<r>c<c>`` is row ``4 * r + c`` of the nodes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from twin.interventions import City
from twin.maps import StreetNetwork, grid_town
from twin.scenario import Scenario

SCENARIO = {"name": "tiny", "map": {"synthetic": {"kind": "grid", "rows": 3, "cols": 4, "block_m": 100}}}


@dataclass(frozen=True)
class Grid:
    """The grid town of the picture above and helpers to address it."""

    town: StreetNetwork

    @property
    def origin(self) -> tuple[float, float]:
        """``(x0, y0)``: node r0c0 in the town's CRS."""
        return float(self.town.nodes["x"].iloc[0]), float(self.town.nodes["y"].iloc[0])

    @property
    def crs(self) -> str:
        return self.town.crs.to_string()

    @staticmethod
    def node(r: int, c: int) -> int:
        """Row of node r<r>c<c> in ``network.nodes``."""
        return 4 * r + c

    def streets(self, mask: np.ndarray, network: StreetNetwork | None = None) -> set[int]:
        """The street ids of the edges in ``mask``."""
        edges = (network or self.town).edges
        return set(edges.loc[mask, "street_id"].astype(int))

    def box(self, minx: float, miny: float, maxx: float, maxy: float) -> dict:
        """Area keys of a bbox in the town's CRS, from offsets in metres from r0c0."""
        x0, y0 = self.origin
        return {"bbox": [x0 + minx, y0 + miny, x0 + maxx, y0 + maxy], "crs": self.crs}

    def polygon(self, minx: float, miny: float, maxx: float, maxy: float) -> shapely.Polygon:
        """A box in the town's CRS, from offsets in metres from r0c0."""
        x0, y0 = self.origin
        return shapely.box(x0 + minx, y0 + miny, x0 + maxx, y0 + maxy)

    def lonlat(self, *offsets: float) -> list[float]:
        """Offsets ``dx1, dy1, dx2, dy2, ...`` in metres from r0c0 as longitude, latitude."""
        x0, y0 = self.origin
        to_geo = pyproj.Transformer.from_crs(self.town.crs, "EPSG:4326", always_xy=True)
        out: list[float] = []
        for dx, dy in zip(offsets[::2], offsets[1::2]):
            out.extend(float(v) for v in to_geo.transform(x0 + dx, y0 + dy))
        return out

    def with_lamps(self, rows: list[tuple[int, float, str]]) -> StreetNetwork:
        """A copy of the town whose only lamps are ``(street_id, power_w, technology)`` rows,
        each halfway along the street's first edge."""
        network = self.town
        first = network.edges.reset_index().drop_duplicates("street_id").set_index("street_id")
        ids = [street for street, _, _ in rows]
        points = shapely.line_interpolate_point(first.loc[ids, "geometry"].values, 0.5, normalized=True)
        lamps = gpd.GeoDataFrame(
            {
                "lamp_id": np.arange(len(rows), dtype=np.int64),
                "edge_id": first.loc[ids, "index"].to_numpy(dtype=np.int64),
                "street_id": np.array(ids, dtype=np.int64),
                "offset_m": 50.0,
                "power_w": np.array([power for _, power, _ in rows], dtype=np.float64),
                "technology": pd.array([t for _, _, t in rows], dtype=network.lamps["technology"].dtype),
                "source": pd.array(["placed"] * len(rows), dtype=network.lamps["source"].dtype),
            },
            geometry=gpd.GeoSeries(points, crs=network.crs),
        )
        return dataclasses.replace(network, lamps=lamps)


@pytest.fixture(scope="session")
def grid() -> Grid:
    """The grid town of this module's picture (shared: never change its tables)."""
    return Grid(grid_town(rows=3, cols=4, block_m=100, arterial_every=2))


@pytest.fixture
def town(grid) -> StreetNetwork:
    return grid.town


@pytest.fixture
def scenario() -> Scenario:
    return Scenario.model_validate(SCENARIO)


@pytest.fixture
def city(town, scenario) -> City:
    """A city on the grid town (tests that need other lamps build their own)."""
    return City(scenario=scenario, network=town)
