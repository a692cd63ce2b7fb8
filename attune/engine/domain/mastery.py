"""The mastery rule: belief, practice and a recent streak must all agree."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from attune.engine.domain.course import MasteryPolicy
    from attune.engine.domain.learner import SkillState


def is_mastered(state: SkillState, policy: MasteryPolicy) -> bool:
    """True when P(L) >= threshold, attempts >= min_attempts and the last
    ``consecutive_correct`` answers were right."""
    return (
        state.p_known >= policy.threshold
        and state.attempts >= policy.min_attempts
        and state.correct_streak >= policy.consecutive_correct
    )
