"""Text stamped into frames from pre-rendered glyphs: a speed trick.

Laying out and rasterising a line of text with matplotlib takes about a millisecond per ten
characters, which for a clock and two panels of counters would be most of a frame's time.
The counters change every frame but use a fixed-width font, so each character is rendered
once, on the ground colour, into a cell of the font's advance width; a line of text is then
a row of cell copies into the frame's pixel buffer.
"""

from __future__ import annotations

import string

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

__all__ = ["Glyphs"]

_CHARS = string.ascii_letters + string.digits + string.punctuation + " −·"
_FAMILY = "DejaVu Sans Mono"


class Glyphs:
    """One font size, weight and colour of a fixed-width font, ready to stamp.

    Parameters
    ----------
    fontsize
        In points.
    colour, ground
        Text colour, and the colour of the ground it is stamped on.
    weight
        ``"normal"`` or ``"bold"``.
    dpi
        Dots per inch of the frames.
    """

    def __init__(self, *, fontsize: float, colour: str, ground: str, weight: str = "normal", dpi: float = 100) -> None:
        font = FontProperties(family=_FAMILY, size=fontsize, weight=weight)
        probe = FigureCanvasAgg(Figure(figsize=(1, 1), dpi=dpi)).get_renderer()
        advance, _, _ = probe.get_text_width_height_descent("M" * 20, font, ismath=False)
        self.width = max(1, int(round(advance / 20)))
        self.height = int(np.ceil(fontsize * dpi / 72 * 1.35))
        n = len(_CHARS)
        fig = Figure(figsize=(n * self.width / dpi, self.height / dpi), dpi=dpi, facecolor=ground)
        canvas = FigureCanvasAgg(fig)
        baseline = 0.27  # of the cell height, from the bottom: room for descenders
        for i, char in enumerate(_CHARS):
            fig.text(i * self.width / (n * self.width), baseline, char, fontproperties=font, color=colour,
                     ha="left", va="baseline")  # fmt: skip
        canvas.draw()
        cells = np.asarray(canvas.buffer_rgba()).copy()
        self._cells = cells.reshape(self.height, n, self.width, 4).transpose(1, 0, 2, 3).copy()
        self._index = {char: i for i, char in enumerate(_CHARS)}
        self._blank = self._index[" "]

    def stamp(self, frame: np.ndarray, text: str, *, x: int, y: int, align: str = "left") -> None:
        """Write ``text`` into ``frame`` (``height x width x 4``, rows from the top) at pixel ``(x, y)``.

        ``y`` is the top of the line; ``x`` its left end, centre or right end by ``align``;
        lines of ``text`` stack downwards. Characters the font lacks print as spaces; what
        falls outside the frame is cut off.
        """
        for row, line in enumerate(text.split("\n")):
            width = len(line) * self.width
            left = x - (width // 2 if align == "center" else width if align == "right" else 0)
            top = y + row * self.height
            codes = np.fromiter((self._index.get(c, self._blank) for c in line), dtype=np.int64, count=len(line))
            strip = self._cells[codes].transpose(1, 0, 2, 3).reshape(self.height, width, 4)
            x0, y0 = max(left, 0), max(top, 0)
            x1, y1 = min(left + width, frame.shape[1]), min(top + self.height, frame.shape[0])
            if x1 > x0 and y1 > y0:
                frame[y0:y1, x0:x1] = strip[y0 - top:y1 - top, x0 - left:x1 - left]
