"""The answers of each supported Canvas question type, as Attune item fields.

Canvas's exporter (lib/cc/qti/qti_items.rb) shapes each type's QTI; each function reads one
and returns its :class:`Body`, or None after recording a located problem or skip.

* ``multiple_choice_question``, ``true_false_question``: a ``response_lid``; the choice the
  full-score condition tests with ``varequal`` is correct.
* ``multiple_answers_question``: the full-score condition is an ``and`` of ``varequal`` (the
  right choices) and ``not``/``varequal`` (the wrong ones). Canvas scores it with partial
  credit by default: each right choice ticked earns 1/n of the mark (n right choices), each
  wrong one ticked loses 1/n, and the total is at least 0. So the item is
  ``multiple_response`` with ``partial_credit`` and weights +1/n and -1/n.
* ``short_answer_question``: each ``varequal`` of the full-score condition is an accepted
  answer, compared ignoring case as Canvas does (unless the ``varequal`` says
  ``case="Yes"``, as Common Cartridge allows).
* ``numerical_question``: see :mod:`attune.content.importers.canvas.numeric`.
* ``multiple_dropdowns_question`` with one blank: an ``inline_choice`` item; more blanks have
  no Attune item type and are skipped.
* ``fill_in_multiple_blanks_question`` with one blank: ``text_entry``, every answer listed
  for the blank accepted (Canvas lists only right ones), ignoring case; more blanks skipped.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace
from xml.etree.ElementTree import Element

from attune.content.importers.canvas.material import Entry
from attune.content.importers.canvas.numeric import numeric_answers
from attune.content.importers.canvas.qti_xml import text_of
from attune.content.importers.canvas.scoring import FULL, Scoring
from attune.content.importers.moodle_answers import Body
from attune.content.model import Choice, TextAnswer

_CHOICE_ID = re.compile(r"^[^\s/]{1,64}$")
_HTML_TAG = re.compile(r"<[^>]*>")
BLANK = "_____"


def _labels(entry: Entry, lid: Element) -> list[tuple[str, str, Element]]:
    """The choices of a ``response_lid``: a valid, unique choice id, the label's own
    ``ident`` (what conditions test) and the ``response_label``."""
    found: list[tuple[str, str, Element]] = []
    ids: set[str] = set()
    for index, label in enumerate(lid.iter("response_label")):
        ident = label.get("ident", "").strip()
        choice_id = ident if _CHOICE_ID.match(ident) else f"c{index + 1}"
        if choice_id in ids:
            entry.problem(entry.path(label, "@ident"), f"the choice id {choice_id!r} is used twice")
            continue
        ids.add(choice_id)
        found.append((choice_id, ident, label))
    return found


def _lids(entry: Entry) -> list[Element]:
    presentation = entry.element.find("presentation")
    return list(presentation.iter("response_lid")) if presentation is not None else []


def _right(
    scoring: Scoring, lid: Element, labels: list[tuple[str, str, Element]], full: bool
) -> set[str]:
    """The ids of the choices that a condition giving credit (full credit when ``full``)
    tests with ``varequal``, outside any ``not``; only its first such condition."""
    respident = lid.get("ident", "")
    ids = {ident: choice_id for choice_id, ident, _ in labels}
    conditions = [c for c in scoring.scored() if not full or (c.score or 0.0) >= FULL]
    return {
        ids[value]
        for condition in conditions[:1]
        for value in ((v.text or "").strip() for v in condition.values(respident))
        if value in ids
    }


def _choices(
    entry: Entry, scoring: Scoring, lid: Element, labels: list[tuple[str, str, Element]]
) -> list[Choice]:
    """The choices, none right yet, each with its feedback."""
    feedback = scoring.answer_feedback(lid.get("ident", ""))
    return [
        Choice(choice_id, entry.html(label), feedback_html=feedback.get(ident, ""))
        for choice_id, ident, label in labels
    ]


def _marked(choices: list[Choice], right: set[str]) -> tuple[Choice, ...]:
    return tuple(replace(c, correct=c.id in right) for c in choices)


def _choice_lid(entry: Entry) -> Element | None:
    lids = _lids(entry)
    if not lids:
        entry.problem("presentation", "no response_lid: the question has no choices")
        return None
    return lids[0]


def choice(entry: Entry, scoring: Scoring) -> Body | None:
    """One right choice among several (true/false is two choices)."""
    lid = _choice_lid(entry)
    if lid is None:
        return None
    labels = _labels(entry, lid)
    right = _right(scoring, lid, labels, full=True)
    return Body("choice", choices=_marked(_choices(entry, scoring, lid, labels), right))


def multiple_answers(entry: Entry, scoring: Scoring) -> Body | None:
    """Several right choices, scored as Canvas does by default (see the module docstring)."""
    lid = _choice_lid(entry)
    if lid is None:
        return None
    labels = _labels(entry, lid)
    right = _right(scoring, lid, labels, full=True)
    if not right:
        entry.problem("resprocessing", "no choice is marked right")
        return None
    share = 1.0 / len(right)
    choices = tuple(
        replace(c, correct=c.id in right, weight=share if c.id in right else -share)
        for c in _choices(entry, scoring, lid, labels)
    )
    return Body("multiple_response", choices=choices, partial_credit=True)


def short_answer(entry: Entry, scoring: Scoring) -> Body | None:
    """Typed answers; each ``varequal`` of a scoring condition is one, with its score."""
    answers: dict[str, TextAnswer] = {}
    feedback = scoring.answer_feedback(_response_str(entry))
    for condition in scoring.scored():
        for value in condition.values():
            text = (value.text or "").strip()
            if text and text not in answers:
                case = value.get("case", "No").strip().lower() == "yes"
                score = condition.score or 0.0
                answers[text] = TextAnswer(
                    text, case, score=score, feedback_html=feedback.get(text, "")
                )
    if not answers:
        entry.problem("resprocessing", "no answer earns credit")
        return None
    return Body("text_entry", text_answers=tuple(answers.values()))


def _response_str(entry: Entry) -> str:
    found = entry.element.find("presentation")
    response = next(found.iter("response_str"), None) if found is not None else None
    return response.get("ident", "response1") if response is not None else "response1"


def numerical(entry: Entry, scoring: Scoring) -> Body | None:
    """Numbers within a tolerance (see :mod:`~attune.content.importers.canvas.numeric`)."""
    answers = numeric_answers(entry, scoring)
    return Body("numeric", numeric_answers=tuple(answers)) if answers else None


def _single_blank(entry: Entry, kind: str) -> Element | None:
    lids = _lids(entry)
    if len(lids) != 1:
        entry.skip(
            "presentation",
            f"{kind} with {len(lids)} blanks: an Attune item has one answer field",
        )
        return None
    return lids[0]


def _without_blank(entry: Entry, stem: str, lid: Element) -> str:
    """The stem with the blank's ``[name]`` shown as a gap."""
    name = text_of(lid.find("material")) or lid.get("ident", "").removeprefix("response_")
    marker = f"[{html.escape(name, quote=False)}]"
    if marker not in stem:
        entry.problem("presentation/material", f"the stem has no blank {marker}")
    return stem.replace(marker, BLANK)


def dropdown(entry: Entry, scoring: Scoring, stem: str) -> tuple[Body | None, str]:
    """One drop-down list in the stem: an inline choice."""
    lid = _single_blank(entry, "multiple_dropdowns_question")
    if lid is None:
        return None, stem
    labels = _labels(entry, lid)
    right = _right(scoring, lid, labels, full=False)
    body = Body("inline_choice", choices=_marked(_choices(entry, scoring, lid, labels), right))
    return body, _without_blank(entry, stem, lid)


def fill_in_blank(entry: Entry, scoring: Scoring, stem: str) -> tuple[Body | None, str]:
    """One typed blank in the stem: a text entry accepting every answer listed for it."""
    lid = _single_blank(entry, "fill_in_multiple_blanks_question")
    if lid is None:
        return None, stem
    feedback = scoring.answer_feedback(lid.get("ident", ""))
    answers: dict[str, TextAnswer] = {}
    for _, ident, label in _labels(entry, lid):
        text = html.unescape(_HTML_TAG.sub("", text_of(label.find("material")))).strip()
        if text and text not in answers:
            answers[text] = TextAnswer(text, feedback_html=feedback.get(ident, ""))
    if not answers:
        entry.problem(entry.path(lid), "the blank has no answer")
        return None, stem
    return Body("text_entry", text_answers=tuple(answers.values())), _without_blank(
        entry, stem, lid
    )
