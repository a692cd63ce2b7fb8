"""Algebraic equivalence with sympy. Runs only inside a checking worker process (see
:mod:`attune.content.checking.maths_pool`), which bounds its time and memory.

Both sides are parsed with ``parse_expr`` over a *restricted* namespace: a whitelist of
functions and constants, the classes the parser's own transformations emit, and no builtins,
so the ``eval`` at the end of parsing can reach nothing else (the caller has already screened
the text: :mod:`attune.content.checking.maths_input`). Transformations: implicit
multiplication (``2x``, ``2(x+1)``), implicit application (``sin x``), ``^`` as power, and
splitting a run of letters that is not a known name into single-letter symbols (``xy``).

Equivalent when ``simplify(expected - given) == 0``; otherwise, numerically at random points
(seeded, so a verdict is reproducible): simplify misses some identities, and sampling at
several points all agreeing to 1e-9 is strong evidence.
"""

from __future__ import annotations

import cmath
import random
from collections.abc import Callable
from typing import Any, Literal

import sympy  # type: ignore[import-untyped]
from sympy.parsing.sympy_parser import (  # type: ignore[import-untyped]
    convert_xor,
    function_exponentiation,
    implicit_application,
    implicit_multiplication,
    parse_expr,
    split_symbols_custom,
    standard_transformations,
)

from attune.content.checking.maths_pool import NOT_EQUIVALENT, SIMPLIFIES

Verdict = Literal["equal", "different", "unreadable"]

SAMPLES = 12
_MIN_POINTS = 4
_RELATIVE = 1e-9

_FUNCTIONS: dict[str, Any] = {
    **{
        name: getattr(sympy, name)
        for name in (
            *("sin", "cos", "tan", "cot", "sec", "csc", "asin", "acos", "atan"),
            *("sinh", "cosh", "tanh", "asinh", "acosh", "atanh"),
            *("exp", "log", "sqrt", "factorial", "Abs", "pi", "E"),
        )
    },
    "ln": sympy.log,
    "abs": sympy.Abs,
    "e": sympy.E,
}
# What auto_symbol, auto_number and repeated_decimals emit into the code they hand to eval.
_PARSER_NAMES: dict[str, Any] = {
    name: getattr(sympy, name)
    for name in ("Integer", "Float", "Rational", "Symbol", "Function", "I")
}


class AnswerKeyError(ValueError):
    """The item's own expression cannot be parsed: a content error, never the learner's."""


def _namespace() -> dict[str, Any]:
    return {"__builtins__": {}, **_PARSER_NAMES, **_FUNCTIONS}


def _transformations(known: frozenset[str]) -> tuple[Callable[..., Any], ...]:
    def splittable(name: str) -> bool:
        return len(name) > 1 and name.isalpha() and name not in known and name not in _FUNCTIONS

    return (
        *standard_transformations,
        convert_xor,
        split_symbols_custom(splittable),
        implicit_multiplication,
        implicit_application,
        function_exponentiation,
    )


def parse(text: str, known: frozenset[str] = frozenset()) -> Any:
    """The sympy expression of ``text``; ``known`` names are never split into letters."""
    expr = parse_expr(
        text, local_dict={}, global_dict=_namespace(), transformations=_transformations(known)
    )
    if not isinstance(expr, sympy.Expr):
        raise TypeError(f"not an expression: {type(expr).__name__}")
    return expr


def _value(expr: Any, point: dict[Any, float]) -> complex | None:
    try:
        value = complex(expr.evalf(n=30, subs=point))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return value if cmath.isfinite(value) else None


def sampled_equal(expected: Any, given: Any, seed: str) -> bool:
    """True when both agree at every random point where both are defined (and there are
    enough such points)."""
    symbols = sorted(expected.free_symbols | given.free_symbols, key=str)
    rng = random.Random(seed)
    agreed = 0
    for _ in range(SAMPLES):
        point = {symbol: rng.uniform(-3.0, 3.0) for symbol in symbols}
        a, b = _value(expected, point), _value(given, point)
        if a is None or b is None:
            continue
        if abs(a - b) > _RELATIVE * max(1.0, abs(a), abs(b)):
            return False
        agreed += 1
    return agreed >= min(_MIN_POINTS, SAMPLES) or (not symbols and agreed > 0)


def compare(expected_text: str, given_text: str) -> tuple[Verdict, str]:
    """Whether ``given_text`` is algebraically equal to ``expected_text``, with a detail.

    Raises :class:`AnswerKeyError` when the expected expression is unreadable.
    """
    try:
        expected = parse(expected_text)
    except Exception as exc:  # any parser failure on the key is the content's fault
        raise AnswerKeyError(f"the answer key is not an expression: {type(exc).__name__}") from exc
    known = frozenset(str(symbol) for symbol in expected.free_symbols)
    try:
        given = parse(given_text, known)
    except Exception as exc:  # the learner's text: unreadable is simply wrong
        return "unreadable", f"could not read the expression ({type(exc).__name__})"
    if sympy.simplify(expected - given) == 0:
        return "equal", SIMPLIFIES
    if sampled_equal(expected, given, seed=f"{expected_text}\x00{given_text}"):
        return "equal", "equal at sampled points"
    return "different", NOT_EQUIVALENT
