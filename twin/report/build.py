"""Build the report: load the results, build each section, render the template, write it whole.

A report is a list of sections built in order by *section builders*: callables
``builder(context) -> Section | None`` (``None`` leaves the section out). The default list
is :data:`DEFAULT_SECTIONS`; a later part of twin (the business case, say) adds its own
builder to the list, or a caller passes ``sections=`` with it inserted::

    sections = [*DEFAULT_SECTIONS[:2], business_case_section, *DEFAULT_SECTIONS[2:]]
    build_report(["runs/batch"], out="report.html", sections=sections)

The HTML is one file: figures as base64 PNG, the film as a data URI, the CSS inline, no
script and no font from the network. It is written to a temporary file beside ``out`` and
renamed over it, so a reader finds the old report or the new one, never half of one.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twin._errors import TwinError
from twin.report._format import date_words
from twin.report.assumptions import assumptions_section
from twin.report.business import business_section
from twin.report.film import check_film, film_section, film_window, progress_adapter
from twin.report.outcomes import equity_section, headline_section
from twin.report.plots import plots_section
from twin.report.results import Results, load_results
from twin.report.sections import Section
from twin.report.tested import tested_section

__all__ = ["DEFAULT_SECTIONS", "Context", "Provenance", "SectionBuilder", "build_report", "render_html"]

Progress = Callable[[str, float, float], None]
"""Called with (what is being done, done, total)."""


@dataclass
class Context:
    """What a section builder is given.

    Attributes
    ----------
    results
        The runs and their summary.
    film
        ``True`` to render a film, ``False`` for none, or the path of a film to inline.
    film_window
        The rendered film's ``(start_s, end_s)``, seconds from the baseline's midnight.
    progress
        Reports long steps (replaying, rendering), or ``None``.
    """

    results: Results
    film: bool | Path = True
    film_window: tuple[float, float] = (0.0, 86400.0)
    progress: Progress | None = field(default=None, repr=False)

    def stage(self, name: str) -> Callable[..., Any] | None:
        """A progress callback for one long step, reporting under ``name``."""
        return progress_adapter(self.progress, name)


SectionBuilder = Callable[[Context], Section | None]

DEFAULT_SECTIONS: tuple[SectionBuilder, ...] = (
    tested_section,
    headline_section,
    business_section,
    plots_section,
    film_section,
    equity_section,
    assumptions_section,
)
"""The sections of a report, in the order a council member reads them."""


@dataclass(frozen=True)
class Provenance:
    """The footer: how to repeat the runs and check the inputs."""

    made_utc: str
    sources: tuple[str, ...]
    seeds: str
    maps: tuple[tuple[str, str], ...]
    versions: tuple[tuple[str, str], ...]
    versions_note: str = ""


def build_report(paths: Sequence[str | os.PathLike], *, out: str | os.PathLike,
                 film: bool | str | os.PathLike | None = True,
                 start_s: float | None = None, end_s: float | None = None,
                 sections: Sequence[SectionBuilder] | None = None, progress: Progress | None = None) -> Path:  # fmt: skip
    """Write the HTML report of a run, a comparison (B against A) or a batch.

    Parameters
    ----------
    paths
        One run or batch folder, or two (A, B) to report B against A as ``twin compare``.
    out
        The ``.html`` file to write (replaced whole if it exists).
    film
        ``True``: render a film of the runs (:mod:`twin.viz.film`); ``False`` or ``None``: none;
        or the path of an ``.mp4`` or ``.gif`` film to inline.
    start_s, end_s
        The rendered film's window, seconds from the baseline's midnight (default: the run).
    sections
        The section builders, in order (default :data:`DEFAULT_SECTIONS`).
    progress
        Called with (step, done, total) during long steps.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    TwinError
        A folder that is not a run or batch folder, two results that share no seed, an
        ``out`` that is not ``.html``, a film that is missing or not ``.mp4``/``.gif``, or a
        film window outside the run.
    """
    out = Path(out)
    film = False if film is None else film
    if out.suffix.lower() not in (".html", ".htm"):
        raise TwinError(f"--out {out}: a report is one .html file; give a name like report.html")
    if out.is_dir():
        raise TwinError(f"--out {out}: is a folder; give a file name like {out / 'report.html'}")
    if film is not True and film is not False:
        film = check_film(film)
        if start_s is not None or end_s is not None:
            raise TwinError("--from/--to: they set the window of a film twin renders; leave them out with --film")
    elif film is False and (start_s is not None or end_s is not None):
        raise TwinError("--from/--to: they set the window of a film twin renders; leave them out with --no-film")
    results = load_results(paths)
    context = Context(results=results, film=film, progress=progress)
    if film is True:
        context.film_window = film_window(results, start_s, end_s)
    builders = list(DEFAULT_SECTIONS if sections is None else sections)
    built = []
    for index, builder in enumerate(builders):
        if progress is not None:
            progress("building the report", index, len(builders))
        section = builder(context)
        if section is not None:
            built.append(section)
    html = render_html(results, built, provenance(results))
    _write_whole(out, html.encode("utf-8"))
    return out


def render_html(results: Results, sections: Sequence[Section], footer: Provenance) -> str:
    """The report's HTML from the template (Jinja2, every text escaped)."""
    import jinja2

    environment = jinja2.Environment(loader=jinja2.PackageLoader("twin.report", "templates"), autoescape=True,
                                     undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)  # fmt: skip
    template = environment.get_template("report.html.j2")
    title, subtitle = _titles(results)
    return template.render(title=title, subtitle=subtitle, sections=sections, provenance=footer)


def _titles(results: Results) -> tuple[str, str]:
    scenario = results.scenarios[results.baseline]
    where = (results.metas.get(results.baseline, {}).get("map") or {}).get("source") or ""
    place = Path(where).stem if where and not where.startswith("synthetic") else "a synthetic town"
    when = date_words(scenario["date"])
    if results.kind == "run":
        return f"{results.baseline}: one simulated day", f"{place}, {when}"
    others = ", ".join(results.others)
    if results.kind == "comparison":
        return f"{others} against {results.baseline}", f"{place}, {when}"
    return f"{others} against {results.baseline}", f"{place}, {when}: {len(results.runs)} runs"


def provenance(results: Results) -> Provenance:
    """The footer's facts from the runs' ``meta.json``."""
    metas = [meta for meta in results.metas.values() if meta]
    maps = tuple(dict.fromkeys((Path(str((m.get("map") or {}).get("source"))).name, str((m.get("map") or {}).get("sha256")))
                               for m in metas))  # fmt: skip
    seeds = sorted({int(s) for s in results.runs["seed"].dropna()})
    seed_text = ", ".join(str(s) for s in seeds)
    if results.root_seed is not None:
        seed_text = f"root seed {results.root_seed}; replications {seed_text}"
    base = results.metas.get(results.baseline) or (metas[0] if metas else {})
    versions = tuple((k, str(v)) for k, v in (base.get("versions") or {}).items())
    differing = [v for v, m in results.metas.items() if m and m.get("versions") != base.get("versions")]
    note = f"{', '.join(differing)} ran with other versions (see their meta.json)" if differing else ""
    made = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    return Provenance(made_utc=made, sources=tuple(str(Path(p).resolve()) for p in results.sources), seeds=seed_text,
                      maps=maps, versions=versions, versions_note=note)  # fmt: skip


def _write_whole(out: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``out``, then rename it over ``out``."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    except OSError as error:
        raise TwinError(f"--out {out}: cannot write here ({error.strerror}); choose another --out") from None
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, out)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
