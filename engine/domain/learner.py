"""A learner's state in one course, and the pure update for one response."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from engine.domain import bkt
from engine.domain.course import Course
from engine.domain.errors import InvalidInputError, NotFoundError
from engine.domain.mastery import is_mastered

RECENT_WINDOW = 10
"""How many recent item ids a learner state remembers (novelty and continuity)."""

CORRECT_AT = 0.5
"""A fractional score at or above this counts as a correct answer for streaks."""


@dataclass(frozen=True, slots=True)
class SkillState:
    """BKT belief and practice history of one skill. ``p_known`` is P(L) for the next attempt."""

    p_known: float
    attempts: int = 0
    correct_streak: int = 0
    mastered: bool = False
    last_practiced: float | None = None  # epoch seconds of the last response on the skill


@dataclass(frozen=True, slots=True)
class LearnerState:
    """Everything the engine keeps about one learner in one course.

    Skills never practised are absent from ``skills``; :meth:`skill` gives their prior.
    """

    learner_id: str
    course_id: str
    skills: Mapping[str, SkillState] = field(default_factory=dict)
    recent_items: tuple[str, ...] = ()
    last_skill: str | None = None
    responses: int = 0

    def skill(self, course: Course, skill_id: str) -> SkillState:
        """The state of ``skill_id``, or its untouched prior."""
        found = self.skills.get(skill_id)
        if found is not None:
            return found
        return SkillState(p_known=course.skills[skill_id].bkt.prior)

    def mastered(self) -> set[str]:
        """Ids of the skills mastered so far."""
        return {k for k, s in self.skills.items() if s.mastered}


@dataclass(frozen=True, slots=True)
class Response:
    """One learner response, validated. ``score`` is 1.0/0.0 for a right/wrong answer."""

    event_id: str
    learner_id: str
    course_id: str
    item_id: str
    score: float
    response_time_ms: int
    occurred_at: float  # epoch seconds

    @property
    def correct(self) -> bool:
        """Whether the response counts as correct for streaks and reports."""
        return self.score >= CORRECT_AT


@dataclass(frozen=True, slots=True)
class SkillOutcome:
    """A skill's state after one response."""

    skill_id: str
    p_known_before: float
    p_known: float  # P(L) after the evidence and the transition
    p_correct: float  # predicted correctness of the next attempt
    attempts: int
    mastered: bool
    status: str = "ready"  # "locked", "ready" or "mastered" after this response


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of applying one response: the new state and what changed."""

    state: LearnerState
    skills: tuple[SkillOutcome, ...]
    mastery_events: tuple[str, ...]


def validate_response(response: Response, course: Course) -> None:
    """Raise :class:`InvalidInputError` or :class:`NotFoundError` for a bad response."""
    if not response.event_id or not response.event_id.strip():
        raise InvalidInputError("event_id", "must not be empty")
    if len(response.event_id) > 200:
        raise InvalidInputError("event_id", "must be at most 200 characters")
    if not response.learner_id or not response.learner_id.strip():
        raise InvalidInputError("learner_id", "must not be empty")
    if math.isnan(response.score) or not (0.0 <= response.score <= 1.0):
        raise InvalidInputError("score", f"must be in [0, 1], got {response.score}")
    if response.response_time_ms < 0:
        raise InvalidInputError("response_time_ms", "must be >= 0")
    if response.item_id not in course.items:
        raise NotFoundError("item", response.item_id)


def apply_response(course: Course, state: LearnerState, response: Response) -> Outcome:
    """Update every skill the item is tagged with, then apply the mastery rules.

    A multi-skill item updates each of its skills independently with the same evidence,
    which is how pyBKT treats a response tagged with several skills.
    """
    validate_response(response, course)
    item = course.items[response.item_id]
    skills = dict(state.skills)
    outcomes: list[SkillOutcome] = []
    events: list[str] = []
    for sid in item.skill_ids:
        params = course.skills[sid].bkt
        before = state.skill(course, sid)
        p_next = bkt.step(before.p_known, response.score, params)
        after = replace(
            before,
            p_known=p_next,
            attempts=before.attempts + 1,
            correct_streak=before.correct_streak + 1 if response.correct else 0,
            last_practiced=response.occurred_at,
        )
        # Mastery is sticky: once declared it is never withdrawn (and so is emitted once).
        if not after.mastered and is_mastered(after, course.policy_for(sid)):
            after = replace(after, mastered=True)
            events.append(sid)
        skills[sid] = after
        outcomes.append(
            SkillOutcome(
                skill_id=sid,
                p_known_before=before.p_known,
                p_known=p_next,
                p_correct=bkt.p_correct(p_next, params),
                attempts=after.attempts,
                mastered=after.mastered,
            )
        )
    mastered = {k for k, v in skills.items() if v.mastered}
    outcomes = [replace(o, status=skill_status(course, o.skill_id, mastered)) for o in outcomes]
    recent = (*state.recent_items, item.item_id)[-RECENT_WINDOW:]
    new_state = replace(
        state,
        skills=skills,
        recent_items=recent,
        last_skill=item.skill_ids[0],
        responses=state.responses + 1,
    )
    return Outcome(state=new_state, skills=tuple(outcomes), mastery_events=tuple(events))


def skill_status(course: Course, skill_id: str, mastered: set[str]) -> str:
    """Where a skill stands in the prerequisite graph: "mastered", "ready" or "locked"."""
    if skill_id in mastered:
        return "mastered"
    if all(p in mastered for p in course.skills[skill_id].prerequisites):
        return "ready"
    return "locked"
