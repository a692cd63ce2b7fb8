"""Protobuf <-> domain for InterventionService. No logic beyond mapping fields."""

from __future__ import annotations

from attune.engine.domain.errors import InvalidInputError
from attune.engine.domain.interventions import (
    InterventionEntry,
    InterventionRequest,
    Kind,
    Scope,
)
from attune.engine.grpc.convert import _set_time
from attune.engine.v1 import interventions_pb2 as pb

_KINDS = {pb.InterventionKind.Value("INTERVENTION_KIND_" + k.value): k for k in Kind}
_KIND_PB = {k: v for v, k in _KINDS.items()}
_SCOPES = {
    pb.INTERVENTION_SCOPE_UNSPECIFIED: Scope.LEARNER,
    pb.INTERVENTION_SCOPE_LEARNER: Scope.LEARNER,
    pb.INTERVENTION_SCOPE_CLASS: Scope.CLASS,
}
_SCOPE_PB = {Scope.LEARNER: pb.INTERVENTION_SCOPE_LEARNER, Scope.CLASS: pb.INTERVENTION_SCOPE_CLASS}


def request_from_pb(msg: pb.InterveneRequest) -> InterventionRequest:
    """The request; an enum value this engine does not know is INVALID_ARGUMENT (kind
    UNSPECIFIED becomes None, refused by the validation with the other fields)."""
    scope = _SCOPES.get(msg.scope)
    if scope is None:
        raise InvalidInputError("scope", f"unknown value {msg.scope}")
    if msg.kind != pb.INTERVENTION_KIND_UNSPECIFIED and msg.kind not in _KINDS:
        raise InvalidInputError("kind", f"unknown value {msg.kind}")
    return InterventionRequest(
        course_id=msg.course_id,
        scope=scope,
        learner_id=msg.learner_id,
        kind=_KINDS.get(msg.kind),
        skill_id=msg.skill_id,
        actor=msg.actor,
        reason=msg.reason,
        request_id=msg.request_id,
    )


def entry_to_pb(entry: InterventionEntry, out: pb.Intervention) -> None:
    """Fill ``out`` (a message field or a new repeated element) from an audit entry."""
    out.intervention_id = entry.intervention_id
    out.request_id = entry.request_id
    out.course_id = entry.course_id
    out.scope = _SCOPE_PB[entry.scope]
    out.learner_id = entry.learner_id
    out.kind = _KIND_PB[entry.kind]
    out.skill_id = entry.skill_id
    out.actor = entry.actor
    out.reason = entry.reason
    _set_time(out.recorded_at, entry.recorded_at)
    out.pinned_skill_ids.extend(entry.pinned)
    out.exempt = entry.exempt
    c = entry.change
    if c is not None:
        out.change.skill_id = c.skill_id
        out.change.p_mastery_before = c.p_before
        out.change.p_mastery_after = c.p_after
        out.change.mastered_before = c.mastered_before
        out.change.mastered_after = c.mastered_after
        out.change.attempts_before = c.attempts_before
        out.change.attempts_after = c.attempts_after
