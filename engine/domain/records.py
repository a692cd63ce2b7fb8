"""What the engine records and replies: pure data, shared by the service and the stores."""

from __future__ import annotations

from dataclasses import dataclass

from engine.domain.learner import SkillOutcome
from engine.domain.policy import Recommendation


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


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """One entry of the append-only event log. ``log_id`` is assigned by the store and
    orders the tenant's log; ``reply`` is the encoded :class:`RecordResult`."""

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
    reply: str
    log_id: int = 0
    credibility: float = 1.0  # the weight the response was applied with
    gain: float = 0.0  # mean change in P(L) over the item's skills (for item statistics)
