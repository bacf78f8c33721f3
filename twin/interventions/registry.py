"""The intervention types a scenario can name: the built-ins and installed plugins.

A scenario's ``type:`` picks a class from :func:`intervention_types`: the built-ins of
:mod:`twin.interventions`, and the classes other packages register in the
``twin.interventions`` entry-point group. A plugin package declares, in its
``pyproject.toml``::

    [project.entry-points."twin.interventions"]
    bus_lane = "my_package.interventions:BusLane"

and, once installed, scenarios can say ``type: bus_lane``. The entry point's name is the
type; the class must subclass :class:`~twin.interventions.base.Intervention` with the same
``type``. A plugin cannot replace a built-in. Entry points are looked up on each call (a few
milliseconds), so there is no cache to clear when packages are installed during a session,
and a plugin is imported only when a scenario uses it or :func:`intervention_types` lists all.

:func:`build_interventions` turns a scenario's ``interventions:`` list into objects, checking
each one's parameters against its class's ``Parameters`` model; every problem is one line of
a :class:`~twin._errors.ScenarioError`: ``{source}: interventions.{i}.{key}: {what to do}``.
"""

from __future__ import annotations

import copy
import difflib
import os
import types as _types
import typing
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from twin._errors import ScenarioError, TwinError
from twin.interventions.base import City, Intervention, InterventionParameters, Outcome
from twin.scenario._messages import MAX_LINES, from_set, key_path, one_line, show
from twin.scenario.key_paths import file_paths, get_at, set_at
from twin.scenario.schema import InterventionSpec

__all__ = ["ENTRY_POINT_GROUP", "apply_interventions", "build_interventions", "builtin_types",
           "check_interventions", "intervention_types"]  # fmt: skip

#: The entry-point group third-party interventions register in.
ENTRY_POINT_GROUP = "twin.interventions"


def builtin_types() -> dict[str, type[Intervention]]:
    """The interventions that come with twin, by type."""
    from twin.interventions.adaptive_lighting import AdaptiveLighting
    from twin.interventions.car_free_zone import CarFreeZone
    from twin.interventions.led_retrofit import LedRetrofit
    from twin.interventions.maas import Maas
    from twin.interventions.road_pricing import RoadPricing

    return {cls.type: cls for cls in (AdaptiveLighting, LedRetrofit, CarFreeZone, RoadPricing, Maas)}


def intervention_types() -> dict[str, type[Intervention]]:
    """Every intervention type a scenario can name: the built-ins, then installed plugins.

    Returns
    -------
    dict
        A new dictionary from type to class on each call.

    Raises
    ------
    TwinError
        A plugin fails to import, is not an :class:`Intervention` subclass, has a ``type``
        other than its entry point's name, or takes the name of a built-in or of another
        plugin. The message names the entry point and its distribution.
    """
    found = builtin_types()
    for name, point in sorted(_plugin_points(set(found)).items()):
        found[name] = _load(point)
    return found


def build_interventions(
    specs: Sequence[InterventionSpec | Mapping[str, Any]],
    *,
    types: Mapping[str, type[Intervention]] | None = None,
    source: str = "scenario",
) -> list[Intervention]:
    """Make the interventions a scenario lists, with checked parameters and unique names.

    Parameters
    ----------
    specs
        The scenario's ``interventions`` (or plain mappings with ``type``, optional ``name``
        and the parameters).
    types
        Classes to use besides the registry, by type: a researcher's own interventions, or
        replacements of built-ins (an explicit choice, unlike an installed plugin).
    source
        What error lines start with: the scenario file or name.

    Returns
    -------
    list of Intervention
        In the order given. An intervention without ``name`` is called by its type; a second
        unnamed one of the same type ``type-2``, and so on.

    Raises
    ------
    ScenarioError
        Unknown types (with the known ones and the closest) and invalid parameters, one line
        per problem: ``{source}: interventions.{i}.{key}: {message}``.
    TwinError
        A plugin the scenario uses is broken (see :func:`intervention_types`).
    """
    return [item.build() for item in _checked(specs, types=types, source=source)]


def check_interventions(
    specs: Sequence[InterventionSpec],
    *,
    source: str,
    base: str | os.PathLike[str] | None = None,
    overridden: Collection[Sequence[str]] = (),
) -> list[InterventionSpec]:
    """Check the interventions of a scenario file and make their file paths absolute.

    Used by :func:`twin.scenario.load_scenario`. Relative paths in the parameters (any field
    typed as a path, such as ``area.file``) are taken from ``base``, the scenario's folder,
    and must exist.

    Parameters
    ----------
    specs
        The scenario's ``interventions``.
    source
        The scenario file, as the user named it; error lines start with it.
    base
        The folder relative paths start from (by default the working folder).
    overridden
        Key paths set by ``--set`` overrides; problems at or below them say so.

    Returns
    -------
    list of InterventionSpec
        The same interventions with absolute paths.

    Raises
    ------
    ScenarioError
        As :func:`build_interventions`, and for files that do not exist.
    """
    base = Path(os.path.abspath(base if base is not None else os.getcwd()))
    resolved, lines = [], []
    for item in _checked(specs, types=None, source=source, overridden=overridden):
        extra = copy.deepcopy(dict(item.spec.model_extra or {}))
        for parts, path in file_paths(item.parameters):
            if get_at(extra, parts) is None:
                continue  # a default, not written in the scenario
            full = Path(os.path.abspath(os.path.join(base, Path(path).expanduser())))
            if not os.path.exists(full):
                where = _where(source, item.index, parts)
                lines.append(
                    f"{where}: {one_line(str(full))} does not exist; relative paths start from "
                    f"the scenario's folder {one_line(str(base))}"
                    + _set_note(item.index, parts, overridden)
                )
            set_at(extra, parts, str(full))
        named = {"name": item.spec.name} if item.spec.name is not None else {}
        resolved.append(InterventionSpec.model_validate({"type": item.spec.type, **named, **extra}))
    if lines:
        raise ScenarioError("\n".join(_capped(lines, source)))
    return resolved


# ---------------------------------------------------------------------- plugins


def _distribution(point: EntryPoint) -> str:
    dist = getattr(point, "dist", None)
    return f"distribution {dist.name!r}" if dist is not None else "an unknown distribution"


def _plugin_points(builtins: Collection[str]) -> dict[str, EntryPoint]:
    """The group's entry points by name, without importing them."""
    found: dict[str, EntryPoint] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name in builtins:
            raise TwinError(
                f"{ENTRY_POINT_GROUP} entry point {point.name!r} = {point.value!r} of "
                f"{_distribution(point)} takes the name of a built-in intervention; a plugin "
                "cannot replace a built-in: rename its entry point"
            )
        other = found.get(point.name)
        if other is not None and other.value != point.value:
            raise TwinError(
                f"{ENTRY_POINT_GROUP} entry point {point.name!r} is registered twice: "
                f"{other.value!r} by {_distribution(other)} and {point.value!r} by "
                f"{_distribution(point)}; uninstall or rename one"
            )
        found[point.name] = point
    return found


def _load(point: EntryPoint) -> type[Intervention]:
    """Import a plugin's class and check that it is an intervention of that type."""
    where = f"{ENTRY_POINT_GROUP} entry point {point.name!r} = {point.value!r} of {_distribution(point)}"
    try:
        cls = point.load()
    except Exception as exc:  # noqa: BLE001 - plugin code may raise anything on import
        raise TwinError(
            f"{where} failed to load ({type(exc).__name__}: {one_line(str(exc))}); fix or "
            "uninstall that package"
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, Intervention)):
        raise TwinError(f"{where} is {cls!r}, not a subclass of twin.interventions.Intervention")
    if cls.type != point.name:
        raise TwinError(
            f"{where}: the class's type is {cls.type!r}; set type = {point.name!r} on the class "
            "(the entry point's name is the type)"
        )
    if not (isinstance(cls.Parameters, type) and issubclass(cls.Parameters, InterventionParameters)):
        raise TwinError(f"{where}: its Parameters is not a subclass of InterventionParameters")
    return cls


# --------------------------------------------------------------------- checking


@dataclass(frozen=True)
class _Checked:
    index: int
    spec: InterventionSpec
    cls: type[Intervention]
    parameters: InterventionParameters
    name: str

    def build(self) -> Intervention:
        return self.cls(self.parameters, name=self.name)


class _Types:
    """Classes by type from the given ones, the built-ins and plugins, loaded when asked."""

    def __init__(self, extra: Mapping[str, type[Intervention]] | None) -> None:
        self.extra = dict(extra or {})
        for name, cls in self.extra.items():
            if not (isinstance(cls, type) and issubclass(cls, Intervention)):
                raise TypeError(f"types[{name!r}] is {cls!r}, not a subclass of Intervention")
        self.builtins = builtin_types()
        self.plugins = _plugin_points(self.builtins)

    def get(self, name: str) -> type[Intervention] | None:
        if name in self.extra:
            return self.extra[name]
        if name in self.builtins:
            return self.builtins[name]
        if name in self.plugins:
            return _load(self.plugins[name])
        return None

    def names(self) -> list[str]:
        return sorted({*self.extra, *self.builtins, *self.plugins})


def _checked(
    specs: Sequence[InterventionSpec | Mapping[str, Any]],
    *,
    types: Mapping[str, type[Intervention]] | None,
    source: str,
    overridden: Collection[Sequence[str]] = (),
) -> list[_Checked]:
    specs = [spec if isinstance(spec, InterventionSpec) else _as_spec(spec, i, source)
             for i, spec in enumerate(specs)]  # fmt: skip
    known = _Types(types) if specs else None
    names = _names(specs)
    lines: list[str] = []
    checked: list[_Checked] = []
    for index, spec in enumerate(specs):
        cls = known.get(spec.type)
        if cls is None:
            lines.append(
                f"{_where(source, index, ['type'])}: unknown intervention type {show(spec.type)}; "
                f"{_suggest(spec.type, known.names())}" + _set_note(index, ["type"], overridden)
            )
            continue
        try:
            parameters = cls.Parameters.model_validate(dict(spec.model_extra or {}))
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                parts, text = _explain(error, cls.Parameters)
                line = f"{_where(source, index, parts)}: {one_line(text)}"
                line += _set_note(index, parts, overridden)
                if line not in lines:
                    lines.append(line)
            continue
        checked.append(_Checked(index, spec, cls, parameters, names[index]))
    if lines:
        raise ScenarioError("\n".join(_capped(lines, source)))
    return checked


def _as_spec(data: Mapping[str, Any], index: int, source: str) -> InterventionSpec:
    try:
        return InterventionSpec.model_validate(dict(data))
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        parts = [str(p) for p in error["loc"]]
        raise ScenarioError(f"{_where(source, index, parts)}: {one_line(error['msg'])}") from None
    except TypeError:
        raise ScenarioError(
            f"{_where(source, index, [])}: expected key: value settings with type:, got {show(data)}"
        ) from None


def _names(specs: Sequence[InterventionSpec]) -> list[str]:
    """Each intervention's label: its name, else its type, ``type-2`` for a second one, ..."""
    taken = {spec.name for spec in specs if spec.name is not None}
    names = []
    for spec in specs:
        name = spec.name
        if name is None:
            name, count = spec.type, 1
            while name in taken:
                count += 1
                name = f"{spec.type}-{count}"
            taken.add(name)
        names.append(name)
    return names


def _where(source: str, index: int, parts: Sequence[Any]) -> str:
    tail = f".{key_path(parts)}" if parts else ""
    return f"{one_line(source)}: interventions.{index}{tail}"


def _set_note(index: int, parts: Sequence[Any], overridden: Collection[Sequence[str]]) -> str:
    return " (from --set)" if from_set(["interventions", index, *parts], overridden) else ""


def _capped(lines: list[str], source: str) -> list[str]:
    if len(lines) <= MAX_LINES:
        return lines
    more = len(lines) - (MAX_LINES - 1)
    return [*lines[: MAX_LINES - 1], f"{one_line(source)}: ... and {more} more problems"]


def _suggest(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    known = "known types: " + ", ".join(choices)
    return f"did you mean {close[0]!r}? ({known})" if close else known


# ------------------------------------------------------------ parameter errors


def _strip(tp: Any) -> Any:
    """``X | None`` -> ``X`` and ``Annotated[X, ...]`` -> ``X``."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, _types.UnionType):
            members = [arg for arg in typing.get_args(tp) if arg is not type(None)]
            if len(members) != 1:
                return tp
            tp = members[0]
        else:
            return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _constraints(field: FieldInfo | None, tp: Any) -> list[Any]:
    """Bounds of a field: its own, and those of an ``Annotated`` type (also inside ``| None``)."""
    found: list[Any] = list(field.metadata) if field is not None else []
    while True:
        if typing.get_origin(tp) is typing.Annotated:
            for item in typing.get_args(tp)[1:]:
                found.extend(item.metadata if isinstance(item, FieldInfo) else [item])
            tp = typing.get_args(tp)[0]
        elif typing.get_origin(tp) in (typing.Union, _types.UnionType):
            members = [arg for arg in typing.get_args(tp) if arg is not type(None)]
            if len(members) != 1:
                return found
            tp = members[0]
        else:
            return found


def _walk(model: type[BaseModel], loc: Sequence[Any]) -> tuple[FieldInfo | None, Any, Any]:
    """The field, the type and the parent model type a pydantic error location points at."""
    field: FieldInfo | None = None
    tp: Any = model
    parent: Any = None
    for elem in loc:
        bare = _strip(tp)
        if _is_model(bare) and elem in bare.model_fields:
            parent, field = bare, bare.model_fields[elem]
            tp = field.annotation
        elif typing.get_origin(bare) in (list, tuple):
            tp = typing.get_args(bare)[0]
        elif typing.get_origin(bare) is dict:
            tp = typing.get_args(bare)[1]
            field = None
        else:
            field, tp, parent = None, None, None
    return field, tp, parent


def _number(value: Any, tp: Any) -> str:
    if _strip(tp) is float and isinstance(value, int | float) and not isinstance(value, bool):
        return repr(float(value))
    return show(value)


def _range(field: FieldInfo | None, tp: Any) -> str:
    bounds: dict[type, str] = {}
    for item in _constraints(field, tp):
        for kind, attr in ((Ge, "ge"), (Gt, "gt"), (Le, "le"), (Lt, "lt")):
            if isinstance(item, kind):
                bounds[kind] = _number(getattr(item, attr), tp)
    if Ge in bounds and Le in bounds:
        return f"; use a value from {bounds[Ge]} to {bounds[Le]}"
    words = [f"{phrase} {bounds[kind]}" for kind, phrase in
             ((Ge, "at least"), (Gt, "above"), (Le, "at most"), (Lt, "below")) if kind in bounds]  # fmt: skip
    return f"; use a value {' and '.join(words)}" if words else ""


def _explain(error: Mapping[str, Any], model: type[BaseModel]) -> tuple[list[Any], str]:
    """The key path and the text of one pydantic error in an intervention's parameters."""
    kind, loc, value = error["type"], list(error["loc"]), error.get("input")
    ctx = error.get("ctx") or {}
    if loc and loc[-1] == "[key]":
        return loc[:-2], f"the key {show(loc[-2])} is not valid: {error['msg']}"
    field, tp, _ = _walk(model, loc)
    about = f" ({field.description})" if field is not None and field.description else ""
    v = show(value)

    if kind == "extra_forbidden":
        _, parent_tp, _ = _walk(model, loc[:-1])
        parent = _strip(parent_tp)
        valid = [k for k in parent.model_fields] if _is_model(parent) else []
        if parent is model:
            valid = ["type", "name", *valid]
        close = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.6)
        if close:
            return loc, f"unknown key {show(loc[-1])}; did you mean {close[0]!r}?"
        area = model.model_fields.get("area")
        if parent is model and area is not None and loc[-1] in _strip(area.annotation).model_fields:
            return loc, f"unknown key {show(loc[-1])}; it belongs under area: (area: {{{loc[-1]}: ...}})"
        return loc, f"unknown key {show(loc[-1])}; valid keys here: {', '.join(valid)}"
    if kind == "missing":
        return loc, f"required key is missing; add {key_path(loc[-1:])}:{about}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound_key, phrase = {"greater_than_equal": ("ge", "is below"), "greater_than": ("gt", "must be above"),
                             "less_than_equal": ("le", "is above"), "less_than": ("lt", "must be below")}[kind]  # fmt: skip
        return loc, f"{v} {phrase} {_number(ctx.get(bound_key), tp)}{about}{_range(field, tp)}"
    if kind == "finite_number":
        return loc, f"{v} is not a finite number{about}{_range(field, tp)}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return loc, f"{v} is not a whole number{about}"
    if kind in ("float_parsing", "float_type"):
        return loc, f"{v} is not a number{about}"
    if kind in ("bool_parsing", "bool_type"):
        return loc, f"{v} is not true or false{about}"
    if kind == "string_type":
        return loc, f"{v} is not text; put it in quotes{about}"
    if kind == "string_too_short":
        return loc, f"is empty; give {field.description if field and field.description else 'a value'}"
    if kind == "too_short":
        return loc, f"is empty; give at least {ctx.get('min_length', 1)} item(s){about}"
    if kind == "literal_error":
        allowed = typing.get_args(_strip(tp)) if typing.get_origin(_strip(tp)) is typing.Literal else ()
        if allowed:
            close = difflib.get_close_matches(str(value), [str(a) for a in allowed], n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else "use one of " + ", ".join(repr(a) for a in allowed)
        else:
            hint = f"use {ctx.get('expected', '')}"
        return loc, f"{v} is not allowed; {hint}"
    if kind == "path_type":
        return loc, f"{v} is not a file path; write the path as text{about}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        example = " (e.g. area: {bbox: [west, south, east, north]})" if loc[-1:] == ["area"] else ""
        return loc, f"expected key: value settings{about}, got {v}{example}"
    if kind in ("list_type", "tuple_type"):
        return loc, f"expected a list{about}, got {v}"
    if kind == "value_error":
        return loc, str(ctx.get("error", error["msg"]))
    if kind == "scenario_rule" and ctx.get("at"):
        return [*loc, ctx["at"]], error["msg"]
    return loc, error["msg"]


def apply_interventions(scenario: Any, network: Any, *, types: Mapping[str, type[Intervention]] | None = None
                        ) -> tuple[City, list[Intervention], list[Outcome]]:  # fmt: skip
    """Build a scenario's interventions and let each change the city, in order.

    Parameters
    ----------
    scenario
        The :class:`~twin.scenario.Scenario`.
    network
        The :class:`~twin.maps.network.StreetNetwork` as loaded; it is not changed.
    types
        Extra intervention classes besides the registry's (see :func:`build_interventions`).

    Returns
    -------
    city, interventions, outcomes
        The changed city (``city.network`` is the network the run uses), the intervention
        objects and what each changed.

    Raises
    ------
    ScenarioError
        A parameter is invalid, or an area does not fit the map (a district that is not in
        the file, an area that selects nothing).
    """
    interventions = build_interventions(scenario.interventions, types=types, source=scenario.name) \
        if scenario.interventions else []
    city = City(scenario=scenario, network=network)
    outcomes: list[Outcome] = []
    for intervention in interventions:
        outcome = intervention.apply(city)
        if not isinstance(outcome, Outcome):
            raise TypeError(f"intervention {intervention.name!r}: apply(city) returned "
                            f"{type(outcome).__name__}, not an Outcome")  # fmt: skip
        if city.network.n_nodes != network.n_nodes or city.network.n_edges != network.n_edges:
            raise ValueError(f"intervention {intervention.name!r} changed the number of nodes or edges; "
                             "interventions may change columns of the network, not its graph")  # fmt: skip
        outcomes.append(outcome)
    return city, interventions, outcomes
