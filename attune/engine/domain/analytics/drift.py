"""Prerequisite drift: a skill failed too often by learners who have its prerequisites.

The issue's rule, "if learners who mastered A fail B at a rate above 40 %, flag that the
graph is missing a prerequisite of B", read as follows. For a skill B with prerequisites:

- The evidence is every *credible* answer on B (too-fast answers carry little evidence and
  gaming would inflate the rate) given by a learner who, at that moment, had mastered all
  of B's direct prerequisites. Answers given after B itself was mastered count too: the
  rule is about learners who have A, whatever they have of B.
- The failure rate gets a Wilson 95 % interval (maths.wilson). B is flagged when the
  interval's *lower* bound exceeds 40 %: then the rate is above 40 % beyond reasonable
  doubt, not merely on a lucky sample. Minimum counts (DriftSettings): 30 answers from 5
  learners, because answers of one learner are correlated and the interval, which treats
  them as independent, is otherwise too narrow.
- For a flagged B, a candidate missing prerequisite is a skill C that is not B, not already
  a direct or indirect prerequisite, and not a dependant of B (the edge C -> B would close
  a cycle). Its evidence splits B's answers by whether C was mastered at the time: C is a
  candidate when the failure rate without C exceeds the rate with C, i.e. the lower bound
  of Newcombe's 95 % interval for the difference (maths.difference_interval) is above 0,
  with at least 10 answers on each side. Candidates are ranked by that lower bound.

Roots (skills without prerequisites) are not checked unless ``include_roots``: the rule
conditions on prerequisites they do not have, and a hard root skill is not drift.
"""

from __future__ import annotations

from dataclasses import dataclass

from attune.engine.domain.analytics.accumulate import ensure_disjoint
from attune.engine.domain.analytics.maths import difference_interval, wilson
from attune.engine.domain.analytics.observation import Observation
from attune.engine.domain.analytics.relations import ancestors, dependants_map, reachable
from attune.engine.domain.analytics.settings import DriftSettings
from attune.engine.domain.analytics.tracker import MasteryTracker
from attune.engine.domain.course import Course

# One credible answer on a skill: the learner, whether it failed, what they had mastered.
_Answer = tuple[str, bool, frozenset[str]]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A skill that may be a missing prerequisite of the flagged one, with its evidence:
    the flagged skill's failures and answers without and with it mastered, the rates, and
    the difference (without - with) with its 95 % interval."""

    skill_id: str
    without_failures: int
    without_answers: int
    with_failures: int
    with_answers: int
    without_rate: float
    with_rate: float
    difference: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class SkillDrift:
    """One checked skill: its answers by learners who had its prerequisites, how many
    failed, from how many learners, the failure rate with its Wilson 95 % interval, whether
    it is flagged and (flagged only) the ranked candidate missing prerequisites."""

    skill_id: str
    prerequisites: tuple[str, ...]
    answers: int
    failures: int
    learners: int
    rate: float
    low: float
    high: float
    flagged: bool
    candidates: tuple[Candidate, ...] = ()


@dataclass(frozen=True, slots=True)
class DriftReport:
    """Every checked skill, flagged ones first, then by the interval's lower bound."""

    skills: tuple[SkillDrift, ...]
    settings: DriftSettings

    @property
    def flagged(self) -> tuple[SkillDrift, ...]:
        """The flagged skills only."""
        return tuple(s for s in self.skills if s.flagged)


class DriftAccumulator:
    """Keeps each credible answer per skill with a reference to the learner's mastered set
    of the moment (O(skills of the item) per observation); the graph is read at snapshot,
    so a course re-import needs no rebuild."""

    __slots__ = ("_answers", "_tracker")

    def __init__(self) -> None:
        self._answers: dict[str, list[_Answer]] = {}
        self._tracker = MasteryTracker()

    def add(self, obs: Observation) -> None:
        """Fold in one response."""
        before = self._tracker.apply(obs)
        if obs.credible:
            failed = not obs.correct
            for sid in obs.skill_ids:
                self._answers.setdefault(sid, []).append((obs.learner_id, failed, before.mastered))

    def merge(self, other: DriftAccumulator) -> None:
        """Take in a shard built over other learners."""
        ensure_disjoint(self._tracker.learners(), other._tracker.learners())
        self._tracker.merge(other._tracker)
        for sid, answers in other._answers.items():
            self._answers.setdefault(sid, []).extend(answers)

    def remove_learner(self, learner_id: str) -> None:
        """Forget one learner: O(answers kept)."""
        self._tracker.remove(learner_id)
        for sid, answers in self._answers.items():
            self._answers[sid] = [a for a in answers if a[0] != learner_id]

    def snapshot(self, course: Course, settings: DriftSettings | None = None) -> DriftReport:
        """Check every skill of ``course`` that has prerequisites (see the module doc)."""
        rules = settings or DriftSettings()
        dependants = dependants_map(course)
        checked = []
        for sid in course.order:
            pres = course.skills[sid].prerequisites
            if not pres and not rules.include_roots:
                continue
            had = [a for a in self._answers.get(sid, ()) if all(p in a[2] for p in pres)]
            failures = sum(1 for a in had if a[1])
            learners = len({a[0] for a in had})
            low, high = wilson(failures, len(had))
            flagged = (
                len(had) >= rules.min_answers
                and learners >= rules.min_learners
                and low > rules.failure_rate
            )
            candidates: tuple[Candidate, ...] = ()
            if flagged:
                excluded = {sid} | ancestors(course, sid) | reachable(sid, dependants)
                pool = [c for c in course.order if c not in excluded]
                candidates = _candidates(had, pool, rules.min_group)
            checked.append(
                SkillDrift(
                    skill_id=sid,
                    prerequisites=pres,
                    answers=len(had),
                    failures=failures,
                    learners=learners,
                    rate=failures / len(had) if had else 0.0,
                    low=low,
                    high=high,
                    flagged=flagged,
                    candidates=candidates,
                )
            )
        checked.sort(key=lambda s: (not s.flagged, -s.low))  # stable: course order on ties
        return DriftReport(tuple(checked), rules)


def _candidates(answers: list[_Answer], pool: list[str], min_group: int) -> tuple[Candidate, ...]:
    """Rank the skills of ``pool`` by how much mastering them lowers the failure rate."""
    groups: dict[frozenset[str], list[int]] = {}  # mastered set -> [answers, failures]
    for _learner, failed, mastered in answers:
        counts = groups.setdefault(mastered, [0, 0])
        counts[0] += 1
        counts[1] += failed
    with_n: dict[str, int] = {}
    with_f: dict[str, int] = {}
    for mastered, (n, f) in groups.items():
        for c in mastered:
            with_n[c] = with_n.get(c, 0) + n
            with_f[c] = with_f.get(c, 0) + f
    total_n = len(answers)
    total_f = sum(1 for a in answers if a[1])
    found = []
    for c in pool:
        n1, f1 = with_n.get(c, 0), with_f.get(c, 0)
        n0, f0 = total_n - n1, total_f - f1
        if n0 < min_group or n1 < min_group:
            continue
        d, low, high = difference_interval(f0, n0, f1, n1)
        if low > 0.0:
            found.append(Candidate(c, f0, n0, f1, n1, f0 / n0, f1 / n1, d, low, high))
    found.sort(key=lambda k: (-k.low, -k.difference, k.skill_id))
    return tuple(found)
