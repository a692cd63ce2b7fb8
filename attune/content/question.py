"""A rendered practice question, and answer checking that accepts equivalent forms.

Learners type answers in many shapes ("x = 4", " 4 ", "2/4", ".5", "(2, 3)"), so checking
compares *values* per kind rather than strings. Parsers return ``None`` for text they cannot
read; a ``None`` never matches, so garbage is simply a wrong answer, never an exception.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

QuestionKind = Literal[
    "integer",
    "decimal",
    "fraction",
    "simplest-fraction",
    "percent",
    "comparison",
    "expression",
    "inequality",
    "pair",
]

TIMES = "\u00d7"
DIVIDE = "\u00f7"
SQRT = "\u221a"

_INT = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)"
_DEC = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_FRAC = r"([+-]?)(\d+)/(\d+)"
_MIXED = r"([+-]?)(\d+) (\d+)/(\d+)"
_INEQ_OPS = {"<": "<", ">": ">", "<=": "<=", ">=": ">=", "=<": "<=", "=>": ">="}
_FLIPPED = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}


@dataclass(frozen=True, slots=True)
class Question:
    """One question: plain-text ``prompt``, canonical ``answer`` and how to compare answers."""

    prompt: str
    answer: str
    kind: QuestionKind
    variable: str = ""  # the unknown being solved for, so "x = 4" is as good as "4"

    def check(self, given: str) -> bool:
        """True when ``given`` means the same as the canonical answer."""
        got = normalise(self.kind, given, self.variable)
        return got is not None and got == normalise(self.kind, self.answer, self.variable)


def normalise(kind: QuestionKind, text: str, variable: str = "") -> object | None:
    """The comparable value of an answer of ``kind``, or ``None`` when it cannot be read."""
    text = _clean(text)
    if variable and kind not in ("inequality", "pair"):
        text = re.sub(rf"^{re.escape(variable)} ?= ?", "", text)
    match kind:
        case "integer":
            return _parse_int(text)
        case "decimal":
            return _parse_decimal(text.removeprefix("$"))
        case "percent":
            return _parse_decimal(text.removesuffix("%").rstrip())
        case "fraction":
            return _parse_fraction(text, simplest=False)
        case "simplest-fraction":
            return _parse_fraction(text, simplest=True)
        case "comparison":
            return text if text in ("<", ">", "=") else None
        case "expression":
            return _parse_linear(text)
        case "inequality":
            return _parse_inequality(text, variable)
        case "pair":
            return _parse_pair(text)
    return None  # pragma: no cover - the match is exhaustive


def _clean(text: str) -> str:
    text = text.replace("\u2212", "-").replace("\u2264", "<=").replace("\u2265", ">=")
    return re.sub(r"\s+", " ", text.strip().lower())


def _parse_int(text: str) -> int | None:
    if not re.fullmatch(_INT, text):
        return None
    return int(text.replace(",", ""))


def _parse_decimal(text: str) -> Fraction | None:
    if not re.fullmatch(_DEC, text):
        return None
    return Fraction(text)


def _parse_fraction(text: str, *, simplest: bool) -> Fraction | None:
    text = re.sub(r" ?/ ?", "/", text)
    if re.fullmatch(r"[+-]?\d+", text):
        return Fraction(int(text))
    if m := re.fullmatch(_FRAC, text):
        sign, num, den = m.group(1), int(m.group(2)), int(m.group(3))
        if den == 0 or (simplest and (den == 1 or math.gcd(num, den) != 1)):
            return None
        return Fraction(num, den) * (-1 if sign == "-" else 1)
    if m := re.fullmatch(_MIXED, text):
        sign, whole = m.group(1), int(m.group(2))
        num, den = int(m.group(3)), int(m.group(4))
        # A mixed number's fraction part is proper by definition; "1 5/4" is a typo, not 9/4.
        if den == 0 or num == 0 or num >= den or (simplest and math.gcd(num, den) != 1):
            return None
        return (whole + Fraction(num, den)) * (-1 if sign == "-" else 1)
    return None


def _parse_number(text: str) -> Fraction | None:
    """Any exact number: integer, decimal, fraction or mixed number."""
    return _parse_decimal(text) if "." in text else _parse_fraction(text, simplest=False)


def _parse_linear(text: str) -> frozenset[tuple[str, int]] | None:
    # Only simplified sums of terms are readable: no brackets and no letter (or constant)
    # twice, so echoing the unsimplified question back is never accepted as the answer.
    s = text.replace(" ", "").replace("*", "")
    if not s:
        return None
    if s[0] not in "+-":
        s = "+" + s
    if not re.fullmatch(r"(?:[+-](?:\d+[a-z]?|[a-z]))+", s):
        return None
    terms: dict[str, int] = {}
    for sign, digits, letter in re.findall(r"([+-])(\d*)([a-z]?)", s):
        if letter in terms:
            return None
        coef = int(digits) if digits else 1
        terms[letter] = -coef if sign == "-" else coef
    return frozenset((k, v) for k, v in terms.items() if v != 0)


def _parse_inequality(text: str, variable: str) -> tuple[str, Fraction] | None:
    op_re = "|".join(re.escape(op) for op in sorted(_INEQ_OPS, key=len, reverse=True))
    if m := re.fullmatch(rf"([a-z]) ?({op_re}) ?(.+)", text):
        name, op, value = m.group(1), _INEQ_OPS[m.group(2)], _parse_number(m.group(3))
    elif m := re.fullmatch(rf"(.+?) ?({op_re}) ?([a-z])", text):
        name, op, value = m.group(3), _FLIPPED[_INEQ_OPS[m.group(2)]], _parse_number(m.group(1))
    else:
        return None
    if value is None or (variable and name != variable):
        return None
    return op, value


def _parse_pair(text: str) -> tuple[Fraction, Fraction] | None:
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    parts = [p.strip() for p in re.split(r",|;|\band\b", text)]
    if len(parts) != 2:
        return None
    labelled: dict[str, Fraction] = {}
    plain: list[Fraction] = []
    for part in parts:
        m = re.fullmatch(r"(?:([a-z]) ?= ?)?(.+)", part)
        value = _parse_number(m.group(2)) if m else None
        if m is None or value is None:
            return None
        if m.group(1):
            labelled[m.group(1)] = value
        else:
            plain.append(value)
    if len(labelled) == 2 and set(labelled) == {"x", "y"}:
        return labelled["x"], labelled["y"]
    if labelled:  # a half-labelled or oddly labelled pair is ambiguous
        return None
    return plain[0], plain[1]


def fmt_fraction(value: Fraction) -> str:
    """``a/b`` in lowest terms, or a bare integer."""
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value.numerator}/{value.denominator}"


def fmt_mixed(value: Fraction) -> str:
    """A mixed number such as ``-2 3/4``; proper fractions and integers stay as they are."""
    sign = "-" if value < 0 else ""
    whole, rest = divmod(abs(value.numerator), value.denominator)
    if rest == 0 or whole == 0:
        return fmt_fraction(value)
    return f"{sign}{whole} {rest}/{value.denominator}"


def fmt_decimal(value: Fraction) -> str:
    """The exact decimal text of a terminating fraction, without trailing zeros."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    places = 0
    while (value * 10**places).denominator != 1:
        places += 1
        if places > 12:
            raise ValueError(f"{value} has no short terminating decimal")
    digits = str(int(value * 10**places)).rjust(places + 1, "0")
    if not places:
        return sign + digits
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def fmt_linear(terms: Sequence[tuple[int, str]], constant: int = 0) -> str:
    """``3x - y + 2`` from coefficient/letter pairs; zero terms are left out."""
    parts: list[str] = []
    for coef, letter in [*terms, (constant, "")]:
        if coef == 0:
            continue
        size = abs(coef)
        body = letter if size == 1 and letter else f"{size}{letter}"
        if not parts:
            parts.append(("-" if coef < 0 else "") + body)
        else:
            parts.append(("- " if coef < 0 else "+ ") + body)
    return " ".join(parts) if parts else "0"


def paren(n: int | Fraction) -> str:
    """A number as an operand: negatives get brackets so ``3 - (-2)`` reads unambiguously."""
    text = fmt_fraction(Fraction(n))
    return f"({text})" if n < 0 else text
