"""Verifying a generated key with sympy, only ever through the safe path: every text is
screened (:func:`attune.content.checking.maths_input.screen`) and then compared by a
:class:`~attune.content.checking.MathChecker` (the worker pool with its time limit, where
:mod:`attune.content.checking.maths_eval` parses over a whitelist). Nothing here calls sympy.

The pool answers one question, "are these two expressions equal?", so each check is phrased
as one: a computation is within tolerance ``t`` of a value ``v`` when
``max(0, |c - v| - t) = 0``, written with ``Abs`` (``Max`` is not on the parser's
whitelist) as ``(|d| - t + ||d| - t|) / 2`` with ``d = c - v``; an equation is solved by a
value when its two sides are equal once the value is substituted. Any failure to decide
(unreadable text, a time limit, a worker error) is a :class:`VerificationError`: the item is
refused, never shown unverified.
"""

from __future__ import annotations

import math
import re

from attune.content.checking.maths import MathChecker
from attune.content.checking.maths_input import screen
from attune.content.checking.maths_pool import MathCheckError

MAX_EXPRESSION_CHARS = 300
"""A longer computation, check expression or equation side is refused."""

# Names a computation may use: functions and constants, no variables.
_CONSTANT_NAMES = frozenset(
    {"sqrt", "pi", "e", "E", "exp", "log", "ln", "Abs", "abs", "sin", "cos", "tan", "factorial"}
)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class VerificationError(Exception):
    """The key could not be verified; the message says what and why."""


def screened(label: str, text: str) -> str:
    """``text`` rewritten for the parser, or :class:`VerificationError` naming ``label``."""
    if len(text) > MAX_EXPRESSION_CHARS:
        raise VerificationError(f"{label}: longer than {MAX_EXPRESSION_CHARS} characters")
    result = screen(text)
    if result.refusal:
        raise VerificationError(f"{label}: {result.refusal}")
    return result.text


def number_text(value: float) -> str:
    """A finite float as text the parser reads back exactly (``repr``: shortest round trip)."""
    if not math.isfinite(value):
        raise VerificationError(f"the key {value!r} is not a finite number")
    return repr(value)


def equal(checker: MathChecker, label: str, expected: str, given: str) -> bool:
    """True when the two (already screened) expressions are equal; raises when the pool
    cannot decide."""
    try:
        outcome = checker.compare(expected, given)
    except MathCheckError as exc:
        raise VerificationError(f"{label}: {type(exc).__name__}: {exc}") from exc
    if outcome.verdict == "unreadable":
        raise VerificationError(f"{label}: {outcome.detail}")
    return outcome.verdict == "equal"


def computation(label: str, text: str) -> str:
    """A screened computation: arithmetic over numbers (functions allowed, no variables)."""
    clean = screened(label, text)
    names = set(_NAME.findall(clean)) - _CONSTANT_NAMES
    if names:
        raise VerificationError(f"{label}: a computation has no variables (found {min(names)!r})")
    return clean


def within(
    checker: MathChecker,
    label: str,
    computed: str,
    value: str,
    tolerance: float = 0.0,
    *,
    relative: bool = False,
) -> bool:
    """True when the screened computation ``computed`` is within ``tolerance`` of ``value``
    (absolute, or relative to ``value``)."""
    if not tolerance >= 0 or not math.isfinite(tolerance):
        raise VerificationError(f"{label}: tolerance {tolerance!r} is not a finite number >= 0")
    allowed = number_text(tolerance)
    if relative:
        allowed = f"{allowed}*Abs({value})"
    gap = f"Abs(({computed}) - ({value}))"
    excess = f"({gap} - {allowed} + Abs({gap} - {allowed}))/2"
    return equal(checker, label, "0", excess)


def substitute(expression: str, variable: str, value: str) -> str:
    """``expression`` with each standalone ``variable`` replaced by ``(value)``; a letter
    inside a longer name (``exp``) is left alone, and ``2x`` becomes ``2(value)``."""
    return re.sub(rf"(?<![A-Za-z_]){re.escape(variable)}(?![A-Za-z0-9_])", f"({value})", expression)


def solves(checker: MathChecker, label: str, equation: str, variable: str, value: str) -> bool:
    """True when ``value`` solves ``equation`` (one ``=``) for ``variable``: both sides are
    equal once it is substituted (exactly, or to the pool's 1e-9 at sampled points)."""
    if not re.fullmatch(r"[A-Za-z]", variable):
        raise VerificationError(f"{label}: the variable must be one letter, not {variable!r}")
    sides = equation.split("=")
    if len(sides) != 2:
        raise VerificationError(f"{label}: an equation has exactly one '='")
    left, right = (screened(label, side) for side in sides)
    if not any(re.search(rf"(?<![A-Za-z_]){variable}(?![A-Za-z0-9_])", s) for s in sides):
        raise VerificationError(f"{label}: the equation does not use {variable!r}")
    return equal(
        checker,
        label,
        substitute(left, variable, value),
        substitute(right, variable, value),
    )
