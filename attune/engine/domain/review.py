"""Spaced review of mastered skills (see :class:`~engine.domain.tutoring.ReviewPolicy`)."""

from __future__ import annotations

from attune.engine.domain.learner import SkillState
from attune.engine.domain.tutoring import ReviewPolicy


def interval(skill: SkillState, policy: ReviewPolicy) -> float:
    """The skill's current review interval in seconds."""
    return skill.review_interval or policy.interval_s


def due_at(skill: SkillState, policy: ReviewPolicy) -> float | None:
    """When a mastered skill is next due for review (epoch seconds), else None."""
    if not skill.mastered or skill.last_practiced is None:
        return None
    return skill.last_practiced + interval(skill, policy)


def overdue(skill: SkillState, now: float, policy: ReviewPolicy) -> float:
    """How far past due, as a multiple of the interval (0 when not due)."""
    due = due_at(skill, policy)
    if due is None or now < due:
        return 0.0
    return 1.0 + (now - due) / interval(skill, policy)
