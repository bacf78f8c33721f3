"""The digital divide in Mobility as a Service: who is left behind when shuttles are booked only
in an app, and what a phone line changes for them, for smartphone holders, the operator and car use.

Run from the repository's root::

    .venv/bin/python experiments/maas_digital_divide/run.py            # the grid town
    .venv/bin/python experiments/maas_digital_divide/run.py --help     # options

The baseline is the scenario as given, without MaaS. Every variant adds the ``maas``
intervention of ``--maas`` (a scenario file; only its first ``maas`` intervention is used:
bus lines, shuttles, fares, bundle) with one booking channel setting for every shuttle:

- ``app-only``: ``booking_channels: [app]``; residents without a smartphone cannot book;
- ``app-and-phone``: ``[app, phone]``; everyone can (a kiosk is the same to the model);
- ``app-only-more-phones``: app only, with ``population.smartphone_share`` raised to
  ``--more-phones`` (leave it out with ``--more-phones off``).

The bundle's own sales channels are the intervention's (the grid town's: the app only) in
every variant. Every variant runs ``--replications`` times on the baseline's replication
seeds (the same residents and trips), so each change is a paired difference with a 95%
confidence interval. Runs write person-level tables so that shuttle use can be counted per
group. It writes, in the batch folder:

- ``divide.csv``: per variant, per group of residents (smartphone yes/no, income low /
  middle / high) their mean daily travel minutes, money paid, shuttle requests and rides;
  and the operator's and the city's figures; each with its change against the baseline and
  against ``app-only``, with 95% confidence intervals;
- ``divide.png``: the change in daily travel minutes per resident against the baseline, by
  smartphone access, one bar per variant.

A finished batch is not run again: the script resumes its folder, so a second call only
redraws the outputs (and a killed call continues where it stopped).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from twin import ScenarioError
from twin.experiment import Experiment, Variant, load_batch, run_batch, summarize
from twin.experiment.design import override_text
from twin.scenario import load_scenario

APP_ONLY = "app-only"
APP_AND_PHONE = "app-and-phone"
MORE_PHONES = "app-only-more-phones"

GROUPS = (("smartphone", "yes"), ("smartphone", "no"), ("income", "low"), ("income", "middle"), ("income", "high"))
"""The groups of residents: the ``equity`` section of the KPIs."""

TRAVEL = "daily travel minutes per resident"
PAID = "money paid per resident and day (EUR)"
RIDES = "shuttle rides per 100 residents"
SIZE = "residents in the group"

PAID_NAMES = ("mean_daily_paid_eur", "mean_daily_fares_tolls_eur")
"""The equity KPI of money paid, by its current and its earlier name."""

OPERATOR = (
    ("services.drt.requests", "shuttle requests per day"),
    ("services.drt.served", "shuttle rides served per day"),
    ("services.drt.rejected", "shuttle requests rejected per day"),
    ("services.drt.mean_wait_s", "mean shuttle wait (s)"),
    ("services.drt.passengers_per_vehicle_hour", "shuttle riders per vehicle-hour"),
    ("services.drt.operating_cost_eur", "shuttle operating cost per day (EUR)"),
    ("services.drt.fare_revenue_eur", "shuttle fare revenue per day (EUR)"),
    ("services.drt.subsidy_per_trip_eur", "shuttle subsidy per ride (EUR)"),
    ("services.maas.subscribers", "bundle subscribers"),
    ("services.maas.subscription_revenue_eur_per_day", "bundle revenue (EUR per day)"),
    ("services.maas.net_subsidy_per_ride_eur", "net cost per ride, buses and shuttles (EUR)"),
)  # fmt: skip
CITY = (
    ("mode_shares.drt", "shuttle share of trips"),
    ("mode_shares.transit", "transit share of trips"),
    ("mode_shares.car", "car share of trips"),
    ("vehicle_km", "car vehicle-km per day"),
    ("co2_kg.total", "CO2 per day, lighting and traffic (kg)"),
)  # fmt: skip

LABELS = {APP_ONLY: "app only", APP_AND_PHONE: "app + phone line", MORE_PHONES: "app only, more smartphones"}
COLOURS = {APP_ONLY: "#E69F00", APP_AND_PHONE: "#0072B2", MORE_PHONES: "#009E73"}  # Okabe-Ito, colour-blind safe
HATCHES = {APP_ONLY: "//", APP_AND_PHONE: "", MORE_PHONES: ".."}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="scenarios/gridtown-baseline.yaml",
                        help="the baseline scenario, without MaaS")
    parser.add_argument("--maas", default="scenarios/gridtown-maas.yaml",
                        help="a scenario file whose first maas intervention every variant adds")
    parser.add_argument("--residents", type=int, default=None, help="override population.residents")
    parser.add_argument("--more-phones", type=share_or_off, default=0.95,
                        help="smartphone share of the app-only-more-phones variant, or 'off' to leave it out")
    parser.add_argument("-r", "--replications", type=int, default=3)
    parser.add_argument("--seed", type=int, default=None, help="root seed (default: the scenario's)")
    parser.add_argument("--workers", type=int, default=None, help="local worker processes (default: one per core)")
    parser.add_argument("--out", default="runs/maas-digital-divide", help="the batch folder")
    return parser.parse_args(argv)


def share_or_off(text: str) -> float | None:
    """``"0.95"`` -> 0.95; ``"off"`` -> ``None``."""
    if str(text).strip().lower() == "off":
        return None
    try:
        share = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a share; give a number from 0 to 1, or off") from None
    if not 0 <= share <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not a share; give a number from 0 to 1, or off")
    return share


def maas_intervention(path: Path) -> dict:
    """The first ``maas`` intervention of a scenario file, as settings (file paths absolute).

    Raises
    ------
    ScenarioError
        If the file has no ``maas`` intervention.
    """
    for item in load_scenario(path).interventions:
        settings = item.model_dump(mode="json", exclude_none=True)
        if settings.get("type") == "maas":
            return settings
    raise ScenarioError(f"{path}: interventions: no intervention of type maas; give --maas a scenario "
                        "with one, e.g. scenarios/gridtown-maas.yaml")  # fmt: skip


def experiment(args: argparse.Namespace) -> Experiment:
    """The baseline and the variants: app only, app and phone, and perhaps app only with more phones."""
    maas = maas_intervention(Path(args.maas))
    app_only = {**maas, "booking_channels": ["app"]}
    app_and_phone = {**maas, "booking_channels": ["app", "phone"]}
    variants = [Variant(name=APP_ONLY, interventions=(app_only,)),
                Variant(name=APP_AND_PHONE, interventions=(app_and_phone,))]  # fmt: skip
    if args.more_phones is not None:
        more = override_text("population.smartphone_share", args.more_phones)
        variants.append(Variant(name=MORE_PHONES, interventions=(app_only,), overrides=(more,)))
    overrides = [override_text("outputs.person_level", True)]  # residents.parquet: shuttle use per group
    if args.residents:
        overrides.append(f"population.residents={args.residents}")
    return Experiment(name="maas-digital-divide", baseline=Path(args.scenario), overrides=tuple(overrides),
                      variants=tuple(variants), replications=args.replications, seed=args.seed)  # fmt: skip


def group_usage(runs: pd.DataFrame, *, folder: Path) -> pd.DataFrame:
    """Per run, shuttle requests and rides served per 100 residents of each group.

    Counted from the run's ``trips.parquet`` and ``residents.parquet`` (a request is a trip
    with a shuttle outcome: served, rejected, declined or outside hours). ``folder`` is the
    batch folder, which run paths are relative to. Runs without the residents table (not
    person-level) get NaN.
    """
    rows = []
    for run in runs.itertuples():
        row: dict = {"run_id": run.run_id}
        here = folder / run.path if isinstance(run.path, str) else None
        if run.status == "ok" and here is not None and (here / "residents.parquet").is_file():
            residents = pd.read_parquet(here / "residents.parquet", columns=["person_id", "income", "smartphone"])
            trips = pd.read_parquet(here / "trips.parquet", columns=["person_id", "drt_outcome"])
            n = len(residents)
            outcome = trips["drt_outcome"].fillna("").astype(str).to_numpy()
            person = trips["person_id"].to_numpy(np.int64)
            requests = np.bincount(person[outcome != ""], minlength=n)
            served = np.bincount(person[outcome == "served"], minlength=n)
            labels = {"smartphone": np.where(residents["smartphone"].to_numpy(bool), "yes", "no"),
                      "income": residents["income"].astype(str).to_numpy()}  # fmt: skip
            for name, key in GROUPS:
                members = labels[name] == key
                size = int(members.sum())
                for figure, counts in (("shuttle_requests_per_100", requests), ("shuttle_rides_per_100", served)):
                    row[f"divide.{name}.{key}.{figure}"] = 100 * counts[members].sum() / size if size else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def _measures(runs: pd.DataFrame) -> list[tuple[str, str, str, str]]:
    """``(section, group, figure, kpi column)`` of every figure in ``divide.csv``, in order."""
    paid = next((name for name in PAID_NAMES if f"equity.smartphone.no.{name}" in runs), PAID_NAMES[0])
    rows = []
    for name, key in GROUPS:
        group, equity, divide = f"{name}: {key}", f"equity.{name}.{key}", f"divide.{name}.{key}"
        rows += [("residents", group, TRAVEL, f"{equity}.mean_daily_travel_min"),
                 ("residents", group, PAID, f"{equity}.{paid}"),
                 ("residents", group, "shuttle requests per 100 residents", f"{divide}.shuttle_requests_per_100"),
                 ("residents", group, RIDES, f"{divide}.shuttle_rides_per_100"),
                 ("residents", group, SIZE, f"{equity}.residents")]  # fmt: skip
    rows += [("operator", "all", figure, kpi) for kpi, figure in OPERATOR]
    rows += [("city", "all", figure, kpi) for kpi, figure in CITY]
    return [row for row in rows if row[3] in runs]


def divide_table(runs: pd.DataFrame, *, baseline: str) -> pd.DataFrame:
    """One row per MaaS variant and figure: its mean, change against the baseline and against app only.

    ``runs`` is the batch's runs table with the :func:`group_usage` columns joined.
    """
    measures = _measures(runs)
    kpis = [kpi for *_, kpi in measures]
    against_baseline = summarize(runs, baseline=baseline, kpis=kpis).set_index(["variant", "kpi"])
    against_app = summarize(runs, baseline=APP_ONLY, kpis=kpis).set_index(["variant", "kpi"])
    rows = []
    for variant in (APP_ONLY, APP_AND_PHONE, MORE_PHONES):
        if variant not in against_baseline.index.get_level_values(0):
            continue
        for section, group, figure, kpi in measures:
            ours, other = against_baseline.loc[(variant, kpi)], against_app.loc[(variant, kpi)]
            rows.append({
                "variant": variant, "section": section, "group": group, "figure": figure, "kpi": kpi,
                "replications": int(ours["n"]), "baseline": ours["baseline_mean"], "mean": ours["mean"],
                "diff": ours["diff_mean"], "ci_low": ours["ci_low"], "ci_high": ours["ci_high"],
                "diff_vs_app_only": other["diff_mean"], "ci_low_vs_app_only": other["ci_low"],
                "ci_high_vs_app_only": other["ci_high"],
            })  # fmt: skip
    return pd.DataFrame(rows)


def _pick(table: pd.DataFrame, variant: str, group: str, figure: str = TRAVEL) -> pd.Series | None:
    """The row of one variant, group and figure, or ``None``."""
    rows = table[(table["variant"] == variant) & (table["group"] == group) & (table["figure"] == figure)]
    return rows.iloc[0] if len(rows) else None


def _effect(row: pd.Series | None) -> str:
    """``save 1.8 min``, ``lose 0.3 min`` or ``see no clear change`` (the 95% CI spans zero).

    Without an interval (one replication) the change is told as it is.
    """
    if row is None or np.isnan(row["diff"]):
        return "have no figure"
    if not np.isnan(row["ci_low"]) and row["ci_low"] <= 0 <= row["ci_high"]:
        return "see no clear change"
    return f"save {-row['diff']:.1f} min" if row["diff"] < 0 else f"lose {row['diff']:.1f} min"


def headline(table: pd.DataFrame, *, city: str) -> str:
    """A title that states the finding: what app-only gives each group, what a phone line changes."""
    yes, no = "smartphone: yes", "smartphone: no"
    title = (f"{city}, app-only shuttles: smartphone holders {_effect(_pick(table, APP_ONLY, yes))} a day, "
             f"those without one {_effect(_pick(table, APP_ONLY, no))}")  # fmt: skip
    if _pick(table, APP_AND_PHONE, no) is not None:
        title += (f"\nWith a phone line too: those without a smartphone {_effect(_pick(table, APP_AND_PHONE, no))}, "
                  f"smartphone holders {_effect(_pick(table, APP_AND_PHONE, yes))}")  # fmt: skip
    rows = [_pick(table, v, g) for v in (APP_ONLY, APP_AND_PHONE) for g in (yes, no)]
    if any(row is not None and not np.isnan(row["diff"]) and np.isnan(row["ci_low"]) for row in rows):
        title += "\n(one run each: no confidence intervals)"
    return title


def _left_out(table: pd.DataFrame, variant: str) -> str:
    """``5%``: the share of residents without a smartphone in a variant."""
    no, yes = _pick(table, variant, "smartphone: no", SIZE), _pick(table, variant, "smartphone: yes", SIZE)
    if no is None or yes is None or no["mean"] + yes["mean"] <= 0:
        return "fewer"
    return f"{100 * no['mean'] / (no['mean'] + yes['mean']):.0f}%"


def plot(table: pd.DataFrame, path: Path, *, city: str, replications: int) -> None:
    """Change in daily travel minutes against the baseline, by smartphone access, one bar per variant.

    The more-phones variant has no bar among residents without a smartphone: they are a
    different, smaller group there (those still without one), so its change is not comparable.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    variants = [v for v in (APP_ONLY, APP_AND_PHONE, MORE_PHONES) if v in set(table["variant"])]
    groups = [("smartphone: yes", "with a smartphone"), ("smartphone: no", "without a smartphone")]
    width = 0.8 / max(1, len(variants))
    bars = []  # (x, change, ci_low, ci_high, label, variant)
    for k, variant in enumerate(variants):
        for g, (group, _) in enumerate(groups):
            x = g + (k - (len(variants) - 1) / 2) * width
            row = _pick(table, variant, group)
            rides = _pick(table, variant, group, RIDES)
            if variant == MORE_PHONES and group == "smartphone: no":
                bars.append((x, np.nan, np.nan, np.nan, f"{_left_out(table, variant)} still\nwithout one:\nno rides",
                             variant))  # fmt: skip
            elif row is None or np.isnan(row["diff"]):
                bars.append((x, np.nan, np.nan, np.nan, "no figure", variant))
            else:
                label = f"{row['diff']:+.2f} min"
                if rides is not None and not np.isnan(rides["mean"]):
                    label += f"\n{rides['mean']:.0f} rides/100"
                paid = _pick(table, variant, group, PAID)
                if paid is not None and not np.isnan(paid["mean"]):
                    label += f"\npays {paid['mean']:.2f} EUR/day"
                bars.append((x, row["diff"], row["ci_low"], row["ci_high"], label, variant))
    fig, ax = plt.subplots(figsize=(10, 6.2), layout="constrained")
    for variant in variants:
        mine = [b for b in bars if b[5] == variant]
        x = np.array([b[0] for b in mine])
        y = np.nan_to_num(np.array([b[1] for b in mine], dtype=float))
        err = np.nan_to_num(np.abs(np.array([[b[1] - b[2] for b in mine], [b[3] - b[1] for b in mine]], dtype=float)))
        ax.bar(x, y, width * 0.92, color=COLOURS[variant], hatch=HATCHES[variant], edgecolor="black",
               linewidth=0.8, label=LABELS[variant])  # fmt: skip
        ax.errorbar(x, y, yerr=err, fmt="none", ecolor="black", capsize=4, linewidth=1.2)
    tops = [b[3] if not np.isnan(b[3]) else b[1] for b in bars if not np.isnan(b[1])]
    lows = [b[2] if not np.isnan(b[2]) else b[1] for b in bars if not np.isnan(b[1])]
    top, low = max([0.0, *tops]), min([0.0, *lows])
    span = max(top - low, 0.5)
    label_y = top + 0.04 * span
    for x, _, _, _, label, _ in bars:
        ax.text(x, label_y, label, ha="center", va="bottom", fontsize=8)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(groups)), [label for _, label in groups], fontsize=11)
    ax.set_ylabel("change in travel time per resident and day\nvs no MaaS (minutes; below 0 = time saved)")
    ax.set_ylim(low - 0.08 * span, label_y + 0.3 * span)
    fig.suptitle(headline(table, city=city), x=0.01, ha="left", fontsize=11)
    ax.legend(title="shuttle booking", loc="upper center", bbox_to_anchor=(0.5, -0.07), ncol=len(variants),
              frameon=False)  # fmt: skip
    ax.grid(axis="y", alpha=0.3)
    fig.supxlabel(f"Bars: mean change over {replications} paired replications; whiskers: 95% confidence interval.\n"
                  "Labels: the change; shuttle rides a day per 100 residents of the group; money paid per resident "
                  "and day (fares, and the bundle's price per travel day).", x=0.01, ha="left", fontsize=8)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> Path:
    args = parse_args(argv)
    out = Path(args.out)
    runs = run_batch(experiment(args), workers=args.workers, out=out, resume=out.exists())
    failed = int((runs["status"] != "ok").sum())
    batch = load_batch(out)
    usage = group_usage(batch.runs, folder=batch.folder)
    table = divide_table(batch.runs.merge(usage, on="run_id", how="left"), baseline=batch.baseline)
    table.to_csv(out / "divide.csv", index=False)
    city = Path(args.scenario).stem.removesuffix("-baseline")
    plot(table, out / "divide.png", city=city, replications=args.replications)
    shown = table[table["group"].isin(["smartphone: yes", "smartphone: no"]) | (table["section"] != "residents")]
    shown = shown[shown["figure"] != SIZE]
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_colwidth", 40):
        print(shown[["variant", "group", "figure", "baseline", "mean", "diff", "ci_low", "ci_high",
                     "diff_vs_app_only"]].round(3).to_string(index=False))  # fmt: skip
    print(f"wrote {out / 'divide.csv'} and {out / 'divide.png'}" + (f"; {failed} runs failed" if failed else ""))
    return out


if __name__ == "__main__":
    main()
