"""Tiny hand-made street maps for the map loading tests.

Every length, direction and lamp of the tiny map is known by hand (coordinates are metres in
EPSG:3067 from the origin ``X0, Y0`` in central Helsinki)::

      D (0,90) ------ Puistotie (tertiary) ------ C (120,90)
      |                                            ^
      Puistotie (one line C-D-A, 210 m)            Koulukatu (residential, oneway=yes B->C, 90 m)
      |                                            |
      A (0,0) ------- Rantatie (primary, 120 m) -- B (120,0) --- Polku (footway, 60 m) --- E (180,0)

- Rantatie: two-way, maxspeed "50", lanes "4", lit "yes".
- Koulukatu: oneway "yes", maxspeed "30", lanes "1", lit "no".
- Puistotie: no tags but its class: 40 km/h, 1 lane per direction, lit by default. D is only
  a vertex of its line, not a node.
- Polku: footway, lit "yes".

That is 4 nodes (A, B, C, E), 4 streets, 480 m of street and 8 directed edges (Koulukatu's
backward edge is for walking only). Two lamps: one 5 m north of Rantatie at 30 m from A
(power 60 W, LED), one 3 m east of Koulukatu at 60 m from B (no power or technology given).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from twin.maps import StreetNetwork, load_network

X0, Y0 = 385_000.0, 6_672_000.0
CRS = "EPSG:3067"
HELSINKI = Path(__file__).resolve().parents[2] / "maps" / "helsinki.gpkg"

TINY_STREETS = (
    ([(0, 0), (120, 0)], {"highway": "primary", "name": "Rantatie", "oneway": None, "maxspeed": "50", "lanes": "4", "lit": "yes"}),
    ([(120, 0), (120, 90)], {"highway": "residential", "name": "Koulukatu", "oneway": "yes", "maxspeed": "30", "lanes": "1", "lit": "no"}),
    ([(120, 90), (0, 90), (0, 0)], {"highway": "tertiary", "name": "Puistotie", "oneway": None, "maxspeed": None, "lanes": None, "lit": None}),
    ([(120, 0), (180, 0)], {"highway": "footway", "name": "Polku", "oneway": None, "maxspeed": None, "lanes": None, "lit": "yes"}),
)  # fmt: skip
TINY_LAMPS = (((30, 5), {"power_w": 60.0, "technology": "LED"}), ((123, 60), {"power_w": None, "technology": None}))
TINY_LENGTHS = {"Rantatie": 120.0, "Koulukatu": 90.0, "Puistotie": 210.0, "Polku": 60.0}


@dataclass
class MapKit:
    """Builds small street tables and writes them as map files in a temporary folder."""

    folder: Path
    x0: float = X0
    y0: float = Y0
    crs: str = CRS
    lengths = TINY_LENGTHS  # street lengths of the tiny map, by name

    def lines(self, *rows, crs: str | None = CRS, shift: bool = True) -> gpd.GeoDataFrame:
        """Street lines from ``(coordinates, tags)`` rows, coordinates in metres from the origin."""
        dx, dy = (self.x0, self.y0) if shift else (0.0, 0.0)
        geoms = [shapely.LineString([(x + dx, y + dy) for x, y in coords]) for coords, _ in rows]
        return gpd.GeoDataFrame(pd.DataFrame([dict(tags) for _, tags in rows]), geometry=geoms, crs=crs)

    def points(self, *rows, crs: str | None = CRS) -> gpd.GeoDataFrame:
        """Points from ``((x, y), columns)`` rows, coordinates in metres from the origin."""
        geoms = [shapely.Point(x + self.x0, y + self.y0) for (x, y), _ in rows]
        return gpd.GeoDataFrame(pd.DataFrame([dict(cols) for _, cols in rows], index=range(len(rows))), geometry=geoms, crs=crs)

    def tiny_streets(self) -> gpd.GeoDataFrame:
        return self.lines(*TINY_STREETS)

    def tiny_lamps(self) -> gpd.GeoDataFrame:
        return self.points(*TINY_LAMPS)

    def write(self, name: str, frame: gpd.GeoDataFrame | None = None, **layers: gpd.GeoDataFrame) -> Path:
        """Write one frame (format from the suffix) or named GeoPackage layers; return the path."""
        path = self.folder / name
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="'crs' was not provided", category=UserWarning)
            if frame is not None:
                if path.suffix in (".parquet", ".geoparquet"):
                    frame.to_parquet(path)
                else:
                    frame.to_file(path, engine="pyogrio")
            for layer, data in layers.items():
                data.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
        return path

    def write_tiny(self, fmt: str) -> Path:
        """The tiny map in one format: gpkg, geojson, shp (no lamps) or parquet."""
        streets, lamps = self.tiny_streets(), self.tiny_lamps().assign(highway="street_lamp")
        both = gpd.GeoDataFrame(pd.concat([streets, lamps], ignore_index=True), geometry="geometry", crs=CRS)
        if fmt == "gpkg":
            return self.write("tiny.gpkg", streets=streets, street_lamps=lamps)
        if fmt == "shp":
            return self.write("tiny.shp", streets)
        return self.write(f"tiny.{fmt}", both)


@pytest.fixture
def kit(tmp_path: Path) -> MapKit:
    """A :class:`MapKit` writing into this test's temporary folder."""
    return MapKit(tmp_path)


def street(network: StreetNetwork, name: str) -> pd.DataFrame:
    """The directed edges of the street with this name."""
    return network.edges[network.edges["name"] == name]


@pytest.fixture
def edges_of():
    """``edges_of(network, name)``: the directed edges of a named street."""
    return street


@pytest.fixture(scope="session")
def helsinki() -> tuple[StreetNetwork, list[str]]:
    """The bundled Helsinki centre map, loaded once, with the messages of its MapWarnings."""
    from twin._errors import MapWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        network = load_network(HELSINKI)
    unexpected = [w for w in caught if not issubclass(w.category, MapWarning)]
    assert not unexpected, [str(w.message) for w in unexpected]
    return network, [str(w.message) for w in caught]
