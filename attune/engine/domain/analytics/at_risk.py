"""At-risk learners: who needs the teacher now, each reason in plain words with evidence.

The reasons (thresholds in :class:`~.settings.AtRiskSettings`):

- **Repeated failures**: ``failures_in_a_row`` (3) credible wrong answers in a row on one
  skill, not yet followed by a right one (the engine's own streak rule: too-fast answers
  neither extend nor break a run).
- **No progress**: the summed P(L) gain over the learner's last ``progress_window`` (10)
  answers on skills they had not mastered is below the class's ``progress_percentile``
  (10th) percentile of the same sum, among the learners with a full window (at least
  ``progress_min_learners`` of them, else nobody is compared), *and* below
  ``progress_floor`` (0.10, a hundredth of P(L) per answer). The percentile compares the
  learner with the class; the floor keeps the bottom tenth of a class that is doing well
  off the list. Answers on mastered skills (reviews) are left out, so a learner who has
  finished is not "stuck".
- **Inactivity**: no answer since ``now - inactive_days`` (7 days).
- **Too fast**: more than ``fast_share`` (30 %) of their last ``fast_window`` (20) answers
  were too fast to count (credibility < 1); the window must be full.
- **Prerequisite gap**: ``gap_failures`` (2) wrong answers in a row on a skill whose direct
  prerequisite is not mastered now (never, or revoked: said so), as the engine's gaps.py.

Evidence is log ids: the run of failures, the window, the too-fast answers, the last answer.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum

from attune.engine.domain.analytics.accumulate import ensure_disjoint
from attune.engine.domain.analytics.maths import percentile
from attune.engine.domain.analytics.observation import Observation
from attune.engine.domain.analytics.relations import name_of
from attune.engine.domain.analytics.settings import DAY, AtRiskSettings
from attune.engine.domain.analytics.tracker import LearnerMastery, MasteryTracker
from attune.engine.domain.course import Course


class RiskKind(Enum):
    """The kinds of reason, in the order a teacher reads them."""

    REPEATED_FAILURES = "repeated failures"
    PREREQUISITE_GAP = "prerequisite gap"
    NO_PROGRESS = "no progress"
    TOO_FAST = "too fast"
    INACTIVE = "inactive"


@dataclass(frozen=True, slots=True)
class RiskReason:
    """One reason: its kind, a sentence for the teacher, the log ids behind it and the
    skills concerned (the failed skill first, then its missing prerequisites)."""

    kind: RiskKind
    text: str
    evidence: tuple[int, ...]
    skills: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AtRiskLearner:
    """A learner with at least one reason."""

    learner_id: str
    reasons: tuple[RiskReason, ...]


@dataclass(slots=True)
class _Learner:
    learning: deque[tuple[int, float]]  # (log id, gain) on skills not yet mastered
    recent: deque[tuple[int, bool]]  # (log id, too fast)
    runs: dict[str, deque[int]] = field(default_factory=dict)  # skill -> failing log ids
    run_lengths: dict[str, int] = field(default_factory=dict)
    last_at: float = -math.inf
    last_log: int = 0


class AtRiskAccumulator:
    """The per-learner state the reasons need: O(skills of the item) per observation."""

    __slots__ = ("_learners", "_settings", "_tracker")

    def __init__(self, settings: AtRiskSettings | None = None) -> None:
        self._settings = settings or AtRiskSettings()
        self._learners: dict[str, _Learner] = {}
        self._tracker = MasteryTracker()

    def add(self, obs: Observation) -> None:
        """Fold in one response."""
        before = self._tracker.apply(obs)
        rules = self._settings
        learner = self._learners.get(obs.learner_id)
        if learner is None:
            learner = self._learners[obs.learner_id] = _Learner(
                deque(maxlen=rules.progress_window), deque(maxlen=rules.fast_window)
            )
        if obs.occurred_at >= learner.last_at:
            learner.last_at, learner.last_log = obs.occurred_at, obs.log_id
        learner.recent.append((obs.log_id, not obs.credible))
        if any(s not in before.mastered for s in obs.skill_ids):
            learner.learning.append((obs.log_id, obs.gain))
        if not obs.credible:
            return
        for sid in obs.skill_ids:
            if obs.correct:
                learner.runs.pop(sid, None)
                learner.run_lengths.pop(sid, None)
            else:
                run = learner.runs.get(sid)
                if run is None:
                    run = learner.runs[sid] = deque(maxlen=rules.evidence)
                run.append(obs.log_id)
                learner.run_lengths[sid] = learner.run_lengths.get(sid, 0) + 1

    def merge(self, other: AtRiskAccumulator) -> None:
        """Take in a shard built over other learners (with the same settings)."""
        ensure_disjoint(self._learners.keys(), other._learners.keys())
        self._tracker.merge(other._tracker)
        self._learners.update(other._learners)

    def remove_learner(self, learner_id: str) -> None:
        """Forget one learner."""
        self._tracker.remove(learner_id)
        self._learners.pop(learner_id, None)

    def snapshot(self, now: float, course: Course | None = None) -> tuple[AtRiskLearner, ...]:
        """Learners with a reason, most reasons first, then by id. Without a course the
        prerequisite gaps are not checked."""
        rules = self._settings
        window = rules.progress_window
        gains = {
            lid: math.fsum(g for _log, g in learner.learning)
            for lid, learner in self._learners.items()
            if len(learner.learning) == window
        }
        cut = None
        if len(gains) >= rules.progress_min_learners:
            cut = percentile(sorted(gains.values()), rules.progress_percentile)
        found = []
        for lid in sorted(self._learners):
            learner = self._learners[lid]
            reasons = [*_failures(learner, rules, course)]
            if course is not None:
                reasons += _gaps(learner, rules, course, self._tracker.of(lid))
            if cut is not None and lid in gains and gains[lid] < min(cut, rules.progress_floor):
                text = (
                    f"Little progress: P(L) changed by {gains[lid]:+.2f} over the last {window}"
                    f" answers on skills not yet mastered (class {rules.progress_percentile:g}th"
                    f" percentile: {cut:+.2f})."
                )
                evidence = tuple(log for log, _g in learner.learning)
                reasons.append(RiskReason(RiskKind.NO_PROGRESS, text, evidence))
            reasons += _too_fast(learner, rules)
            if learner.last_at < now - rules.inactive_days * DAY:
                days = math.floor((now - learner.last_at) / DAY)
                day = datetime.fromtimestamp(learner.last_at, tz=UTC).date().isoformat()
                text = f"No answer for {days} days (the last on {day})."
                reasons.append(RiskReason(RiskKind.INACTIVE, text, (learner.last_log,)))
            if reasons:
                found.append(AtRiskLearner(lid, tuple(reasons)))
        found.sort(key=lambda a: -len(a.reasons))  # stable: ids in order on ties
        return tuple(found)


def _failures(learner: _Learner, rules: AtRiskSettings, course: Course | None) -> list[RiskReason]:
    reasons = []
    for sid in sorted(learner.runs):
        n = learner.run_lengths[sid]
        if n >= rules.failures_in_a_row:
            text = f"{n} wrong answers in a row on {name_of(course, sid)}."
            evidence = tuple(learner.runs[sid])
            reasons.append(RiskReason(RiskKind.REPEATED_FAILURES, text, evidence, (sid,)))
    return reasons


def _gaps(
    learner: _Learner, rules: AtRiskSettings, course: Course, mastery: LearnerMastery
) -> list[RiskReason]:
    reasons = []
    for sid in sorted(learner.runs):
        n = learner.run_lengths[sid]
        skill = course.skills.get(sid)
        if n < rules.gap_failures or skill is None:
            continue
        missing = tuple(p for p in skill.prerequisites if p not in mastery.mastered)
        if missing:
            names = " and ".join(
                name_of(course, p) + (" (mastery revoked)" if p in mastery.lapsed else "")
                for p in missing
            )
            them = "prerequisites" if len(missing) > 1 else "prerequisite"
            text = (
                f"Failing {name_of(course, sid)} ({n} wrong in a row) while the {them}"
                f" {names} {'are' if len(missing) > 1 else 'is'} not mastered."
            )
            evidence = tuple(learner.runs[sid])
            reasons.append(RiskReason(RiskKind.PREREQUISITE_GAP, text, evidence, (sid, *missing)))
    return reasons


def _too_fast(learner: _Learner, rules: AtRiskSettings) -> list[RiskReason]:
    fast = tuple(log for log, too_fast in learner.recent if too_fast)
    if len(learner.recent) < rules.fast_window or len(fast) <= rules.fast_share * rules.fast_window:
        return []
    text = (
        f"{len(fast)} of the last {rules.fast_window} answers were too fast to have been read"
        " (guessing or gaming)."
    )
    return [RiskReason(RiskKind.TOO_FAST, text, fast)]
