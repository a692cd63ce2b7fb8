"""What each intervention does to a learner state or to the class's pins: pure functions.

- RESET_SKILL: the skill starts over from the learner's prior (``LearnerState.prior``: the
  course's P(L0), or the one the diagnostic set). Attempts, streaks, review schedule and gap
  evidence go with it, and ``ever_mastered`` too, so that a mastery earned afterwards is
  reported as new. The responses stay in the event log.
- GRANT_MASTERY: mastered now; P(L) is raised to the skill's threshold when it is below
  (never lowered). Reviews and the revocation rule then treat it like earned mastery.
- REVOKE_MASTERY: not mastered; P(L) goes down to the learner's prior, and in any case to at
  most threshold - revoke_margin (the hysteresis of automatic revocation, see
  :class:`~engine.domain.tutoring.ReviewPolicy`), so one right answer cannot restore it.
  The streak and the review schedule restart; attempts stay.
- PIN/UNPIN_SKILL: the learner's (or the class's) pins, kept in course order.
- EXEMPT/UNEXEMPT_LEARNER: the learner's flag; the skills are untouched.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace

from attune.engine.domain.analytics import ClassReport
from attune.engine.domain.course import Course
from attune.engine.domain.interventions import (
    EXEMPT_KINDS,
    InterventionEntry,
    Kind,
    Scope,
    SkillChange,
)
from attune.engine.domain.learner import LearnerState, SkillState


@dataclass(frozen=True, slots=True)
class ClassPins:
    """The skills pinned for every learner of a course, and the version a compare-and-set
    commit expects (0: never pinned)."""

    skills: tuple[str, ...] = ()
    version: int = 0


def in_course_order(course: Course, skills: Iterable[str]) -> tuple[str, ...]:
    """``skills`` that the course has, in its order (prerequisites first)."""
    wanted = set(skills)
    return tuple(s for s in course.order if s in wanted)


def pinned_after(
    course: Course, pins: Collection[str], kind: Kind, skill_id: str
) -> tuple[str, ...]:
    """The pins after a PIN or UNPIN of ``skill_id`` (other kinds leave them)."""
    if kind is Kind.PIN_SKILL:
        return in_course_order(course, {*pins, skill_id})
    if kind is Kind.UNPIN_SKILL:
        return in_course_order(course, set(pins) - {skill_id})
    return in_course_order(course, pins)


def apply_to_learner(
    course: Course, state: LearnerState, kind: Kind, skill_id: str, revoke_margin: float
) -> tuple[LearnerState, SkillChange | None]:
    """The learner's state after the intervention, and the skill's change (None for the
    kinds that change no skill's state)."""
    if kind in EXEMPT_KINDS:
        return replace(state, exempt=kind is Kind.EXEMPT_LEARNER), None
    if kind not in (Kind.RESET_SKILL, Kind.GRANT_MASTERY, Kind.REVOKE_MASTERY):
        return replace(state, pinned=pinned_after(course, state.pinned, kind, skill_id)), None
    before = state.skill(course, skill_id)
    skills = dict(state.skills)
    if kind is Kind.RESET_SKILL:
        # Absent is "never practised": its P(L) is the prior in force, even one the
        # diagnostic sets later.
        skills.pop(skill_id, None)
        after = SkillState(p_known=state.prior(course, skill_id))
    else:
        after = _changed_skill(course, state, kind, skill_id, before, revoke_margin)
        skills[skill_id] = after
    change = SkillChange(
        skill_id=skill_id,
        p_before=before.p_known,
        p_after=after.p_known,
        mastered_before=before.mastered,
        mastered_after=after.mastered,
        attempts_before=before.attempts,
        attempts_after=after.attempts,
    )
    return replace(state, skills=skills), change


def _changed_skill(
    course: Course,
    state: LearnerState,
    kind: Kind,
    skill_id: str,
    before: SkillState,
    revoke_margin: float,
) -> SkillState:
    """A GRANT or a REVOKE of one skill."""
    threshold = course.policy_for(skill_id).threshold
    if kind is Kind.GRANT_MASTERY:
        return replace(
            before, p_known=max(before.p_known, threshold), mastered=True, ever_mastered=True
        )
    prior = state.prior(course, skill_id)
    lowered = min(before.p_known, prior, max(0.0, threshold - revoke_margin))
    return replace(before, p_known=lowered, mastered=False, correct_streak=0, review_interval=0.0)


def effective_pins(state: LearnerState, class_pins: Collection[str]) -> frozenset[str]:
    """The skills pinned for the learner: their own and the class's."""
    return frozenset(state.pinned) | frozenset(class_pins)


def exempt_learners(entries: Iterable[InterventionEntry]) -> set[str]:
    """The learners exempt now, from a course's audit trail read newest first: each
    learner's newest entry carries their flag after it."""
    seen: set[str] = set()
    exempt: set[str] = set()
    for e in entries:
        if e.scope is Scope.LEARNER and e.learner_id not in seen:
            seen.add(e.learner_id)
            if e.exempt:
                exempt.add(e.learner_id)
    return exempt


def without_exempt(report: ClassReport, exempt: Collection[str]) -> ClassReport:
    """The class report with exempt learners left out of the at-risk list (they stay in
    the heatmap and every class statistic: their answers are still evidence)."""
    if not exempt:
        return report
    return replace(report, at_risk=tuple(a for a in report.at_risk if a.learner_id not in exempt))
