"""Colour-blind-safe colours for the dashboard, and text that stays readable on them.

* **P(L) in [0, 1]**: the sequential *cividis* scale (Nuñez, Anderton & Renslow, "Optimizing
  colormaps with consideration for color vision deficiency to enable accurate interpretation
  of scientific data", PLoS ONE 13(7): e0199239, 2018). It was built so that viewers with
  deuteranopia or protanopia see nearly the same colours as everyone else, and its lightness
  rises steadily, so it reads in greyscale too. The control points below are sampled from the
  published 256-entry table; linear interpolation between them stays within 3/255 per channel
  of that table (checked when they were written out). Colour is never the only cue: the
  heatmap also prints a glyph per status and every cell has its value in a tooltip.
* **Statuses and flags**: the Okabe-Ito set (Okabe & Ito, "Color Universal Design (CUD):
  how to make figures and presentations that are friendly to colorblind people", 2002/2008),
  eight colours that stay distinct under the common colour vision deficiencies.
* **Text on a colour**: black or white, whichever contrasts more, by WCAG 2.2's relative
  luminance and contrast ratio (success criterion 1.4.3 asks 4.5:1 for text). One of the two
  always reaches at least sqrt(21) ≈ 4.58:1, so the choice never falls below 4.5:1.
"""

from __future__ import annotations

import math
from itertools import pairwise
from typing import Final

# (position, "#rrggbb"): cividis; the extra points at 0.086, 0.137 and 0.984 follow the bends
# of the published table (its blue channel peaks near 0.086).
CIVIDIS: Final = (
    (0.0, "#00224e"),
    (0.086, "#003171"),
    (0.1, "#0a3470"),
    (0.137, "#203a6f"),
    (0.2, "#35456c"),
    (0.3, "#4f576c"),
    (0.4, "#666970"),
    (0.5, "#7c7b78"),
    (0.6, "#948e77"),
    (0.7, "#aea271"),
    (0.8, "#c8b866"),
    (0.9, "#e4ce52"),
    (0.984, "#fde235"),
    (1.0, "#fee838"),
)

# Okabe & Ito's eight colours, by their published names.
OKABE_ITO: Final = {
    "black": "#000000",
    "orange": "#e69f00",
    "sky_blue": "#56b4e9",
    "bluish_green": "#009e73",
    "yellow": "#f0e442",
    "blue": "#0072b2",
    "vermillion": "#d55e00",
    "reddish_purple": "#cc79a7",
}

# Status swatches (legends, badges); the heatmap's cells are coloured by P(L) instead.
STATUS_COLOURS: Final = {
    "mastered": OKABE_ITO["bluish_green"],
    "in_progress": OKABE_ITO["orange"],
    "ready": OKABE_ITO["sky_blue"],
    "locked": OKABE_ITO["reddish_purple"],
}
FLAG_COLOUR: Final = OKABE_ITO["vermillion"]  # an item or learner that needs a look
BAR_COLOUR: Final = OKABE_ITO["blue"]

BLACK: Final = "#000000"
WHITE: Final = "#ffffff"
MIN_TEXT_CONTRAST: Final = 4.5  # WCAG 2.2 SC 1.4.3, normal-size text


def parse_hex(colour: str) -> tuple[int, int, int]:
    """``"#rrggbb"`` -> (r, g, b) in 0..255."""
    if len(colour) != 7 or colour[0] != "#":
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def to_hex(rgb: tuple[float, float, float]) -> str:
    """(r, g, b) in 0..255 (rounded, clamped) -> ``"#rrggbb"``."""
    r, g, b = (min(255, max(0, round(c))) for c in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def sequential(p: float) -> str:
    """The cividis colour of ``p`` (clamped to [0, 1]), interpolated linearly in sRGB.

    NaN is refused: a missing value must be shown as missing, not as a colour."""
    if math.isnan(p):
        raise ValueError("P(L) is NaN")
    p = min(1.0, max(0.0, p))
    for (x0, c0), (x1, c1) in pairwise(CIVIDIS):
        if p <= x1:
            f = (p - x0) / (x1 - x0)
            a, b = parse_hex(c0), parse_hex(c1)
            return to_hex(
                (a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2]))
            )
    return CIVIDIS[-1][1]  # unreachable: p <= 1.0 == the last position


def relative_luminance(colour: str) -> float:
    """WCAG 2.2 relative luminance of an sRGB colour (definition "relative luminance").

    Each channel c/255 is linearised (c <= 0.04045: c/12.92, else ((c + 0.055)/1.055)^2.4),
    then L = 0.2126 R + 0.7152 G + 0.0722 B."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = parse_hex(colour)
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2.2 contrast ratio (L1 + 0.05) / (L2 + 0.05), L1 the lighter; 1 to 21."""
    la, lb = relative_luminance(a), relative_luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def text_colour(background: str) -> str:
    """Black or white, whichever contrasts more with ``background`` (always >= 4.5:1)."""
    on_black = contrast_ratio(background, BLACK)
    on_white = contrast_ratio(background, WHITE)
    return BLACK if on_black >= on_white else WHITE
