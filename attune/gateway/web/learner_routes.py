"""One learner's page for their instructor (issue 14, part 2).

- ``GET /instructor/<token>/learners/<learner_id>``: the learner's timeline in the
  activity's course (every response, mastery, review, revocation and recommendation with its
  reasons; rows anchored ``log-<log id>``), their gaps with evidence, P(L) over their answers
  per skill, and P(L) beside DKT's prediction.
- ``GET /instructor/<token>/learners/<learner_id>.csv``: the timeline as CSV.

Only a staff session whose synced roster holds the learner may look: a learner's token, an
instructor of another context (whose roster does not hold them) and an instructor before
the first roster sync get 403. The learner id is checked against the roster before the
engine is asked anything.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, render_template

from attune.engine.v1 import interventions_pb2
from attune.gateway.app import current
from attune.gateway.dashboard.csv_export import CSV_MEDIA_TYPE, csv_filename, to_csv
from attune.gateway.errors import EngineCallError, ForbiddenError, NotFoundError
from attune.gateway.learner_view import learner_view
from attune.gateway.sessions import LaunchSession
from attune.gateway.web.page_sessions import roster_of, staff_session

learner_pages = Blueprint("learner_pages", __name__)
KIND_NAMES = {
    interventions_pb2.INTERVENTION_KIND_RESET_SKILL: "reset the skill",
    interventions_pb2.INTERVENTION_KIND_GRANT_MASTERY: "granted mastery",
    interventions_pb2.INTERVENTION_KIND_REVOKE_MASTERY: "revoked mastery",
    interventions_pb2.INTERVENTION_KIND_PIN_SKILL: "pinned the skill",
    interventions_pb2.INTERVENTION_KIND_UNPIN_SKILL: "unpinned the skill",
    interventions_pb2.INTERVENTION_KIND_EXEMPT_LEARNER: "exempted the learner",
    interventions_pb2.INTERVENTION_KIND_UNEXEMPT_LEARNER: "took back the exemption",
    interventions_pb2.INTERVENTION_KIND_VOID_EVENT: "voided an answer",
}


def allowed_learner(token: str, learner_id: str) -> tuple[LaunchSession, str, dict[str, Any]]:
    """The staff session, the learner's name and roster entry; 403 unless the session's
    synced roster holds the learner."""
    session = staff_session(token)
    for member in roster_of(session):
        if member.get("learner_id") == learner_id:
            name = member.get("name") or member.get("user_id") or learner_id
            return session, str(name), member
    raise ForbiddenError("this learner is not in your course's roster (sync the roster first)")


def _allowed(token: str, learner_id: str) -> tuple[LaunchSession, str]:
    session, name, _ = allowed_learner(token, learner_id)
    return session, name


@learner_pages.get("/instructor/<token>/learners/<learner_id>")
def learner_page(token: str, learner_id: str) -> Any:
    """The learner's timeline, gaps, P(L) over time and P(L) beside DKT's prediction."""
    session, name = _allowed(token, learner_id)
    gw = current()
    course = gw.courses.get(session.tenant, session.course_id)
    try:
        timeline = gw.engine.learner_timeline(session.tenant, session.course_id, learner_id)
    except EngineCallError as exc:
        if exc.code != "NOT_FOUND":
            raise
        timeline = None  # in the roster, no answer yet
    trail = gw.engine.list_interventions(session.tenant, session.course_id, learner_id)
    return render_template(
        "learner.html",
        token=token,
        session=session,
        name=name,
        learner_id=learner_id,
        view=learner_view(timeline, course) if timeline is not None else None,
        course=course,
        trail=trail,
        request_id=secrets.token_hex(12),
        exempt=learner_id in set(trail.exempt_learner_ids),
        kind_names=KIND_NAMES,
        actors={
            f"instructor:{m.get('learner_id')}": m.get("name") or m.get("user_id")
            for m in roster_of(session)
        },
    )


@learner_pages.get("/instructor/<token>/learners/<learner_id>.csv")
def learner_csv(token: str, learner_id: str) -> Any:
    """The learner's timeline as CSV (one row per response)."""
    session, name = _allowed(token, learner_id)
    gw = current()
    try:
        timeline = gw.engine.learner_timeline(session.tenant, session.course_id, learner_id)
    except EngineCallError as exc:
        if exc.code == "NOT_FOUND":
            raise NotFoundError("this learner has not answered in this activity yet") from exc
        raise
    table = learner_view(timeline, gw.courses.get(session.tenant, session.course_id)).table
    filename = csv_filename(session.course_id, name, "timeline")
    return (
        to_csv(table.header, table.rows),
        200,
        {
            "Content-Type": CSV_MEDIA_TYPE,
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )
