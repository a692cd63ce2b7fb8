"""Numeric answers: a number within an absolute or relative tolerance, with units.

An answer matches an accepted :class:`~attune.content.model.NumericAnswer` when its value is
within the tolerance (absolute: ``|given - value| <= tolerance``; relative:
``|given - value| <= tolerance * |value|``) and its unit is acceptable: one of the answer's
``units`` when it lists any (then a unit is required), none when it lists none. Several
accepted answers (say full marks for 9.81, half for 10) → the best-scoring match.
"""

from __future__ import annotations

import html
import math
import unicodedata
from collections.abc import Sequence

from attune.content.checking.numbers import read_number
from attune.content.checking.result import CheckResult, graded, wrong
from attune.content.model import NumericAnswer

# Room for binary floating point: 0.1 + 0.2 still equals 0.3 at tolerance 0.
_ULP_SLACK = 1e-12


def within(answer: NumericAnswer, given: float) -> bool:
    """True when ``given`` is within the answer's tolerance of its value."""
    if not math.isfinite(answer.value) or not answer.tolerance >= 0.0:
        raise ValueError(f"invalid numeric answer: {answer.value!r} ± {answer.tolerance!r}")
    if answer.tolerance_mode == "relative":
        allowed = answer.tolerance * abs(answer.value)
    else:
        allowed = answer.tolerance
    slack = _ULP_SLACK * max(1.0, abs(answer.value))
    return abs(given - answer.value) <= allowed + slack


def _unit_key(unit: str) -> str:
    # NFKC maps the micro sign to mu and the ohm sign to omega; spaces inside never count.
    return "".join(unicodedata.normalize("NFKC", unit).split())


def unit_accepted(answer: NumericAnswer, unit: str) -> bool:
    """True when ``unit`` (possibly empty) is what the answer accepts."""
    if not answer.units:
        return unit == ""
    return _unit_key(unit) in {_unit_key(u) for u in answer.units}


def check_numeric(answers: Sequence[NumericAnswer], given: str) -> CheckResult:
    """The best-scoring accepted answer the number (and unit) matches; otherwise 0, saying
    why when the unit is the problem."""
    if not given.strip():
        return wrong("no answer")
    if not answers:
        raise ValueError("the item has no accepted numeric answer")
    read = read_number(given)
    if read is None:
        return wrong("not a number", "<p>Please enter a number.</p>")
    hits = [a for a in answers if within(a, read.value) and unit_accepted(a, read.unit)]
    if hits:
        best = max(hits, key=lambda answer: answer.score)
        return graded(best.score, best.feedback_html, "within tolerance")
    units = [u for a in answers for u in a.units]
    if not read.unit and units:
        example = html.escape(units[0])
        return wrong("a unit is expected", f"<p>A unit is expected (for example {example}).</p>")
    if read.unit and not any(unit_accepted(a, read.unit) for a in answers):
        reason = "this unit is not accepted" if units else "no unit is expected"
        return wrong(reason, f"<p>{reason.capitalize()}.</p>")
    return wrong("outside the tolerance")
