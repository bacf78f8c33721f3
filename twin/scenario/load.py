"""Read a scenario file: YAML, ``--set`` overrides, validation, and path resolution.

Every problem a user can fix becomes a :class:`~twin._errors.ScenarioError` whose message
has one line per problem: ``{file}: {key.path}: {what is wrong and what to do}``.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from twin._errors import ScenarioError
from twin.scenario._messages import format_validation_error, from_set, key_path, one_line, show
from twin.scenario.key_paths import file_paths, set_at
from twin.scenario.schema import Scenario

__all__ = ["apply_overrides", "load_scenario"]

_NULL_WORDS = frozenset({"", "~", "null", "Null", "NULL"})


class _Loader(yaml.SafeLoader):
    """A safe YAML loader that rejects duplicate keys instead of keeping the last one.

    A key written twice is almost always an editing mistake, and PyYAML would silently drop
    the first value.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            key = self.construct_object(key_node)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {show(key)}; keep only one", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_timestamp_as_text(self, node: yaml.ScalarNode) -> str:
        # PyYAML turns 2026-12-15 into a date itself and crashes with a bare ValueError on
        # 2026-13-01; as text, pydantic validates it and the user gets a one-line error.
        return self.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_timestamp_as_text)


def _parse_override(text: str, *, prefix: str) -> tuple[list[str], Any]:
    """Split ``"a.b.0=value"`` into ``["a", "b", "0"]`` and the value read as YAML."""
    key, sep, raw = text.partition("=")
    where = f"{prefix}--set {show(text)}"
    example = "write KEY=VALUE, e.g. --set lighting.dim_level=0.3"
    if not sep:
        raise ScenarioError(f"{where}: no '=' in the override; {example}")
    parts = key.strip().split(".")
    if not key.strip():
        raise ScenarioError(f"{where}: the key before '=' is empty; {example}")
    if any(not part.strip() for part in parts):
        raise ScenarioError(f"{where}: the key has an empty part between dots; {example}")
    try:
        value = yaml.load(raw, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError:
        # Not valid YAML on its own (e.g. "a: b: c"): the user meant the text as written.
        value = raw
    if value is None and raw.strip() not in _NULL_WORDS:
        value = raw  # e.g. "#3" reads as a YAML comment, but was meant as text
    return [part.strip() for part in parts], value


def _set(data: dict[str, Any], parts: list[str], value: Any, *, where: str) -> None:
    """Set ``data[parts[0]][parts[1]]... = value``, making mappings on the way as needed."""
    node: Any = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        here = key_path(parts[: depth + 1])
        if isinstance(node, dict):
            if last:
                node[part] = value
            else:
                if node.get(part) is None:
                    node[part] = {}
                node = node[part]
        elif isinstance(node, list):
            if not part.isdigit():
                raise ScenarioError(
                    f"{where}: {here}: {key_path(parts[:depth])} is a list; "
                    f"use a number (0, 1, ...) instead of {part!r}"
                )
            index = int(part)
            if index > len(node):
                raise ScenarioError(
                    f"{where}: {here}: the list has {len(node)} items; use an index from 0 "
                    f"to {len(node)} ({len(node)} adds an item)"
                )
            if index == len(node):
                node.append(None)
            if last:
                node[index] = value
            else:
                if node[index] is None:
                    node[index] = {}
                node = node[index]
        else:
            raise ScenarioError(
                f"{where}: {here}: {key_path(parts[:depth])} is {show(node)}, "
                "not a mapping; set the whole value instead"
            )


def apply_overrides(
    data: dict[str, Any], overrides: Sequence[str], *, source: str | None = None
) -> dict[str, Any]:
    """Return a copy of ``data`` with ``--set``-style overrides applied.

    Parameters
    ----------
    data
        A scenario as read from YAML; it is not changed.
    overrides
        Strings ``"dotted.key=value"``. The value is read as YAML, so ``true``, ``3``,
        ``0.5``, ``[1, 2]`` and ``{kind: grid}`` keep their types; an empty value is null.
        A number in the key indexes a list (``interventions.0.type=x``); the next free
        index appends an item. Missing mappings on the way are created. A single string is taken
        as one override.
    source
        The scenario file, to start error messages with.

    Returns
    -------
    dict
        A new dictionary.

    Raises
    ------
    ScenarioError
        An override is malformed (no ``=``, an empty key) or its key cannot be followed.

    Examples
    --------
    >>> apply_overrides({"lighting": {"dim_level": 0.5}}, ["lighting.dim_level=0.3"])
    {'lighting': {'dim_level': 0.3}}
    """
    if isinstance(overrides, str):
        overrides = [overrides]
    prefix = f"{one_line(source)}: " if source is not None else ""
    result = copy.deepcopy(data)
    for text in overrides:
        parts, value = _parse_override(text, prefix=prefix)
        _set(result, parts, value, where=f"{prefix}--set {show(text)}")
    return result


def _read(path: Path, source: str) -> dict[str, Any]:
    """The YAML mapping in ``path``, or a ScenarioError saying why there is none."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(
            f"{source}: no such scenario file; check the path (relative to {os.getcwd()})"
        ) from None
    except IsADirectoryError:
        raise ScenarioError(f"{source}: is a folder; give the scenario's .yaml file") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{source}: is not UTF-8 text; save it as UTF-8") from None
    except OSError as exc:
        raise ScenarioError(f"{source}: cannot read the file ({exc.strerror})") from None
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        problem = exc.problem or exc.context or "invalid YAML"
        raise ScenarioError(
            f"{source}: {where}: {one_line(problem)}; "
            "check the indentation and quote text containing ':' or '#'"
        ) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{source}: not valid YAML: {one_line(str(exc))}") from None
    except RecursionError:
        raise ScenarioError(f"{source}: the YAML is nested too deeply") from None
    if data is None:
        raise ScenarioError(
            f"{source}: the file is empty; a scenario needs at least name: and map:"
        )
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{source}: the top level must be key: value settings (name:, map:, ...), "
            f"not {show(data, limit=30)}"
        )
    return data


def _absolute(path: Path, base: Path) -> Path:
    return Path(os.path.abspath(os.path.join(base, path.expanduser())))


def _resolve_paths(
    scenario: Scenario, *, base: Path, source: str, overridden: list[list[str]]
) -> Scenario:
    """Make the scenario's relative paths absolute against ``base`` and check inputs exist."""

    def missing(parts: list[str], path: Path, what: str) -> ScenarioError:
        line = (
            f"{one_line(source)}: {key_path(parts)}: {what} {one_line(str(path))} does not exist; "
            f"relative paths start from the scenario's folder {one_line(str(base))}"
        )
        return ScenarioError(line + (" (from --set)" if from_set(parts, overridden) else ""))

    update: dict[str, Any] = {}
    if scenario.map.file is not None:
        file = _absolute(scenario.map.file, base)
        if not os.path.exists(file):
            raise missing(["map", "file"], file, "the map file")
        update["map"] = scenario.map.model_copy(update={"file": file})
    if scenario.demand is not None:
        trips = _absolute(scenario.demand.trips, base)
        if not os.path.isfile(trips):
            raise missing(["demand", "trips"], trips, "the trip table")
        update["demand"] = scenario.demand.model_copy(update={"trips": trips})
    if scenario.services != type(scenario.services)():
        services = scenario.services.model_dump()
        for parts, path in file_paths(scenario.services):
            full = _absolute(path, base)
            if not os.path.exists(full):
                raise missing(["services", *map(str, parts)], full, "the file")
            set_at(services, parts, full)
        update["services"] = type(scenario.services).model_validate(services)
    outputs = {"dir": _absolute(scenario.outputs.dir, base)}
    if scenario.outputs.districts is not None:
        outputs["districts"] = _absolute(scenario.outputs.districts, base)
        if not os.path.isfile(outputs["districts"]):
            raise missing(["outputs", "districts"], outputs["districts"], "the districts file")
    update["outputs"] = scenario.outputs.model_copy(update=outputs)
    return scenario.model_copy(update=update)


def load_scenario(path: str | os.PathLike[str], *, overrides: Sequence[str] = ()) -> Scenario:
    """Read, override, validate and resolve a scenario file.

    Parameters
    ----------
    path
        The scenario's YAML file. Messages name it as given.
    overrides
        ``--set``-style ``"dotted.key=value"`` strings applied before validation; see
        :func:`apply_overrides`.

    Returns
    -------
    Scenario
        Validated, with ``map.file``, ``demand.trips``, ``outputs.dir`` and the file paths
        in intervention parameters (such as ``area.file``) made absolute against the
        scenario file's folder (not the working folder), also when they came from an
        override. Each intervention's parameters are checked by its type's class (see
        :func:`twin.interventions.build_interventions`).

    Raises
    ------
    ScenarioError
        The file is missing, unreadable, not YAML, empty or not a mapping; an override is
        malformed; a value is invalid; an intervention's type is unknown or its parameters
        are invalid; or a referenced map file, trip table or intervention file does not
        exist. The message has one line per problem (at most ten), each
        ``{file}: {key.path}: {what is wrong and what to do}``.
    """
    source = str(path)
    data = _read(Path(path), source)
    data = apply_overrides(data, _as_list(overrides), source=source)
    overridden = [_parse_override(text, prefix="")[0] for text in _as_list(overrides)]
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(
            format_validation_error(exc, source=source, overridden=overridden)
        ) from None
    base = Path(os.path.abspath(path)).parent
    scenario = _resolve_paths(scenario, base=base, source=source, overridden=overridden)
    if scenario.interventions:
        # Imported here: twin.interventions builds on twin.scenario, not the other way round.
        from twin.interventions.registry import check_interventions

        checked = check_interventions(
            scenario.interventions, source=source, base=base, overridden=overridden
        )
        scenario = scenario.model_copy(update={"interventions": checked})
    return scenario


def _as_list(overrides: Sequence[str]) -> list[str]:
    return [overrides] if isinstance(overrides, str) else list(overrides)
