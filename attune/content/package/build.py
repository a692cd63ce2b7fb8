"""Schema-valid documents to the shared item model (:mod:`attune.content.model`).

Only documents that passed their schema reach here, so every key and type is as the schema
says; the functions only rename fields and fill the model's defaults.
"""

from __future__ import annotations

from typing import Any

from attune.content.model import (
    Choice,
    ContentItem,
    ContentSkill,
    MathAnswer,
    Media,
    NumericAnswer,
    Resource,
    TextAnswer,
)


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def build_skill(doc: dict[str, Any]) -> ContentSkill:
    """A skill document (from course.yaml/json or a skills.csv row) as a ContentSkill."""
    return ContentSkill(
        skill_id=doc["id"],
        name=doc["name"],
        prerequisites=tuple(doc.get("prerequisites", ())),
        prior=_opt_float(doc.get("prior")),
        learn=_opt_float(doc.get("learn")),
        guess=_opt_float(doc.get("guess")),
        slip=_opt_float(doc.get("slip")),
        forget=float(doc.get("forget", 0.0)),
        resources=tuple(
            Resource(r["title"], r["url"], r.get("kind", "other")) for r in doc.get("resources", ())
        ),
    )


def _choice(doc: dict[str, Any]) -> Choice:
    return Choice(
        id=doc["id"],
        html=doc["html"],
        correct=doc.get("correct", False),
        feedback_html=doc.get("feedback", ""),
        weight=_opt_float(doc.get("weight")),
    )


def _text_answer(doc: dict[str, Any]) -> TextAnswer:
    return TextAnswer(
        value=doc["value"],
        case_sensitive=doc.get("case_sensitive", False),
        normalise_whitespace=doc.get("normalise_whitespace", True),
        score=float(doc.get("score", 1.0)),
        feedback_html=doc.get("feedback", ""),
    )


def _numeric_answer(doc: dict[str, Any]) -> NumericAnswer:
    return NumericAnswer(
        value=float(doc["value"]),
        tolerance=float(doc.get("tolerance", 0.0)),
        tolerance_mode=doc.get("tolerance_mode", "absolute"),
        units=tuple(doc.get("units", ())),
        score=float(doc.get("score", 1.0)),
        feedback_html=doc.get("feedback", ""),
    )


def build_item(doc: dict[str, Any]) -> ContentItem:
    """An item document as a ContentItem."""
    irt = doc.get("irt", {})
    math = doc.get("math_answer")
    return ContentItem(
        item_id=doc["id"],
        type=doc["type"],
        stem_html=doc["stem"],
        skill_ids=tuple(doc["skills"]),
        choices=tuple(_choice(c) for c in doc.get("choices", ())),
        text_answers=tuple(_text_answer(a) for a in doc.get("text_answers", ())),
        numeric_answers=tuple(_numeric_answer(a) for a in doc.get("numeric_answers", ())),
        math_answer=None if math is None else MathAnswer(math),
        hints_html=tuple(doc.get("hints", ())),
        solution_html=doc.get("solution", ""),
        general_feedback_html=doc.get("feedback", ""),
        irt_a=float(irt.get("a", 1.0)),
        irt_b=float(irt.get("b", 0.0)),
        irt_c=float(irt.get("c", 0.0)),
        partial_credit=doc.get("partial_credit", False),
        media=tuple(Media(m["path"], m["type"], m.get("alt", "")) for m in doc.get("media", ())),
    )
