"""The answers of each supported Moodle question type, as Attune item fields.

MoodleDocs, "Moodle XML format": ``<answer fraction="...">`` gives an answer's credit in
percent (100 full, 50 half, negative a penalty), ``<text>`` its value and ``<feedback>`` what
a learner who gives it sees. Each function reads one question and returns its
:class:`Body`, or None after recording a located problem on the question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from attune.content.importers.moodle_text import Question
from attune.content.model import Choice, ItemType, NumericAnswer, TextAnswer

_TRUE = {"1", "true", "yes"}
_WILDCARD = re.compile(r"(?<!\\)\*")
_FULL = 1.0 - 1e-6  # Moodle writes thirds as 33.33333: "full" allows for the rounding


@dataclass(frozen=True)
class Body:
    """What a question type contributes to its item."""

    type: ItemType
    choices: tuple[Choice, ...] = ()
    text_answers: tuple[TextAnswer, ...] = ()
    numeric_answers: tuple[NumericAnswer, ...] = ()
    partial_credit: bool = False


def _flag(q: Question, child: str, default: bool) -> bool:
    raw = (q.element.findtext(child) or "").strip().lower()
    return raw in _TRUE if raw else default


def _fraction(q: Question, answer: Element) -> float | None:
    """The answer's credit as a share of the mark, in [-1, 1]."""
    percent = q.number_at(answer, "@fraction", default=0.0)
    if percent is None:
        return None
    if not -100.0 <= percent <= 100.0:
        q.problem(q.path(answer, "@fraction"), f"{percent:g} is outside [-100, 100]")
        return None
    return percent / 100.0


def _choice_id(index: int) -> str:
    return chr(ord("a") + index) if index < 26 else f"o{index + 1}"


def multichoice(q: Question) -> Body | None:
    """One correct choice (``single``), or several scored by their fractions."""
    single = _flag(q, "single", default=True)
    choices = []
    for index, answer in enumerate(q.element.findall("answer")):
        fraction = _fraction(q, answer)
        if fraction is None:
            continue
        if single and 0.0 < fraction < _FULL:
            q.skip(
                q.path(answer, "@fraction"),
                f"partial credit ({fraction:.0%}) for one choice of a single-answer question "
                "is not supported: this choice scores 0",
            )
        choices.append(
            Choice(
                id=_choice_id(index),
                html=q.rich(answer),
                correct=fraction >= _FULL if single else fraction > 0.0,
                feedback_html=q.rich(answer.find("feedback")),
                weight=None if single else fraction,
            )
        )
    kind: ItemType = "choice" if single else "multiple_response"
    return Body(kind, choices=tuple(choices), partial_credit=not single)


def truefalse(q: Question) -> Body | None:
    """Options ``true`` and ``false``; the one at fraction 100 is correct."""
    found: dict[str, Choice] = {}
    for answer in q.element.findall("answer"):
        value = (answer.findtext("text") or "").strip().lower()
        if value not in ("true", "false"):
            q.problem(q.path(answer, "text"), f"{value[:40]!r} is neither true nor false")
            continue
        fraction = _fraction(q, answer)
        if fraction is None:
            continue
        feedback = q.rich(answer.find("feedback"))
        found[value] = Choice(value, value.capitalize(), fraction >= _FULL, feedback)
    if set(found) != {"true", "false"}:
        q.problem("answer", "a true/false question needs one true and one false answer")
        return None
    return Body("choice", choices=(found["true"], found["false"]))


def shortanswer(q: Question) -> Body | None:
    """Typed answers, each with its score; ``usecase`` makes them case-sensitive."""
    case_sensitive = _flag(q, "usecase", default=False)
    answers = []
    for answer in q.element.findall("answer"):
        value = (answer.findtext("text") or "").strip()
        fraction = _fraction(q, answer)
        if fraction is None:
            continue
        if _WILDCARD.search(value):
            q.skip(q.path(answer, "text"), f"the wildcard answer {value[:40]!r} is left out")
            continue
        if not value:
            q.problem(q.path(answer, "text"), "an empty answer")
            continue
        if fraction < 0.0:
            q.problem(q.path(answer, "@fraction"), "a typed answer cannot score below 0")
            continue
        feedback = q.rich(answer.find("feedback"))
        value = value.replace("\\*", "*")
        answers.append(TextAnswer(value, case_sensitive, score=fraction, feedback_html=feedback))
    if not any(answer.score > 0 for answer in answers):
        q.problem("answer", "no answer earns credit")
    return Body("text_entry", text_answers=tuple(answers))


def _units(q: Question) -> tuple[tuple[str, ...], list[tuple[str, float]]]:
    """The names of the base units (multiplier 1) and the other units with their multiplier."""
    base: list[str] = []
    scaled: list[tuple[str, float]] = []
    for unit in q.element.findall("units/unit"):
        name = (unit.findtext("unit_name") or "").strip()
        multiplier = q.number_at(unit, "multiplier", default=1.0)
        if not name or multiplier is None:
            if not name:
                q.problem(q.path(unit, "unit_name"), "a unit needs a name")
            continue
        if multiplier <= 0.0:
            q.problem(q.path(unit, "multiplier"), "a multiplier must be above 0")
        elif multiplier == 1.0:
            base.append(name)
        else:
            scaled.append((name, multiplier))
    return tuple(base), scaled


def numerical(q: Question) -> Body | None:
    """Numbers within an absolute tolerance, in the question's units."""
    base, scaled = _units(q)
    answers: list[NumericAnswer] = []
    for answer in q.element.findall("answer"):
        fraction = _fraction(q, answer)
        if (answer.findtext("text") or "").strip() == "*":
            q.skip(q.path(answer, "text"), "the catch-all answer '*' is left out")
            continue
        value = q.number_at(answer, "text")
        tolerance = q.number_at(answer, "tolerance", default=0.0)
        if fraction is None or value is None or tolerance is None:
            continue
        if fraction < 0.0:
            q.problem(q.path(answer, "@fraction"), "a numeric answer cannot score below 0")
            continue
        feedback = q.rich(answer.find("feedback"))
        tolerance = abs(tolerance)
        answers.append(NumericAnswer(value, tolerance, "absolute", base, fraction, feedback))
        answers += [
            NumericAnswer(value * m, tolerance * m, "absolute", (name,), fraction, feedback)
            for name, m in scaled
        ]
    if not any(answer.score > 0 for answer in answers):
        q.problem("answer", "no answer earns credit")
    return Body("numeric", numeric_answers=tuple(answers))
