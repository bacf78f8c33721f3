"""Films of runs: road users moving along the streets and the lamps glowing, on one clock.

::

    from twin.viz.film import animate_runs, render_film, replay_run
    animate_runs(["runs/helsinki-baseline", "runs/helsinki-adaptive-lighting"], out="night.mp4",
                 start="15:00", end="24:00")           # what `twin animate ... --vs ...` does

    base = replay_run("runs/helsinki-baseline")       # simulates the run again
    render_film([base], out="day.gif", seconds=20)

    adaptive = Replay.from_model(model)              # a model you hold, already run

:mod:`~twin.viz.film.replay` holds the arrays a film is made of (:class:`Replay`),
:mod:`~twin.viz.film.render` draws the frames, :mod:`~twin.viz.film.encode` writes them as MP4
or GIF, and :mod:`~twin.viz.film.animate` goes from run folders to a film.
"""

from twin.viz.film.animate import animate_runs, film_window, parse_clock, run_span
from twin.viz.film.encode import FilmWriter, film_format
from twin.viz.film.render import FilmInfo, render_film, render_still
from twin.viz.film.replay import Positions, Replay, replay_run

__all__ = ["FilmInfo", "FilmWriter", "Positions", "Replay", "animate_runs", "film_format", "film_window", "parse_clock",
           "render_film", "render_still", "replay_run", "run_span"]
