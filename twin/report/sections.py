"""The vocabulary of a report: sections made of paragraphs, lists, tables, figures and a film.

A :class:`Section` is plain data; the template (``templates/report.html.j2``) renders each
block by its ``kind``, escaping every text, so no builder ever writes HTML. A builder of
sections is any callable ``builder(context) -> Section | None`` (see
:mod:`twin.report.build`); ``None`` leaves its section out. Figures are inlined as base64
PNG, so a report is one file that opens without a network.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from matplotlib.figure import Figure

__all__ = ["Block", "Bullets", "Cell", "Facts", "Film", "Image", "Paragraph", "Section", "Table", "image_of"]


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of text; ``tone="note"`` sets it apart (a warning, a missing part)."""

    text: str
    tone: Literal["plain", "note", "lead"] = "plain"
    kind: str = field(default="paragraph", init=False)


@dataclass(frozen=True)
class Bullets:
    """A list; an item is a text, or a text with sub-items."""

    items: tuple[str | tuple[str, tuple[str, ...]], ...]
    kind: str = field(default="bullets", init=False)


@dataclass(frozen=True)
class Facts:
    """Label and value pairs (a definition list), e.g. the scenario's date and residents."""

    rows: tuple[tuple[str, str], ...]
    title: str = ""
    kind: str = field(default="facts", init=False)


@dataclass(frozen=True)
class Cell:
    """A table cell: its text and, for a number, the exact value it shows rounded (``data-value``)."""

    text: str
    value: float | None = None

    @property
    def numeric(self) -> bool:
        return self.value is not None

    @property
    def data_value(self) -> str:
        """The exact value as text (``repr`` of the float), for readers and tests that need it."""
        return "" if self.value is None or not math.isfinite(self.value) else repr(float(self.value))


@dataclass(frozen=True)
class Table:
    """A table with a caption and column headers; the first column heads its row.

    Attributes
    ----------
    caption
        What the table shows, with units.
    columns
        Column headers.
    rows
        One tuple of cells (or texts) per row, as many as ``columns``.
    note
        A sentence under the table (how to read it, what is left out).
    """

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""
    kind: str = field(default="table", init=False)

    def __post_init__(self) -> None:
        rows = tuple(tuple(c if isinstance(c, Cell) else Cell(str(c)) for c in row) for row in self.rows)
        for row in rows:
            if len(row) != len(self.columns):
                raise ValueError(f"table {self.caption!r}: a row has {len(row)} cells for {len(self.columns)} columns")
        object.__setattr__(self, "rows", rows)


@dataclass(frozen=True)
class Image:
    """A figure: its title (also its alt text, with ``description``) and the PNG bytes."""

    title: str
    png: bytes
    description: str = ""
    kind: str = field(default="figure", init=False)

    @property
    def alt(self) -> str:
        return f"{self.title}. {self.description}".strip() if self.description else self.title

    @property
    def src(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass(frozen=True)
class Film:
    """The animation: an MP4 (played in ``<video>``) or a GIF (shown as an image)."""

    title: str
    data: bytes
    mime: Literal["video/mp4", "image/gif"]
    description: str = ""
    kind: str = field(default="film", init=False)

    @property
    def src(self) -> str:
        return f"data:{self.mime};base64," + base64.b64encode(self.data).decode("ascii")

    @property
    def alt(self) -> str:
        return f"{self.title}. {self.description}".strip() if self.description else self.title


Block = Paragraph | Bullets | Facts | Table | Image | Film


@dataclass(frozen=True)
class Section:
    """A titled part of the report, its blocks rendered in order.

    Attributes
    ----------
    id
        The anchor (``#outcomes``) and the section's name for tests and later issues.
    title
        The heading.
    blocks
        What it shows.
    """

    id: str
    title: str
    blocks: tuple[Block, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "blocks", tuple(self.blocks))


def image_of(fig: Figure, *, title: str | None = None, description: str = "", dpi: int = 100) -> Image:
    """A figure as an :class:`Image`, titled by ``title`` or the figure's own title.

    Parameters
    ----------
    fig
        A matplotlib figure (not shown, not kept).
    title
        What the reader should see; by default the figure's suptitle or first axes title.
    description
        More for the alt text, e.g. what the colours mean.
    dpi
        Resolution of the PNG.
    """
    if title is None:
        title = _title_of(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return Image(title=title, png=_palette_png(buffer.getvalue()), description=description)


def _palette_png(png: bytes) -> bytes:
    """``png`` with a palette of 256 colours: a size trick, figures are flat colours and a
    third of the bytes, which the report carries as base64."""
    from PIL import Image as Picture

    with Picture.open(io.BytesIO(png)) as picture:
        palette = picture.convert("RGB").quantize(colors=256, method=Picture.Quantize.MEDIANCUT,
                                                  dither=Picture.Dither.NONE)  # fmt: skip
    buffer = io.BytesIO()
    palette.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue() if buffer.tell() < len(png) else png


def _title_of(fig: Figure) -> str:
    texts: Sequence[str] = [fig._suptitle.get_text() if fig._suptitle is not None else ""]
    texts = [*texts, *(ax.get_title() for ax in fig.axes)]
    return next((t for t in texts if t), "Figure")
