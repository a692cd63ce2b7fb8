"""Screening a typed maths answer before any parser sees it (cheap, no sympy, in the caller).

sympy's ``parse_expr`` ends in ``eval``, so an answer only reaches it when it is arithmetic
over names: letters, digits, ``+ - * / ^ ( ) . ,`` and spaces. No quotes, brackets,
attribute access, dunder names, keywords or sympy's own class names get through; the parser
then sees only the restricted names of :mod:`attune.content.checking.maths_eval`. The usual
typed forms are rewritten first: the multiplication sign and dots (U+00D7, U+00B7, U+22C5)
become ``*``, the division sign ``/``, the Unicode minus and en dash ``-``, and superscript
digits ``x²`` become ``x^(2)``.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from dataclasses import dataclass

MAX_MATHS_CHARS = 500
"""Longer answers are refused (wrong, with the reason) before parsing."""

_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"
_SUPERSCRIPT_DIGITS = str.maketrans(_SUPERSCRIPTS, "0123456789-")
_SUPERSCRIPT_RUN = re.compile(f"[{_SUPERSCRIPTS}]+")
_OPERATORS = str.maketrans(
    {"\u00d7": "*", "\u00b7": "*", "\u22c5": "*", "\u00f7": "/", "\u2212": "-", "\u2013": "-"}
)
_ALLOWED = re.compile(r"[A-Za-z0-9_+\-*/^()., ]*")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ATTRIBUTE = re.compile(r"\.\s*[A-Za-z_]")
# Names the parser's transformations emit; a learner typing them would reach sympy classes.
_RESERVED = frozenset({"Integer", "Float", "Rational", "Symbol", "Function", "I"})
MAX_NAME_CHARS = 30


@dataclass(frozen=True)
class Screened:
    """The rewritten text ready for the parser, or the reason it was refused."""

    text: str = ""
    refusal: str = ""


def screen(text: str) -> Screened:
    """Rewrite the usual typed forms and refuse anything but plain arithmetic over names."""
    if len(text) > MAX_MATHS_CHARS:
        return Screened(refusal=f"answer too long (over {MAX_MATHS_CHARS} characters)")
    text = _SUPERSCRIPT_RUN.sub(
        lambda m: "^(" + m.group().translate(_SUPERSCRIPT_DIGITS) + ")", text
    )
    text = unicodedata.normalize("NFKC", text).translate(_OPERATORS)
    text = " ".join(text.split())
    if not text:
        return Screened(refusal="no answer")
    if not _ALLOWED.fullmatch(text):
        bad = next(ch for ch in text if not _ALLOWED.fullmatch(ch))
        return Screened(refusal=f"character {bad!r} is not allowed in an expression")
    if "__" in text or _ATTRIBUTE.search(text):
        return Screened(refusal="not an expression")
    for name in _NAME.findall(text):
        if keyword.iskeyword(name) or name in _RESERVED or len(name) > MAX_NAME_CHARS:
            return Screened(refusal=f"name {name[:MAX_NAME_CHARS]!r} is not allowed")
    return Screened(text=text)
