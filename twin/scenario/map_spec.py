"""The ``map:`` section: a street map file or a synthetic town, with per-road-class settings.

The synthetic towns' field names are the keyword arguments of
``twin.maps.synthetic.grid_town`` and ``radial_town``, so a section can be passed on as
``grid_town(**town.model_dump(exclude={"kind"}))``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from twin.scenario._fields import MODEL_CONFIG, FilePath, check_crs, rule

__all__ = ["GridTown", "MapSpec", "RadialTown", "RoadClassOverride", "SyntheticTown"]


class RoadClassOverride(BaseModel):
    """Settings for one road class (e.g. ``residential``) that replace twin's defaults."""

    model_config = MODEL_CONFIG

    speed_kmh: float | None = Field(None, gt=0, le=200, description="free-flow speed, in km/h")
    lanes: int | None = Field(None, ge=1, le=10, description="lanes per direction")
    capacity_vph_per_lane: float | None = Field(
        None, gt=0, le=3000, description="flow capacity, in vehicles per hour per lane"
    )
    lamp_spacing_m: float | None = Field(
        None, gt=0, le=200, description="distance between streetlights, in metres"
    )
    lamp_power_w: float | None = Field(
        None, gt=0, le=2000, description="rated power of one streetlight, in watts"
    )
    lamp_technology: Literal["LED", "HPS"] | None = Field(
        None, description="lamp type: LED or HPS (high-pressure sodium)"
    )


def _origin_lat() -> Any:
    return Field(60.17, ge=-80, le=84, description="latitude of the town centre, in degrees")


def _origin_lon() -> Any:
    return Field(24.94, ge=-180, le=180, description="longitude of the town centre, in degrees")


def _lit() -> Any:
    return Field(True, description="whether the streets have streetlights")


class GridTown(BaseModel):
    """A synthetic Manhattan-style town: a grid of blocks with arterials every few streets."""

    model_config = MODEL_CONFIG

    kind: Literal["grid"] = Field(description="the kind of synthetic town")
    rows: int = Field(10, ge=2, le=300, description="number of east-west streets")
    cols: int = Field(10, ge=2, le=300, description="number of north-south streets")
    block_m: float = Field(120.0, ge=10, le=2000, description="block length, in metres")
    arterial_every: int = Field(
        4, ge=0, le=300, description="every n-th street is an arterial; 0 means none"
    )
    local_speed_kmh: float = Field(30.0, gt=0, le=200, description="local street speed, in km/h")
    arterial_speed_kmh: float = Field(50.0, gt=0, le=200, description="arterial speed, in km/h")
    local_lanes: int = Field(1, ge=1, le=10, description="lanes per direction on local streets")
    arterial_lanes: int = Field(2, ge=1, le=10, description="lanes per direction on arterials")
    origin_lat: float = _origin_lat()
    origin_lon: float = _origin_lon()
    lit: bool = _lit()


class RadialTown(BaseModel):
    """A synthetic town of concentric rings joined by spokes from the centre."""

    model_config = MODEL_CONFIG

    kind: Literal["radial"] = Field(description="the kind of synthetic town")
    rings: int = Field(5, ge=1, le=100, description="number of ring roads")
    spokes: int = Field(8, ge=3, le=64, description="number of radial roads")
    ring_spacing_m: float = Field(
        250.0, ge=10, le=5000, description="distance between rings, in metres"
    )
    ring_speed_kmh: float = Field(30.0, gt=0, le=200, description="ring road speed, in km/h")
    spoke_speed_kmh: float = Field(50.0, gt=0, le=200, description="spoke road speed, in km/h")
    ring_lanes: int = Field(1, ge=1, le=10, description="lanes per direction on rings")
    spoke_lanes: int = Field(2, ge=1, le=10, description="lanes per direction on spokes")
    origin_lat: float = _origin_lat()
    origin_lon: float = _origin_lon()
    lit: bool = _lit()


SyntheticTown = Annotated[GridTown | RadialTown, Field(discriminator="kind")]


class MapSpec(BaseModel):
    """Where the streets come from: a map file, or a synthetic town (exactly one)."""

    model_config = MODEL_CONFIG

    file: FilePath | None = Field(
        None, description="street map file, relative to the scenario file"
    )
    synthetic: SyntheticTown | None = Field(
        None, description="a generated town: {kind: grid, ...} or {kind: radial, ...}"
    )
    layer: str | None = Field(None, description="layer of the map file holding street lines")
    lamps_layer: str | None = Field(None, description="layer of the map file holding lamp points")
    nodes_layer: str | None = Field(None, description="layer of the map file holding junctions")
    crs: str | None = Field(
        None, description="coordinate system of a map file that has none, e.g. EPSG:3067"
    )
    keep_largest_component: bool = Field(
        True, description="drop streets not connected to the main network"
    )
    lamp_snap_m: float = Field(
        15.0, gt=0, le=200, description="how far a lamp may be from its street, in metres"
    )
    road_classes: dict[str, RoadClassOverride] = Field(
        default_factory=dict, description="settings per road class, replacing the defaults"
    )

    @field_validator("crs")
    @classmethod
    def _known_crs(cls, value: str | None) -> str | None:
        return check_crs(value)

    @model_validator(mode="after")
    def _one_source(self) -> MapSpec:
        if self.file is not None and self.synthetic is not None:
            raise rule("give either map.file or map.synthetic, not both; remove one")
        if self.file is None and self.synthetic is None:
            raise rule(
                "no streets: give map.file (a map file) or map.synthetic "
                "(e.g. synthetic: {kind: grid})"
            )
        if self.synthetic is not None:
            for key in ("layer", "lamps_layer", "nodes_layer", "crs"):
                if getattr(self, key) is not None:
                    raise rule(
                        "only applies to map.file, not to a synthetic town; "
                        "remove it",
                        at=key,
                    )
        return self
