"""A learner's report in one course: every skill with its place in the prerequisite graph,
its predictions and review dates, and the likely gaps explained in words a teacher reads.

Pure: built from the course, the learner state, the gaps and DKT's view, with everything a
transport needs precomputed (the gRPC converter only maps fields).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from attune.engine.domain import bkt, review
from attune.engine.domain.course import Course
from attune.engine.domain.gaps import Gap
from attune.engine.domain.graph import ready_skills
from attune.engine.domain.learner import LearnerState, SkillState
from attune.engine.domain.tutoring import ReviewPolicy


class SkillReport(NamedTuple):
    """One skill of the course for one learner. A named tuple, immutable like the reports
    around it: a learner report makes one per skill of the course, and a tuple is built in C
    where a frozen dataclass sets each field through ``object.__setattr__`` (issue 17)."""

    skill_id: str
    p_known: float
    p_correct: float  # BKT's P(correct) of the next answer
    attempts: int
    mastered: bool
    status: str  # "mastered", "ready" or "locked"
    correct_streak: int
    reviews: int
    prior: float
    dkt_p_correct: float | None  # DKT's P(correct), when DKT serves the course
    last_practiced: float | None  # epoch seconds
    review_due: float | None  # epoch seconds, for a mastered skill
    review_interval_hours: float | None


@dataclass(frozen=True, slots=True)
class GapReport:
    """A likely gap with its explanation."""

    gap: Gap
    explanation: str


@dataclass(frozen=True, slots=True)
class LearnerReport:
    """What GetLearnerState answers."""

    learner_id: str
    course_id: str
    responses: int
    theta: float
    theta_se: float
    diagnostic: bool
    dkt_model: str  # the model whose predictions are shown, "" for none
    skills: tuple[SkillReport, ...]  # in course order
    gaps: tuple[GapReport, ...]
    pinned: tuple[str, ...] = ()  # skills a teacher pinned for the learner
    exempt: bool = False  # a teacher exempted the learner from the course

    def ids(self, status: str) -> list[str]:
        """Ids of the skills with ``status``, in course order."""
        return [s.skill_id for s in self.skills if s.status == status]


def explain(gap: Gap) -> str:
    """A gap in one sentence."""
    state_word = "mastered but doubted" if gap.suspected else f"P(L) {gap.p_known:.2f}"
    return (
        f"{gap.failures} wrong answers in a row on {gap.blocked_skill_id}; its "
        f"prerequisite {gap.skill_id} is {state_word}."
    )


def build_report(
    course: Course,
    state: LearnerState,
    gaps: list[Gap],
    policy: ReviewPolicy,
    predicted: Mapping[str, float] | None,
    dkt_model: str,
) -> LearnerReport:
    """The report of ``state`` in ``course``; ``predicted`` is DKT's P(correct) per skill
    (None when BKT predicts) from ``dkt_model``."""
    mastered = state.mastered()
    ready = ready_skills({k: s.prerequisites for k, s in course.skills.items()}, mastered)
    theta, se = state.theta()
    skills = []
    for sid in course.order:
        prior = state.prior(course, sid)
        found = state.skills.get(sid)
        s = found if found is not None else SkillState(p_known=prior)  # state.skill(), once
        due = review.due_at(s, policy)
        skills.append(
            SkillReport(
                skill_id=sid,
                p_known=s.p_known,
                p_correct=bkt.p_correct(s.p_known, course.skills[sid].bkt),
                attempts=s.attempts,
                mastered=s.mastered,
                status="mastered" if sid in mastered else "ready" if sid in ready else "locked",
                correct_streak=s.correct_streak,
                reviews=s.reviews,
                prior=prior,
                dkt_p_correct=(predicted or {}).get(sid),
                last_practiced=s.last_practiced,
                review_due=due,
                review_interval_hours=(
                    review.interval(s, policy) / 3600.0 if due is not None else None
                ),
            )
        )
    return LearnerReport(
        learner_id=state.learner_id,
        course_id=state.course_id,
        responses=state.responses,
        theta=theta,
        theta_se=se,
        diagnostic=state.in_diagnostic(course),
        dkt_model=dkt_model if predicted is not None else "",
        skills=tuple(skills),
        gaps=tuple(GapReport(g, explain(g)) for g in gaps),
        pinned=tuple(s for s in course.order if s in state.pinned),
        exempt=state.exempt,
    )
