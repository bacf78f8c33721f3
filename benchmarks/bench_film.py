"""Benchmark of twin.viz.film: a 30 s film of a Helsinki night, baseline and adaptive lighting side by side.

Run from the repository root::

    .venv/bin/python benchmarks/bench_film.py [--from 15:00] [--to 24:00] [--seconds 30] [--keep DIR]

Runs the two bundled Helsinki scenarios once into run folders (not timed), then, as
``twin animate RUN --vs OTHER`` does, simulates both again from their folders and renders the
film. Prints the re-simulation and the rendering times separately, frames rendered per
second and the file sizes, for the MP4 (24 fps, 640 px per panel) and a GIF (10 fps, 360 px
per panel); then the whole command, ``twin animate``, timed in a fresh process (imports and
both re-simulations included). The target (issue 6): the 30 s film in <= 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ("helsinki-baseline", "helsinki-adaptive-lighting")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="start", default="15:00", help="start of the night (HH:MM)")
    parser.add_argument("--to", dest="end", default="24:00", help="end of the night (HH:MM)")
    parser.add_argument("--seconds", type=float, default=30.0, help="playing time of the film")
    parser.add_argument("--keep", type=Path, default=None, help="write runs and films here instead of a temporary folder")
    args = parser.parse_args(argv)

    from twin.simulation import run
    from twin.viz.film import film_window, render_film, replay_run, run_span

    with tempfile.TemporaryDirectory(prefix="twin-bench-film-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        runs = [folder / name for name in SCENARIOS]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the map's warnings, printed by twin run
            for name, out in zip(SCENARIOS, runs):
                run(ROOT / "scenarios" / f"{name}.yaml", out=out)
            replay_run(runs[0])  # compiles (or loads) the numba kernels once
        window = film_window(args.start, args.end, span=run_span(runs[0])[:2])
        print(f"window {args.start} to {args.end} ({(window[1] - window[0]) / 3600:g} h simulated) in "
              f"{args.seconds:g} s of film")  # fmt: skip

        started = time.perf_counter()
        replays = [replay_run(path) for path in runs]
        resim_s = time.perf_counter() - started
        print(f"re-simulating both runs: {resim_s:.1f} s")

        for name, suffix in (("MP4", ".mp4"), ("GIF", ".gif")):
            out = folder / f"night{suffix}"
            started = time.perf_counter()
            info = render_film(replays, out=out, start_s=window[0], end_s=window[1], seconds=args.seconds)
            render_s = time.perf_counter() - started
            print(f"{name}: rendered {info.frames} frames ({info.width} x {info.height} px, {info.fps:g} fps) in "
                  f"{render_s:.1f} s = {info.frames / render_s:.0f} frames/s; {info.bytes / 1e6:.1f} MB; "
                  f"re-simulation + rendering {resim_s + render_s:.1f} s")  # fmt: skip

        command = [sys.executable, "-m", "twin", "animate", str(runs[0]), "--vs", str(runs[1]), "--out",
                   str(folder / "cli.mp4"), "--from", args.start, "--to", args.end, "--seconds", str(args.seconds),
                   "--quiet"]  # fmt: skip
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
        print(f"twin animate (fresh process, imports and both re-simulations included): "
              f"{time.perf_counter() - started:.1f} s; {done.stdout.strip()}")  # fmt: skip


if __name__ == "__main__":
    main()
