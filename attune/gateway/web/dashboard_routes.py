"""The class dashboard (issue 14): an instructor's view of their LMS context's class, and the
same figures for tenant administrators.

- ``GET /instructor/<token>/class``: the mastery heatmap (sortable and filterable on the
  server), at-risk learners with their reasons and evidence, item statistics, time to
  mastery, prerequisite drift, knowledge gaps and retention. The class is the context's
  roster (synced with NRPS); names come from it.
- ``GET /instructor/<token>/class.csv?table=...``: any table as CSV.
- ``GET /admin/tenants/<t>/courses/<course>/class-report`` (admin token): the engine's class
  report as JSON (every learner of the course), and ``.../class-report.csv?table=...``.
"""

from __future__ import annotations

import secrets
from typing import Any

import structlog
from flask import Blueprint, Response, jsonify, render_template, request
from google.protobuf.json_format import MessageToDict

from attune.gateway.app import current
from attune.gateway.class_view import SORTS, TABLES, class_tables, class_view
from attune.gateway.dashboard.csv_export import CSV_MEDIA_TYPE, csv_filename, to_csv
from attune.gateway.errors import BadRequestError, EngineCallError, NotFoundError
from attune.gateway.experiment_view import ExperimentView, experiment_view
from attune.gateway.web.credentials import authorise_admin
from attune.gateway.web.page_sessions import roster_of, staff_session

dashboard = Blueprint("dashboard", __name__)
dashboard_admin = Blueprint("dashboard_admin", __name__, url_prefix="/admin")
log = structlog.get_logger("attune.gateway.dashboard")


def _choice(name: str, allowed: tuple[str, ...], default: str) -> str:
    value = request.args.get(name, default)
    if value not in allowed:
        raise BadRequestError(f"{name} must be one of {', '.join(allowed)}")
    return value


def _class(token: str) -> tuple[Any, Any, Any, dict[str, str]]:
    gw = current()
    session = staff_session(token)
    roster = [m for m in roster_of(session) if m.get("learner")]
    names = {m["learner_id"]: m.get("name") or m.get("user_id") or m["learner_id"] for m in roster}
    course = gw.courses.get(session.tenant, session.course_id)
    report = (
        gw.engine.class_report(session.tenant, session.course_id, tuple(names)) if names else None
    )
    return session, course, report, names


@dashboard.get("/instructor/<token>/class")
def class_page(token: str) -> Any:
    """The class dashboard of the instructor's context."""
    session, course, report, names = _class(token)
    sort = _choice("sort", SORTS, "name")
    status = _choice("status", ("", "mastered", "in_progress", "ready", "locked"), "")
    skill = request.args.get("skill", "")
    if skill and skill not in {s.skill_id for s in course.skills}:
        raise BadRequestError(f"skill must be a skill of the course, not {skill[:40]!r}")
    view = (
        class_view(
            report,
            course,
            names,
            sort=sort,
            desc=request.args.get("desc") == "1",
            status=status,
            skill=skill,
        )
        if report is not None
        else None
    )
    pins = gw_pins(session.tenant, session.course_id)
    checks = current().store.read_content_log(session.tenant, session.course_id, "drift", 1)
    return render_template(
        "class.html",
        experiment=_experiment(session.tenant, course) if view is not None else None,
        pins=pins,
        last_drift_check=checks[0] if checks else None,
        request_id=secrets.token_hex(12),
        token=token,
        session=session,
        view=view,
        course=course,
        sort=sort,
        status=status,
        skill=skill,
        sorts=SORTS,
        tables=TABLES,
    )


@dashboard.get("/instructor/<token>/class.csv")
def class_csv(token: str) -> Any:
    """One table of the dashboard as CSV."""
    table = _choice("table", TABLES, "heatmap")
    session, course, report, names = _class(token)
    if report is None:
        raise NotFoundError("sync the roster first: the class is the context's roster")
    data = class_tables(report, course, names)[table]
    return _csv(data.header, data.rows, session.course_id, table)


def _experiment(tenant: str, course: Any) -> ExperimentView | None:
    """The course's experiment section (every learner of the course), when it runs one; a
    report the engine cannot give leaves the section out rather than the page."""
    if not course.HasField("experiment"):
        return None
    try:
        return experiment_view(current().engine.experiment_report(tenant, course.course_id))
    except EngineCallError as exc:
        log.warning("dashboard.experiment_unavailable", tenant=tenant, code=exc.code)
        return None


def gw_pins(tenant: str, course_id: str) -> list[str]:
    """The skills pinned for the whole class."""
    return list(current().engine.list_interventions(tenant, course_id).class_pinned_skill_ids)


def _csv(header: Any, rows: Any, course_id: str, table: str) -> Response:
    name = csv_filename(course_id, table)
    return Response(
        to_csv(header, rows),
        mimetype=CSV_MEDIA_TYPE.split(";")[0],
        headers={
            "Content-Type": CSV_MEDIA_TYPE,
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )


dashboard_admin.before_request(authorise_admin)


@dashboard_admin.get("/tenants/<tenant>/courses/<course_id>/class-report")
def admin_report(tenant: str, course_id: str) -> Any:
    """The engine's class report of every learner of the course, as JSON."""
    report = current().engine.class_report(tenant, course_id)
    return jsonify(MessageToDict(report, preserving_proto_field_name=True))


@dashboard_admin.get("/tenants/<tenant>/courses/<course_id>/drift-checks")
def drift_checks(tenant: str, course_id: str) -> Any:
    """The monthly drift checks of a course, newest first."""
    checks = current().store.read_content_log(tenant, course_id, "drift")
    return jsonify(course_id=course_id, checks=checks)


@dashboard_admin.get("/tenants/<tenant>/courses/<course_id>/class-report.csv")
def admin_csv(tenant: str, course_id: str) -> Any:
    """One table of a course's class report as CSV (learners by their pseudonymous ids)."""
    table = _choice("table", TABLES, "heatmap")
    gw = current()
    report = gw.engine.class_report(tenant, course_id)
    data = class_tables(report, gw.courses.get(tenant, course_id), {})[table]
    return _csv(data.header, data.rows, course_id, table)
