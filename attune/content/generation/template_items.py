"""A template :class:`~attune.content.question.Question` as a :class:`ContentItem`.

Per question kind, the item type whose checker accepts what the template accepted:

- ``integer``, ``decimal`` -> ``numeric`` (exact); ``percent`` -> ``numeric`` with or
  without the ``%`` unit;
- ``fraction`` -> ``math`` (any equal fraction or decimal, by sympy), or ``numeric`` when the
  answer is a mixed number (the maths parser reads ``3 1/4`` as a product; the number reader
  reads it as 3.25) or when ``numeric`` is asked for;
- ``simplest-fraction``, ``expression``, ``inequality``, ``pair`` -> ``text_entry``: the form
  is the point (lowest terms, a simplified sum), so algebraic equivalence would accept the
  question typed back. The accepted texts are the canonical answer's equivalent spellings:
  terms in any order, with or without spaces, ``y =`` or not, ``x < 4`` or ``4 > x``;
- ``comparison`` -> ``inline_choice`` (``<``, ``>``, ``=``), or ``choice`` when asked for.
"""

from __future__ import annotations

import html
import itertools
from dataclasses import replace
from fractions import Fraction

from attune.content.generation.records import GenerationError
from attune.content.model import (
    Choice,
    ContentItem,
    ItemType,
    MathAnswer,
    NumericAnswer,
    TextAnswer,
)
from attune.content.question import Question, QuestionKind, fmt_linear, normalise

# The item types each kind can become; the first is the default.
ITEM_TYPES: dict[QuestionKind, tuple[ItemType, ...]] = {
    "integer": ("numeric",),
    "decimal": ("numeric",),
    "percent": ("numeric",),
    "fraction": ("math", "numeric"),
    "simplest-fraction": ("text_entry",),
    "comparison": ("inline_choice", "choice"),
    "expression": ("text_entry",),
    "inequality": ("text_entry",),
    "pair": ("text_entry",),
}
_SYMBOLS = (("lt", "<"), ("gt", ">"), ("eq", "="))
_FLIPPED = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}
_UNICODE_OPS = {"<=": "\u2264", ">=": "\u2265"}


def item_type_for(question: Question, wanted: ItemType | None) -> ItemType:
    """The item type ``question`` becomes; :class:`GenerationError` when ``wanted`` cannot be
    made from its kind."""
    types = ITEM_TYPES[question.kind]
    if wanted is None:
        if question.kind == "fraction" and " " in question.answer.strip():
            return "numeric"  # a mixed number
        return types[0]
    if wanted not in types:
        listed = ", ".join(types)
        raise GenerationError(f"a {question.kind} question cannot be a {wanted} item ({listed})")
    return wanted


def _fraction(text: str) -> Fraction:
    value = normalise("fraction", text)
    if not isinstance(value, Fraction):
        raise GenerationError(f"the template answer {text!r} is not a number")
    return value


def _spellings(texts: list[str]) -> list[str]:
    """Each text spaced as written and without spaces, without repeats, in order."""
    out = [t for text in texts for t in (text, text.replace(" ", ""))]
    return list(dict.fromkeys(out))


def _expression_texts(question: Question) -> list[str]:
    terms = normalise("expression", question.answer, question.variable)
    if not isinstance(terms, frozenset):
        raise GenerationError(f"the template answer {question.answer!r} is not a simplified sum")
    canonical = question.answer.split("=", 1)[-1].strip()
    pairs = [(coef, letter) for letter, coef in sorted(terms)]
    orders = [canonical] + [fmt_linear(list(order)) for order in itertools.permutations(pairs)]
    orders = list(dict.fromkeys(orders))
    if question.variable:
        orders = [f"{question.variable} = {o}" for o in orders] + orders
    return _spellings(orders)


def _inequality_texts(question: Question) -> list[str]:
    variable, op, bound = question.answer.split(" ", 2)
    ops = [op, _UNICODE_OPS.get(op, op)]
    flipped = [_FLIPPED[op], _UNICODE_OPS.get(_FLIPPED[op], _FLIPPED[op])]
    texts = [f"{variable} {o} {bound}" for o in ops] + [f"{bound} {o} {variable}" for o in flipped]
    return _spellings(list(dict.fromkeys(texts)))


def _pair_texts(question: Question) -> list[str]:
    x, y = question.answer.strip("()").split(", ")
    return _spellings([f"({x}, {y})", f"{x}, {y}", f"x = {x}, y = {y}"])


def _text_answers(question: Question) -> tuple[TextAnswer, ...]:
    match question.kind:
        case "expression":
            texts = _expression_texts(question)
        case "inequality":
            texts = _inequality_texts(question)
        case "pair":
            texts = _pair_texts(question)
        case _:
            texts = _spellings([question.answer, question.answer.replace("/", " / ")])
    return tuple(TextAnswer(text) for text in texts)


def _numeric_answers(question: Question) -> tuple[NumericAnswer, ...]:
    if question.kind == "percent":
        value = float(_fraction(question.answer.removesuffix("%").strip()))
        return (NumericAnswer(value, units=("%",)), NumericAnswer(value))
    if question.kind == "decimal":
        return (NumericAnswer(float(Fraction(question.answer.removeprefix("$")))),)
    return (NumericAnswer(float(_fraction(question.answer))),)


def question_item(
    question: Question, *, item_id: str, skill_id: str, wanted: ItemType | None = None
) -> ContentItem:
    """The item that asks ``question``, keyed with its canonical answer."""
    kind = item_type_for(question, wanted)
    base = ContentItem(
        item_id=item_id,
        type=kind,
        stem_html=f"<p>{html.escape(question.prompt)}</p>",
        skill_ids=(skill_id,),
    )
    match kind:
        case "numeric":
            return replace(base, numeric_answers=_numeric_answers(question))
        case "math":
            return replace(base, math_answer=MathAnswer(question.answer))
        case "text_entry":
            return replace(base, text_answers=_text_answers(question))
        case _:  # inline_choice or choice: a comparison
            choices = tuple(
                Choice(choice_id, html.escape(symbol), correct=symbol == question.answer)
                for choice_id, symbol in _SYMBOLS
            )
            return replace(base, choices=choices)
