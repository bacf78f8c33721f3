"""The report in a real browser: Debian's chromium, headless, with networking features off.

It opens a report of a small batch (the grid town, two variants, two replications) with a
one-second film from a ``file://`` URL and checks what a reader's browser would: no console
errors, every image decoded, the film loaded with its duration, nothing fetched from the
network, and a full-page screenshot that is not blank.

The test skips when chromium or its driver is missing, unless ``TWIN_REQUIRE_BROWSER=1``
(CI sets it, after installing them), when it fails instead.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FILM_S = 1.0


def _browser_or_skip() -> None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    if importlib.util.find_spec("selenium") is None:
        missing.append("the selenium package")
    if missing:
        message = f"the browser test needs {', '.join(missing)} (apt-get install chromium chromium-driver)"
        if os.environ.get("TWIN_REQUIRE_BROWSER") == "1":
            pytest.fail(message + "; TWIN_REQUIRE_BROWSER=1 forbids skipping it")
        pytest.skip(message)


def _film(path: Path, *, seconds: float = FILM_S, fps: int = 10, size: tuple[int, int] = (160, 96)) -> Path:
    """A tiny H.264 yuv420p MP4: a bar that grows frame by frame."""
    import imageio_ffmpeg

    frames = int(round(seconds * fps))
    writer = imageio_ffmpeg.write_frames(str(path), size, fps=fps, codec="libx264", pix_fmt_out="yuv420p",
                                         macro_block_size=16, output_params=["-loglevel", "error"])  # fmt: skip
    writer.send(None)
    for k in range(frames):
        frame = np.full((size[1], size[0], 3), 240, dtype=np.uint8)
        frame[:, : size[0] * (k + 1) // frames] = (10, 80, 140)
        writer.send(frame.tobytes())
    writer.close()
    return path


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    from twin.experiment.batch import run_batch
    from twin.experiment.design import Variant
    from twin.report import build_report

    folder = tmp_path_factory.mktemp("browser")
    run_batch(ROOT / "scenarios" / "gridtown-baseline.yaml", overrides=["population.residents=300"],
              variants=[Variant(name="presence-lighting", overrides=("lighting.controller=presence",
                                                                     "lighting.dim_level=0.3"))],
              replications=2, workers=1, out=folder / "batch")  # fmt: skip
    film = _film(folder / "film.mp4")
    return build_report([folder / "batch"], out=folder / "report.html", film=film)


@pytest.fixture
def driver(tmp_path):
    _browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}"):  # fmt: skip
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(tmp_path / "profile", ignore_errors=True)


def test_the_report_opens_offline_with_its_film_and_no_console_errors(report, driver, tmp_path):
    from selenium.webdriver.support.ui import WebDriverWait

    driver.set_window_size(1280, 900)
    driver.get(report.resolve().as_uri())
    WebDriverWait(driver, 20).until(lambda d: d.execute_script("return document.readyState") == "complete")

    # Every image decoded (figures are inline PNGs).
    images = driver.execute_script(
        "return Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth, i.src.slice(0, 22)])")
    assert len(images) >= 8
    for alt, complete, width, src in images:
        assert complete and width > 0, f"image not decoded: {alt}"
        assert alt, "every figure needs alt text"
        assert src == "data:image/png;base64,"

    # The film loads, with the duration it was made with.
    WebDriverWait(driver, 20).until(lambda d: d.execute_script(
        "const v = document.querySelector('video'); return v !== null && v.readyState >= 1"))
    duration = driver.execute_script("return document.querySelector('video').duration")
    assert duration is not None and np.isfinite(duration)
    assert duration == pytest.approx(FILM_S, abs=0.15)

    # Nothing left the machine: no resource fetched over http(s), none referenced.
    resources = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert not [name for name in resources if name.startswith(("http:", "https:"))], resources
    html = report.read_text(encoding="utf-8")
    for needle in ('src="http', "src='http", 'href="http', "href='http", "url(http", "@import"):
        assert needle not in html

    # No console errors or warnings.
    log = driver.get_log("browser")
    assert not [entry for entry in log if entry["level"] in ("SEVERE", "WARNING")], log

    # A full-page screenshot, not blank.
    height = driver.execute_script("return document.documentElement.scrollHeight")
    assert height > 3000
    driver.set_window_size(1280, height)
    shot = tmp_path / "report.png"
    assert driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 100_000
    import imageio.v3 as iio

    pixels = iio.imread(shot)
    assert pixels.shape[0] >= height * 0.95 and pixels.shape[1] >= 1200
    assert pixels.std() > 20, "the screenshot is blank"
    assert (pixels[..., :3].mean(axis=2) < 100).mean() > 0.01, "no dark text or figures on the page"


def test_the_report_reads_on_a_phone(report, driver):
    driver.set_window_size(390, 844)
    driver.get(report.resolve().as_uri())
    # Nothing wider than the screen but the tables' own scroll boxes.
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    widths = driver.execute_script("return Array.from(document.images).map(i => i.getBoundingClientRect().width)")
    assert max(widths) <= 390
    assert not [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
