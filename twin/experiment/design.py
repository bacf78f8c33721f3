"""What an experiment is: a baseline, variants, a sweep, replications and their seeds.

An :class:`Experiment` is plain data; :func:`plan` resolves it into one validated
:class:`~twin.scenario.Scenario` per variant (every file read, every override applied, so a
typo fails before any run) and the seeds of the replications. Run ``r`` of every variant
uses the same seed (common random numbers): differences to the baseline are paired.

An experiment comes from a scenario file plus options (``twin batch scenario.yaml --sweep
...``) or from an experiment file, recognised by its top-level ``baseline:`` key::

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

Sweep points apply to every variant; with no variants each point is a variant of the
baseline. The baseline itself is never swept: it is the reference of every difference.
"""

from __future__ import annotations

import difflib
import itertools
import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from twin._errors import ScenarioError
from twin.scenario import Scenario, load_scenario
from twin.scenario._messages import MAX_LINES, one_line, show

# The scenario loader's YAML reader: it refuses duplicate keys and keeps dates as text.
from twin.scenario.load import _Loader

__all__ = [
    "Experiment",
    "Plan",
    "PlannedVariant",
    "Sweep",
    "Variant",
    "checked_interventions",
    "describe",
    "experiment_from",
    "is_experiment_file",
    "load_experiment",
    "override_text",
    "parse_sweep",
    "plan",
    "point_name",
    "replication_seeds",
    "sweep_points",
    "sweeps_from_text",
    "variant_from_file",
    "with_options",
]


# ----------------------------------------------------------------- the data


@dataclass(frozen=True)
class Variant:
    """One way the city differs from the baseline.

    Attributes
    ----------
    name
        The label in results; unique within an experiment.
    scenario
        A scenario file to run instead of the baseline's, or ``None`` for the baseline's.
    overrides
        ``key=value`` changes, applied after the experiment's own.
    interventions
        Intervention settings (``{"type": ..., ...}``) appended to the scenario's list.
    """

    name: str
    scenario: Path | None = None
    overrides: tuple[str, ...] = ()
    interventions: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class Sweep:
    """Values of scenario keys to try: a full grid, or a Latin hypercube sample.

    Attributes
    ----------
    grid
        Key to the list of its values; every combination is a point.
    lhs_samples
        Number of Latin hypercube points (with ``lhs_ranges``).
    lhs_ranges
        Key to its ``(low, high)``; both whole numbers make the key's values whole.
    lhs_seed
        Seed of the sample; ``None`` takes the experiment's root seed.
    """

    grid: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    lhs_samples: int = 0
    lhs_ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    lhs_seed: int | None = None

    @property
    def keys(self) -> list[str]:
        """The swept keys, in order."""
        return list(self.grid) + list(self.lhs_ranges)


@dataclass(frozen=True)
class Experiment:
    """A baseline, its variants, an optional sweep, and replications.

    Attributes
    ----------
    name
        Names the batch (and its default folder).
    baseline
        The baseline scenario file.
    overrides
        ``key=value`` changes for every variant, the baseline included.
    variants
        The variants, in order.
    sweep
        Values swept over every variant (over the baseline when there are no variants).
    replications
        Runs per variant, each with its own seed.
    seed
        The root seed the replications' seeds come from; ``None``: the baseline's seed.
    source
        The experiment file, if there was one (for messages).
    """

    name: str
    baseline: Path
    overrides: tuple[str, ...] = ()
    variants: tuple[Variant, ...] = ()
    sweep: Sweep | None = None
    replications: int = 1
    seed: int | None = None
    source: Path | None = None


@dataclass(frozen=True)
class PlannedVariant:
    """A variant resolved into its scenario (seed not yet set) and its sweep point."""

    name: str
    scenario: Scenario
    point: Mapping[str, Any]
    is_baseline: bool = False


@dataclass(frozen=True)
class Plan:
    """Every run of an experiment: variants x replications, with their seeds."""

    experiment: Experiment
    variants: tuple[PlannedVariant, ...]
    root_seed: int
    seeds: tuple[int, ...]

    @property
    def baseline(self) -> PlannedVariant:
        return self.variants[0]

    @property
    def n_runs(self) -> int:
        return len(self.variants) * len(self.seeds)

    @property
    def swept_keys(self) -> list[str]:
        return self.experiment.sweep.keys if self.experiment.sweep else []

    def runs(self) -> Iterator[tuple[int, PlannedVariant, int, int]]:
        """``(index, variant, replication, seed)`` for every run, variant by variant."""
        index = 0
        for variant in self.variants:
            for replication, seed in enumerate(self.seeds):
                yield index, variant, replication, seed
                index += 1


# ----------------------------------------------------------------- seeds


def replication_seeds(root: int, n: int) -> list[int]:
    """The scenario seed of each of ``n`` replications, spawned from ``root``.

    Replication ``r`` gets the same seed whatever ``n`` is, so adding replications to a
    batch keeps the runs it has.

    Examples
    --------
    >>> replication_seeds(7, 3) == replication_seeds(7, 5)[:3]
    True
    """
    children = np.random.SeedSequence(root).spawn(n)
    # >> 1: a non-negative int64, which Parquet and every YAML reader keep exactly.
    return [int(child.generate_state(1, np.uint64)[0] >> 1) for child in children]


# ----------------------------------------------------------------- sweeps


def _number_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def sweep_points(sweep: Sweep | None, *, seed: int) -> list[dict[str, Any]]:
    """The points of a sweep, each a ``{key: value}`` mapping, in a fixed order.

    Grid points vary the last key fastest. Latin hypercube points come from
    :class:`scipy.stats.qmc.LatinHypercube` with a generator seeded by ``lhs_seed`` (or
    ``seed``), so the same experiment always samples the same points; values are rounded
    to six significant digits so that they read back exactly from YAML and names.
    """
    if sweep is None:
        return []
    points: list[dict[str, Any]] = [{}]
    if sweep.grid:
        points = [dict(zip(sweep.grid, combo)) for combo in itertools.product(*sweep.grid.values())]
    if sweep.lhs_ranges:
        from scipy.stats import qmc

        keys = list(sweep.lhs_ranges)
        rng = np.random.default_rng(sweep.lhs_seed if sweep.lhs_seed is not None else seed)
        unit = qmc.LatinHypercube(d=len(keys), rng=rng).random(sweep.lhs_samples)
        sampled = []
        for row in unit:
            point = {}
            for key, u in zip(keys, row):
                low, high = sweep.lhs_ranges[key]
                value = low + float(u) * (high - low)
                whole = isinstance(low, int) and isinstance(high, int)
                point[key] = int(math.floor(value + 0.5)) if whole else float(f"{value:.6g}")
            sampled.append(point)
        points = [{**a, **b} for a in points for b in sampled]
    return points


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


def override_text(key: str, value: Any) -> str:
    """``key=value`` with the value written so that ``--set`` reads it back exactly."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=math.inf)
    return f"{key}={text.removesuffix('...\n').strip()}"


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
            interventions = checked_interventions(item.interventions, source=source, where=f"variants.{i}.interventions")
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


def with_options(experiment: Experiment, *, variants: Iterable[Variant] = (),
                 sweeps: Mapping[str, Sequence[Any]] | None = None, overrides: Sequence[str] = (),
                 replications: int | None = None, seed: int | None = None) -> Experiment:  # fmt: skip
    """``experiment`` with more variants, grid keys, overrides, and a new R or root seed.

    Grid keys are added to the experiment's grid (a key given again takes the new values);
    they cannot be combined with a Latin hypercube sweep.
    """
    sweep = experiment.sweep
    if sweeps:
        if sweep is not None and sweep.lhs_ranges:
            where = f"{experiment.source}: sweep.lhs" if experiment.source else "--sweep"
            raise ScenarioError(f"{where}: a Latin hypercube sweep cannot take grid values as well; "
                                "drop --sweep or put the key in the experiment's lhs.ranges")  # fmt: skip
        grid = dict(sweep.grid) if sweep is not None else {}
        grid.update({key: list(values) for key, values in sweeps.items()})
        sweep = Sweep(grid=grid)
    if replications is not None and replications < 1:
        raise ScenarioError(f"--replications {replications}: must be at least 1")
    if seed is not None and seed < 0:
        raise ScenarioError(f"--seed {seed}: must be a whole number >= 0")
    return Experiment(
        name=experiment.name, baseline=experiment.baseline,
        overrides=(*experiment.overrides, *overrides),
        variants=(*experiment.variants, *variants), sweep=sweep,
        replications=replications if replications is not None else experiment.replications,
        seed=seed if seed is not None else experiment.seed, source=experiment.source,
    )  # fmt: skip


# ----------------------------------------------------------------- planning


def point_name(name: str, point: Mapping[str, Any]) -> str:
    """``presence-30[lighting.dim_level=0.2]``."""
    if not point:
        return name
    return f"{name}[{','.join(f'{key}={_number_text(value)}' for key, value in point.items())}]"


def _resolve(variant: Variant, point: Mapping[str, Any], *, experiment: Experiment, name: str | None) -> Scenario:
    source = variant.scenario if variant.scenario is not None else experiment.baseline
    overrides = [*experiment.overrides, *variant.overrides, *(override_text(k, v) for k, v in point.items())]
    if name is not None:
        overrides.append(override_text("name", name))
    if variant.interventions:
        current = load_scenario(source, overrides=overrides).interventions
        listed = [item.model_dump(mode="json", exclude_none=True) for item in current]
        overrides.append(override_text("interventions", [*listed, *map(dict, variant.interventions)]))
    return load_scenario(source, overrides=overrides)


def plan(experiment: Experiment) -> Plan:
    """Resolve every variant's scenario and the replications' seeds.

    The baseline is labelled with its scenario's name; every other variant's scenario takes
    the variant's name, so that its run folders say which variant they belong to.

    Raises
    ------
    ScenarioError
        One line per problem (at most ten) in any variant, each naming the variant, the
        file and the key; or two variants with the same name.
    """
    where = f"{experiment.source}: " if experiment.source is not None else ""
    try:
        baseline = _resolve(Variant(name=""), {}, experiment=experiment, name=None)
    except ScenarioError as error:
        raise ScenarioError("\n".join(f"{where}baseline: {line}" for line in str(error).splitlines())) from None
    root = experiment.seed if experiment.seed is not None else baseline.seed
    points = sweep_points(experiment.sweep, seed=root)
    if experiment.variants:
        combos = itertools.product(experiment.variants, points or [{}])
        pairs = [(variant, point, point_name(variant.name, point)) for variant, point in combos]
    else:  # each point is a variant of the baseline
        pairs = [(Variant(name=baseline.name), point, point_name(baseline.name, point)) for point in points]
    names = [baseline.name] + [name for _, _, name in pairs]
    for name in names:
        if names.count(name) > 1:
            raise ScenarioError(f"{where}variants: two variants are named {name!r} (the baseline is "
                                f"{baseline.name!r}); give each variant its own name")  # fmt: skip
    planned = [PlannedVariant(baseline.name, baseline, {}, is_baseline=True)]
    problems: list[str] = []
    for variant, point, name in pairs:
        try:
            planned.append(PlannedVariant(name, _resolve(variant, point, experiment=experiment, name=name), point))
        except ScenarioError as error:
            problems.extend(f"{where}variant {name!r}: {line}" for line in str(error).splitlines())
    if problems:
        shown = list(dict.fromkeys(problems))
        if len(shown) > MAX_LINES:
            shown = [*shown[: MAX_LINES - 1], f"... and {len(shown) - MAX_LINES + 1} more problems"]
        raise ScenarioError("\n".join(shown))
    return Plan(experiment, tuple(planned), root, tuple(replication_seeds(root, experiment.replications)))


def describe(experiment_plan: Plan) -> dict[str, Any]:
    """The fully resolved experiment as JSON-ready data (``experiment.yaml`` of a batch)."""
    experiment = experiment_plan.experiment
    sweep = experiment.sweep
    return {
        "name": experiment.name,
        "source": None if experiment.source is None else str(Path(experiment.source).resolve()),
        "baseline": {"file": str(Path(experiment.baseline).resolve()), "variant": experiment_plan.baseline.name},
        "overrides": list(experiment.overrides),
        "replications": experiment.replications,
        "root_seed": experiment_plan.root_seed,
        "seeds": list(experiment_plan.seeds),
        "sweep": None if sweep is None else {
            "grid": {key: list(values) for key, values in sweep.grid.items()} or None,
            "lhs": {"samples": sweep.lhs_samples, "ranges": {k: list(v) for k, v in sweep.lhs_ranges.items()},
                    "seed": sweep.lhs_seed} if sweep.lhs_ranges else None,
        },  # fmt: skip
        "runs": experiment_plan.n_runs,
        "variants": [
            {"name": v.name, "baseline": v.is_baseline, "point": dict(v.point),
             "scenario": v.scenario.model_dump(mode="json", exclude={"seed"})}
            for v in experiment_plan.variants
        ],  # fmt: skip
    }


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


def sweeps_from_text(texts: Sequence[str]) -> dict[str, list[Any]]:
    """``--sweep`` options into one grid; a key given twice is an error."""
    grid: dict[str, list[Any]] = {}
    for text in texts:
        key, values = parse_sweep(text)
        if key in grid:
            raise ScenarioError(f"--sweep {show(text)}: {key} is swept twice; give all its values in one --sweep")
        grid[key] = values
    return grid

