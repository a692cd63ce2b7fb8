"""LaTeX in course HTML, rendered as MathML on the server (issue 13: no CDN, no client script).

Delimiters, as in MathJax and KaTeX: ``\\( ... \\)`` inline, ``\\[ ... \\]`` and ``$$ ... $$``
display. The conversion is latex2mathml's; the MathML is serialised here, with every text and
attribute escaped (latex2mathml's own ``convert`` unescapes its whole output, so
``\\text{<img ...>}`` would come out as markup). Each formula keeps its source as a
``<semantics>`` annotation (MathML Core, section 3.1.5: "application/x-tex"). A formula that
cannot be converted is shown as its escaped source in ``<code>``, and never raises.

Maths is found only in text: the HTML is sanitised first, so tags and text separate reliably,
and text inside ``math``, ``code`` and ``pre`` is left as it is.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Literal
from xml.etree.ElementTree import Element

from latex2mathml.converter import convert_to_element
from markupsafe import escape

from attune.content.render.sanitise import allow_list

Display = Literal["inline", "block"]

MAX_LATEX_CHARS = 4000
"""Longer formulas are shown as source: a bound on the converter's work per formula."""

_TAG = re.compile(r"(<[^>]*>)")  # sanitised HTML: '<' and '>' are escaped inside attributes
_TAG_NAME = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)")
_VERBATIM = frozenset({"math", "code", "pre"})
_FORMULA = re.compile(
    r"\\\((?P<inline>.+?)\\\)|\\\[(?P<block>.+?)\\\]|\$\$(?P<dollars>.+?)\$\$", re.S
)
_ENTITY = re.compile(r"&#x([0-9A-Fa-f]+);")  # latex2mathml writes symbols as literal entities


@dataclass(frozen=True)
class MathsResult:
    """HTML with its formulas converted, and the sources that failed."""

    html: str
    latex_errors: tuple[str, ...] = ()


class LatexError(ValueError):
    """A formula latex2mathml cannot convert."""


def _text(value: str) -> str:
    decoded = _ENTITY.sub(lambda m: chr(int(m.group(1), 16)), value)
    return str(escape(decoded))


def _serialise(element: Element, out: list[str]) -> None:
    tag = str(element.tag)
    attrs = "".join(
        f' {name}="{escape(value)}"' for name, value in element.attrib.items() if name != "xmlns"
    )
    out.append(f"<{tag}{attrs}>")
    if element.text:
        out.append(_text(element.text))
    for child in element:
        _serialise(child, out)
    out.append(f"</{tag}>")
    if element.tail:
        out.append(_text(element.tail))


def latex_to_mathml(latex: str, display: Display = "inline") -> str:
    """The MathML of one LaTeX formula (without delimiters); raises :class:`LatexError`."""
    source = latex.strip()
    if not source or len(source) > MAX_LATEX_CHARS:
        raise LatexError("empty formula" if not source else "formula too long")
    try:
        math = convert_to_element(source, display=display)
        row = math[0]
        math.remove(row)
        semantics = Element("semantics")
        semantics.append(row)
        annotation = Element("annotation", {"encoding": "application/x-tex"})
        annotation.text = source
        semantics.append(annotation)
        math.append(semantics)
        out: list[str] = []
        _serialise(math, out)
    except Exception as exc:  # the converter raises many kinds on bad input (and RecursionError)
        raise LatexError(f"cannot convert LaTeX: {type(exc).__name__}") from exc
    return "".join(out)


def _convert_text(text: str, errors: list[str]) -> str:
    def replace(match: re.Match[str]) -> str:
        kind = match.lastgroup
        source = html.unescape(match.group(kind or 0))
        try:
            return latex_to_mathml(source, "inline" if kind == "inline" else "block")
        except LatexError:
            errors.append(source)
            return f"<code>{escape(html.unescape(match.group(0)))}</code>"

    return _FORMULA.sub(replace, text)


def render_maths(text: str) -> MathsResult:
    """Sanitise ``text``, then replace each delimited LaTeX formula in its text by MathML.

    The result still needs the final sanitising pass (it is MathML the allow-list knows).
    """
    errors: list[str] = []
    out: list[str] = []
    verbatim = 0
    for part in _TAG.split(allow_list(text)):
        if part.startswith("<"):
            name = _TAG_NAME.match(part)
            if name and name.group(2).lower() in _VERBATIM:
                verbatim += -1 if name.group(1) else 1
                verbatim = max(verbatim, 0)
            out.append(part)
        elif verbatim or ("\\" not in part and "$$" not in part):
            out.append(part)
        else:
            out.append(_convert_text(part, errors))
    return MathsResult("".join(out), tuple(errors))
