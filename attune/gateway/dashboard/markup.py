"""Escaping and the small shared pieces of SVG and HTML the charts are written with.

Names come from the LMS, so they are hostile until escaped. ``clean`` first removes what no
escaping can make safe or valid: characters XML 1.0 forbids (section 2.2, ``Char``: most C0
controls, lone surrogates, U+FFFE/U+FFFF; an inline SVG must also parse as XML when it is
served on its own), C1 controls, and the Unicode bidi embedding, override and isolate controls
(U+202A-U+202E, U+2066-U+2069), which would let a name reorder the text after it in a tooltip
("Trojan Source", CVE-2021-42574). Then ``html.escape`` escapes the markup characters.
"""

from __future__ import annotations

import html
import re
from typing import Final

_UNSAFE: Final = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)
_ID: Final = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}")
ELLIPSIS: Final = "\u2026"
EN_DASH: Final = "\u2013"
SVG_NS: Final = "http://www.w3.org/2000/svg"
FONT: Final = "system-ui, sans-serif"
INK: Final = "#000000"  # axes and text on white: 21:1
GRID: Final = "#767676"  # the lightest grey with 4.5:1 on white (WCAG 1.4.11 needs 3:1)


def clean(value: str) -> str:
    """``value`` without the characters listed in the module docstring."""
    return _UNSAFE.sub("", value)


def text(value: str) -> str:
    """Escaped for element content (SVG ``<text>``/``<title>``, HTML cells)."""
    return html.escape(clean(value), quote=False)


def attr(value: str) -> str:
    """Escaped for a double- or single-quoted attribute value."""
    return html.escape(clean(value), quote=True)


def truncate(value: str, limit: int) -> str:
    """At most ``limit`` characters, cut with an ellipsis (the full text goes in a title)."""
    value = clean(value)
    return value if len(value) <= limit else value[: max(0, limit - 1)].rstrip() + ELLIPSIS


def num(value: float) -> str:
    """A value for people: at most two decimals, no trailing zeros, never ``-0``."""
    out = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if out in ("-0", "") else out


def coord(value: float) -> str:
    """A coordinate: one decimal is finer than a pixel at any zoom the charts are read at."""
    out = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if out in ("-0", "") else out


def check_id(prefix: str) -> str:
    """``prefix`` if it can start the ids of one chart (a letter, then letters, digits, _ or -).

    Every id of a chart starts with its prefix, so two charts on one page need two prefixes."""
    if not _ID.fullmatch(prefix):
        raise ValueError(f"bad id prefix {prefix!r}")
    return prefix


def svg_open(width: float, height: float, prefix: str, title: str, description: str) -> str:
    """The root element, named by its ``<title>`` and described by its ``<desc>``.

    ``role="img"`` makes the chart one image to assistive technology (its cells are not read
    one by one: the data table is the accessible view of the data); ``aria-labelledby`` and
    ``aria-describedby`` point at the title and the description, which also gives them to
    browsers that do not map SVG ``<title>``/``<desc>`` themselves."""
    w, h = coord(width), coord(height)
    return (
        f'<svg xmlns="{SVG_NS}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img"'
        f' aria-labelledby="{prefix}-title" aria-describedby="{prefix}-desc"'
        f' font-family="{FONT}" font-size="12" fill="{INK}">'
        f'<title id="{prefix}-title">{text(title)}</title>'
        f'<desc id="{prefix}-desc">{text(description)}</desc>'
    )


def table_open(caption: str, headers: list[str]) -> str:
    """A data table's opening, its caption and its header row (``scope="col"``)."""
    cells = "".join(f'<th scope="col">{text(h)}</th>' for h in headers)
    return (
        f'<table class="chart-data"><caption>{text(caption)}</caption>'
        f"<thead><tr>{cells}</tr></thead><tbody>"
    )
