"""Presence-dimmed streetlights: how much energy each dim level and hold time saves, and at what
cost in darkness for people on foot and bike.

Run from the repository's root::

    .venv/bin/python experiments/dim_hold_tradeoff/run.py            # the bundled city
    .venv/bin/python experiments/dim_hold_tradeoff/run.py --help     # options

The baseline is the scenario as given (lights always on from dusk to dawn). Every variant
switches the city to presence control with one dim level and one hold time (a grid over
both), with sensors that miss ``--miss-rate`` of passers-by (default 5%, an assumption: with
perfect sensors and the default 50 m look-ahead nobody ever reaches a dimmed lamp); every variant runs ``--replications`` times with the baseline's replication seeds,
so each saving is a paired difference with a 95% confidence interval. It writes, in the
batch folder:

- ``tradeoff.csv``: one row per (dim level, hold time) with the energy saving and the dark
  arrivals of walkers and cyclists (people reaching a lamp that is not at full light), each
  with its 95% confidence interval;
- ``tradeoff.png``: the same as a picture: saving against dark arrivals, one line per hold
  time.

A finished batch is not run again: the script resumes its folder, so a second call only
redraws the outputs (and a killed call continues where it stopped).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from twin.experiment import Experiment, Sweep, Variant, load_batch, run_batch
from twin.experiment.design import override_text

ENERGY = "energy.lighting_kwh"
DARK = "safety.dark_arrivals_walk_bike"
FULL_SHARE = "safety.night_walk_bike_share_full_light"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="scenarios/helsinki-baseline.yaml", help="the baseline scenario")
    parser.add_argument("--residents", type=int, default=None, help="override population.residents")
    parser.add_argument("--dim-levels", default="0.1,0.2,0.3,0.5", help="comma-separated dim levels")
    parser.add_argument("--hold-times", default="15,60,180", help="comma-separated hold times, in seconds")
    parser.add_argument("--miss-rate", type=float, default=0.05,
                        help="share of passers-by the sensors miss (a perfect sensor leaves nobody in the dark)")
    parser.add_argument("--replications", type=int, default=3)
    parser.add_argument("--seed", type=int, default=None, help="root seed (default: the scenario's)")
    parser.add_argument("--workers", type=int, default=None, help="local worker processes (default: one per core)")
    parser.add_argument("--out", default="runs/dim-hold-tradeoff", help="the batch folder")
    return parser.parse_args(argv)


def numbers(text: str) -> list[float]:
    """``"0.1,0.2"`` -> ``[0.1, 0.2]``."""
    return [float(part) for part in text.split(",") if part.strip()]


def tradeoff_table(summary: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """One row per swept variant: its dim level and hold time, energy saving and dark arrivals."""
    swept = runs.drop_duplicates("variant").set_index("variant")[["sweep.lighting.dim_level", "sweep.lighting.hold_s"]]
    rows = []
    for variant, group in summary.groupby("variant", sort=False):
        if variant not in swept.index or np.isnan(swept.loc[variant].iloc[0]):
            continue
        energy = group.set_index("kpi").loc[ENERGY]
        dark = group.set_index("kpi").loc[DARK]
        full = group.set_index("kpi").loc[FULL_SHARE]
        rows.append({
            "variant": variant,
            "dim_level": swept.loc[variant, "sweep.lighting.dim_level"],
            "hold_s": swept.loc[variant, "sweep.lighting.hold_s"],
            "replications": int(energy["n_pairs"]),
            "baseline_kwh": energy["baseline_mean"],
            "kwh": energy["mean"],
            "saving_pct": -100 * energy["rel_change"],
            "saving_pct_ci_low": -100 * energy["ci_high"] / energy["baseline_mean"],
            "saving_pct_ci_high": -100 * energy["ci_low"] / energy["baseline_mean"],
            "dark_arrivals_walk_bike": dark["mean"],
            "dark_arrivals_ci_low": dark["ci_low"] + dark["baseline_mean"],
            "dark_arrivals_ci_high": dark["ci_high"] + dark["baseline_mean"],
            "night_walk_bike_share_full_light": full["mean"],
        })  # fmt: skip
    return pd.DataFrame(rows).sort_values(["hold_s", "dim_level"]).reset_index(drop=True)


def plot(table: pd.DataFrame, path: Path, *, city: str) -> None:
    """Saving against dark arrivals, one line per hold time, dim levels labelled."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5), layout="constrained")
    markers = ["o", "s", "^", "D", "v", "P"]
    for k, (hold, group) in enumerate(table.groupby("hold_s")):
        x, y = group["saving_pct"].to_numpy(), group["dark_arrivals_walk_bike"].to_numpy()
        xerr = np.abs(np.vstack([x - group["saving_pct_ci_low"], group["saving_pct_ci_high"] - x]))
        yerr = np.abs(np.vstack([y - group["dark_arrivals_ci_low"], group["dark_arrivals_ci_high"] - y]))
        ax.errorbar(x, y, xerr=np.nan_to_num(xerr), yerr=np.nan_to_num(yerr), marker=markers[k % len(markers)],
                    color=plt.cm.cividis(0.8 * k / max(1, table["hold_s"].nunique() - 1)), capsize=3,
                    label=f"hold {hold:g} s")  # fmt: skip
        for xi, yi, dim in zip(x, y, group["dim_level"]):
            ax.annotate(f"{dim:.0%}", (xi, yi), textcoords="offset points", xytext=(5, 4), fontsize=8)
    ax.set_xlabel("lighting energy saved vs always on (%), 95% CI")
    ax.set_ylabel("dark arrivals of walkers and cyclists per day")
    ax.set_title(f"{city}: the dim level sets the saving, the hold time the people who meet a dimmed\n"
                 "lamp; a longer hold leaves fewer in the dark and saves a little less (labels: dim level)")  # fmt: skip
    ax.legend(title="presence control")
    ax.grid(alpha=0.3)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> Path:
    args = parse_args(argv)
    overrides = [f"population.residents={args.residents}"] if args.residents else []
    overrides.append(override_text("lighting.sensor_miss_rate", args.miss_rate))
    experiment = Experiment(
        name="dim-hold-tradeoff", baseline=Path(args.scenario), overrides=tuple(overrides),
        variants=(Variant(name="presence", overrides=(override_text("lighting.controller", "presence"),)),),
        sweep=Sweep(grid={"lighting.dim_level": numbers(args.dim_levels), "lighting.hold_s": numbers(args.hold_times)}),
        replications=args.replications, seed=args.seed,
    )  # fmt: skip
    out = Path(args.out)
    runs = run_batch(experiment, workers=args.workers, out=out, resume=out.exists())
    failed = int((runs["status"] != "ok").sum())
    batch = load_batch(out)
    table = tradeoff_table(batch.summary(kpis=[ENERGY, DARK, FULL_SHARE]), batch.runs)
    table.to_csv(out / "tradeoff.csv", index=False)
    plot(table, out / "tradeoff.png", city=Path(args.scenario).stem.removesuffix("-baseline"))
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(table[["dim_level", "hold_s", "saving_pct", "saving_pct_ci_low", "saving_pct_ci_high",
                     "dark_arrivals_walk_bike", "night_walk_bike_share_full_light"]].round(2).to_string(index=False))  # fmt: skip
    print(f"wrote {out / 'tradeoff.csv'} and {out / 'tradeoff.png'}" + (f"; {failed} runs failed" if failed else ""))
    return out


if __name__ == "__main__":
    main()
