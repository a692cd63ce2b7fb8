"""Retention: is a mastered skill still answered right 48 hours or more after its mastery?

An answer counts when it is credible, on a skill the learner had mastered just before it
(mastery not revoked in between), and given at least ``after_s`` (default 48 h, the
engine's first review interval) after the moment the skill was last mastered. The share of
those answers that are right is the retention rate, per skill and over all skills, with
its Wilson 95 % interval (maths.wilson). A revoking wrong answer counts (it is the lapse
being measured); answers after it do not, until the skill is mastered again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from attune.engine.domain.analytics.accumulate import ensure_disjoint
from attune.engine.domain.analytics.maths import wilson
from attune.engine.domain.analytics.observation import Observation
from attune.engine.domain.analytics.settings import DAY
from attune.engine.domain.analytics.tracker import MasteryTracker
from attune.engine.domain.course import Course

OVERALL = ""
"""The ``skill_id`` of the row over all skills."""


@dataclass(frozen=True, slots=True)
class RetentionRow:
    """Answers counted, right ones, learners concerned, the share right and its interval."""

    skill_id: str
    answers: int
    right: int
    learners: int
    share: float | None
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """Per skill (those with answers counted) and over those skills (``skill_id`` "")."""

    skills: tuple[RetentionRow, ...]
    overall: RetentionRow
    after_s: float


def _row(skill_id: str, answers: int, right: int, learners: int) -> RetentionRow:
    low, high = wilson(right, answers)
    share = right / answers if answers else None
    return RetentionRow(skill_id, answers, right, learners, share, low, high)


@dataclass(slots=True)
class _Learner:
    counts: dict[str, list[int]] = field(default_factory=dict)  # skill -> [answers, right]


class RetentionAccumulator:
    """Retention counts per learner and skill: O(skills of the item) per observation."""

    __slots__ = ("_after_s", "_learners", "_tracker")

    def __init__(self, after_s: float = 2 * DAY) -> None:
        self._after_s = after_s
        self._learners: dict[str, _Learner] = {}
        self._tracker = MasteryTracker()

    def add(self, obs: Observation) -> None:
        """Fold in one response."""
        before = self._tracker.apply(obs)
        if not obs.credible:
            return
        for sid in obs.skill_ids:
            since = before.mastered_at.get(sid)
            if since is None or obs.occurred_at - since < self._after_s:
                continue
            learner = self._learners.get(obs.learner_id)
            if learner is None:
                learner = self._learners[obs.learner_id] = _Learner()
            counts = learner.counts.setdefault(sid, [0, 0])
            counts[0] += 1
            counts[1] += obs.correct

    def merge(self, other: RetentionAccumulator) -> None:
        """Take in a shard built over other learners."""
        ensure_disjoint(self._tracker.learners(), other._tracker.learners())
        self._tracker.merge(other._tracker)
        self._learners.update(other._learners)

    def remove_learner(self, learner_id: str) -> None:
        """Forget one learner."""
        self._tracker.remove(learner_id)
        self._learners.pop(learner_id, None)

    def snapshot(self, course: Course | None = None) -> RetentionReport:
        """Per skill (course order with a course, else by id) and overall."""
        answers: dict[str, int] = {}
        right: dict[str, int] = {}
        learners: dict[str, int] = {}
        for learner in self._learners.values():
            for sid, (n, r) in learner.counts.items():
                answers[sid] = answers.get(sid, 0) + n
                right[sid] = right.get(sid, 0) + r
                learners[sid] = learners.get(sid, 0) + 1
        order = course.order if course is not None else tuple(sorted(answers))
        rows = tuple(_row(s, answers[s], right[s], learners[s]) for s in order if s in answers)
        shown = {r.skill_id for r in rows}
        overall = _row(
            OVERALL,
            sum(r.answers for r in rows),
            sum(r.right for r in rows),
            sum(1 for learner in self._learners.values() if shown & learner.counts.keys()),
        )
        return RetentionReport(rows, overall, self._after_s)
