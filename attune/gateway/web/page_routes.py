"""The learner's practice page, the instructor's roster page and the progress API.

Every page is addressed by its session token (no cookie), and a session only ever shows its
own learner; instructors see the learners of their own context's roster.
"""

from __future__ import annotations

import secrets
from typing import Any

import structlog
from flask import Blueprint, jsonify, redirect, render_template, request

from attune.gateway.app import current
from attune.gateway.errors import ForbiddenError, NotFoundError
from attune.gateway.lti.advantage import members
from attune.gateway.progress import as_json, progress_rows
from attune.gateway.sessions import LaunchSession, learner_pseudonym
from attune.gateway.web.page_sessions import (
    ROSTER_TTL,
    page_session,
    roster_ids,
    roster_key,
    staff_session,
)

pages = Blueprint("pages", __name__)


@pages.get("/practice/<token>")
def practice(token: str) -> Any:
    """The recommended question, an answer form, progress, and why this question."""
    gw = current()
    session = page_session(token)
    state = gw.practice.page_state(token, session)
    shown = gw.practice.current(token, session, state)
    return render_template(
        "practice.html",
        token=token,
        session=session,
        shown=shown,
        view=gw.practice.view(session, shown) if shown is not None else None,
        feedback=None,
        progress=gw.practice.progress(session, state),
    )


@pages.post("/practice/<token>/hint")
def hint(token: str) -> Any:
    """Show the pending question's next hint (it lowers the credit of the answer)."""
    gw = current()
    session = page_session(token)
    gw.practice.hint(token, session, request.form.get("event_id", ""))
    return redirect(f"/practice/{token}#hints", code=303)


@pages.post("/practice/<token>/answer")
def answer(token: str) -> Any:
    """Check the answer, record it once, show the feedback and the worked answer."""
    gw = current()
    session = page_session(token)
    answers = request.form.getlist("answer")
    feedback, state = gw.practice.answer(
        token,
        session,
        request.form.get("event_id", ""),
        answers[0] if len(answers) == 1 else "",
        tuple(answers),
    )
    return render_template(
        "practice.html",
        token=token,
        session=session,
        shown=None,
        view=None,
        feedback=feedback,
        progress=gw.practice.progress(session, state),
    )


@pages.get("/api/learners/<learner_id>/progress")
def progress_api(learner_id: str) -> Any:
    """A learner's per-skill progress in the session's activity, as JSON. The bearer is a
    session token: a learner's own, or an instructor's of a context the learner is in."""
    gw = current()
    # The RBAC hook has checked the Bearer session: its own learner, or an instructor's
    # session for another learner; what stays here is the roster's membership (I/O).
    auth = request.headers.get("Authorization", "")
    session = page_session(auth.removeprefix("Bearer ").strip())
    if learner_id != session.learner_id and learner_id not in roster_ids(session):
        raise ForbiddenError("this learner is not in your course's roster (sync the roster first)")
    state = gw.practice.state(session, learner_id)
    course = gw.courses.get(session.tenant, session.course_id)
    rows = progress_rows(state, course, set(gw.practice.skills(session)))
    return jsonify(learner_id=learner_id, course_id=session.course_id, skills=as_json(rows))


@pages.get("/instructor/<token>")
def instructor(token: str) -> Any:
    """The roster (from NRPS) with each learner's mastery in this activity."""
    gw = current()
    session = staff_session(token)
    roster = gw.store.get(session.tenant, roster_key(session)) or []
    skills = gw.practice.skills(session)
    rows = []
    for member in roster:
        if not member["learner"]:
            continue
        state = gw.practice.state(session, member["learner_id"])
        mastered = len(set(skills) & set(state.mastered_skill_ids))
        rows.append({**member, "mastered": mastered, "responses": state.responses})
    return render_template(
        "instructor.html",
        token=token,
        session=session,
        rows=rows,
        total=len(skills),
        synced=bool(roster),
    )


@pages.get("/instructor/<token>/items")
def preview_list(token: str) -> Any:
    """Every item of the activity's course, each linked to its preview."""
    gw = current()
    session = staff_session(token)
    course = gw.courses.get(session.tenant, session.course_id)
    names = {s.skill_id: s.name or s.skill_id for s in course.skills}
    rows = [
        {"item_id": i.item_id, "skills": [names.get(s, s) for s in i.skill_ids]}
        for i in course.items
    ]
    return render_template("preview_list.html", token=token, session=session, rows=rows)


@pages.get("/instructor/<token>/items/<item_id>")
def preview_item(token: str, item_id: str) -> Any:
    """One item as a learner sees it, with every hint, the feedback and the solution."""
    gw = current()
    session = staff_session(token)
    preview = gw.practice.preview(session, item_id)
    entry = gw.bank.get(session.tenant, item_id)
    generated = (
        entry if entry is not None and entry.generated.course_id == session.course_id else None
    )
    return render_template(
        "preview.html", token=token, session=session, preview=preview, generated=generated
    )


@pages.post("/instructor/<token>/items/<item_id>/retire")
def retire_generated(token: str, item_id: str) -> Any:
    """Retire a generated item: the course's next version leaves it out, for good."""
    from attune.gateway.web.generation_routes import retire_item

    session = staff_session(token)
    reason = request.form.get("reason", "")[:300]
    retire_item(
        session.tenant,
        session.course_id,
        item_id,
        by=f"instructor:{session.learner_id}",
        reason=reason,
    )
    return redirect(f"/instructor/{token}/items", code=303)


@pages.post("/instructor/<token>/sync")
def sync_roster(token: str) -> Any:
    """Fetch the context's roster with NRPS and keep it."""
    gw = current()
    session = staff_session(token)
    if not session.nrps_url:
        raise ForbiddenError("the platform did not offer the roster service in this launch")
    connector = gw.connector_for(session.tenant, session.issuer, session.client_id)
    if connector is None:
        raise ForbiddenError("the platform's registration was removed")
    roster = [
        {
            "user_id": m.get("user_id", ""),
            "name": m.get("name", "") or m.get("user_id", ""),
            "learner": any(r.endswith("#Learner") or r == "Learner" for r in m.get("roles", [])),
            "learner_id": learner_pseudonym(session.issuer, str(m.get("user_id", ""))),
            "status": m.get("status", "Active"),
        }
        for m in members(connector, session.nrps_url)
    ]
    gw.store.put(session.tenant, roster_key(session), roster, ROSTER_TTL)
    structlog.get_logger("attune.gateway").info("nrps.synced", members=len(roster))
    return redirect(f"/instructor/{token}", code=303)


@pages.get("/demo")
def demo() -> Any:
    """A practice session without an LMS (``ATTUNE_GATEWAY__DEMO_PAGE``, on by default)."""
    gw = current()
    if not gw.settings.demo_page:
        raise NotFoundError("the demo page is turned off (ATTUNE_GATEWAY__DEMO_PAGE=false)")
    tenant = gw.settings.default_tenant
    course_id = request.args.get("course", gw.settings.default_course_id)
    course = gw.courses.get(tenant, course_id)
    visitor = secrets.token_hex(8)
    session = LaunchSession(
        tenant=tenant,
        issuer="attune:demo",
        client_id="",
        deployment_id="",
        sub=visitor,
        learner_id=f"demo-{visitor}",
        course_id=course_id,
        skill_ids=(),
        staff=False,
        activity_title=course.title or course_id,
    )
    return redirect(f"/practice/{gw.sessions.create(session)}", code=303)
