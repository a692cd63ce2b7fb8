"""Suggested skill tags for the items that have none worth keeping.

Which items: an item is *untagged* when it has no skill, or when every skill it has is a
placeholder (:func:`is_placeholder_skill`): ``general`` (the Moodle XML and GIFT importers'
fallback), ``unsorted``, ``uncategorised``/``uncategorized``, ``default``, ``top`` (Moodle's
root category) and any ``default-for-...`` (Moodle's automatic "Default for <course>"
category). Items with any other skill are left alone: an author chose it.

Which skills: every skill of the package that is not a placeholder. Each is read as its name
followed by its resources' titles (:func:`~attune.content.tagging.text.skill_text`), each item
as its plain text (:func:`~attune.content.tagging.text.item_text`); both are embedded and
compared by cosine similarity. An item gets its ``top_k`` best skills scoring at least
``min_score``, ranked from 1. Pure: the model comes in as a :class:`TextEmbedder`.

Before comparing, the mean vector of all the package's items (tagged or not) is taken away
from each item's vector, when there are at least :data:`MIN_ITEMS_FOR_BACKGROUND` items. The
mean is what every question of the course shares ("What is", "Which of these", the course's
own subject): left in, it pulls every item towards whichever skill name resembles the course
as a whole. This is the common-component removal of Arora, Liang and Ma, "A Simple but
Tough-to-Beat Baseline for Sentence Embeddings" (ICLR 2017), with the mean as the component.
On the evaluation bank it lifts top-1 accuracy from 0.73 to 0.87 (``bench/tagging.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from attune.content.model import ContentItem, ContentSkill, CoursePackage
from attune.content.tagging.embedder import TextEmbedder
from attune.content.tagging.text import item_text, skill_text

PLACEHOLDER_SKILL_IDS = frozenset(
    {"general", "unsorted", "uncategorised", "uncategorized", "default", "top"}
)
MOODLE_DEFAULT_PREFIX = "default-for-"
MIN_SCORE = 0.05
"""Suggestions scoring below this are left out. On the evaluation bank this keeps 85% of the
right skills and 9% of the wrong ones (``bench/tagging.py`` prints the trade-off)."""
MIN_ITEMS_FOR_BACKGROUND = 10
"""With fewer items their mean is mostly the items themselves: nothing is taken away."""


@dataclass(frozen=True)
class TagSuggestion:
    """Skill ``skill_id`` for item ``item_id``: cosine ``score``, ``rank`` 1 for the best."""

    item_id: str
    skill_id: str
    score: float
    rank: int


def is_placeholder_skill(skill_id: str) -> bool:
    """Whether a skill id only says "not sorted yet" (see the module docstring)."""
    return skill_id in PLACEHOLDER_SKILL_IDS or skill_id.startswith(MOODLE_DEFAULT_PREFIX)


def needs_tags(item: ContentItem) -> bool:
    """Whether an item has no skill, or only placeholder skills."""
    return all(is_placeholder_skill(skill_id) for skill_id in item.skill_ids)


def _unit_rows(matrix: NDArray[np.float32]) -> NDArray[np.float32]:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    # A zero row (a text with no tokens) stays zero: it is similar to nothing.
    result: NDArray[np.float32] = matrix / np.where(norms > 0, norms, 1.0)
    return result


def suggest_tags(
    package: CoursePackage,
    *,
    embedder: TextEmbedder,
    top_k: int = 3,
    min_score: float = MIN_SCORE,
) -> tuple[TagSuggestion, ...]:
    """The best ``top_k`` real skills for each untagged item, in item order, best first."""
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1, not {top_k}")
    skills: list[ContentSkill] = [s for s in package.skills if not is_placeholder_skill(s.skill_id)]
    items = [item for item in package.items if needs_tags(item)]
    if not skills or not items:
        return ()
    skill_vectors = _unit_rows(np.asarray(embedder.embed([skill_text(s) for s in skills])))
    every_item = np.asarray(embedder.embed([item_text(i) for i in package.items]))
    untagged = np.array([needs_tags(item) for item in package.items])
    item_vectors = every_item[untagged]
    if len(package.items) >= MIN_ITEMS_FOR_BACKGROUND:
        item_vectors = item_vectors - every_item.mean(axis=0)
    item_vectors = _unit_rows(item_vectors)
    scores = item_vectors @ skill_vectors.T  # (items, skills) cosine similarities
    suggestions: list[TagSuggestion] = []
    for item, row in zip(items, scores, strict=True):
        # Stable sort: equal scores keep the package's skill order.
        order = np.argsort(-row, kind="stable")[:top_k]
        kept = [int(j) for j in order if float(row[j]) >= min_score]
        suggestions += [
            TagSuggestion(item.item_id, skills[j].skill_id, round(float(row[j]), 4), rank)
            for rank, j in enumerate(kept, start=1)
        ]
    return tuple(suggestions)
