"""Build the street network a scenario's ``map`` section describes."""

from __future__ import annotations

from typing import Any

from twin.maps.io import load_network
from twin.maps.network import StreetNetwork
from twin.maps.synthetic import grid_town, radial_town

__all__ = ["network_from_spec"]


def network_from_spec(spec: Any, *, vehicle_spacing_m: float = 7.5) -> StreetNetwork:
    """Load the map file, or generate the synthetic town, that a ``map`` section names.

    Parameters
    ----------
    spec
        A :class:`twin.scenario.MapSpec` (any object with its attributes will do).
    vehicle_spacing_m
        Road length one queued vehicle takes (the scenario's ``traffic.vehicle_spacing_m``).
    """
    road_classes = {name: override.model_dump(exclude_none=True) for name, override in spec.road_classes.items()}
    if spec.synthetic is not None:
        params = spec.synthetic.model_dump(exclude={"kind"})
        generator = {"grid": grid_town, "radial": radial_town}[spec.synthetic.kind]
        return generator(**params, road_classes=road_classes, vehicle_spacing_m=vehicle_spacing_m)
    return load_network(
        spec.file, layer=spec.layer, lamps_layer=spec.lamps_layer, nodes_layer=spec.nodes_layer, crs=spec.crs,
        road_classes=road_classes, vehicle_spacing_m=vehicle_spacing_m,
        keep_largest_component=spec.keep_largest_component, lamp_snap_m=spec.lamp_snap_m,
    )  # fmt: skip
