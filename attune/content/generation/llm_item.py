"""The JSON item a model is asked for, and its strict reading into a :class:`ContentItem`.

The reply is untrusted: every field is checked for presence, type and size, a field the type
does not take (or nobody takes) is refused by name, and text becomes escaped HTML (a model's
markup is never trusted; LaTeX between ``\\( \\)`` survives escaping and is rendered later).
Structure only: whether the key is *right* is the evaluator's job, so a wrong answer parses.

Every item has ``type``, ``stem``, ``answer``, ``hints`` (list), ``solution`` and
``terminology_used`` (list). Then, per type:

- ``numeric``: ``answer`` a number; optional ``tolerance`` (absolute) and ``units``; and
  ``computation`` (arithmetic giving the answer) or ``equation`` with ``variable``;
- ``math``: ``answer`` an expression; ``check_expression`` it must equal;
- ``text_entry``: ``answer``, optional ``accepted_answers``; ``check_expression``;
- ``choice`` / ``multiple_response``: ``choices`` (``text``, ``correct``, ``feedback``);
  ``answer`` the correct option's text (a list of them for multiple response); optional
  ``computation`` or ``check_expression`` (needed when the options are numbers).
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from typing import Any, cast

from attune.content.generation.records import (
    Computation,
    Equivalence,
    Evidence,
    GenerationError,
    Substitution,
)
from attune.content.model import (
    Choice,
    ContentItem,
    ItemType,
    MathAnswer,
    NumericAnswer,
    TextAnswer,
)

GENERATED_TYPES: tuple[ItemType, ...] = (
    "numeric",
    "math",
    "text_entry",
    "choice",
    "multiple_response",
)
COMMON_FIELDS = ("type", "stem", "answer", "hints", "solution", "terminology_used")
TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    "numeric": ("tolerance", "units", "computation", "equation", "variable"),
    "math": ("check_expression",),
    "text_entry": ("accepted_answers", "check_expression"),
    "choice": ("choices", "computation", "check_expression"),
    "multiple_response": ("choices", "computation", "check_expression"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "math": ("check_expression",),
    "text_entry": ("check_expression",),
    "choice": ("choices",),
    "multiple_response": ("choices",),
}
MAX_STEM_CHARS = 2000
MAX_TEXT_CHARS = 1000
MAX_EXPRESSION_CHARS = 300
MAX_LIST = 8
_CHOICE_FIELDS = ("text", "correct", "feedback")


@dataclass(frozen=True)
class ParsedItem:
    """What a reply said: the item, the answer(s) it stated, its evidence and its terms."""

    item: ContentItem
    stated_answers: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    terminology_used: tuple[str, ...]


def _text(
    doc: dict[str, Any], name: str, limit: int = MAX_TEXT_CHARS, *, empty: bool = False
) -> str:
    value = doc[name]
    if not isinstance(value, str):
        raise GenerationError(f"field {name!r}: must be text")
    if len(value) > limit:
        raise GenerationError(f"field {name!r}: longer than {limit} characters")
    if not empty and not value.strip():
        raise GenerationError(f"field {name!r}: empty")
    return value.strip()


def _texts(doc: dict[str, Any], name: str, *, most: int = MAX_LIST) -> tuple[str, ...]:
    value = doc.get(name, [])
    if not isinstance(value, list) or len(value) > most:
        raise GenerationError(f"field {name!r}: must be a list of at most {most} texts")
    return tuple(_text({f"{name}[{i}]": v}, f"{name}[{i}]") for i, v in enumerate(value))


def _number(value: Any, name: str) -> float:
    try:
        number = float(value) if isinstance(value, int | float) else math.nan
    except OverflowError:  # a JSON integer past float's range
        number = math.inf
    if isinstance(value, bool) or not math.isfinite(number):
        raise GenerationError(f"field {name!r}: must be a finite number")
    return number


def _paragraphs(text: str) -> str:
    """Plain text as escaped HTML paragraphs (blank lines separate them)."""
    blocks = [" ".join(b.split()) for b in text.split("\n\n")]
    return "".join(f"<p>{html.escape(block)}</p>" for block in blocks if block)


def _choices(doc: dict[str, Any]) -> tuple[Choice, ...]:
    raw = doc["choices"]
    if not isinstance(raw, list) or not 2 <= len(raw) <= MAX_LIST:
        raise GenerationError(f"field 'choices': must be a list of 2 to {MAX_LIST} options")
    choices = []
    for index, option in enumerate(raw):
        where = f"choices[{index}]"
        if not isinstance(option, dict):
            raise GenerationError(f"field {where!r}: must be an object")
        for key in option:
            if key not in _CHOICE_FIELDS:
                raise GenerationError(f"field '{where}.{key}': unknown field")
        for key in _CHOICE_FIELDS:
            if key not in option:
                raise GenerationError(f"field '{where}.{key}': missing")
        if not isinstance(option["correct"], bool):
            raise GenerationError(f"field '{where}.correct': must be true or false")
        text = _text({f"{where}.text": option["text"]}, f"{where}.text")
        feedback = _text({f"{where}.feedback": option["feedback"]}, f"{where}.feedback", empty=True)
        choices.append(
            Choice(
                id=chr(ord("a") + index),
                html=html.escape(text),
                correct=option["correct"],
                feedback_html=_paragraphs(feedback),
            )
        )
    return tuple(choices)


def _evidence(doc: dict[str, Any]) -> tuple[Evidence, ...]:
    found: list[Evidence] = []
    if "computation" in doc:
        found.append(Computation(_text(doc, "computation", MAX_EXPRESSION_CHARS)))
    if "check_expression" in doc:
        found.append(Equivalence(_text(doc, "check_expression", MAX_EXPRESSION_CHARS)))
    if ("equation" in doc) != ("variable" in doc):
        missing = "variable" if "equation" in doc else "equation"
        raise GenerationError(f"field {missing!r}: missing (equation and variable go together)")
    if "equation" in doc:
        found.append(
            Substitution(_text(doc, "equation", MAX_EXPRESSION_CHARS), _text(doc, "variable", 1))
        )
    return tuple(found)


def _numeric(doc: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    if "computation" not in doc and "equation" not in doc:
        raise GenerationError("field 'computation': missing (or give equation and variable)")
    value = _number(doc["answer"], "answer")
    tolerance = _number(doc.get("tolerance", 0.0), "tolerance")
    if tolerance < 0:
        raise GenerationError("field 'tolerance': must be >= 0")
    units = _texts(doc, "units")
    stated = str(doc["answer"]) + (f" {units[0]}" if units else "")
    answer = NumericAnswer(value=value, tolerance=tolerance, units=units)
    return {"numeric_answers": (answer,)}, (stated,)


def _keyed(doc: dict[str, Any], kind: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    if kind == "numeric":
        return _numeric(doc)
    if kind == "multiple_response":
        stated = _texts(doc, "answer")
        if not stated:
            raise GenerationError("field 'answer': empty")
        return {"choices": _choices(doc)}, stated
    answer = _text(doc, "answer", MAX_EXPRESSION_CHARS if kind == "math" else MAX_TEXT_CHARS)
    if kind == "math":
        return {"math_answer": MathAnswer(answer)}, (answer,)
    if kind == "text_entry":
        texts = dict.fromkeys((answer, *_texts(doc, "accepted_answers")))
        return {"text_answers": tuple(TextAnswer(t) for t in texts)}, (answer,)
    return {"choices": _choices(doc)}, (answer,)


def parse_item(content: str, *, item_id: str, skill_id: str) -> ParsedItem:
    """The item in a model's reply ``content`` (a JSON object); :class:`GenerationError`
    naming the field when anything is missing, unknown, of the wrong type or too long."""
    try:
        doc = json.loads(content)
    except (ValueError, RecursionError) as exc:
        raise GenerationError(f"the reply is not JSON: {type(exc).__name__}") from exc
    if not isinstance(doc, dict):
        raise GenerationError("the reply is not a JSON object")
    doc = cast(dict[str, Any], doc)
    kind = doc.get("type")
    if kind not in GENERATED_TYPES:
        raise GenerationError(f"field 'type': must be one of {', '.join(GENERATED_TYPES)}")
    allowed = (*COMMON_FIELDS, *TYPE_FIELDS[kind])
    every = {f for fields in TYPE_FIELDS.values() for f in fields} | set(COMMON_FIELDS)
    for name in doc:
        if name not in allowed:
            where = f"not taken by a {kind} item" if name in every else "unknown field"
            raise GenerationError(f"field {str(name)[:40]!r}: {where}")
    for name in (*COMMON_FIELDS, *REQUIRED.get(kind, ())):
        if name not in doc:
            raise GenerationError(f"field {name!r}: missing")
    fields, stated = _keyed(doc, kind)
    item = ContentItem(
        item_id=item_id,
        type=kind,
        stem_html=_paragraphs(_text(doc, "stem", MAX_STEM_CHARS)),
        skill_ids=(skill_id,),
        hints_html=tuple(_paragraphs(h) for h in _texts(doc, "hints", most=5)),
        solution_html=_paragraphs(_text(doc, "solution", empty=True)),
        **fields,
    )
    return ParsedItem(item, stated, _evidence(doc), _texts(doc, "terminology_used", most=50))
