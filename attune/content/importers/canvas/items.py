"""One QTI ``<item>`` of a Canvas quiz or question bank into a :class:`ContentItem`.

The type is the ``question_type`` field of ``itemmetadata/qtimetadata`` (Canvas's own
export) or, in the Common Cartridge profile of QTI, the ``cc_profile`` field. Types with an
Attune item are read by :mod:`~attune.content.importers.canvas.answers`; the others are
reported in ``skipped`` with their type named: essays and file uploads are not scored
automatically, a text-only question asks nothing, and matching, calculated (formula)
questions and blanks beyond the first have no Attune item type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from attune.content.importers.canvas import answers
from attune.content.importers.canvas.material import Entry
from attune.content.importers.canvas.qti_xml import metadata
from attune.content.importers.canvas.scoring import Scoring, read_scoring
from attune.content.importers.moodle_answers import Body
from attune.content.model import ContentItem

Reader = Callable[[Entry, Scoring], Body | None]
StemReader = Callable[[Entry, Scoring, str], tuple[Body | None, str]]

READERS: dict[str, Reader] = {
    "multiple_choice_question": answers.choice,
    "true_false_question": answers.choice,
    "multiple_answers_question": answers.multiple_answers,
    "short_answer_question": answers.short_answer,
    "numerical_question": answers.numerical,
}
STEM_READERS: dict[str, StemReader] = {
    "multiple_dropdowns_question": answers.dropdown,
    "fill_in_multiple_blanks_question": answers.fill_in_blank,
}
NOT_IMPORTED = {
    "essay_question": "is not scored automatically",
    "file_upload_question": "is not scored automatically",
    "text_only_question": "asks no question",
    "matching_question": "has no Attune item type",
    "calculated_question": "(a formula question) has no Attune item type",
    "formula_question": "has no Attune item type",
}
# Common Cartridge 1.1, "QTI profile": the cc_profile of each supported interaction.
CC_PROFILES = {
    "cc.multiple_choice.v0p1": "multiple_choice_question",
    "cc.true_false.v0p1": "true_false_question",
    "cc.multiple_response.v0p1": "multiple_answers_question",
    "cc.fib.v0p1": "short_answer_question",
    "cc.essay.v0p1": "essay_question",
}


@dataclass(frozen=True)
class ItemRef:
    """What identifies an item across files: Canvas copies a bank's question into each quiz
    that uses it, and names the original in ``assessment_question_identifierref``."""

    ident: str
    key: str


def item_ref(entry: Entry) -> ItemRef:
    """The item's ``ident`` and the key of the question it is a copy of (or its own)."""
    ident = entry.element.get("ident", "").strip()
    original = metadata(entry.element).get("assessment_question_identifierref", "")
    return ItemRef(ident, original or ident)


def question_type(entry: Entry) -> str:
    """Canvas's ``question_type``, or the one the ``cc_profile`` stands for, or ''."""
    fields = metadata(entry.element)
    profile = fields.get("cc_profile", "")
    return fields.get("question_type") or CC_PROFILES.get(profile, profile)


def read_item(entry: Entry, item_id: str, skill_ids: tuple[str, ...]) -> ContentItem | None:
    """The item, or None after recording why it is skipped or what is wrong with it."""
    kind = question_type(entry)
    field = "itemmetadata/qtimetadata"
    if not kind:
        entry.skip(field, "no question_type (nor cc_profile): the question type is unknown")
        return None
    if kind in NOT_IMPORTED:
        entry.skip(field, f"{kind} {NOT_IMPORTED[kind]}")
        return None
    if kind not in READERS and kind not in STEM_READERS:
        entry.skip(field, f"{kind} is not a question type Attune imports")
        return None
    presentation = entry.element.find("presentation")
    materials = [] if presentation is None else presentation.findall("material")
    if presentation is not None:
        materials += presentation.findall("flow/material")
    stem = "".join(entry.html(material) for material in materials)
    scoring = read_scoring(entry)
    if kind in STEM_READERS:
        body, stem = STEM_READERS[kind](entry, scoring, stem)
    else:
        body = READERS[kind](entry, scoring)
    if body is not None and not stem.strip():
        entry.problem("presentation/material", "the question has no text")
    if body is None or entry.problems:
        return None
    return ContentItem(
        item_id=item_id,
        type=body.type,
        stem_html=stem,
        skill_ids=skill_ids,
        choices=body.choices,
        text_answers=body.text_answers,
        numeric_answers=body.numeric_answers,
        general_feedback_html=scoring.general_html(),
        partial_credit=body.partial_credit,
        media=tuple(entry.media.values()),
    )
