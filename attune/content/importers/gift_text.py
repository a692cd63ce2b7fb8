"""GIFT's text layer: escapes, unescaped delimiters and text formats (docs.moodle.org, "GIFT
format"). ``\\~ \\= \\# \\{ \\} \\: \\\\`` escape a special character and ``\\n`` is a new
line, except inside LaTeX maths, so that ``\\(a \\neq b\\)`` survives."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from functools import cache

from markdown_it import MarkdownIt

_SPECIAL = "~=#{}:\\"
TEXT_FORMAT = re.compile(r"\[(html|moodle|plain|markdown)\]")


def gift_html(text: str, fmt: str) -> str:
    """Escaped GIFT text in ``fmt`` (or its own ``[format]``) as HTML (untrusted: the
    renderer sanitises it)."""
    if match := TEXT_FORMAT.match(text):
        fmt, text = match[1], text[match.end() :]
    text = unescape(text)
    if fmt == "plain":
        return html.escape(text).replace("\n", "<br>")
    if fmt == "markdown":
        rendered: str = _markdown().render(text).strip()
        # One paragraph (a choice, a feedback) reads as its text, without the <p>.
        if rendered.startswith("<p>") and rendered.count("<p>") == 1 and rendered.endswith("</p>"):
            rendered = rendered[3:-4]
        return rendered
    return text


@cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark")


def find_unescaped(text: str, target: str, start: int = 0) -> int:
    """The first unescaped ``target`` at or after ``start``, or -1."""
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text.startswith(target, i):
            return i
        else:
            i += 1
    return -1


def end_of(text: str, target: str) -> int:
    """The first unescaped ``target``, or the length of ``text``."""
    found = find_unescaped(text, target)
    return len(text) if found < 0 else found


def unescaped_positions(text: str, targets: str) -> Iterator[int]:
    i = 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] in targets:
            yield i
        i += 1


def unescape(text: str) -> str:
    """GIFT escapes as their characters; ``\\n`` a new line, except inside LaTeX maths
    (``\\( \\)``, ``\\[ \\]``, ``$$ $$``), where ``\\neq`` and ``\\nabla`` are commands."""
    out: list[str] = []
    i, maths = 0, False
    while i < len(text):
        pair = text[i : i + 2]
        if pair in ("\\(", "\\[", "\\)", "\\]", "$$"):
            maths = pair in ("\\(", "\\[") or (pair == "$$" and not maths)
            out.append(pair)
        elif len(pair) == 2 and pair[0] == "\\" and pair[1] in _SPECIAL:
            out.append(pair[1])
        elif pair == "\\n" and not maths:
            out.append("\n")
        else:
            out.append(text[i])
            i += 1
            continue
        i += 2
    return "".join(out)
