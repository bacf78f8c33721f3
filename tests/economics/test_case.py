"""The business case of a batch: bootstrap intervals, the CLI and the report section.

All on the tiny batch of ``conftest.py``: always-on lights against presence dimming in an
8 x 8 grid town, three replications paired by seed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twin._errors import TwinError
from twin.cli import main
from twin.economics import business_case
from twin.economics.uncertainty import bootstrap_rng, resample_means

VARIANT = "presence"


@pytest.fixture(scope="module")
def case(tiny_batch):
    return business_case(tiny_batch, resamples=1000)


def _run_folders(batch: Path) -> dict[str, list[Path]]:
    runs = pd.read_parquet(batch / "runs.parquet")
    return {v: [batch / p for p in runs.loc[runs["variant"] == v, "path"]] for v in runs["variant"].unique()}


def test_the_case_values_the_energy_saved_over_the_year(case, tiny_batch):
    (variant,) = case.variants
    assert variant.variant == VARIANT and variant.pairs == 3
    saved_kwh = case.lighting["gridtown-baseline"]["kwh_year"] - case.lighting[VARIANT]["kwh_year"]
    assert variant.quantities["lighting_kwh"].value == pytest.approx(-saved_kwh)
    assert variant.lines["energy"]["eur_per_year"] == pytest.approx(saved_kwh * case.costs.energy_tariff_eur_per_kwh)
    # 64 junctions, streets lit: the presence zone buys every lamp at 200 EUR, lasting 15 of the 15 years.
    assert case.years == 15 and variant.capital_eur == pytest.approx(200.0 * variant.bought[0].units)
    city = variant.cashflows["city"].to_numpy()
    assert city[0] == pytest.approx(-variant.capital_eur)
    assert variant.city.npv_eur.value == pytest.approx(float(city @ (1.03 ** -np.arange(16))))


def test_bootstrap_is_reproducible_and_its_interval_holds_the_estimate(case, tiny_batch):
    again = business_case(tiny_batch, resamples=1000)
    for perspective in ("city", "society"):
        first, second = case.variants[0].measures(perspective), again.variants[0].measures(perspective)
        assert first == second
        assert first.npv_eur.low <= first.npv_eur.value <= first.npv_eur.high
        assert first.npv_eur.low < first.npv_eur.high  # presence sensors see different people per seed
        assert 0.0 <= first.p_npv_positive <= 1.0
    differences = np.arange(12.0).reshape(4, 3)
    one = resample_means(differences, resamples=1000, rng=bootstrap_rng(7, VARIANT))
    two = resample_means(differences, resamples=1000, rng=bootstrap_rng(7, VARIANT))
    other = resample_means(differences, resamples=1000, rng=bootstrap_rng(7, "another"))
    assert np.array_equal(one, two) and not np.array_equal(one, other)
    assert one.shape == (1000, 3) and one.mean(axis=0) == pytest.approx(differences.mean(axis=0), rel=0.02)


def test_one_pair_has_no_interval_and_says_so(tiny_batch):
    folders = _run_folders(tiny_batch)
    single = business_case([folders["gridtown-baseline"][0], folders[VARIANT][0]], resamples=1000)
    measures = single.variants[0].city
    assert single.variants[0].pairs == 1
    assert not measures.npv_eur.has_interval and measures.p_npv_positive is None
    assert any("one pair of runs, so no interval" in note for note in single.notes)


def test_costs_come_from_the_scenario_with_overrides(case, tiny_batch):
    dearer = business_case(tiny_batch, resamples=1000, overrides=["costs.energy_tariff_eur_per_kwh=0.30"])
    assert dearer.variants[0].lines["energy"]["eur_per_year"] == pytest.approx(
        2 * case.variants[0].lines["energy"]["eur_per_year"])  # fmt: skip
    with pytest.raises(TwinError, match=r"costs\.energy_tarif_eur_per_kwh: unknown key .*did you mean"):
        business_case(tiny_batch, overrides=["costs.energy_tarif_eur_per_kwh=0.3"])


def test_cli_prints_the_case_and_writes_json_csv_and_plot(capsys, tiny_batch, tmp_path):
    out = tmp_path / "out" / "economics.json"
    code = main(["economics", str(tiny_batch), "--set", "costs.discount_rate=0.04", "--out", str(out),
                 "--plot", str(tmp_path / "financing.png"), "--resamples", "1000"])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0
    assert "City budget: 15 years at 4.0%" in printed and VARIANT in printed and "Municipal bond" in printed
    data = json.loads(out.read_text())
    assert data["discount_rate"] == 0.04 and data["variants"][VARIANT]["pairs"] == 3
    assert data["variants"][VARIANT]["city"]["npv_eur"]["ci"] is not None
    flows = pd.read_csv(tmp_path / "out" / "economics-cashflows.csv")
    assert set(flows["table"]) == {"line", "financing"} and flows["year"].max() == 15
    assert (tmp_path / "financing.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]  # no temporary left


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--set", "costs.energy_tarif_eur_per_kwh=0.2"], "costs.energy_tarif_eur_per_kwh: unknown key"),
        (["--set", "lighting.dim_level=0.2"], "twin economics changes only the costs section"),
        (["--set", "costs.discount_rate=2"], "costs.discount_rate: 2 is above 0.5"),
    ],
)
def test_cli_errors_are_one_line_with_exit_2(capsys, tiny_batch, extra, expected):
    assert main(["economics", str(tiny_batch), *extra]) == 2
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1 and err.startswith("error: ")


def test_cli_refuses_a_single_run_folder(capsys, tiny_batch):
    folder = _run_folders(tiny_batch)[VARIANT][0]
    assert main(["economics", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "one run has no difference to value" in err and err.count("\n") == 1


def test_the_report_has_the_business_case_after_the_headline_outcomes(tiny_batch, tmp_path):
    from twin.report import build_report

    out = build_report([tiny_batch], out=tmp_path / "report.html", film=False)
    html = out.read_text()
    sections = [part.split('"')[0] for part in html.split('<section id="')[1:]]
    assert sections.index("business") == sections.index("outcomes") + 1
    business = html.split('<section id="business"')[1].split("</section>")[0]
    for text in ("Business case per variant", "Financing models", "Municipal bond", "P(NPV &gt; 0)",
                 "not 365 times the simulated day", "Better Regulation Toolbox", "data:image/png;base64"):
        assert text in business, text
    single = build_report([_run_folders(tiny_batch)[VARIANT][0]], out=tmp_path / "run.html", film=False)
    assert "A business case needs a baseline and a variant" in single.read_text()
