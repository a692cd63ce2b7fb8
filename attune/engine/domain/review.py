"""Spaced review of mastered skills (see :class:`~engine.domain.tutoring.ReviewPolicy`).

Under the ``recall`` schedule each mastered skill carries a memory half-life ``h``
(:attr:`SkillState.half_life`, 0 until its first update: the policy's initial one). Predicted
recall ``dt`` seconds after the last practice is ``2 ** (-dt / h)``, the exponential
forgetting curve of half-life regression (Settles and Meeder, "A trainable spaced repetition
model for language learning", ACL 2016). The skill is due when predicted recall falls to the
policy's target, i.e. ``h * log2(1 / target)`` after the last practice.

A right answer multiplies ``h`` by more the lower the predicted recall was when it came: a
retrieval that was harder, because it came later, strengthens the memory more (the spacing
effect; the same shape as the stability increase of FSRS-style schedulers, which grows with
``1 - recall``). A review answered exactly when due gains ``growth``. A wrong answer multiplies
``h`` by ``lapse``. Under the ``doubling`` schedule (the engine before issue 15), the interval
starts at ``interval_s`` and doubles with each successful overdue review.

Pure functions of a skill's state, the policy and a time: no clock, no I/O.
"""

from __future__ import annotations

import math
from dataclasses import replace

from attune.engine.domain.learner import SkillState
from attune.engine.domain.tutoring import HOUR, ReviewPolicy

MIN_HALF_LIFE_S = HOUR
"""The shortest half-life a run of lapses can leave (HLR clips its half-lives likewise)."""

MAX_HALF_LIFE_S = 10 * 365 * 24 * HOUR
"""The longest half-life: ten years, so a long-practised skill's due time stays finite."""


def initial_half_life(policy: ReviewPolicy) -> float:
    """The half-life (seconds) of a new memory: the first review falls ``interval_s`` after
    mastery, whatever the target."""
    return policy.interval_s / math.log2(1.0 / policy.target_recall)


def half_life(skill: SkillState, policy: ReviewPolicy) -> float:
    """The skill's memory half-life in seconds (the policy's initial one until updated)."""
    return skill.half_life or initial_half_life(policy)


def interval(skill: SkillState, policy: ReviewPolicy) -> float:
    """The skill's current review interval in seconds: from the last practice to due."""
    if policy.schedule == "doubling":
        return skill.review_interval or policy.interval_s
    return half_life(skill, policy) * math.log2(1.0 / policy.target_recall)


def recall(skill: SkillState, now: float, policy: ReviewPolicy) -> float:
    """Predicted recall of the skill at ``now``: the chance its memory was intact at the last
    practice (:attr:`SkillState.retained`), decayed since."""
    if skill.last_practiced is None:
        return skill.retained
    elapsed = max(0.0, now - skill.last_practiced)
    return skill.retained * float(2.0 ** (-elapsed / half_life(skill, policy)))


def retained_after(
    before: SkillState, right: bool, at: float, policy: ReviewPolicy, guess: float, slip: float
) -> float:
    """The chance a mastered skill's memory is intact after an answer at ``at``: predicted
    recall then, updated by the answer as BKT evidence (a right answer from a forgotten skill
    is a guess). One right answer at a check confirms a likely memory; an unlikely one needs
    another, so a forgotten skill is rarely certified by a lucky guess."""
    q = recall(before, at, policy)
    if right:
        known, unknown = q * (1.0 - slip), (1.0 - q) * guess
    else:
        known, unknown = q * slip, (1.0 - q) * (1.0 - guess)
    total = known + unknown
    return known / total if total > 0.0 else q


def due_at(skill: SkillState, policy: ReviewPolicy) -> float | None:
    """When a mastered skill is next due for review (epoch seconds), else None."""
    if not skill.mastered or skill.last_practiced is None:
        return None
    return skill.last_practiced + interval(skill, policy)


def overdue(skill: SkillState, now: float, policy: ReviewPolicy) -> float:
    """How far past due, as a multiple of the interval (0 when not due). Under the recall
    schedule, a larger value is a lower predicted recall."""
    due = due_at(skill, policy)
    if due is None or now < due:
        return 0.0
    return 1.0 + (now - due) / interval(skill, policy)


def growth_factor(p_recall: float, policy: ReviewPolicy) -> float:
    """The half-life factor of a right answer given at predicted recall ``p_recall``:
    ``growth`` when exactly due, more when later (up to ``max_growth``), near 1 when massed."""
    gained = 1.0 + (policy.growth - 1.0) * (1.0 - p_recall) / (1.0 - policy.target_recall)
    return min(max(gained, 1.0), policy.max_growth)


def after_answer(
    before: SkillState, after: SkillState, right: bool, at: float, policy: ReviewPolicy
) -> SkillState:
    """``after`` (a mastered skill's state once a credible answer at ``at`` is counted) with
    its review schedule updated from ``before``: the half-life or interval, the review count.
    Mastery itself is decided by the caller."""
    was_due = overdue(before, at, policy) > 0.0
    reviews = before.reviews + 1 if right and was_due else before.reviews
    if policy.schedule == "doubling":
        if right and was_due:
            grown = (before.review_interval or policy.interval_s) * policy.growth
            return replace(after, review_interval=grown, reviews=reviews)
        return after
    h = half_life(before, policy)
    if right:
        h *= growth_factor(recall(before, at, policy), policy)
    else:
        h *= policy.lapse
    floor = min(MIN_HALF_LIFE_S, initial_half_life(policy))
    h = min(max(h, floor), MAX_HALF_LIFE_S)
    return replace(after, half_life=h, reviews=reviews)


def fresh(skill: SkillState, now: float, policy: ReviewPolicy) -> bool:
    """Whether a mastered skill counts towards completing the course at ``now``: its last
    answer was right, it is not due, and its predicted recall is at least ``complete_recall``."""
    return (
        skill.correct_streak > 0
        and overdue(skill, now, policy) == 0.0
        and recall(skill, now, policy) >= policy.complete_recall
    )


def reopens(before: SkillState, right: bool, at: float, policy: ReviewPolicy) -> bool:
    """Whether a credible answer at ``at`` is a failed review that re-opens the skill: a wrong
    answer on a mastered skill that was due, or whose predicted recall had fallen under the
    completion bar (a check before the course is declared done)."""
    if not policy.reopen or right or before.last_practiced is None:
        return False
    return overdue(before, at, policy) > 0.0 or recall(before, at, policy) < policy.complete_recall
