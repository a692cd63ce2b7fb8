"""The mastery rule: belief, practice and a recent streak must all agree."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from attune.engine.domain import adaptive

if TYPE_CHECKING:
    from attune.engine.domain.course import MasteryPolicy
    from attune.engine.domain.learner import SkillState


def belief(state: SkillState, policy: MasteryPolicy, weights: Sequence[float] = ()) -> float:
    """The P(L) the policy judges: the learner-adapted one when the policy adapts and the
    learner's type posterior ``weights`` are known, else plain BKT's."""
    if policy.individual_sd > 0.0 and weights and len(state.p_types) == len(weights):
        return adaptive.adapted_p_known(state.p_types, weights)
    return state.p_known


def is_mastered(state: SkillState, policy: MasteryPolicy, weights: Sequence[float] = ()) -> bool:
    """True when P(L) >= threshold, attempts >= min_attempts and the last
    ``consecutive_correct`` answers were right. P(L) is :func:`belief`'s."""
    return (
        state.attempts >= policy.min_attempts
        and state.correct_streak >= policy.consecutive_correct
        and belief(state, policy, weights) >= policy.threshold
    )
