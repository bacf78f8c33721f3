"""What an experiment is: a baseline, variants, a sweep, replications and their seeds.

An :class:`Experiment` is plain data (written down in an experiment file, see
:mod:`twin.experiment.files`); :func:`plan` resolves it into one validated
:class:`~twin.scenario.Scenario` per variant (every file read, every override applied, so a
typo fails before any run) and the seeds of the replications. Run ``r`` of every variant
uses the same seed (common random numbers): differences to the baseline are paired.

Sweep points (a full grid, or a Latin hypercube sample) apply to every variant; with no
variants each point is a variant of the baseline. The baseline itself is never swept: it is
the reference of every difference.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from twin._errors import ScenarioError, TwinError
from twin.scenario import Scenario, load_scenario
from twin.scenario._messages import MAX_LINES

__all__ = [
    "Experiment",
    "Plan",
    "PlannedVariant",
    "Sweep",
    "Variant",
    "describe",
    "override_text",
    "plan",
    "point_name",
    "replication_seeds",
    "sweep_points",
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


def override_text(key: str, value: Any) -> str:
    """``key=value`` with the value written so that ``--set`` reads it back exactly."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=math.inf)
    return f"{key}={text.removesuffix('...\n').strip()}"


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
    if not problems:
        networks: dict[str, Any] = {}  # each map is loaded once for all variants on it
        problems = [f"{where}variant {v.name!r}: {line}" for v in planned
                    for line in _misfits(v.scenario, networks=networks)]  # fmt: skip
    if problems:
        shown = list(dict.fromkeys(problems))
        if len(shown) > MAX_LINES:
            shown = [*shown[: MAX_LINES - 1], f"... and {len(shown) - MAX_LINES + 1} more problems"]
        raise ScenarioError("\n".join(shown))
    return Plan(experiment, tuple(planned), root, tuple(replication_seeds(root, experiment.replications)))


def _misfits(scenario: Scenario, *, networks: dict[str, Any]) -> list[str]:
    """Lines saying why the scenario's interventions do not fit its map (none: they fit).

    A district that is not in its file or an area that selects nothing is only found with
    the map at hand; finding it here stops a batch before every run fails on it. ``networks``
    keeps the maps loaded so far, by their settings.
    """
    if not (scenario.interventions or scenario.services.has_transit or scenario.services.has_drt):
        return []
    import warnings

    from twin.interventions.registry import apply_interventions
    from twin.maps.spec import network_from_spec
    from twin.mobility.system import check_services

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # each run reports the map's warnings itself
        key = json.dumps([scenario.map.model_dump(mode="json"), scenario.traffic.vehicle_spacing_m], sort_keys=True)
        if key not in networks:
            networks[key] = network_from_spec(scenario.map, vehicle_spacing_m=scenario.traffic.vehicle_spacing_m)
        try:
            city, _, _ = apply_interventions(scenario, networks[key])
            check_services(city.services, city.network, where=scenario.name)
        except TwinError as error:
            return str(error).splitlines()
    return []


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
