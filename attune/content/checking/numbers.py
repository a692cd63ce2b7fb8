"""Reading a typed number, with an optional unit after it, whatever the learner's locale.

Accepted (after Unicode NFKC, so full-width digits and non-breaking spaces are plain):

* a sign: ``+``, ``-`` or the Unicode minus (U+2212) or an en dash;
* ``1000``, ``1,000.5`` (comma thousands), ``1.000,5`` (dot thousands with a decimal comma),
  ``3,5`` (a lone decimal comma), ``.5``, ``2.``;
* ``1e3``, ``2.5E-4``, ``3*10^8``, ``3x10^8`` (and with the multiplication sign);
* fractions ``3/4`` and mixed numbers ``1 3/4``;
* then optionally a unit: whatever text follows the number (``9.81 m/s^2``, ``25 %``).

The process locale is never consulted. ``1,000`` is one thousand (groups of three digits
after a comma are thousands); a comma followed by any other number of digits is a decimal
comma. Anything else is unreadable (``None``), which makes the answer wrong, never an error.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction

MAX_NUMBER_CHARS = 200
"""Longer answers are not read (no number a learner types is this long)."""

_MINUSES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2012": "-", "\ufe63": "-"})
_SPACES = re.compile(r"[\s\u202f\u2009\u200a\u2007]+")

_EXPONENT_CAP = 400
_SIGN = r"[+-]?"
_COMMA_GROUPS = r"\d{1,3}(?:,\d{3})+(?:\.\d*)?"  # 1,000 / 1,000.5
_DOT_GROUPS = r"\d{1,3}(?:\.\d{3})+,\d+"  # 1.000,5 (a dot-grouped integer alone reads as decimal)
_DECIMAL_COMMA = r"\d+,(?:\d{1,2}|\d{4,})"  # 3,5 / 0,25 / 3,1416
_PLAIN = r"(?:\d+\.?\d*|\.\d+)"
_MANTISSA = rf"(?:{_COMMA_GROUPS}|{_DOT_GROUPS}|{_DECIMAL_COMMA}|{_PLAIN})"
_EXPONENT = r"(?:[eE][+-]?\d+|\s?[x\u00d7*]\s?10\^\(?[+-]?\d+\)?)"
# The lookahead makes the alternatives backtrack: "1,0005" is a decimal comma, not "1,000" + "5".
_DECIMAL = re.compile(rf"(?P<sign>{_SIGN})(?P<mantissa>{_MANTISSA})(?P<exp>{_EXPONENT})?(?![\d.,])")
_FRACTION = re.compile(rf"(?P<sign>{_SIGN})(?:(?P<whole>\d+) )?(?P<num>\d+)/(?P<den>\d+)")


@dataclass(frozen=True)
class ReadNumber:
    """A number read from an answer, and the unit text after it (``""`` when none)."""

    value: float
    unit: str


def _mantissa(text: str) -> Fraction:
    if re.fullmatch(_COMMA_GROUPS, text):
        return Fraction(text.replace(",", ""))
    if re.fullmatch(_DOT_GROUPS, text):
        return Fraction(text.replace(".", "").replace(",", "."))
    if re.fullmatch(_DECIMAL_COMMA, text):
        return Fraction(text.replace(",", "."))
    return Fraction(text + "0" if text.endswith(".") else text)


def _exponent(text: str) -> int:
    digits = re.search(r"[+-]?\d+", text.split("10^", 1)[-1] if "^" in text else text[1:])
    assert digits is not None  # the pattern guarantees digits
    return int(digits.group())


def _split_unit(text: str, end: int) -> str | None:
    """The unit after the number, or None when the number runs straight into more digits."""
    rest = text[end:].strip()
    if rest[:1].isdigit() or rest[:1] in {".", ",", "/"}:
        return None
    return rest


def read_number(text: str) -> ReadNumber | None:
    """The number (and unit text) an answer starts with, or None when it cannot be read."""
    text = unicodedata.normalize("NFKC", text).translate(_MINUSES)
    text = _SPACES.sub(" ", text).strip()
    if not text or len(text) > MAX_NUMBER_CHARS:
        return None
    fraction = _FRACTION.match(text)
    if fraction is not None:
        unit = _split_unit(text, fraction.end())
        den = int(fraction["den"])
        if unit is None or den == 0:
            return None
        exact = Fraction(int(fraction["whole"] or 0)) + Fraction(int(fraction["num"]), den)
        return _finite(-exact if fraction["sign"] == "-" else exact, unit)
    decimal = _DECIMAL.match(text)
    if decimal is None:
        return None
    unit = _split_unit(text, decimal.end())
    if unit is None:
        return None
    number = _mantissa(decimal["mantissa"])
    if decimal["exp"]:
        # Beyond 10^±400 a float is infinite or zero anyway: never build the huge power.
        exponent = max(-_EXPONENT_CAP, min(_EXPONENT_CAP, _exponent(decimal["exp"])))
        number *= Fraction(10**exponent) if exponent >= 0 else Fraction(1, 10**-exponent)
    if decimal["sign"] == "-":
        number = -number
    return _finite(number, unit)


def _finite(exact: Fraction, unit: str) -> ReadNumber | None:
    # Exact until here (grouping, exponents); a number too large for a float is unreadable.
    try:
        value = float(exact)
    except OverflowError:
        return None
    return ReadNumber(value, unit) if math.isfinite(value) else None
