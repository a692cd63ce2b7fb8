"""The answers of an interaction, from its declaration and how its response is scored.

Scores become shares of the item's mark: a mapped value or a condition's score is divided by
the most the item can earn (the mapping's ``upperBound`` when it has one, else the largest
score, or for several choices the sum of the positive values), and clamped to Attune's ranges
(a choice's weight in [-1, 1], a typed answer's score in [0, 1]). Attune clamps a multiple
response's total to [0, 1], where QTI clamps to the mapping's bounds.

A response processing that is absent scores as ``map_response`` when the declaration has a
mapping and as ``match_correct`` when it has a correct response (an item bank without
response processing still states its key); with neither the item is not scored.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from attune.content.importers.moodle_answers import Body
from attune.content.importers.qti.declarations import Declaration, Invalid
from attune.content.importers.qti.scoring import Rule, Scoring, Unsupported
from attune.content.model import Choice, ItemType, NumericAnswer, TextAnswer

How = Literal["match_correct", "map_response", "rules", "unscored"]
RP = "responseProcessing"
_POINT = "map_response_point scores a point on an image, which this interaction has not"
_UNSCORED = "the item is not scored (no correct response, mapping or SCORE is set)"


def _how(scoring: Scoring, declaration: Declaration) -> How:
    if scoring.kind == "map_response_point":
        raise Unsupported(RP, _POINT)
    if scoring.kind == "absent":
        if declaration.mapping:
            return "map_response"
        return "match_correct" if declaration.correct else "unscored"
    if scoring.kind == "rules":
        return "rules" if scoring.sets_score else "unscored"
    return scoring.kind


def _share(value: float, top: float, low: float) -> float:
    return min(1.0, max(low, value / top))


def choices(
    kind: ItemType, options: Sequence[tuple[str, str]], declaration: Declaration, scoring: Scoring
) -> Body:
    """A ``choice``, ``inline_choice`` or ``multiple_response`` item's options, scored."""
    how = _how(scoring, declaration)
    unknown = sorted(set(declaration.correct) - {option_id for option_id, _ in options})
    if unknown:
        raise Invalid("correctResponse", f"{unknown[0][:40]!r} is not a choice")
    if how == "unscored":
        raise Unsupported(RP, _UNSCORED)
    if how == "map_response":
        return _mapped_choices(kind, options, declaration)
    if how == "match_correct":
        correct = set(declaration.correct)
    else:
        correct = _rule_choices(kind, scoring.rules, declaration)
    if not correct:
        raise Invalid("correctResponse", "no correct response")
    return Body(kind, choices=tuple(Choice(i, html, i in correct) for i, html in options))


def _rule_choices(kind: ItemType, rules: Sequence[Rule], declaration: Declaration) -> set[str]:
    credit: dict[str, float] = {}
    for rule in rules:
        if rule.condition.op != "match":
            raise Unsupported(RP, f"a choice compared by {rule.condition.op} is not supported")
        if rule.condition.value is None and kind == "multiple_response":
            if len(rules) != 1 or rule.score <= 0:
                raise Unsupported(RP, "several conditions on a set of choices are not supported")
            return set(declaration.correct)
        if kind == "multiple_response":
            raise Unsupported(RP, "a set of choices compared with one value is not supported")
        values = declaration.correct if rule.condition.value is None else (rule.condition.value,)
        for value in values:
            credit[value] = max(credit.get(value, -math.inf), rule.score)
    top = max(credit.values(), default=0.0)
    if any(0.0 < score < top for score in credit.values()):
        raise Unsupported(RP, "partial credit for one choice of a single choice is not supported")
    return {value for value, score in credit.items() if score == top and top > 0}


def _mapped_choices(
    kind: ItemType, options: Sequence[tuple[str, str]], declaration: Declaration
) -> Body:
    ids = {option_id for option_id, _ in options}
    mapped = {entry.key: entry.value for entry in declaration.mapping}
    for key in mapped:
        if key not in ids:
            raise Invalid("mapping", f"the map key {key[:40]!r} is not a choice")
    values = {i: mapped.get(i, declaration.default) for i, _ in options}
    if kind != "multiple_response":
        top = max(values.values(), default=0.0)
        if top <= 0:
            raise Invalid("mapping", "no choice earns credit")
        if any(0.0 < value < top for value in values.values()):
            message = "partial credit for one choice of a single choice is not supported"
            raise Unsupported("mapping", message)
        return Body(kind, choices=tuple(Choice(i, h, values[i] == top) for i, h in options))
    upper = declaration.upper
    top = upper if upper is not None and upper > 0 else sum(v for v in values.values() if v > 0)
    if top <= 0:
        raise Invalid("mapping", "no choice earns credit")
    correct = set(declaration.correct) or {i for i, value in values.items() if value > 0}
    found = tuple(
        Choice(i, html, i in correct, weight=_share(values[i], top, -1.0)) for i, html in options
    )
    return Body(kind, choices=found, partial_credit=True)


def text_answers(declaration: Declaration, scoring: Scoring, required: bool) -> Body:
    """A ``text_entry`` (``required``) or ``extended_text`` item's accepted answers."""
    how = _how(scoring, declaration)
    kind: ItemType = "text_entry" if required else "extended_text"
    answers: list[TextAnswer] = []
    if how == "unscored" and required:
        raise Unsupported(RP, _UNSCORED)
    unscored = how == "unscored" or (how != "rules" and not declaration.scored_by_key())
    if unscored and not required:
        return Body(kind)  # unscored extended text: the checker says so to the learner
    if how == "match_correct":
        answers = [TextAnswer(v, True, False) for v in declaration.correct]
    elif how == "map_response":
        _no_default(declaration)
        top = _top(declaration)
        answers = [
            TextAnswer(e.key, e.case_sensitive, False, score=_share(e.value, top, 0.0))
            for e in declaration.mapping
        ]
    elif how == "rules":
        top = max(rule.score for rule in scoring.rules)
        for rule in scoring.rules:
            if rule.condition.op not in ("match", "stringMatch"):
                raise Unsupported(RP, f"text compared by {rule.condition.op} is not supported")
            values = (
                declaration.correct if rule.condition.value is None else (rule.condition.value,)
            )
            share = _share(rule.score, top, 0.0) if top > 0 else 0.0
            answers += [TextAnswer(v, rule.condition.case_sensitive, False, share) for v in values]
    if not any(answer.score > 0 for answer in answers):
        raise Invalid("correctResponse", "no answer earns credit")
    return Body(kind, text_answers=tuple(answers))


def _no_default(declaration: Declaration) -> None:
    if declaration.default > 0:
        raise Unsupported("mapping", "a default score for any other answer is not supported")


def _top(declaration: Declaration) -> float:
    upper = declaration.upper
    largest = max((e.value for e in declaration.mapping), default=0.0)
    top = upper if upper is not None and upper > 0 else largest
    if top <= 0:
        raise Invalid("mapping", "no answer earns credit")
    return top


def _number(value: str, field: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise Invalid(field, f"{value[:40]!r} is not a number")
    return number


def numeric_answers(declaration: Declaration, scoring: Scoring) -> Body:
    """A ``numeric`` item's accepted numbers, with tolerances."""
    how = _how(scoring, declaration)
    answers: list[NumericAnswer] = []
    if how == "unscored":
        raise Unsupported(RP, _UNSCORED)
    if how == "match_correct":
        answers = [NumericAnswer(_number(v, "correctResponse")) for v in declaration.correct]
    elif how == "map_response":
        _no_default(declaration)
        top = _top(declaration)
        answers = [
            NumericAnswer(_number(e.key, "mapping"), score=_share(e.value, top, 0.0))
            for e in declaration.mapping
        ]
    else:
        top = max(rule.score for rule in scoring.rules)
        for rule in scoring.rules:
            answers += _numbers_of(
                rule, declaration, _share(rule.score, top, 0.0) if top > 0 else 0
            )
    if not any(answer.score > 0 for answer in answers):
        raise Invalid("correctResponse", "no answer earns credit")
    return Body("numeric", numeric_answers=tuple(answers))


def _numbers_of(rule: Rule, declaration: Declaration, score: float) -> list[NumericAnswer]:
    condition = rule.condition
    if condition.op == "range":
        middle, half = (condition.low + condition.high) / 2, (condition.high - condition.low) / 2
        return [NumericAnswer(middle, half, "absolute", score=score)]
    if condition.op == "stringMatch":
        raise Unsupported(RP, "a number compared as text is not supported")
    values = declaration.correct if condition.value is None else (condition.value,)
    return [
        NumericAnswer(_number(v, RP), condition.tolerance, condition.tolerance_mode, score=score)
        for v in values
    ]
