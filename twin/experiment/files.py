"""Experiments written down: experiment files, variant files, and ``--sweep`` options.

An experiment file is recognised by its top-level ``baseline:`` key::

    name: dim-trade-off
    baseline: ../scenarios/helsinki-baseline.yaml   # relative to this file
    set: {population.residents: 2000}                # for every variant
    replications: 5
    seed: 7                                          # default: the baseline's seed
    variants:
      - name: presence-30
        set: {lighting.controller: presence, lighting.dim_level: 0.3}
      - name: led
        interventions: [{type: led_retrofit}]
      - scenario: other.yaml                         # named after the file
    sweep:
      grid: {lighting.dim_level: [0.2, 0.3, 0.5]}
      # or: lhs: {samples: 20, ranges: {lighting.dim_level: [0.1, 0.6]}}

``set`` takes dotted keys or nested mappings (merged key by key). A variant file
(``twin batch --variant FILE``) is a scenario, or interventions to add to the baseline. Every
problem is a :class:`~twin._errors.ScenarioError` of one line per problem, naming the file
and the key path.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from twin._errors import ScenarioError
from twin.experiment.design import Experiment, Sweep, Variant, override_text
from twin.scenario._messages import MAX_LINES, one_line, show

# The scenario loader's YAML reader: it refuses duplicate keys and keeps dates as text.
from twin.scenario.load import _Loader

__all__ = [
    "checked_interventions",
    "experiment_from",
    "is_experiment_file",
    "load_experiment",
    "parse_sweep",
    "sweeps_from_text",
    "variant_from_file",
]


# ----------------------------------------------------------------- --sweep


def parse_sweep(text: str) -> tuple[str, list[Any]]:
    """Read ``--sweep KEY=V1,V2,...`` into the key and its values (each read as YAML).

    Raises
    ------
    ScenarioError
        One line saying what is wrong with ``text`` and how to write it.
    """
    example = "write KEY=V1,V2,..., e.g. --sweep lighting.dim_level=0.2,0.3,0.5"
    key, sep, raw = text.partition("=")
    key = key.strip()
    where = f"--sweep {show(text)}"
    if not sep:
        raise ScenarioError(f"{where}: no '=' in the sweep; {example}")
    if not key or any(not part.strip() for part in key.split(".")):
        raise ScenarioError(f"{where}: the key before '=' is empty or has an empty part; {example}")
    items = [item.strip() for item in raw.split(",")]
    if not raw.strip() or any(not item for item in items):
        raise ScenarioError(f"{where}: a value is empty; {example}")
    values = []
    for item in items:
        try:
            values.append(yaml.load(item, Loader=_Loader))  # noqa: S506 - _Loader is a SafeLoader
        except yaml.YAMLError:
            values.append(item)
    if len(set(map(repr, values))) < len(values):
        raise ScenarioError(f"{where}: a value is given twice; give each value once, {example.removeprefix('write ')}")
    return key, values


def sweeps_from_text(texts: Sequence[str]) -> dict[str, list[Any]]:
    """``--sweep`` options into one grid; a key given twice is an error."""
    grid: dict[str, list[Any]] = {}
    for text in texts:
        key, values = parse_sweep(text)
        if key in grid:
            raise ScenarioError(f"--sweep {show(text)}: {key} is swept twice; give all its values in one --sweep")
        grid[key] = values
    return grid


# ----------------------------------------------------------- experiment files


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class _VariantSpec(_Spec):
    name: str | None = Field(None, min_length=1)
    scenario: str | None = Field(None, min_length=1)
    set: dict[str, Any] = Field(default_factory=dict)
    interventions: list[dict[str, Any]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _named(self) -> _VariantSpec:
        if self.name is None and self.scenario is None:
            raise ValueError("a variant needs a name: (or a scenario: file to be named after)")
        return self


class _LhsSpec(_Spec):
    samples: int = Field(ge=1, le=100_000)
    ranges: dict[str, tuple[float, float]] = Field(min_length=1)
    seed: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> _LhsSpec:
        for key, (low, high) in self.ranges.items():
            if not low < high:
                raise ValueError(f"ranges.{key}: [{low:g}, {high:g}] is empty; give [low, high] with low < high")
        return self


class _SweepSpec(_Spec):
    grid: dict[str, list[Any]] | None = None
    lhs: _LhsSpec | None = None

    @model_validator(mode="after")
    def _one(self) -> _SweepSpec:
        if (self.grid is None) == (self.lhs is None):
            raise ValueError("give either grid: or lhs:, exactly one")
        for key, values in (self.grid or {}).items():
            if not values:
                raise ValueError(f"grid.{key}: has no values; list at least one")
        return self


class _ExperimentSpec(_Spec):
    name: str | None = Field(None, min_length=1)
    description: str = ""
    baseline: str = Field(min_length=1)
    set: dict[str, Any] = Field(default_factory=dict)
    replications: int = Field(1, ge=1, le=100_000)
    seed: int | None = Field(None, ge=0)
    variants: list[_VariantSpec] = Field(default_factory=list)
    sweep: _SweepSpec | None = None


def _read_yaml(path: Path, *, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such {what}; check the path (relative to {os.getcwd()})") from None
    except IsADirectoryError:
        raise ScenarioError(f"{path}: is a folder; give the {what}'s .yaml file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(f"{path}: cannot read the {what} ({one_line(str(error))})") from None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        raise ScenarioError(f"{path}: {where}: {one_line(str(error.problem or error.context))}; "
                            "check the indentation and quote text containing ':' or '#'") from None  # fmt: skip
    except yaml.YAMLError as error:
        raise ScenarioError(f"{path}: not valid YAML: {one_line(str(error))}") from None


def is_experiment_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` is an experiment file (a mapping with a top-level ``baseline:`` key)."""
    try:
        data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False  # load_scenario will say what is wrong with it
    return isinstance(data, dict) and "baseline" in data


def _spec_errors(error: ValidationError, *, source: Path) -> str:
    lines = []
    for item in error.errors(include_url=False):
        loc = [str(part) for part in item["loc"]]
        text = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            model = {(): _ExperimentSpec, ("sweep",): _SweepSpec, ("sweep", "lhs"): _LhsSpec}.get(
                tuple(p for p in loc[:-1] if not p.isdigit()), _VariantSpec
            )
            close = difflib.get_close_matches(loc[-1], list(model.model_fields), n=1, cutoff=0.6)
            text = f"unknown key {loc[-1]!r}; " + (
                f"did you mean {close[0]!r}?" if close else "valid keys here: " + ", ".join(model.model_fields)
            )
        elif item["type"] == "missing":
            text = f"required key is missing; add {loc[-1]}:"
        line = f"{source}: {'.'.join(loc) or '(top level)'}: {one_line(text)}"
        if line not in lines:
            lines.append(line)
    return "\n".join(lines[:MAX_LINES])


def _flatten_set(mapping: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """``{lighting: {dim_level: 0.3}}`` -> ``[("lighting.dim_level", 0.3)]``; dotted keys stay."""
    items = []
    for key, value in mapping.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            items.extend(_flatten_set(value, f"{path}."))
        else:
            items.append((path, value))
    return items


def load_experiment(path: str | os.PathLike) -> Experiment:
    """Read an experiment file (see the module's documentation).

    Raises
    ------
    ScenarioError
        One line per problem, each naming the file and the key path.
    """
    source = Path(path)
    data = _read_yaml(source, what="experiment file")
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: the top level must be key: value settings (baseline:, variants:, ...)")
    try:
        spec = _ExperimentSpec.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(_spec_errors(error, source=source)) from None
    base = Path(os.path.abspath(source)).parent
    variants, problems = [], []
    for i, item in enumerate(spec.variants):
        scenario = Path(os.path.normpath(base / item.scenario)) if item.scenario is not None else None
        try:
            where = f"variants.{i}.interventions"
            interventions = checked_interventions(item.interventions, source=source, where=where)
        except ScenarioError as error:
            problems.extend(str(error).splitlines())
            continue
        variants.append(Variant(
            name=item.name if item.name is not None else Path(item.scenario).stem,
            scenario=scenario,
            overrides=tuple(override_text(k, v) for k, v in _flatten_set(item.set)),
            interventions=interventions,
        ))  # fmt: skip
    if problems:
        raise ScenarioError("\n".join(problems[:MAX_LINES]))
    sweep = None
    if spec.sweep is not None and spec.sweep.grid is not None:
        sweep = Sweep(grid={key: list(values) for key, values in spec.sweep.grid.items()})
    elif spec.sweep is not None and spec.sweep.lhs is not None:
        lhs = spec.sweep.lhs
        raw = data["sweep"]["lhs"]["ranges"]
        ranges = {}
        for key, (low, high) in lhs.ranges.items():
            # Whole-number bounds (population.residents) sample whole numbers; pydantic made them floats.
            whole = all(isinstance(v, int) and not isinstance(v, bool) for v in raw[key])
            ranges[key] = (int(low), int(high)) if whole else (low, high)
        sweep = Sweep(lhs_samples=lhs.samples, lhs_ranges=ranges, lhs_seed=lhs.seed)
    return Experiment(
        name=spec.name or source.stem,
        baseline=Path(os.path.normpath(base / spec.baseline)),
        overrides=tuple(override_text(k, v) for k, v in _flatten_set(spec.set)),
        variants=tuple(variants),
        sweep=sweep,
        replications=spec.replications,
        seed=spec.seed,
        source=source,
    )  # fmt: skip


def variant_from_file(path: str | os.PathLike) -> Variant:
    """A variant from a file: a scenario, or interventions added to the baseline.

    A file holding a list, a mapping with ``type:`` (one intervention), or a mapping with
    only ``interventions:`` (and perhaps ``name:``) adds interventions; anything else is a
    scenario file. The variant is named after the file (its stem) unless it has a ``name:``.
    """
    path = Path(path)
    data = _read_yaml(path, what="variant file")
    if isinstance(data, dict) and "type" in data:
        items: Any = [data]
    elif isinstance(data, list):
        items = data
    elif isinstance(data, dict) and "interventions" in data and set(data) <= {"name", "interventions", "description"}:
        items = data["interventions"] or []
    else:
        return Variant(name=path.stem, scenario=path)
    if not isinstance(items, list) or not all(isinstance(item, dict) and "type" in item for item in items):
        raise ScenarioError(f"{path}: interventions must be key: value settings with a type: each; "
                            "write e.g. - {type: led_retrofit}")  # fmt: skip
    name = data.get("name") if isinstance(data, dict) and "interventions" in data else None
    return Variant(name=str(name or path.stem), interventions=checked_interventions(items, source=path))


def checked_interventions(items: Sequence[Mapping[str, Any]], *, source: Path,
                          where: str = "interventions") -> tuple[dict[str, Any], ...]:  # fmt: skip
    """Interventions checked by their classes, with file paths made absolute from ``source``'s folder.

    So a district file next to a variant file is found however far the baseline is.

    Raises
    ------
    ScenarioError
        One line per problem, naming ``source`` and the key as ``where.N.key``.
    """
    from twin.interventions.registry import check_interventions
    from twin.scenario import InterventionSpec

    specs, lines = [], []
    for i, item in enumerate(items):
        try:
            specs.append(InterventionSpec.model_validate(item))
        except ValidationError as error:
            lines.extend(f"{source}: {where}.{i}.{'.'.join(map(str, e['loc'])) or 'type'}: {one_line(e['msg'])}"
                         for e in error.errors(include_url=False))  # fmt: skip
    if lines:
        raise ScenarioError("\n".join(lines[:MAX_LINES]))
    try:
        checked = check_interventions(specs, source=str(source), base=Path(os.path.abspath(source)).parent)
    except ScenarioError as error:
        prefix = f"{source}: interventions."
        raise ScenarioError("\n".join(
            f"{source}: {where}.{line.removeprefix(prefix)}" if line.startswith(prefix) else line
            for line in str(error).splitlines()
        )) from None  # fmt: skip
    return tuple(spec.model_dump(mode="json", exclude_none=True) for spec in checked)


def experiment_from(target: str | os.PathLike | Experiment) -> Experiment:
    """An experiment from an experiment file, a scenario file (the baseline alone), or as is."""
    if isinstance(target, Experiment):
        return target
    path = Path(target)
    if path.suffix.lower() in (".yaml", ".yml") and path.is_file() and is_experiment_file(path):
        return load_experiment(path)
    return Experiment(name=_stem_name(path), baseline=path)


def _stem_name(path: Path) -> str:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return path.stem
    return str(data.get("name") or path.stem) if isinstance(data, dict) else path.stem
