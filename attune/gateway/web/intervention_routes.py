"""Interventions from the instructor's pages (issue 14, part 3), each recorded by the engine
in the course's audit trail with who did it and why.

- ``POST /instructor/<token>/learners/<learner_id>/interventions``: reset a skill, grant or
  revoke its mastery, pin or unpin it, or exempt (or un-exempt) the learner. Form fields:
  ``kind``, ``skill_id`` (not for exemptions), ``reason`` (required) and ``request_id`` (the
  page puts a fresh one in each form, so a re-submitted form is applied once).
- ``POST /instructor/<token>/class/pins``: pin or unpin a skill for the whole class.

The actor is the instructor's pseudonymous id. The grade passback follows: the learner's
activity grade is recomputed from the state the engine returns and, when it changed, a score
is queued for the LMS (an exempt learner gets full marks, ``Completed``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import structlog
from flask import Blueprint, redirect, request

from attune.engine.v1 import interventions_pb2
from attune.gateway.app import current
from attune.gateway.errors import BadRequestError
from attune.gateway.sessions import LaunchSession
from attune.gateway.web.learner_routes import allowed_learner
from attune.gateway.web.page_sessions import staff_session

interventions = Blueprint("interventions", __name__)
log = structlog.get_logger("attune.gateway.interventions")

KINDS = {
    "reset": interventions_pb2.INTERVENTION_KIND_RESET_SKILL,
    "grant": interventions_pb2.INTERVENTION_KIND_GRANT_MASTERY,
    "revoke": interventions_pb2.INTERVENTION_KIND_REVOKE_MASTERY,
    "pin": interventions_pb2.INTERVENTION_KIND_PIN_SKILL,
    "unpin": interventions_pb2.INTERVENTION_KIND_UNPIN_SKILL,
    "exempt": interventions_pb2.INTERVENTION_KIND_EXEMPT_LEARNER,
    "unexempt": interventions_pb2.INTERVENTION_KIND_UNEXEMPT_LEARNER,
}
CLASS_KINDS = ("pin", "unpin")
MAX_REASON = 500


def _form(kinds: tuple[str, ...]) -> tuple[str, str, str, str]:
    kind = request.form.get("kind", "")
    if kind not in kinds:
        raise BadRequestError(f"kind must be one of {', '.join(kinds)}")
    reason = request.form.get("reason", "").strip()
    if not reason:
        raise BadRequestError("say why: the reason is recorded in the audit trail")
    if len(reason) > MAX_REASON:
        raise BadRequestError(f"the reason is longer than {MAX_REASON} characters")
    request_id = request.form.get("request_id", "").strip()
    if not request_id or len(request_id) > 64:
        raise BadRequestError("request_id is required (the page's form carries one)")
    return kind, request.form.get("skill_id", ""), reason, request_id


def _actor(session: LaunchSession) -> str:
    return f"instructor:{session.learner_id}"


@interventions.post("/instructor/<token>/learners/<learner_id>/interventions")
def intervene(token: str, learner_id: str) -> Any:
    """Apply an intervention to one learner, then send the grade on if it changed."""
    session, _, member = allowed_learner(token, learner_id)
    kind, skill_id, reason, request_id = _form(tuple(KINDS))
    gw = current()
    reply = gw.engine.intervene(
        session.tenant,
        interventions_pb2.InterveneRequest(
            course_id=session.course_id,
            scope=interventions_pb2.INTERVENTION_SCOPE_LEARNER,
            learner_id=learner_id,
            kind=KINDS[kind],
            skill_id="" if kind in ("exempt", "unexempt") else skill_id,
            actor=_actor(session),
            reason=reason,
            request_id=request_id,
        ),
    )
    learner = dataclasses.replace(
        session, sub=str(member.get("user_id", "")), learner_id=learner_id, staff=False
    )
    if learner.sub and learner.lineitem:
        gw.practice.update_grade(
            learner, reply.learner, cause=f"intervention:{reply.intervention.intervention_id}"
        )
    log.info(
        "intervention.recorded",
        tenant=session.tenant,
        kind=kind,
        learner_id=learner_id,
        duplicate=reply.duplicate,
    )
    return redirect(f"/instructor/{token}/learners/{learner_id}#interventions", code=303)


@interventions.post("/instructor/<token>/class/pins")
def pin_for_class(token: str) -> Any:
    """Pin (or unpin) a skill for every learner of the course."""
    session = staff_session(token)
    kind, skill_id, reason, request_id = _form(CLASS_KINDS)
    current().engine.intervene(
        session.tenant,
        interventions_pb2.InterveneRequest(
            course_id=session.course_id,
            scope=interventions_pb2.INTERVENTION_SCOPE_CLASS,
            kind=KINDS[kind],
            skill_id=skill_id,
            actor=_actor(session),
            reason=reason,
            request_id=request_id,
        ),
    )
    return redirect(f"/instructor/{token}/class#pins", code=303)
