"""The HTML report anyone can open: what was tested, what changes, for whom, and how sure we are.

::

    from twin.report import build_report
    build_report(["runs/batch"], out="report.html")                    # a batch
    build_report(["runs/a", "runs/b"], out="report.html", film=False)  # B against A, no film

A report is one self-contained HTML file (figures, film and styles inlined; nothing loaded
from the network) built from a Jinja2 template and a list of sections (:mod:`twin.report.build`).
"""

from twin.report.build import DEFAULT_SECTIONS, Context, SectionBuilder, build_report
from twin.report.results import Results, load_results
from twin.report.sections import Bullets, Cell, Facts, Film, Image, Paragraph, Section, Table, image_of

__all__ = [
    "DEFAULT_SECTIONS",
    "Bullets",
    "Cell",
    "Context",
    "Facts",
    "Film",
    "Image",
    "Paragraph",
    "Results",
    "Section",
    "SectionBuilder",
    "Table",
    "build_report",
    "image_of",
    "load_results",
]
