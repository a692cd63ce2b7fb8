"""The engine's side of the audit trail (issue 16 part 4): partners' reads of learner data,
their course changes, interventions and erasures over gRPC, recorded by the server's call
pipeline (pipeline.py) keyed by method (:data:`AUDITED`), not in the servicers.

It runs after authentication (the tenant is known) and records a call once it succeeded.
The record goes to an :class:`AuditSink` (the composition root gives the shared trail of
``infra.audit``; this layer imports no store). A read whose record cannot be written fails
UNAVAILABLE: the data is not released without its record.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from grpc import aio

from attune.engine.domain.errors import UnavailableError
from attune.engine.grpc.auth import current_tenant

log = structlog.get_logger("attune.audit")
REASON_CHARS = 300


class AuditSink(Protocol):
    """Where records go: ``record(**fields)`` appends one (blocking), ``erase_learner``
    blanks a learner's plain id in the tenant's trail."""

    def record(self, **fields: Any) -> object: ...

    def erase_learner(self, tenant: str, learner_id: str) -> int: ...


@dataclass(frozen=True, slots=True)
class Audited:
    """How one RPC is recorded; ``read``: a read of learner data (fails closed)."""

    action: str
    read: bool = True
    erases: bool = False


_V1 = "/attune.engine.v1."
AUDITED: dict[str, Audited] = {
    f"{_V1}LearnerService/GetLearnerState": Audited("learner.read"),
    f"{_V1}LearnerService/DeleteLearner": Audited("learner.erase", read=False, erases=True),
    f"{_V1}AnalyticsService/GetLearnerTimeline": Audited("learner.read"),
    f"{_V1}AnalyticsService/GetClassReport": Audited("class.read"),
    f"{_V1}EventService/ListEvents": Audited("events.read"),
    f"{_V1}InterventionService/Intervene": Audited("intervention.record", read=False),
    f"{_V1}InterventionService/ListInterventions": Audited("interventions.read"),
    f"{_V1}InterventionService/VoidEvent": Audited("event.void", read=False),
    f"{_V1}ExperimentService/GetExperimentReport": Audited("experiment.read"),
    f"{_V1}ExperimentService/GetExperimentArm": Audited("learner.read"),
    f"{_V1}CourseService/PutCourse": Audited("course.put", read=False),
    # The gateway's (or a partner's) acknowledgement that a learner is erased downstream.
    f"{_V1}ErasureService/AcknowledgeErasure": Audited(
        "erasure.acknowledge", read=False, erases=True
    ),
}


def principal(metadata: Mapping[str, str]) -> str:
    """Who called, as the trail names them: ``partner:<client id>`` for a JWT (its
    ``client_id``, else ``sub``; the auth interceptor verified it before this runs), and
    ``partner:token-<first 12 hex of its SHA-256>`` for a static token (never the token)."""
    token = metadata.get("authorization", "").partition(" ")[2].strip()
    parts = token.split(".")
    if len(parts) == 3:
        try:
            padded = parts[1] + "=" * (-len(parts[1]) % 4)
            claims = json.loads(base64.urlsafe_b64decode(padded))
        except (ValueError, TypeError):
            claims = {}
        if isinstance(claims, dict):
            who = claims.get("client_id") or claims.get("sub")
            if isinstance(who, str) and who:
                return f"partner:{who}"
    return "partner:token-" + hashlib.sha256(token.encode()).hexdigest()[:12]


async def record_call(
    sink: AuditSink,
    audited: Audited,
    method: str,
    metadata: dict[str, str],
    request: Any,
    reply: Any,
    context: aio.ServicerContext,
) -> None:
    """Record a call of :data:`AUDITED` that succeeded (an empty page of events released
    nothing and is not recorded). Run by the server's call pipeline (pipeline.py)."""
    if audited.action == "events.read" and not getattr(reply, "events", None):
        return
    await _write(sink, audited, method, metadata, request, context)


async def _write(
    sink: AuditSink,
    audited: Audited,
    method: str,
    metadata: dict[str, str],
    request: Any,
    context: aio.ServicerContext,
) -> None:
    tenant = current_tenant()
    learner_id = str(getattr(request, "learner_id", "") or "")
    target = str(getattr(request, "course_id", "") or "")
    if not target and audited.action == "course.put":
        target = str(request.course.course_id)
    fields = {
        "tenant": tenant,
        "actor": principal(metadata),
        "action": audited.action,
        "source": "engine",
        "target": target,
        "learner_id": learner_id,
        "peer": str(context.peer() or ""),
        "reason": str(getattr(request, "reason", "") or "")[:REASON_CHARS],
        "request_id": str(structlog.contextvars.get_contextvars().get("request_id", "")),
        "details": {"rpc": method},
    }
    try:
        await asyncio.to_thread(sink.record, **fields)
        if audited.erases and learner_id:
            await asyncio.to_thread(sink.erase_learner, tenant, learner_id)
    except Exception as exc:
        log.error("audit.write_failed", action=audited.action, error=type(exc).__name__)
        if audited.read:
            raise UnavailableError("the audit trail is unavailable; try again") from None
