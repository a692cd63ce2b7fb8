"""Mastery as it stood for each learner at each response, rebuilt from the observations.

Several reports need what a learner had mastered *when* they answered (drift, gaps, at-risk,
retention). The tracker keeps, per learner, the skills mastered now and those mastered once
and lost since (revoked), as frozensets: a report may keep a reference to the sets of the
moment for O(1), and a new set is made only when the learner's mastery changes (at most a
few times per skill), never per response.
"""

from __future__ import annotations

from collections.abc import KeysView
from dataclasses import dataclass, field

from attune.engine.domain.analytics.observation import Observation

_EMPTY: frozenset[str] = frozenset()


@dataclass(slots=True)
class LearnerMastery:
    """One learner's mastery now: mastered skills, lapsed ones (mastered once, revoked
    since) and when each mastered skill was (last) mastered, in epoch seconds."""

    mastered: frozenset[str] = _EMPTY
    lapsed: frozenset[str] = _EMPTY
    mastered_at: dict[str, float] = field(default_factory=dict)


class MasteryTracker:
    """Mastery per learner, from the mastery flags of each observation, in log order."""

    __slots__ = ("_learners",)

    def __init__(self) -> None:
        self._learners: dict[str, LearnerMastery] = {}

    def of(self, learner_id: str) -> LearnerMastery:
        """The learner's mastery now (an empty one for an unknown learner)."""
        found = self._learners.get(learner_id)
        if found is None:
            found = self._learners[learner_id] = LearnerMastery()
        return found

    def apply(self, obs: Observation) -> LearnerMastery:
        """Fold in one observation; return the learner's state *before* it. Read it before
        the next ``apply``; its sets (immutable) may be kept."""
        state = self.of(obs.learner_id)
        mastered = state.mastered
        changed = [
            (s, m) for s, m in zip(obs.skill_ids, obs.mastered, strict=True) if m != (s in mastered)
        ]
        if not changed:
            return state
        before = LearnerMastery(state.mastered, state.lapsed, state.mastered_at)
        new = frozenset(s for s, m in changed if m)
        gone = frozenset(s for s, m in changed if not m)
        state.mastered_at = dict(state.mastered_at)  # copied on write: ``before`` keeps its own
        for s in new:
            state.mastered_at[s] = obs.occurred_at
        for s in gone:
            del state.mastered_at[s]
        state.mastered = (mastered | new) - gone
        state.lapsed = (state.lapsed | gone) - new
        return before

    def learners(self) -> KeysView[str]:
        """Every learner seen."""
        return self._learners.keys()

    def merge(self, other: MasteryTracker) -> None:
        """Take in the learners of ``other`` (disjoint from ours)."""
        self._learners.update(other._learners)

    def remove(self, learner_id: str) -> None:
        """Forget one learner."""
        self._learners.pop(learner_id, None)
