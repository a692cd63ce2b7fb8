"""Interventions (issue 14, part 3): what a teacher or an administrator changes by hand in
the learner model, and the audit trail entry that records who did it and why.

This module holds the request, its validation against the course and the audit entry; the
state changes themselves are in :mod:`interventions_apply`. A request is checked completely
before anything is read for it, so a refused request changes nothing.

Kinds and scopes:

- RESET_SKILL, GRANT_MASTERY, REVOKE_MASTERY change one skill of one learner (scope LEARNER);
- PIN_SKILL and UNPIN_SKILL pin a skill for one learner or for the class (scope CLASS);
- EXEMPT_LEARNER and UNEXEMPT_LEARNER set the learner's exemption (no skill).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from attune.engine.domain.course import Course
from attune.engine.domain.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from attune.engine.domain.limits import MAX_ID_CHARS, check_text

MAX_REASON_CHARS = 500
MAX_ACTOR_CHARS = MAX_ID_CHARS
REUSED_MESSAGE = "was already used for a different intervention"


class Kind(Enum):
    """What an intervention does. Values match the proto's ``InterventionKind`` names."""

    RESET_SKILL = "RESET_SKILL"
    GRANT_MASTERY = "GRANT_MASTERY"
    REVOKE_MASTERY = "REVOKE_MASTERY"
    PIN_SKILL = "PIN_SKILL"
    UNPIN_SKILL = "UNPIN_SKILL"
    EXEMPT_LEARNER = "EXEMPT_LEARNER"
    UNEXEMPT_LEARNER = "UNEXEMPT_LEARNER"
    VOID_EVENT = "VOID_EVENT"  # recorded by voiding.py (VoidEvent), never asked of Intervene


class Scope(Enum):
    """Whom an intervention is for. Values match the proto's ``InterventionScope`` names."""

    LEARNER = "LEARNER"
    CLASS = "CLASS"


STATE_KINDS = frozenset({Kind.RESET_SKILL, Kind.GRANT_MASTERY, Kind.REVOKE_MASTERY})
PIN_KINDS = frozenset({Kind.PIN_SKILL, Kind.UNPIN_SKILL})
EXEMPT_KINDS = frozenset({Kind.EXEMPT_LEARNER, Kind.UNEXEMPT_LEARNER})
CLASS_KINDS = PIN_KINDS  # the only kinds that make sense for a whole class


@dataclass(frozen=True, slots=True)
class InterventionRequest:
    """One intervention as the caller asks for it (``kind`` None: the caller sent none)."""

    course_id: str
    scope: Scope
    learner_id: str
    kind: Kind | None
    skill_id: str
    actor: str
    reason: str
    request_id: str


@dataclass(frozen=True, slots=True)
class SkillChange:
    """One skill's state before and after a RESET, GRANT or REVOKE."""

    skill_id: str
    p_before: float
    p_after: float
    mastered_before: bool
    mastered_after: bool
    attempts_before: int
    attempts_after: int


@dataclass(frozen=True, slots=True)
class InterventionEntry:
    """One entry of the audit trail. ``intervention_id`` is assigned by the store: it orders
    the tenant's trail (newer is larger). ``pinned`` and ``exempt`` are the learner's (or for
    scope CLASS, the class's pins) after the intervention, so that the newest entry of a
    learner tells their flags without reading their state."""

    tenant: str
    request_id: str
    course_id: str
    scope: Scope
    learner_id: str  # "" for scope CLASS
    kind: Kind
    skill_id: str  # "" for the exemption kinds
    actor: str
    reason: str
    recorded_at: float  # epoch seconds, the engine's clock
    change: SkillChange | None = None
    pinned: tuple[str, ...] = ()
    exempt: bool = False
    intervention_id: int = 0


def _required(field: str, value: str, limit: int) -> str:
    if not value or not value.strip():
        raise InvalidInputError(field, "must not be empty")
    return check_text(field, value, limit)


def validate_request(req: InterventionRequest) -> Kind:
    """Check everything that needs no course; return the kind. Raises
    :class:`InvalidInputError` naming the first bad field."""
    _required("request_id", req.request_id, MAX_ID_CHARS)
    _required("course_id", req.course_id, MAX_ID_CHARS)
    if req.scope is Scope.CLASS:
        if req.learner_id:
            raise InvalidInputError("learner_id", "must be empty for scope CLASS")
    else:
        _required("learner_id", req.learner_id, MAX_ID_CHARS)
    kind = req.kind
    if kind is None:
        raise InvalidInputError("kind", "is required")
    if kind is Kind.VOID_EVENT:
        raise InvalidInputError("kind", "VOID_EVENT is recorded by VoidEvent, not Intervene")
    if req.scope is Scope.CLASS and kind not in CLASS_KINDS:
        raise InvalidInputError("kind", f"{kind.value} is not possible for scope CLASS")
    if kind in EXEMPT_KINDS:
        if req.skill_id:
            raise InvalidInputError("skill_id", f"must be empty for {kind.value}")
    else:
        _required("skill_id", req.skill_id, MAX_ID_CHARS)
    _required("actor", req.actor, MAX_ACTOR_CHARS)
    _required("reason", req.reason, MAX_REASON_CHARS)
    return kind


def check_against(req: InterventionRequest, course: Course) -> None:
    """Raise :class:`NotFoundError` when the request names a skill the course lacks."""
    if req.skill_id and req.skill_id not in course.skills:
        raise NotFoundError("skill", req.skill_id)


def entry_of(
    tenant: str,
    req: InterventionRequest,
    kind: Kind,
    now: float,
    change: SkillChange | None,
    pinned: tuple[str, ...],
    exempt: bool,
) -> InterventionEntry:
    """The audit entry of an applied request (its id comes from the store)."""
    return InterventionEntry(
        tenant=tenant,
        request_id=req.request_id,
        course_id=req.course_id,
        scope=req.scope,
        learner_id=req.learner_id,
        kind=kind,
        skill_id=req.skill_id,
        actor=req.actor,
        reason=req.reason,
        recorded_at=now,
        change=change,
        pinned=pinned,
        exempt=exempt,
    )


def check_replay(entry: InterventionEntry, req: InterventionRequest) -> None:
    """Raise :class:`AlreadyExistsError` unless ``req`` repeats the recorded one. Like a
    reused event id (replay.py), the refusal repeats nothing that was stored."""
    same = (
        entry.scope is req.scope
        and entry.kind is req.kind
        and entry.skill_id == req.skill_id
        and entry.actor == req.actor
        and entry.reason == req.reason
    )
    if not same:
        raise AlreadyExistsError("request_id", REUSED_MESSAGE)
