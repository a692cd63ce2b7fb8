"""An item's response processing and feedback, read as Canvas writes them.

QTI 1.2 ASI, section 3.8 (``resprocessing``): ``outcomes/decvar`` declares ``SCORE`` (Canvas:
0 to 100); each ``respcondition`` tests a ``conditionvar`` (``varequal``, ``vargte``,
``varlte``, ... on a response ``respident``, combined by ``and``, ``or`` and ``not``), then
``setvar``s the score and ``displayfeedback``s an ``itemfeedback`` by its ``ident``. Canvas
(lib/cc/qti/qti_items.rb) gives the correct answer a condition that sets ``SCORE`` to 100,
each answer's feedback a condition ``varequal`` to that answer linking ``<answer id>_fb``, and
the question's feedback ``general_fb``, ``correct_fb`` and ``general_incorrect_fb``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from attune.content.importers.canvas.material import Entry

GENERAL = "general_fb"
CORRECT = "correct_fb"
INCORRECT = ("general_incorrect_fb", "incorrect_fb")
QUESTION_FEEDBACK = frozenset({GENERAL, CORRECT, *INCORRECT})
FULL = 1.0 - 1e-6  # Canvas writes a third of 100 as 33.33: "full" allows for the rounding


@dataclass(frozen=True)
class Condition:
    """One ``respcondition``: its test, the share of the mark it sets (None when it sets no
    score) and the feedback it shows."""

    element: Element
    test: Element | None
    score: float | None
    feedback: tuple[str, ...]

    def values(self, respident: str | None = None, *, under_not: bool = False) -> list[Element]:
        """Its ``varequal`` tests (on ``respident`` when given), those under ``not`` or not."""
        found: list[Element] = []
        stack = [(child, False) for child in (self.test if self.test is not None else ())]
        while stack:
            element, negated = stack.pop(0)
            on = respident is None or element.get("respident", respident) == respident
            if element.tag == "varequal" and negated == under_not and on:
                found.append(element)
            stack += [(child, negated or element.tag == "not") for child in element]
        return found


@dataclass(frozen=True)
class Scoring:
    """The conditions of an item, in order, and its feedback HTML by ``ident``."""

    conditions: tuple[Condition, ...]
    feedback: dict[str, str]

    def scored(self) -> list[Condition]:
        """The conditions that give credit."""
        return [c for c in self.conditions if c.score is not None and c.score > 0]

    def answer_feedback(self, respident: str) -> dict[str, str]:
        """Per answer (the ``varequal`` value), the feedback of the conditions testing only
        that answer; question-level feedback left out."""
        found: dict[str, str] = {}
        for condition in self.conditions:
            tests = list(condition.test) if condition.test is not None else []
            if len(tests) != 1 or tests[0].tag != "varequal":
                continue
            if tests[0].get("respident", respident) != respident:
                continue
            html = "".join(
                self.feedback.get(ref, "")
                for ref in condition.feedback
                if ref not in QUESTION_FEEDBACK
            )
            value = (tests[0].text or "").strip()
            if html and value not in found:
                found[value] = html
        return found

    def general_html(self) -> str:
        """The question's feedback: general, then for a right and for a wrong answer (an
        item has one feedback shown after any answer, so each is labelled)."""
        parts = [self.feedback.get(GENERAL, "")]
        correct = self.feedback.get(CORRECT, "")
        incorrect = next((self.feedback[i] for i in INCORRECT if self.feedback.get(i)), "")
        if correct:
            parts.append(f"<p><strong>If your answer is right:</strong></p>{correct}")
        if incorrect:
            parts.append(f"<p><strong>If your answer is wrong:</strong></p>{incorrect}")
        return "".join(part for part in parts if part)


def read_scoring(entry: Entry) -> Scoring:
    """The item's conditions and feedback; unreadable scores are located problems."""
    item = entry.element
    feedback = {
        fb.get("ident", ""): entry.html(fb)
        for fb in item.findall("itemfeedback")
        if fb.get("ident")
    }
    processing = item.find("resprocessing")
    if processing is None:
        return Scoring((), feedback)
    maximum = _maximum(entry, processing)
    conditions = []
    for element in processing.findall("respcondition"):
        score: float | None = None
        for setvar in element.findall("setvar"):
            if setvar.get("varname", "SCORE").upper() != "SCORE":
                continue
            value = _number(entry, setvar)
            if value is not None:
                score = max(0.0, min(1.0, value / maximum))
        refs = tuple(d.get("linkrefid", "") for d in element.findall("displayfeedback"))
        conditions.append(Condition(element, element.find("conditionvar"), score, refs))
    return Scoring(tuple(conditions), feedback)


def _maximum(entry: Entry, processing: Element) -> float:
    for decvar in processing.findall("outcomes/decvar"):
        if decvar.get("varname", "SCORE").upper() == "SCORE" and decvar.get("maxvalue"):
            value = number(decvar.get("maxvalue"))
            if value is not None and value > 0:
                return value
            entry.problem(entry.path(decvar, "@maxvalue"), "the maximum score must be above 0")
    return 100.0


def _number(entry: Entry, element: Element) -> float | None:
    value = number(element.text)
    if value is None:
        entry.problem(entry.path(element), f"{(element.text or '').strip()[:40]!r} is not a number")
    return value


def number(text: str | None) -> float | None:
    """The finite number in ``text``, or None."""
    try:
        value = float((text or "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None
