"""What the engine records and replies: pure data, shared by the service and the stores."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from attune.engine.domain.course import Course
from attune.engine.domain.learner import DktState, Outcome, Response, SkillOutcome
from attune.engine.domain.policy import Recommendation


@dataclass(frozen=True, slots=True)
class MasteryEvent:
    """A skill that became mastered, and the response that completed it."""

    skill_id: str
    p_known: float
    attempts: int
    mastered_at: float  # epoch seconds
    event_id: str


@dataclass(frozen=True, slots=True)
class RecordResult:
    """The reply to one response. Stored with the event so that a retry gets it back."""

    event_id: str
    skills: tuple[SkillOutcome, ...]
    mastery_events: tuple[MasteryEvent, ...]
    recommendations: tuple[Recommendation, ...]
    sequence: int
    duplicate: bool = False
    credibility: float = 1.0
    revoked: tuple[str, ...] = ()
    theta: float = 0.0
    theta_se: float = 1.0
    diagnostic: bool = False  # the learner is (still) in the diagnostic after this response
    predictor: str = "bkt"  # "bkt" or "dkt": where predicted correctness came from
    predictor_note: str = ""  # why BKT when the course has a DKT model
    complete: bool = False  # every skill mastered and none due for review (update.py)


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """One entry of the append-only event log. ``log_id`` is assigned by the store and
    orders the tenant's log; ``reply`` is the reply the response got (a store encodes it as
    it likes, see engine/adapters/codec.py)."""

    tenant: str
    event_id: str
    learner_id: str
    course_id: str
    item_id: str
    score: float
    response_time_ms: int
    occurred_at: float
    recorded_at: float
    sequence: int
    reply: RecordResult
    log_id: int = 0
    credibility: float = 1.0  # the weight the response was applied with
    gain: float = 0.0  # mean change in P(L) over the item's skills (for item statistics)


@dataclass(frozen=True, slots=True)
class DktView:
    """What DKT says now: the learner's DKT state, the predictions per course skill (None
    when BKT predicts) and why BKT when the course pins a model ("" otherwise)."""

    state: DktState | None
    predicted: Mapping[str, float] | None
    note: str = ""

    @property
    def predictor(self) -> str:
        """ "dkt" when predictions exist, else "bkt"."""
        return "dkt" if self.predicted is not None else "bkt"


def reply_of(
    course: Course,
    response: Response,
    outcome: Outcome,
    weight: float,
    dkt: DktView,
    recommendations: tuple[Recommendation, ...],
) -> RecordResult:
    """The reply to ``response``, applied with credibility ``weight`` into ``outcome``."""
    after = outcome.state
    theta, se = after.theta()
    return RecordResult(
        event_id=response.event_id,
        skills=outcome.skills,
        mastery_events=tuple(
            MasteryEvent(
                skill_id=sid,
                p_known=after.skills[sid].p_known,
                attempts=after.skills[sid].attempts,
                mastered_at=response.occurred_at,
                event_id=response.event_id,
            )
            for sid in outcome.mastery_events
        ),
        recommendations=recommendations,
        sequence=after.responses,
        credibility=weight,
        revoked=outcome.revoked,
        theta=theta,
        theta_se=se,
        diagnostic=after.in_diagnostic(course),
        predictor=dkt.predictor,
        predictor_note=dkt.note,
        complete=outcome.complete,
    )


def log_entry(
    tenant: str, response: Response, outcome: Outcome, reply: RecordResult, recorded_at: float
) -> LoggedEvent:
    """The log entry of ``response``: what was answered, its reply, and the mean change in
    P(L) over the item's skills (for item statistics)."""
    gain = sum(o.p_known - o.p_known_before for o in outcome.skills) / len(outcome.skills)
    return LoggedEvent(
        tenant=tenant,
        event_id=response.event_id,
        learner_id=response.learner_id,
        course_id=response.course_id,
        item_id=response.item_id,
        score=response.score,
        response_time_ms=response.response_time_ms,
        occurred_at=response.occurred_at,
        recorded_at=recorded_at,
        sequence=outcome.state.responses,
        reply=reply,
        credibility=reply.credibility,
        gain=gain,
    )


def content_of(recs: Sequence[Recommendation], course: Course | None) -> tuple[Recommendation, ...]:
    """Recommendations with their items' content ("" for an item the course no longer has)."""
    items = course.items if course is not None else {}
    return tuple(
        replace(r, content=items[r.item_id].content if r.item_id in items else "") for r in recs
    )


def with_content(result: RecordResult, course: Course | None) -> RecordResult:
    """A reply as sent: the log keeps no item content, the course's current one is added."""
    return replace(result, recommendations=content_of(result.recommendations, course))
