"""Checking a generated item's key against one piece of its evidence.

Each function returns what it verified (for the verdict) or raises
:class:`~attune.content.generation.verify.VerificationError` saying why the key is not
verified. Which evidence verifies which item type:

================  ==========================================================================
Computation       numeric: every full-score answer is within its tolerance of the value;
                  choices: every correct option reads as that number, no other one does
Equivalence       math: the answer expression equals it; text entry: every full-score
                  answer does; choices: every correct option does, no other one does
Substitution      numeric and math: the key solves the equation
TemplateSource    any type the template makes: rendered again, the prompt is the stem and
                  the template's own checking accepts every key (and no wrong option)
================  ==========================================================================
"""

from __future__ import annotations

import html

from attune.content.checking import MathChecker, Response, check
from attune.content.checking.numbers import read_number
from attune.content.generation import verify
from attune.content.generation.records import (
    Computation,
    Equivalence,
    Evidence,
    GeneratedItem,
    Substitution,
    TemplateSource,
)
from attune.content.generation.verify import VerificationError
from attune.content.model import CHOICE_TYPES, Choice, ContentItem
from attune.content.render.sanitise import plain_text
from attune.content.templates import render


def text_of(fragment: str) -> str:
    """The plain text of an HTML fragment, unescaped, whitespace collapsed."""
    return " ".join(html.unescape(plain_text(fragment)).split())


def _full_score_numbers(item: ContentItem) -> list[tuple[float, float, bool]]:
    return [
        (a.value, a.tolerance, a.tolerance_mode == "relative")
        for a in item.numeric_answers
        if a.score >= 1.0
    ]


def _choice_value(choice: Choice, index: int) -> str:
    read = read_number(text_of(choice.html))
    if read is None:
        raise VerificationError(f"choices[{index}]: {text_of(choice.html)!r} is not a number")
    return verify.number_text(read.value)


def _check_choices(maths: MathChecker, item: ContentItem, target: str, numeric: bool) -> None:
    for index, choice in enumerate(item.choices):
        label = f"choices[{index}]"
        given = (
            _choice_value(choice, index)
            if numeric
            else verify.screened(label, text_of(choice.html))
        )
        same = verify.equal(maths, label, target, given)
        if choice.correct and not same:
            raise VerificationError(f"{label}: keyed correct, but it is not {target}")
        if not choice.correct and same:
            raise VerificationError(f"{label}: a distractor that is also right ({target})")


def _computation(maths: MathChecker, item: ContentItem, evidence: Computation) -> str:
    computed = verify.computation("computation", evidence.expression)
    if item.type == "numeric":
        for value, tolerance, relative in _full_score_numbers(item):
            text = verify.number_text(value)
            if not verify.within(
                maths, "computation", computed, text, tolerance, relative=relative
            ):
                raise VerificationError(f"the key {text} is not {evidence.expression}")
    elif item.type in CHOICE_TYPES:
        _check_choices(maths, item, computed, numeric=True)
    else:
        raise VerificationError(f"a computation does not verify a {item.type} item")
    return f"sympy: the key equals {evidence.expression}"


def _equivalence(maths: MathChecker, item: ContentItem, evidence: Equivalence) -> str:
    target = verify.screened("check_expression", evidence.check_expression)
    if item.type == "math" and item.math_answer is not None:
        key = verify.screened("answer", item.math_answer.expression)
        if not verify.equal(maths, "answer", target, key):
            raise VerificationError(f"the key {key} is not equal to {target}")
    elif item.type == "text_entry":
        for index, answer in enumerate(item.text_answers):
            label = f"text_answers[{index}]"
            if answer.score >= 1.0 and not verify.equal(
                maths, label, target, verify.screened(label, answer.value)
            ):
                raise VerificationError(f"{label}: {answer.value!r} is not equal to {target}")
    elif item.type in CHOICE_TYPES:
        _check_choices(maths, item, target, numeric=False)
    else:
        raise VerificationError(f"a check expression does not verify a {item.type} item")
    return f"sympy: the key equals {evidence.check_expression}"


def _substitution(maths: MathChecker, item: ContentItem, evidence: Substitution) -> str:
    if item.type == "numeric":
        values = [verify.number_text(value) for value, _, _ in _full_score_numbers(item)]
    elif item.type == "math" and item.math_answer is not None:
        values = [verify.screened("answer", item.math_answer.expression)]
    else:
        raise VerificationError(f"an equation does not verify a {item.type} item")
    for value in values:
        if not verify.solves(maths, "equation", evidence.equation, evidence.variable, value):
            raise VerificationError(
                f"{evidence.variable} = {value} does not solve {evidence.equation}"
            )
    return f"sympy: the key solves {evidence.equation}"


def _template(maths: MathChecker, item: ContentItem, evidence: TemplateSource) -> str:
    try:
        question = render(evidence.content, evidence.seed)
    except ValueError as exc:
        raise VerificationError(f"template: {exc}") from exc
    if text_of(item.stem_html) != " ".join(question.prompt.split()):
        raise VerificationError("template: the stem is not the template's question")
    if item.type in CHOICE_TYPES:
        for index, choice in enumerate(item.choices):
            if question.check(text_of(choice.html)) != choice.correct:
                raise VerificationError(f"template: choices[{index}] is keyed wrongly")
    elif item.type == "text_entry":
        for index, answer in enumerate(item.text_answers):
            if answer.score >= 1.0 and not question.check(answer.value):
                raise VerificationError(f"template: text_answers[{index}] is not an answer")
    elif not check(item, Response(text=question.answer), maths=maths).correct:
        raise VerificationError(f"template: the item does not accept {question.answer!r}")
    return f"template: {evidence.content} rendered again accepts the key"


def check_key(maths: MathChecker, generated: GeneratedItem, evidence: Evidence) -> str:
    """What ``evidence`` verified of the item's key; :class:`VerificationError` otherwise."""
    item = generated.item
    match evidence:
        case Computation():
            return _computation(maths, item, evidence)
        case Equivalence():
            return _equivalence(maths, item, evidence)
        case Substitution():
            return _substitution(maths, item, evidence)
        case TemplateSource():
            return _template(maths, item, evidence)
    raise VerificationError(f"unknown evidence {type(evidence).__name__}")  # pragma: no cover
