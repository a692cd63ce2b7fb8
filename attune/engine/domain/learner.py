"""A learner's state in one course, the response it receives, and what an update reports."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from attune.engine.domain import irt
from attune.engine.domain.cold_start import prior_from_theta
from attune.engine.domain.course import Course
from attune.engine.domain.errors import InvalidInputError, NotFoundError

RECENT_WINDOW = 10
"""How many recent item ids a learner state remembers (novelty and continuity)."""

CORRECT_AT = 0.5
"""A fractional score at or above this counts as a correct answer for streaks."""

FAIL_EVIDENCE = 5
"""How many recent failing event ids a skill keeps as evidence for gaps."""


@dataclass(frozen=True, slots=True)
class SkillState:
    """BKT belief and practice history of one skill. ``p_known`` is P(L) for the next attempt."""

    p_known: float
    attempts: int = 0
    correct_streak: int = 0
    mastered: bool = False
    last_practiced: float | None = None  # epoch seconds of the last credible response
    ever_mastered: bool = False  # the mastery event has been emitted
    wrong_streak: int = 0
    recent_fails: tuple[str, ...] = ()  # event ids of the current run of wrong answers
    review_interval: float = 0.0  # seconds; 0 means the policy's initial interval
    reviews: int = 0  # successful reviews so far
    last_seq: int = 0  # the learner's response number when the skill was last practised
    fail_start_seq: int = 0  # response number of the first failure of the current wrong run
    # Memory half-life in seconds under the recall review schedule (review.py); 0 means the
    # policy's initial one (the skill has had no answer since it was first mastered).
    half_life: float = 0.0
    # P(L) per learner type (engine/domain/adaptive.py); () until the course adapts mastery
    p_types: tuple[float, ...] = ()
    # P(the memory of a mastered skill was intact at its last practice), from the checks
    # since mastery (review.retained_after); 1 when mastered or never checked.
    retained: float = 1.0


@dataclass(frozen=True, slots=True)
class DiagnosticAnswer:
    """A response given during the diagnostic, kept until the phase ends."""

    item_id: str
    score: float
    weight: float


@dataclass(frozen=True, slots=True)
class DktState:
    """The learner's LSTM state under one DKT model, and its latest predictions."""

    model: str  # "name@version" the state belongs to
    h: tuple[float, ...]
    c: tuple[float, ...]
    p: tuple[float, ...]  # P(correct) of the next answer, by the model's skill index
    steps: int = 0


@dataclass(frozen=True, slots=True)
class LearnerState:
    """Everything the engine keeps about one learner in one course.

    Skills never practised are absent from ``skills``; :meth:`skill` gives their prior, which
    comes from the diagnostic's ability estimate once the diagnostic is over.
    """

    learner_id: str
    course_id: str
    skills: Mapping[str, SkillState] = field(default_factory=dict)
    recent_items: tuple[str, ...] = ()
    last_skill: str | None = None
    responses: int = 0
    ability: tuple[float, ...] = ()  # posterior weights on irt.GRID; () is the prior
    diagnosed: bool = False
    diagnostic: tuple[DiagnosticAnswer, ...] = ()
    prior_theta: tuple[float, float] | None = None  # (theta, se) that set the priors
    dkt: DktState | None = None
    pinned: tuple[str, ...] = ()  # skills a teacher pinned for the learner (interventions)
    exempt: bool = False  # a teacher exempted the learner from the course (interventions)
    # log-likelihood of the learner's answers per learner type (engine/domain/adaptive.py)
    type_loglik: tuple[float, ...] = ()

    def skill(self, course: Course, skill_id: str) -> SkillState:
        """The state of ``skill_id``, or its untouched prior."""
        found = self.skills.get(skill_id)
        if found is not None:
            return found
        return SkillState(p_known=self.prior(course, skill_id))

    def prior(self, course: Course, skill_id: str) -> float:
        """P(L0) of a skill for this learner: from theta after the diagnostic, else the course's."""
        if self.prior_theta is not None:
            return prior_from_theta(course, skill_id, *self.prior_theta)
        return course.skills[skill_id].bkt.prior

    def ability_weights(self) -> tuple[float, ...]:
        """The ability posterior on :data:`irt.GRID`."""
        return self.ability or irt.PRIOR

    def theta(self) -> tuple[float, float]:
        """(theta, SE) by EAP."""
        return irt.eap(self.ability_weights())

    def mastered(self) -> set[str]:
        """Ids of the skills mastered now."""
        return {k for k, s in self.skills.items() if s.mastered}

    def in_diagnostic(self, course: Course) -> bool:
        """Whether the learner is still in the cold-start diagnostic."""
        return course.diagnostic.enabled and not self.diagnosed


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
    revoked: tuple[str, ...] = ()
    credibility: float = 1.0
    diagnostic_finished: bool = False
    complete: bool = False  # every skill mastered and none due for review after this response


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


def skill_status(course: Course, skill_id: str, mastered: set[str]) -> str:
    """Where a skill stands in the prerequisite graph: "mastered", "ready" or "locked"."""
    if skill_id in mastered:
        return "mastered"
    if all(p in mastered for p in course.skills[skill_id].prerequisites):
        return "ready"
    return "locked"
