"""A :class:`~attune.content.model.CoursePackage` written back as Attune's package format.

Every importer's result can so be saved as a package an author edits and re-validates, and
the content store keeps exactly these documents. :func:`package_documents` gives the course
document and the item documents (the shapes ``FORMAT.md`` describes, defaults left out);
:func:`package_zip` a zip that :func:`~attune.content.package.validate_package` reads back
into an equal package. :func:`item_from_document` and :func:`package_from_documents` read the
documents back without validation, for stores that only ever hold validated packages.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from typing import Any

from attune.content.model import (
    Choice,
    ContentItem,
    ContentSkill,
    CoursePackage,
    NumericAnswer,
    TextAnswer,
)
from attune.content.package.build import build_item, build_skill

ITEMS_PER_FILE = 500  # keeps each items document far below the 4 MiB document cap
Doc = dict[str, Any]


def _skill_doc(skill: ContentSkill) -> Doc:
    doc: Doc = {"id": skill.skill_id, "name": skill.name}
    if skill.prerequisites:
        doc["prerequisites"] = list(skill.prerequisites)
    for name in ("prior", "learn", "guess", "slip"):
        value = getattr(skill, name)
        if value is not None:
            doc[name] = value
    if skill.forget:
        doc["forget"] = skill.forget
    if skill.resources:
        doc["resources"] = [
            {"title": r.title, "url": r.url, "kind": r.kind} for r in skill.resources
        ]
    return doc


def _choice_doc(choice: Choice) -> Doc:
    doc: Doc = {"id": choice.id, "html": choice.html}
    if choice.correct:
        doc["correct"] = True
    if choice.feedback_html:
        doc["feedback"] = choice.feedback_html
    if choice.weight is not None:
        doc["weight"] = choice.weight
    return doc


def _text_doc(answer: TextAnswer) -> Doc:
    doc: Doc = {"value": answer.value}
    if answer.case_sensitive:
        doc["case_sensitive"] = True
    if not answer.normalise_whitespace:
        doc["normalise_whitespace"] = False
    if answer.score != 1.0:
        doc["score"] = answer.score
    if answer.feedback_html:
        doc["feedback"] = answer.feedback_html
    return doc


def _numeric_doc(answer: NumericAnswer) -> Doc:
    doc: Doc = {"value": answer.value}
    if answer.tolerance:
        doc["tolerance"] = answer.tolerance
    if answer.tolerance_mode != "absolute":
        doc["tolerance_mode"] = answer.tolerance_mode
    if answer.units:
        doc["units"] = list(answer.units)
    if answer.score != 1.0:
        doc["score"] = answer.score
    if answer.feedback_html:
        doc["feedback"] = answer.feedback_html
    return doc


def item_document(item: ContentItem) -> Doc:
    """One item as the document an ``items/`` file holds."""
    doc: Doc = {
        "id": item.item_id,
        "type": item.type,
        "stem": item.stem_html,
        "skills": list(item.skill_ids),
    }
    if item.choices:
        doc["choices"] = [_choice_doc(c) for c in item.choices]
    if item.text_answers:
        doc["text_answers"] = [_text_doc(a) for a in item.text_answers]
    if item.numeric_answers:
        doc["numeric_answers"] = [_numeric_doc(a) for a in item.numeric_answers]
    if item.math_answer is not None:
        doc["math_answer"] = item.math_answer.expression
    if item.hints_html:
        doc["hints"] = list(item.hints_html)
    if item.solution_html:
        doc["solution"] = item.solution_html
    if item.general_feedback_html:
        doc["feedback"] = item.general_feedback_html
    if (item.irt_a, item.irt_b, item.irt_c) != (1.0, 0.0, 0.0):
        doc["irt"] = {"a": item.irt_a, "b": item.irt_b, "c": item.irt_c}
    if item.partial_credit:
        doc["partial_credit"] = True
    if item.media:
        doc["media"] = [
            {"path": m.path, "type": m.media_type, **({"alt": m.alt} if m.alt else {})}
            for m in item.media
        ]
    return doc


def course_document(package: CoursePackage) -> Doc:
    """The course file's document: metadata, mastery policy and the skills."""
    doc: Doc = {
        "format": 1,
        "id": package.course_id,
        "title": package.title,
        "version": package.version,
    }
    mastery = {
        name: value
        for name, value in (
            ("threshold", package.mastery_threshold),
            ("min_attempts", package.mastery_min_attempts),
            ("consecutive_correct", package.mastery_consecutive_correct),
        )
        if value is not None
    }
    if mastery:
        doc["mastery"] = mastery
    doc["skills"] = [_skill_doc(s) for s in package.skills]
    return doc


def package_documents(package: CoursePackage) -> tuple[Doc, list[Doc]]:
    """The course document and the item documents, in the package's order."""
    return course_document(package), [item_document(i) for i in package.items]


def package_zip(package: CoursePackage) -> bytes:
    """The package as a zip: ``course.json``, ``items/items-NNN.json`` and its media."""
    course, items = package_documents(package)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("course.json", _json(course))
        for start in range(0, len(items), ITEMS_PER_FILE):
            number = start // ITEMS_PER_FILE + 1
            archive.writestr(
                f"items/items-{number:03d}.json", _json(items[start : start + ITEMS_PER_FILE])
            )
        for path in sorted(package.media):
            archive.writestr(path, package.media[path])
    return buffer.getvalue()


def item_from_document(doc: Mapping[str, Any]) -> ContentItem:
    """An item document written by :func:`item_document` (trusted: not validated again)."""
    return build_item(dict(doc))


def package_from_documents(
    course: Mapping[str, Any], items: list[Mapping[str, Any]], media: Mapping[str, bytes]
) -> CoursePackage:
    """A package from documents written by :func:`package_documents` (trusted)."""
    mastery = course.get("mastery", {})
    return CoursePackage(
        course_id=course["id"],
        title=course["title"],
        version=course["version"],
        skills=tuple(build_skill(dict(s)) for s in course.get("skills", ())),
        items=tuple(item_from_document(i) for i in items),
        mastery_threshold=mastery.get("threshold"),
        mastery_min_attempts=mastery.get("min_attempts"),
        mastery_consecutive_correct=mastery.get("consecutive_correct"),
        media=dict(media),
    )


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=False)
