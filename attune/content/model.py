"""The shared item model of issue 13: a course's skills, items and media, as frozen values.

Every importer (Attune's own package format, QTI, Moodle XML, GIFT, Canvas) produces a
:class:`CoursePackage`; the renderer and the answer checkers read it. Pure: no I/O, no
project imports. HTML fields are untrusted until sanitised, and may carry LaTeX between
``\\( \\)`` or ``$$ $$``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

ItemType = Literal[
    "choice",
    "multiple_response",
    "text_entry",
    "numeric",
    "inline_choice",
    "math",
    "extended_text",
]

ITEM_TYPES: tuple[ItemType, ...] = get_args(ItemType)
"""Every item type, in declaration order."""

CHOICE_TYPES: frozenset[ItemType] = frozenset({"choice", "multiple_response", "inline_choice"})
"""The item types whose answer is one or more of their ``choices``."""

ToleranceMode = Literal["absolute", "relative"]
ResourceKind = Literal["video", "reading", "other"]


@dataclass(frozen=True)
class Choice:
    """One option of a choice, multiple-response or inline-choice item.

    ``weight`` is the partial credit of choosing it (multiple response), in [-1, 1].
    """

    id: str
    html: str
    correct: bool = False
    feedback_html: str = ""
    weight: float | None = None


@dataclass(frozen=True)
class TextAnswer:
    """An accepted typed answer, compared as text (after the normalisation it asks for)."""

    value: str
    case_sensitive: bool = False
    normalise_whitespace: bool = True
    score: float = 1.0
    feedback_html: str = ""


@dataclass(frozen=True)
class NumericAnswer:
    """An accepted number, within ``tolerance`` (absolute, or relative to ``value``)."""

    value: float
    tolerance: float = 0.0
    tolerance_mode: ToleranceMode = "absolute"
    units: tuple[str, ...] = ()
    score: float = 1.0
    feedback_html: str = ""


@dataclass(frozen=True)
class MathAnswer:
    """An algebraic answer: a sympy-parsable expression (e.g. ``2*x + 1``); free symbols are
    the variables."""

    expression: str


@dataclass(frozen=True)
class Resource:
    """An instructional resource for a skill: a video, a reading or another link."""

    title: str
    url: str
    kind: ResourceKind = "other"


@dataclass(frozen=True)
class Media:
    """A media file an item uses: ``path`` inside the package (``media/...``)."""

    path: str
    media_type: str
    alt: str = ""


@dataclass(frozen=True)
class ContentItem:
    """One item: its stem, answers, feedback, hints, solution, IRT parameters and skill tags."""

    item_id: str
    type: ItemType
    stem_html: str
    skill_ids: tuple[str, ...]
    choices: tuple[Choice, ...] = ()
    text_answers: tuple[TextAnswer, ...] = ()
    numeric_answers: tuple[NumericAnswer, ...] = ()
    math_answer: MathAnswer | None = None
    hints_html: tuple[str, ...] = ()
    solution_html: str = ""
    general_feedback_html: str = ""
    irt_a: float = 1.0
    irt_b: float = 0.0
    irt_c: float = 0.0
    partial_credit: bool = False
    media: tuple[Media, ...] = ()


@dataclass(frozen=True)
class ContentSkill:
    """A skill of the graph, with its prerequisites and (optional) BKT parameters."""

    skill_id: str
    name: str
    prerequisites: tuple[str, ...] = ()
    prior: float | None = None
    learn: float | None = None
    guess: float | None = None
    slip: float | None = None
    forget: float = 0.0
    resources: tuple[Resource, ...] = ()


@dataclass(frozen=True)
class CoursePackage:
    """A whole course: metadata, mastery policy, skill graph, items and media bytes.

    ``media`` maps a package path to its bytes; it takes no part in equality or hashing.
    """

    course_id: str
    title: str
    version: str
    skills: tuple[ContentSkill, ...]
    items: tuple[ContentItem, ...]
    mastery_threshold: float | None = None
    mastery_min_attempts: int | None = None
    mastery_consecutive_correct: int | None = None
    media: Mapping[str, bytes] = field(default_factory=dict, compare=False)

    def skill(self, skill_id: str) -> ContentSkill | None:
        """The skill with this id, or None."""
        return next((s for s in self.skills if s.skill_id == skill_id), None)

    def item(self, item_id: str) -> ContentItem | None:
        """The item with this id, or None."""
        return next((i for i in self.items if i.item_id == item_id), None)
