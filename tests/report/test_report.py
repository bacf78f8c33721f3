"""``twin report``: one HTML file for a run, a comparison or a batch, with the summary's numbers.

The runs are on a tiny grid town (4 x 5 junctions, 150 residents), a fraction of a second
each. The HTML is parsed with the standard library; every number a table shows rounded
keeps its exact value in ``data-value``, which is compared with the summary and with the
runs' own ``kpis.json``.
"""

from __future__ import annotations

import base64
import json
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twin._errors import TwinError
from twin.cli import main

ROOT = Path(__file__).resolve().parents[2]

TINY = """\
name: tiny
seed: 3
date: 2026-12-15
timezone: Europe/Helsinki
map:
  synthetic: {kind: grid, rows: 4, cols: 5, block_m: 100, arterial_every: 2}
population: {residents: 150}
lighting: {controller: always_on}
outputs: {dir: out/tiny}
"""
PRESENCE = TINY.replace("name: tiny", "name: presence").replace(
    "lighting: {controller: always_on}", "lighting: {controller: presence, dim_level: 0.3}")
# Valid as a scenario, but the trip table names a node the map lacks: every run of it fails.
BROKEN = TINY.replace("name: tiny", "name: broken").replace("population: {residents: 150}", "demand: {trips: bad.csv}")
BAD_TRIPS = "trip_id,origin_node,dest_node,depart_s,mode\n1,r0c0,r9c9,28800,car\n"


# ------------------------------------------------------------------ reading the HTML


class Page(HTMLParser):
    """What a test needs of a report: sections, tables with their cells, images, the film, every URL."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.tables: dict[str, list[list[tuple[str, str | None]]]] = {}
        self.images: list[dict[str, str]] = []
        self.videos: list[str] = []
        self.urls: list[str] = []
        self.text: list[str] = []
        self._caption: str | None = None
        self._in_caption = False
        self._row: list | None = None
        self._cell: list | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href"):
            if name in attrs:
                self.urls.append(attrs[name])
        if tag == "section":
            self.sections.append(attrs["id"])
        elif tag == "caption":
            self._in_caption, self._caption = True, ""
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ["", attrs.get("data-value")]
        elif tag == "img":
            self.images.append(attrs)
        elif tag == "source":
            self.videos.append(attrs["src"])

    def handle_endtag(self, tag):
        if tag == "caption":
            self._in_caption = False
            self.tables[self._caption] = []
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append((self._cell[0].strip(), self._cell[1]))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._caption].append(self._row)
            self._row = None

    def handle_data(self, data):
        self.text.append(data)
        if self._in_caption:
            self._caption += data
        if self._cell is not None:
            self._cell[0] += data

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.text).split())

    def row(self, caption: str, first: str) -> dict[str, tuple[str, str | None]]:
        """A table row by its first cell, as column header -> (text, data-value)."""
        rows = self.tables[caption]
        header = [text for text, _ in rows[0]]
        for row in rows[1:]:
            if row[0][0] == first:
                return dict(zip(header, row))
        raise KeyError(f"{caption}: no row {first!r}")


def page(path: Path) -> Page:
    return Page(path.read_text(encoding="utf-8"))


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report")
    for name, text in (("tiny.yaml", TINY), ("presence.yaml", PRESENCE), ("broken.yaml", BROKEN),
                       ("bad.csv", BAD_TRIPS)):  # fmt: skip
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def runs(folder) -> tuple[Path, Path]:
    """Two run folders: the tiny town with lights always on, and with presence dimming."""
    from twin.scenario import load_scenario
    from twin.simulation import run

    for name in ("tiny", "presence"):
        run(load_scenario(folder / f"{name}.yaml"), out=folder / "runs" / name)
    return folder / "runs" / "tiny", folder / "runs" / "presence"


@pytest.fixture(scope="module")
def batch(folder) -> Path:
    """The tiny town against presence dimming and a variant whose runs fail, two replications each."""
    from twin.experiment.batch import run_batch

    out = folder / "batch"
    run_batch(folder / "tiny.yaml", variants=[folder / "presence.yaml", folder / "broken.yaml"], replications=2,
              workers=1, out=out)  # fmt: skip
    return out


@pytest.fixture(scope="module")
def film(folder) -> Path:
    """A tiny MP4: ten frames at 10 fps."""
    import imageio_ffmpeg

    path = folder / "tiny.mp4"
    writer = imageio_ffmpeg.write_frames(str(path), (64, 48), fps=10, codec="libx264", pix_fmt_out="yuv420p",
                                         macro_block_size=16, output_params=["-loglevel", "error"])  # fmt: skip
    writer.send(None)
    for k in range(10):
        writer.send(np.full((48, 64, 3), 25 * k, dtype=np.uint8).tobytes())
    writer.close()
    return path


@pytest.fixture(scope="module")
def batch_report(batch, film, folder) -> Path:
    from twin.report import build_report

    return build_report([batch], out=folder / "batch.html", film=film)


def cli(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ------------------------------------------------------------------ a run


def test_a_run_report_shows_the_run_s_own_figures(runs, tmp_path):
    from twin.report import build_report

    out = build_report([runs[0]], out=tmp_path / "run.html", film=False)
    shown = page(out)
    assert shown.sections == ["tested", "outcomes", "business", "plots", "film", "equity", "assumptions"]
    kpis = json.loads((runs[0] / "kpis.json").read_text())
    energy = shown.row("Headline figures of tiny", "Street-lighting energy")
    assert float(energy["Value"][1]) == kpis["energy"]["lighting_kwh"]  # by hand, from kpis.json
    car = shown.row("Headline figures of tiny", "Trips made by car")
    assert float(car["Value"][1]) == kpis["mode_shares"]["car"] and car["Unit"][0] == "% of trips"
    assert car["Value"][0] == f"{kpis['mode_shares']['car'] * 100:.3g}"
    words = shown.words
    assert "one run: no confidence interval is possible" in words
    assert "made without an animation (--no-film)" in words
    assert "Map data" not in words and "synthetic grid town of 4 x 5 junctions 100 m apart" in words
    assert "Tuesday 15 December 2026" in words
    assert all(image["alt"] and image["src"].startswith("data:image/png;base64,") for image in shown.images)
    assert not [url for url in shown.urls if url.startswith(("http:", "https:", "//"))]


# ------------------------------------------------------------------ a batch


def test_a_batch_report_shows_the_summary_s_numbers(batch, batch_report):
    from twin.experiment.batch import load_batch
    from twin.experiment.statistics import HEADLINE_KPIS
    from twin.report._format import kpi

    shown = page(batch_report)
    summary = load_batch(batch).summary().set_index(["variant", "kpi"])
    caption = "Headline figures: the baseline's mean, and each variant's change with its 95% confidence interval"
    checked = 0
    for name in HEADLINE_KPIS:
        label = f"{kpi(name).label} ({kpi(name).unit})"
        if not any(row[0][0] == label for row in shown.tables[caption]):
            assert name.startswith(("services.", "mode_shares.transit", "mode_shares.drt"))  # no services here
            continue
        row = shown.row(caption, label)
        mean = row["tiny (baseline)"][1]
        assert (mean is None and np.isnan(summary.loc[("tiny", name), "mean"])) or float(mean) == summary.loc[
            ("tiny", name), "mean"]  # fmt: skip
        expected = summary.loc[("presence", name)]
        text, change = row["presence: change [95% CI]"]
        if np.isnan(expected["diff_mean"]):
            assert change is None
            continue
        assert float(change) == expected["diff_mean"]
        if text == "no change":
            assert expected["diff_mean"] == 0 and expected["diff_sd"] == 0
            checked += 1
            continue
        low, high = (float(x.replace(",", "")) for x in text.split("[")[1].split("]")[0].split(" to "))
        scale = kpi(name).scale
        # Shown to three significant figures.
        assert low == pytest.approx(expected["ci_low"] * scale, rel=0.006, abs=1e-12)
        assert high == pytest.approx(expected["ci_high"] * scale, rel=0.006, abs=1e-12)
        checked += 1
    assert checked >= 5
    # The baseline's lighting energy by hand: the mean of its runs' kpis.json.
    table = pd.read_parquet(batch / "runs.parquet")
    folders = table.loc[(table["variant"] == "tiny") & (table["status"] == "ok"), "path"]
    energies = [json.loads((batch / p / "kpis.json").read_text())["energy"]["lighting_kwh"] for p in folders]
    energy = shown.row(caption, "Street-lighting energy (kWh a day)")
    assert float(energy["tiny (baseline)"][1]) == pytest.approx(np.mean(energies), rel=1e-12)
    assert energy["presence: change [95% CI]"][0].endswith("] lower")


def test_a_batch_report_names_its_failed_runs(batch_report):
    words = page(batch_report).words
    assert "2 of 6 runs failed (broken: 2)" in words
    assert "r9c9" in words  # the first error, in one line


def test_a_batch_report_has_every_part_and_nothing_from_the_network(batch_report, film):
    shown = page(batch_report)
    assert shown.sections == ["tested", "outcomes", "business", "plots", "film", "equity", "assumptions"]
    html = batch_report.read_text(encoding="utf-8")
    assert not [url for url in shown.urls if not url.startswith(("data:", "#"))]
    assert "<script" not in html and "@import" not in html and "url(" not in html
    titles = [image["alt"] for image in shown.images]
    assert len(titles) >= 9 and all(titles)
    assert any("street-lighting energy" in t and "lower" in t for t in titles)
    assert any(t.startswith("presence: ") and "streetlights dim" in t for t in titles)
    words = shown.words
    for part in ("What was tested", "Headline outcomes with 95% confidence intervals", "Who gains and who loses",
                 "Assumptions and their sources", "Known limitations of the model", "Provenance",
                 "EEA: EU-27 average about 0.25 in 2022", "twin default, order of magnitude", "Root seed"):  # fmt: skip
        assert part in words, part
    assert "Minutes travelling a day per resident, by income group" in shown.tables
    assert len(shown.videos) == 1
    assert base64.b64decode(shown.videos[0].split(",", 1)[1]) == film.read_bytes()


# ------------------------------------------------------------------ a comparison and films


def test_a_comparison_of_two_runs_says_no_interval_is_possible(runs, tmp_path):
    from twin.report import build_report

    shown = page(build_report(list(runs), out=tmp_path / "compare.html", film=False))
    caption = "Headline figures: the baseline's mean, and each variant's change with its 95% confidence interval"
    text, change = shown.row(caption, "Street-lighting energy (kWh a day)")["presence: change [95% CI]"]
    tiny = json.loads((runs[0] / "kpis.json").read_text())["energy"]["lighting_kwh"]
    presence = json.loads((runs[1] / "kpis.json").read_text())["energy"]["lighting_kwh"]
    assert float(change) == pytest.approx(presence - tiny, abs=1e-9)
    assert text.endswith("(one run: no interval)")
    assert "no confidence interval is possible" in shown.words


def test_a_gif_film_is_shown_as_an_image(runs, tmp_path):
    import imageio.v3 as iio

    from twin.report import build_report

    gif = tmp_path / "tiny.gif"
    iio.imwrite(gif, np.zeros((3, 16, 16, 3), dtype=np.uint8), extension=".gif")
    shown = page(build_report([runs[0]], out=tmp_path / "gif.html", film=gif))
    sources = [image["src"] for image in shown.images if image["src"].startswith("data:image/gif")]
    assert len(sources) == 1 and base64.b64decode(sources[0].split(",", 1)[1]) == gif.read_bytes()
    assert not shown.videos


def test_a_rendered_film_replays_the_baseline_and_the_first_variant(batch, tmp_path, monkeypatch):
    import twin.viz.film.render as render
    import twin.viz.film.replay as replay
    from twin.report import build_report

    seen = {}
    monkeypatch.setattr(replay, "replay_run", lambda folder, **kw: seen.setdefault("replays", []).append(
        (Path(folder), kw.get("label"))) or Path(folder))  # fmt: skip

    def fake_render(replays, *, out, start_s, end_s, **kw):
        seen.update(window=(start_s, end_s), out=Path(out), seconds=kw["seconds"])
        Path(out).write_bytes(b"not really an mp4")

    monkeypatch.setattr(render, "render_film", fake_render)
    report = build_report([batch], out=tmp_path / "film.html", start_s=15 * 3600.0, end_s=24 * 3600.0)
    table = pd.read_parquet(batch / "runs.parquet")
    first = table[table["replication"] == 0].set_index("variant")["path"]
    assert seen["replays"] == [(batch.resolve() / first["tiny"], "tiny"), (batch.resolve() / first["presence"], "presence")]
    assert seen["window"] == (54000.0, 86400.0) and seen["seconds"] == 20.0
    assert not seen["out"].exists()  # rendered into a temporary folder, removed after
    shown = page(report)
    assert [base64.b64decode(v.split(",", 1)[1]) for v in shown.videos] == [b"not really an mp4"]
    assert "left tiny, right presence: 15:00 to 24:00 of Tuesday 15 December 2026" in shown.words


def test_the_film_window_must_lie_within_the_run(batch, tmp_path):
    from twin.report import build_report

    with pytest.raises(TwinError, match=r"--from/--to: 18:00 to 07:00 \(\+1 d\) is not within the run"):
        build_report([batch], out=tmp_path / "x.html", start_s=18 * 3600.0, end_s=7 * 3600.0)
    assert not (tmp_path / "x.html").exists()


@pytest.mark.parametrize("name", ["helsinki-adaptive-lighting", "helsinki-car-free", "helsinki-led-retrofit",
                                  "helsinki-road-pricing", "helsinki-maas"])  # fmt: skip
def test_every_bundled_intervention_reads_in_words(name):
    from twin.report.tested import intervention_words
    from twin.scenario import load_scenario

    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml").model_dump(mode="json")
    [item] = scenario["interventions"]
    text, details = intervention_words(item, lighting=scenario["lighting"])
    assert text.startswith(f"{item['name']} ({item['type']}): ")
    assert " - " not in text and "None" not in text and "{" not in text
    expected = {"helsinki-adaptive-lighting": "lights in the district Kluuvi (helsinki-districts.geojson) dimmed to 30% "
                "of full power until a person or vehicle comes within 50 m",
                "helsinki-car-free": "are closed to cars; walking and cycling stay open",
                "helsinki-led-retrofit": "replaced by LED luminaires at about half their power",
                "helsinki-road-pricing": "cars pay 3 EUR to drive in, in the box",
                "helsinki-maas": "6 vehicles of 8 seats"}[name]  # fmt: skip
    assert expected in text
    assert all(": " in line for line in details)


# ------------------------------------------------------------------ the command


def test_twin_report_writes_the_file_and_says_where(capsys, batch, tmp_path):
    out = tmp_path / "sub" / "report.html"
    code, stdout, err = cli(capsys, "report", batch, "--out", out, "--no-film", "-q")
    assert code == 0, err
    assert f"Wrote {out}" in stdout and out.stat().st_size > 100_000
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]


def test_an_existing_report_is_replaced_whole(capsys, runs, tmp_path):
    out = tmp_path / "report.html"
    out.write_text("old report", encoding="utf-8")
    # A failing build leaves the old report as it was.
    code, _, err = cli(capsys, "report", runs[0], "--out", out, "--film", tmp_path / "missing.mp4")
    assert code == 2 and out.read_text(encoding="utf-8") == "old report"
    code, _, err = cli(capsys, "report", runs[0], "--out", out, "--no-film", "-q")
    assert code == 0, err
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary file left


@pytest.fixture(scope="module")
def other_seed_batch(folder) -> Path:
    from twin.experiment.batch import run_batch

    out = folder / "other-seed"
    run_batch(folder / "tiny.yaml", variants=[folder / "presence.yaml"], replications=1, seed=999, workers=1, out=out)
    return out


@pytest.mark.parametrize(
    "args, message",
    [
        (["{tmp}", "--out", "{tmp}/r.html"], "neither a run folder (kpis.json) nor a batch folder"),
        (["{run}", "--out", "{tmp}/r.txt"], "--out {tmp}/r.txt: a report is one .html file"),
        (["{run}", "--out", "{tmp}/r.html", "--film", "{tmp}/none.mp4"], "--film {tmp}/none.mp4: no such file"),
        (["{run}", "--out", "{tmp}/r.html", "--film", "{tmp}/film.avi"], "--film {tmp}/film.avi: a report inlines an .mp4"),
        (["{run}", "--out", "{tmp}/r.html", "--film", "{film}", "--no-film"], "--film {film} and --no-film: give one"),
        (["{run}", "--out", "{tmp}/r.html", "--from", "25:70"], "--from 25:70: '25:70' is not a clock time"),
        (["{run}", "--out", "{tmp}/r.html", "--no-film", "--from", "18:00"], "--from/--to: they set the window"),
        (["{batch}", "{other}", "--out", "{tmp}/r.html", "--no-film"], "none of its runs has the seed of a run of"),
    ],
)  # fmt: skip
def test_user_errors_are_one_line_and_exit_2(capsys, runs, batch, film, other_seed_batch, tmp_path, args, message):
    (tmp_path / "film.avi").write_bytes(b"x")
    values = {"tmp": tmp_path, "run": runs[0], "batch": batch, "film": film, "other": other_seed_batch}
    code, _, err = cli(capsys, "report", *(a.format(**values) for a in args))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err
    assert message.format(**values) in lines[0]
    assert not (tmp_path / "r.html").exists() and not list(tmp_path.glob(".*tmp"))
