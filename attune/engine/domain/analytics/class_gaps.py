"""Class knowledge gaps: the prerequisites most often missing behind failures.

For every credible wrong answer on a skill B, each direct prerequisite P of B that the
learner had not mastered at that moment is charged one failure (and, separately, whether
P had been mastered and then revoked). Prerequisites are ranked by failures charged, then
by learners concerned: the top of the list is what the class most needs to revisit. This is
the class-wide sum of the engine's own per-learner gap rule (gaps.py): a learner failing B
while a prerequisite is weak.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from attune.engine.domain.analytics.accumulate import ensure_disjoint
from attune.engine.domain.analytics.observation import Observation
from attune.engine.domain.analytics.tracker import MasteryTracker
from attune.engine.domain.course import Course

EVIDENCE = 20
"""How many log ids (the latest) each gap keeps as evidence."""

# One credible failure on a skill: log id, learner, mastered and lapsed skills at the time.
_Failure = tuple[int, str, frozenset[str], frozenset[str]]


@dataclass(frozen=True, slots=True)
class KnowledgeGap:
    """A prerequisite and the failures on its dependants while it was missing: in all,
    while its mastery had been revoked, how many learners, which dependants (with their
    failures, most first) and the latest log ids as evidence."""

    skill_id: str
    failures: int
    revoked: int
    learners: int
    dependants: tuple[tuple[str, int], ...]
    evidence: tuple[int, ...]


@dataclass(slots=True)
class _Tally:
    failures: int = 0
    revoked: int = 0
    learners: set[str] = field(default_factory=set)
    dependants: dict[str, int] = field(default_factory=dict)
    evidence: list[int] = field(default_factory=list)


class ClassGapsAccumulator:
    """Keeps each credible failure per skill with the learner's mastery of the moment
    (O(skills of the item)); the prerequisites are read at snapshot."""

    __slots__ = ("_failures", "_tracker")

    def __init__(self) -> None:
        self._failures: dict[str, list[_Failure]] = {}
        self._tracker = MasteryTracker()

    def add(self, obs: Observation) -> None:
        """Fold in one response."""
        before = self._tracker.apply(obs)
        if obs.credible and not obs.correct:
            record = (obs.log_id, obs.learner_id, before.mastered, before.lapsed)
            for sid in obs.skill_ids:
                self._failures.setdefault(sid, []).append(record)

    def merge(self, other: ClassGapsAccumulator) -> None:
        """Take in a shard built over other learners."""
        ensure_disjoint(self._tracker.learners(), other._tracker.learners())
        self._tracker.merge(other._tracker)
        for sid, failures in other._failures.items():
            self._failures.setdefault(sid, []).extend(failures)

    def remove_learner(self, learner_id: str) -> None:
        """Forget one learner: O(failures kept)."""
        self._tracker.remove(learner_id)
        for sid, failures in self._failures.items():
            self._failures[sid] = [f for f in failures if f[1] != learner_id]

    def snapshot(self, course: Course) -> tuple[KnowledgeGap, ...]:
        """The prerequisites charged with at least one failure, most failures first."""
        tallies: dict[str, _Tally] = {}
        for sid in course.order:
            pres = course.skills[sid].prerequisites
            for log_id, learner_id, mastered, lapsed in self._failures.get(sid, ()):
                for pre in pres:
                    if pre in mastered:
                        continue
                    tally = tallies.get(pre)
                    if tally is None:
                        tally = tallies[pre] = _Tally()
                    tally.failures += 1
                    tally.revoked += pre in lapsed
                    tally.learners.add(learner_id)
                    tally.dependants[sid] = tally.dependants.get(sid, 0) + 1
                    tally.evidence.append(log_id)
        gaps = [
            KnowledgeGap(
                skill_id=pre,
                failures=t.failures,
                revoked=t.revoked,
                learners=len(t.learners),
                dependants=tuple(sorted(t.dependants.items(), key=lambda d: (-d[1], d[0]))),
                evidence=tuple(sorted(t.evidence)[-EVIDENCE:]),
            )
            for pre, t in tallies.items()
        ]
        gaps.sort(key=lambda g: (-g.failures, -g.learners, g.skill_id))
        return tuple(gaps)
