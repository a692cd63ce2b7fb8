"""Where an item's feedback goes: a choice, the correct or wrong answers, the solution, hints.

QTI shows ``modalFeedback``, ``feedbackBlock`` and ``feedbackInline`` when an outcome
(``outcomeIdentifier``) holds, or with ``showHide="hide"`` does not hold, their
``identifier``. Attune has no outcomes, so the common patterns are read by their names:

* an outcome or identifier naming a solution (``SOLUTION``, or a title "Solution" or "Worked
  solution") → the worked solution; one naming a hint (``HINT``) → a hint;
* an identifier that is one of the item's choice ids (response processing copies the response
  to the ``FEEDBACK`` outcome) → that choice's feedback; ``feedbackInline`` inside a
  ``simpleChoice`` → that choice's feedback;
* ``correct`` / ``incorrect`` (also ``right``, ``wrong``, with an ``fb`` or ``feedback``
  prefix; ``showHide="hide"`` swaps them) → the feedback of the correct choices or full-credit
  answers, and of the other choices; a typed answer has no "other answers" to attach it to,
  so that one is left out and listed in ``skipped``;
* anything else → the general feedback, shown after any answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal
from xml.etree.ElementTree import Element

from attune.content.importers.moodle_answers import Body
from attune.content.importers.qti.xmltree import child

Kind = Literal["solution", "hint", "choice", "correct", "incorrect", "general", "unplaced"]
FEEDBACK_TAGS = frozenset({"modalFeedback", "feedbackBlock", "feedbackInline"})
_LETTERS = re.compile(r"[^a-z]")
_CORRECT = frozenset({"correct", "right", "fbcorrect", "feedbackcorrect", "fbright"})
_INCORRECT = frozenset(
    {"incorrect", "wrong", "fbincorrect", "feedbackincorrect", "fbwrong", "feedbackwrong"}
)
_SOLUTION = re.compile(r"solution", re.IGNORECASE)
_HINT = re.compile(r"hint", re.IGNORECASE)


def content(element: Element) -> Element:
    """The element holding the feedback's content (QTI 3.0 wraps it in ``qti-content-body``)."""
    body = child(element, "contentBody")
    return body if body is not None else element


def classify(element: Element, choice_ids: frozenset[str]) -> tuple[Kind, str]:
    """The kind of a feedback element, and the choice id for ``choice``."""
    outcome = element.get("outcomeIdentifier", "")
    identifier = element.get("identifier", "")
    shown = element.get("showHide", "show") != "hide"
    names = f"{outcome} {identifier}"
    if _SOLUTION.search(names) or _SOLUTION.search(element.get("title", "")):
        return "solution", ""
    if _HINT.search(names):
        return "hint", ""
    if identifier in choice_ids:
        return ("choice", identifier) if shown else ("unplaced", identifier)
    letters = _LETTERS.sub("", identifier.lower())
    if letters in _CORRECT:
        return ("correct" if shown else "incorrect"), ""
    if letters in _INCORRECT:
        return ("incorrect" if shown else "correct"), ""
    return "general", ""


@dataclass
class Feedback:
    """An item's feedback, sorted by where it goes."""

    general: list[str] = field(default_factory=list)
    solution: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    correct: list[str] = field(default_factory=list)
    incorrect: list[str] = field(default_factory=list)
    per_choice: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: Kind, key: str, html: str) -> None:
        """File ``html`` under its kind (``unplaced`` is for the caller to report)."""
        if not html.strip():
            return
        if kind == "choice":
            self.per_choice.setdefault(key, []).append(html)
        elif kind != "unplaced":
            lists = {
                "general": self.general,
                "solution": self.solution,
                "hint": self.hints,
                "correct": self.correct,
                "incorrect": self.incorrect,
            }
            lists[kind].append(html)

    def for_choice(self, choice_id: str, correct: bool) -> str:
        """A choice's own feedback, then the correct or incorrect feedback."""
        shared = self.correct if correct else self.incorrect
        return "".join([*self.per_choice.get(choice_id, []), *shared])


def applied(body: Body, feedback: Feedback) -> tuple[Body, bool]:
    """``body`` with the choice and correct/incorrect feedback attached; True when some
    incorrect-answer feedback had nowhere to go (a typed answer)."""
    if body.choices:
        choices = tuple(
            replace(c, feedback_html=c.feedback_html + feedback.for_choice(c.id, c.correct))
            for c in body.choices
        )
        return replace(body, choices=choices), False
    correct = "".join(feedback.correct)
    texts = tuple(
        replace(a, feedback_html=a.feedback_html + correct) if a.score >= 1.0 else a
        for a in body.text_answers
    )
    numbers = tuple(
        replace(a, feedback_html=a.feedback_html + correct) if a.score >= 1.0 else a
        for a in body.numeric_answers
    )
    unplaced = bool(feedback.incorrect) or (bool(correct) and not texts and not numbers)
    return replace(body, text_answers=texts, numeric_answers=numbers), unplaced
