"""Time to mastery per skill: how many answers, and how long from the first attempt.

For each learner and skill: the answers on the skill (any item tagged with it, too-fast
ones included: the learner spent them) up to and including the one that produced the
engine's mastery event, and the seconds from their first answer on the skill to that one.
Only the first mastery counts (the engine emits one event per learner and skill, ever);
a re-mastery after a revocation is a review, not learning time. Learners who answered the
skill and never mastered it are counted as not mastered yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from attune.engine.domain.analytics.accumulate import ensure_disjoint
from attune.engine.domain.analytics.histogram import (
    Distribution,
    items_distribution,
    time_distribution,
)
from attune.engine.domain.analytics.observation import Observation
from attune.engine.domain.course import Course


@dataclass(slots=True)
class _Progress:
    first_at: float
    answers: int = 0
    mastered_after: int | None = None  # answers when mastered
    seconds: float | None = None  # from the first answer to mastery


@dataclass(frozen=True, slots=True)
class SkillMasteryTime:
    """One skill: learners who attempted it, mastered it, and not yet; the distributions of
    answers and of seconds to mastery with their class medians."""

    skill_id: str
    attempted: int
    mastered: int
    not_yet: int
    items: Distribution
    seconds: Distribution


@dataclass(slots=True)
class _Learner:
    skills: dict[str, _Progress] = field(default_factory=dict)


class MasteryTimeAccumulator:
    """Time to mastery: O(skills of the item) per observation, state per learner."""

    __slots__ = ("_learners",)

    def __init__(self) -> None:
        self._learners: dict[str, _Learner] = {}

    def add(self, obs: Observation) -> None:
        """Fold in one response."""
        learner = self._learners.get(obs.learner_id)
        if learner is None:
            learner = self._learners[obs.learner_id] = _Learner()
        for sid in obs.skill_ids:
            progress = learner.skills.get(sid)
            if progress is None:
                progress = learner.skills[sid] = _Progress(obs.occurred_at)
            if progress.mastered_after is None:
                progress.answers += 1
                if sid in obs.newly_mastered:
                    progress.mastered_after = progress.answers
                    progress.seconds = max(0.0, obs.occurred_at - progress.first_at)

    def merge(self, other: MasteryTimeAccumulator) -> None:
        """Take in a shard built over other learners."""
        ensure_disjoint(self._learners.keys(), other._learners.keys())
        self._learners.update(other._learners)

    def remove_learner(self, learner_id: str) -> None:
        """Forget one learner."""
        self._learners.pop(learner_id, None)

    def snapshot(self, course: Course | None = None) -> tuple[SkillMasteryTime, ...]:
        """Per skill, in course order when a course is given (skills it lacks dropped, skills
        nobody attempted included with zeros), else by skill id."""
        answers: dict[str, list[float]] = {}
        seconds: dict[str, list[float]] = {}
        attempted: dict[str, int] = {}
        for learner_id in sorted(self._learners):
            for sid, p in self._learners[learner_id].skills.items():
                attempted[sid] = attempted.get(sid, 0) + 1
                if p.mastered_after is not None and p.seconds is not None:
                    answers.setdefault(sid, []).append(p.mastered_after)
                    seconds.setdefault(sid, []).append(p.seconds)
        order = course.order if course is not None else tuple(sorted(attempted))
        out = []
        for sid in order:
            done = answers.get(sid, [])
            out.append(
                SkillMasteryTime(
                    skill_id=sid,
                    attempted=attempted.get(sid, 0),
                    mastered=len(done),
                    not_yet=attempted.get(sid, 0) - len(done),
                    items=items_distribution(done),
                    seconds=time_distribution(seconds.get(sid, [])),
                )
            )
        return tuple(out)
