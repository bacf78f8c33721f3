"""One visual language for every twin figure: colour-blind-safe colours that also read in grey.

Colours are the Okabe-Ito palette (distinguishable with every common colour-vision
deficiency). Variants never rely on colour alone: each also gets its own line style, marker
and hatch, so a figure printed in black and white still tells them apart. Sequential values
use ``cividis`` reversed (perceptually uniform, monotonic in lightness, designed for
colour-vision deficiency; reversed so that darker means more on a white page); signed changes
use ``PuOr`` reversed (purple for less, orange for more, white at zero: matplotlib's ``PuOr``
itself runs from orange to purple).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DIVERGING", "MODE_COLOURS", "MODE_HATCHES", "OKABE_ITO", "SEQUENTIAL", "VariantStyle", "variant_style"]

#: The Okabe-Ito palette, black first.
OKABE_ITO: tuple[str, ...] = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")

#: Colormap for values from low to high (flow, energy, hours dimmed): light to dark.
SEQUENTIAL = "cividis_r"

#: Colormap for signed changes against a baseline, centred on zero: purple less, orange more.
DIVERGING = "PuOr_r"

#: One colour per travel mode, used in every figure that shows modes.
MODE_COLOURS: dict[str, str] = {"car": "#D55E00", "bike": "#009E73", "walk": "#0072B2", "transit": "#E69F00",
                                "drt": "#CC79A7"}  # fmt: skip

#: One hatch per travel mode, so stacked mode bars read in black and white.
MODE_HATCHES: dict[str, str] = {"car": "", "bike": "//", "walk": "..", "transit": "xx", "drt": "\\\\"}

_COLOURS = ("#000000", "#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
_LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 1)), (0, (8, 2)))
_MARKERS = ("o", "s", "^", "D", "v", "P", "X")
_HATCHES = ("", "//", "..", "xx", "\\\\", "++", "oo")


@dataclass(frozen=True)
class VariantStyle:
    """How one variant is drawn: colour, line style, marker and bar hatch."""

    colour: str
    linestyle: str | tuple
    marker: str
    hatch: str


def variant_style(index: int) -> VariantStyle:
    """The style of the ``index``-th variant (0 = the baseline: black, solid, no hatch); cycles after seven."""
    k = index % len(_COLOURS)
    return VariantStyle(colour=_COLOURS[k], linestyle=_LINESTYLES[k], marker=_MARKERS[k], hatch=_HATCHES[k])
