"""Which presence-lighting parameter matters most? A Morris elementary-effects screening (SALib).

Run from the repository's root::

    .venv/bin/python experiments/sensitivity/run.py             # the bundled city
    .venv/bin/python experiments/sensitivity/run.py --help

Five parameters of presence-controlled lighting vary over the ranges a city could choose or
meet (:data:`PROBLEM`): the dim level, the hold time, how far ahead lights come up, the share
of passers-by the sensors miss, and the ramp time. SALib draws ``--trajectories`` Morris
trajectories (``r (k + 1)`` points for ``k`` parameters); each point is one variant of a twin
batch, and all points share one seed (common random numbers: the same residents make the
same trips under every setting, so effects are not blurred by demand noise). SALib's Morris
analysis then gives, per output, each parameter's ``mu_star`` (mean absolute elementary
effect: how much the output moves when the parameter moves across its range in steps of
``2 / 3`` of it with four levels) and ``sigma`` (spread of the effects: non-linearity or
interactions).

Outputs, in the batch folder: ``morris.csv`` (parameter, output, mu_star, its 95%
bootstrap CI, sigma) and ``morris.png`` (mu_star bars per output).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from twin.experiment import Experiment, Variant, load_batch, run_batch
from twin.experiment.design import override_text

#: The parameters and their ranges (SALib's problem definition).
PROBLEM = {
    "num_vars": 5,
    "names": ["lighting.dim_level", "lighting.hold_s", "lighting.lookahead_m", "lighting.sensor_miss_rate",
              "lighting.ramp_s"],
    "bounds": [[0.1, 0.6], [10.0, 300.0], [0.0, 150.0], [0.0, 0.2], [0.0, 10.0]],
}  # fmt: skip

OUTPUTS = ("energy.lighting_kwh", "safety.dark_arrivals_walk_bike")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="scenarios/helsinki-baseline.yaml", help="the scenario to vary")
    parser.add_argument("--residents", type=int, default=None, help="override population.residents")
    parser.add_argument("--trajectories", type=int, default=8, help="Morris trajectories r (r x 6 runs)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the Morris sample and of the runs")
    parser.add_argument("--workers", type=int, default=None, help="local worker processes (default: one per core)")
    parser.add_argument("--out", default="runs/presence-morris", help="the batch folder")
    return parser.parse_args(argv)


def morris_table(sample: np.ndarray, outputs: pd.DataFrame, *, seed: int) -> pd.DataFrame:
    """SALib's Morris indices of every output, as one long table."""
    from SALib.analyze import morris

    rows = []
    for name in OUTPUTS:
        result = morris.analyze(PROBLEM, sample, outputs[name].to_numpy(float), num_levels=4, seed=seed)
        for k, parameter in enumerate(PROBLEM["names"]):
            rows.append({"output": name, "parameter": parameter.removeprefix("lighting."),
                         "mu_star": result["mu_star"][k], "mu_star_conf": result["mu_star_conf"][k],
                         "sigma": result["sigma"][k], "mu": result["mu"][k]})  # fmt: skip
    return pd.DataFrame(rows)


def plot(table: pd.DataFrame, path: Path, *, city: str) -> None:
    """One panel per output: mu_star with its 95% bootstrap interval, largest first."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = {"energy.lighting_kwh": ("lighting energy", "kWh per day"),
              "safety.dark_arrivals_walk_bike": ("dark arrivals of walkers and cyclists", "arrivals per day")}  # fmt: skip
    fig, axes = plt.subplots(1, len(OUTPUTS), figsize=(11, 4.2), layout="constrained")
    for ax, name in zip(axes, OUTPUTS):
        part = table[table["output"] == name].sort_values("mu_star")
        ax.barh(part["parameter"], part["mu_star"], xerr=part["mu_star_conf"], color="#4c72b0",
                edgecolor="black", hatch="//", capsize=3)  # fmt: skip
        title, unit = labels[name]
        ax.set_xlabel(f"mu*: mean |elementary effect|, {unit}")
        ax.set_title(title, fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"{city}, presence lighting: the longest bar is the parameter to get right first")
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> Path:
    from SALib.sample import morris as morris_sample

    args = parse_args(argv)
    sample = morris_sample.sample(PROBLEM, args.trajectories, num_levels=4, seed=args.seed)
    variants = tuple(
        Variant(name=f"morris-{i:03d}", overrides=(override_text("lighting.controller", "presence"),
                *(override_text(key, float(value)) for key, value in zip(PROBLEM["names"], point))))
        for i, point in enumerate(sample)
    )  # fmt: skip
    overrides = [f"population.residents={args.residents}"] if args.residents else []
    experiment = Experiment(name="presence-morris", baseline=Path(args.scenario), overrides=tuple(overrides),
                            variants=variants, replications=1, seed=args.seed)  # fmt: skip
    out = Path(args.out)
    run_batch(experiment, workers=args.workers, out=out, resume=out.exists())
    runs = load_batch(out).runs.set_index("variant")
    outputs = runs.loc[[v.name for v in variants], list(OUTPUTS)]
    if outputs.isna().any().any():
        raise SystemExit(f"{out}: some Morris runs failed; see {out / 'failures'} and rerun to resume")
    table = morris_table(sample, outputs, seed=args.seed)
    table.to_csv(out / "morris.csv", index=False)
    plot(table, out / "morris.png", city=Path(args.scenario).stem.removesuffix("-baseline"))
    print(table.round(3).to_string(index=False))
    print(f"wrote {out / 'morris.csv'} and {out / 'morris.png'}")
    return out


if __name__ == "__main__":
    main()
