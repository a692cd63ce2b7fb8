"""The answers of a Canvas ``numerical_question`` as value-and-tolerance numeric answers.

Canvas (lib/cc/qti/qti_items.rb, ``numerical_resprocessing``) writes each answer as its own
condition setting ``SCORE`` to 100, in one of three shapes:

* exact, with a margin: ``or(varequal exact, and(vargte exact-margin, varlte exact+margin))``
  (the ``and`` is left out when there is no margin);
* precision (``approximate`` to ``precision`` significant digits):
  ``or(varequal approximate, and(vargt floor, varlte ceiling))``;
* range: ``vargte start`` and ``varlte end``.

Each becomes one :class:`NumericAnswer`: a range's midpoint with its half-width as the
absolute tolerance; with a ``varequal`` inside the range, that value, with the tolerance that
still reaches both ends. A strict bound (``vargt``, ``varlt``) is read as an inclusive one:
the two differ only on the bound itself. A test the shapes above cannot express (an open
range, a ``not``, several ranges) leaves the answer out, reported.
"""

from __future__ import annotations

import math

from attune.content.importers.canvas.material import Entry
from attune.content.importers.canvas.scoring import QUESTION_FEEDBACK, Condition, Scoring, number
from attune.content.model import NumericAnswer

_KINDS = {
    "varequal": "equal",
    "vargte": "lower",
    "vargt": "lower",
    "varlte": "upper",
    "varlt": "upper",
}
_LOGIC = {"and", "or"}
_DIGITS = 12  # bounds are written from decimals as floats: 3.14 - 0.01 is 3.1300000000000003


def _tidy(value: float) -> float:
    return float(f"{value:.{_DIGITS}g}")


def numeric_answers(entry: Entry, scoring: Scoring) -> list[NumericAnswer]:
    """Every answer that earns credit. With none, the question is left out: skipped when
    its answers were all inexpressible, else a located problem."""
    answers: list[NumericAnswer] = []
    left_out = 0
    for condition in scoring.scored():
        answer = _answer(entry, condition, scoring)
        if answer is not None:
            answers.append(answer)
        else:
            left_out += 1
    if not answers and not entry.problems:
        if left_out:
            entry.skip("resprocessing", "no answer is left, so the question is left out")
        else:
            entry.problem("resprocessing", "no answer earns credit")
    return answers


def _answer(entry: Entry, condition: Condition, scoring: Scoring) -> NumericAnswer | None:
    where = entry.path(condition.element, "conditionvar")
    found: dict[str, list[float]] = {"equal": [], "lower": [], "upper": []}
    stack = list(condition.test) if condition.test is not None else []
    while stack:
        test = stack.pop(0)
        if test.tag in _LOGIC:
            stack += list(test)
            continue
        kind = _KINDS.get(test.tag)
        if kind is None:
            entry.skip(where, f"an answer tested with <{test.tag}> is left out")
            return None
        value = number(test.text)
        if value is None:
            entry.problem(entry.path(test), f"{(test.text or '').strip()[:40]!r} is not a number")
            return None
        found[kind].append(value)
    feedback = "".join(
        scoring.feedback.get(ref, "") for ref in condition.feedback if ref not in QUESTION_FEEDBACK
    )
    score = condition.score or 0.0
    shape = _value_and_tolerance(found["equal"], found["lower"], found["upper"])
    if isinstance(shape, str):
        entry.skip(where, f"an answer {shape} is left out")
        return None
    value, tolerance = shape
    return NumericAnswer(_tidy(value), _tidy(tolerance), "absolute", (), score, feedback)


def _value_and_tolerance(
    equal: list[float], lower: list[float], upper: list[float]
) -> tuple[float, float] | str:
    """The answer's value and absolute tolerance, or what makes it inexpressible."""
    if len(lower) > 1 or len(upper) > 1 or len(equal) > 1:
        return "with several values or ranges in one condition"
    if bool(lower) != bool(upper):
        return "with an open range"
    if not lower:
        return (equal[0], 0.0) if equal else "with no value"
    low, high = lower[0], upper[0]
    if low > high:
        return f"with an empty range [{low:g}, {high:g}]"
    value = equal[0] if equal and low <= equal[0] <= high else low / 2 + high / 2
    tolerance = max(value - low, high - value)
    if not math.isfinite(tolerance):
        return "with bounds too far apart"
    return value, tolerance
