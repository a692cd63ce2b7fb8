"""The OpenAPI description of the content routes (issue 13): imports, the content status and
export, tags, generated items and terminologies on the admin surface; media, hints and item
previews on the pages. Part of :func:`attune.gateway.web.openapi.openapi_document`."""

from __future__ import annotations

from attune.gateway.web.openapi import (
    _ADMIN,
    _PAGE,
    _TENANT,
    _TOKEN,
    Json,
    _form,
    _json_body,
    _json_ok,
    _op,
    _path_param,
    _query,
    _redirect,
    _responses,
)

_COURSE = _path_param("course_id", "The course")
_ITEM = _path_param("item_id", "The item")
_SUBJECT = _path_param("subject", "The subject")
_LEARNER = _path_param("learner_id", "The learner's pseudonymous id (from the roster)")
_ERRORS = (400, 401, 404, 411, 413, 429, 502, 503)
_ANY_BODY = {
    "required": True,
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}


def _admin(summary: str, *params: Json, body: Json | None = None, ok: int = 200) -> Json:
    op = _op(
        summary,
        _responses("json", {ok: _json_ok()}, tuple(sorted({*_ERRORS, 422}))),
        parameters=[_TENANT, *params],
        security=_ADMIN,
    )
    if body is not None:
        op["requestBody"] = body
    return op


def content_paths() -> Json:
    """The content routes."""
    base = "/admin/tenants/{tenant}"
    course = f"{base}/content/{{course_id}}"
    page = _responses("html", {200: {"content": _PAGE}}, (400, 401, 403, 404, 429, 502, 503))
    return {
        f"{base}/content": {
            "post": _admin(
                "Import a course package or quiz export (the body as is); the change report",
                _query("format", "package, moodle, gift, qti or canvas; default: detected"),
                _query("course_id", "For formats that carry no course id"),
                _query("title", "For formats that carry no title"),
                _query("filename", "The upload's file name, for locating problems"),
                _query("dry_run", "true: the change report only, nothing stored"),
                body=_ANY_BODY,
            )
        },
        course: {"get": _admin("The current version, the imports and unscored answers", _COURSE)},
        f"{course}/package": {
            "get": _op(
                "The current version as a package zip",
                _responses(
                    "json",
                    {200: {"content": {"application/zip": {"schema": {"type": "string"}}}}},
                    (401, 404, 429, 502, 503),
                ),
                parameters=[_TENANT, _COURSE],
                security=_ADMIN,
            )
        },
        f"{course}/tag-suggestions": {
            "get": _op(
                "Suggested skills for untagged items (CSV, confirmed empty)",
                _responses(
                    "json",
                    {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
                    (401, 404, 429, 502, 503),
                ),
                parameters=[_TENANT, _COURSE],
                security=_ADMIN,
            )
        },
        f"{course}/tags": {
            "put": _admin(
                "Apply a confirmed tag mapping (CSV) as a new version", _COURSE, body=_ANY_BODY
            )
        },
        f"{course}/generate": {
            "post": _admin(
                "Generate items for a skill (template or model); each passes the evaluator",
                _COURSE,
                body=_json_body(
                    {
                        "type": "object",
                        "required": ["skill_id"],
                        "properties": {
                            "skill_id": {"type": "string"},
                            "count": {"type": "integer", "minimum": 1, "maximum": 10},
                            "generator": {"enum": ["template", "model"]},
                            "template": {"type": "string"},
                            "level": {"type": "integer", "minimum": 1, "maximum": 3},
                            "subject": {"type": "string"},
                        },
                    }
                ),
            )
        },
        f"{course}/generated": {"get": _admin("The generated items and their provenance", _COURSE)},
        f"{course}/generated/{{item_id}}/retire": {
            "post": _admin(
                "Retire a generated item; the next version leaves it out", _COURSE, _ITEM
            )
        },
        f"{base}/terminology/{{subject}}": {
            "get": _admin("A subject's terminology", _SUBJECT),
            "put": _admin("Keep a subject's terminology (YAML or JSON)", _SUBJECT, body=_ANY_BODY),
        },
        "/media/{tenant}/{digest}": {
            "get": _op(
                "A media file of the tenant's content, by the SHA-256 of its bytes",
                _responses("html", {200: {}, 304: {}}, (404,)),
                parameters=[_TENANT, _path_param("digest", "The file's SHA-256, hex")],
            )
        },
        "/practice/{token}/hint": {
            "post": _op(
                "Show the pending question's next hint (it lowers the answer's credit)",
                _responses("html", {303: _redirect()}, (400, 401, 403, 404, 411, 413, 429, 503)),
                parameters=[_TOKEN],
                requestBody=_form({"event_id": {"type": "string"}}, []),
            )
        },
        "/instructor/{token}/items": {
            "get": _op("The activity's items, for the instructor", page, parameters=[_TOKEN])
        },
        "/instructor/{token}/items/{item_id}": {
            "get": _op(
                "One item with its answer, hints, feedback and solution",
                page,
                parameters=[_TOKEN, _ITEM],
            )
        },
        "/instructor/{token}/items/{item_id}/retire": {
            "post": _op(
                "Retire a generated item",
                _responses("html", {303: _redirect()}, (400, 401, 403, 404, 411, 413, 429, 503)),
                parameters=[_TOKEN, _ITEM],
                requestBody=_form({"reason": {"type": "string"}}, []),
            )
        },
    }


def dashboard_paths() -> Json:
    """The class dashboard's routes (issue 14)."""
    page = _responses("html", {200: {"content": _PAGE}}, (400, 401, 403, 404, 429, 502, 503))
    csv = _responses(
        "html",
        {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
        (400, 401, 403, 404, 429, 502, 503),
    )
    table = _query("table", "heatmap, at_risk, items, mastery_time, drift, gaps or retention")
    course = "/admin/tenants/{tenant}/courses/{course_id}/class-report"
    return {
        "/instructor/{token}/class": {
            "get": _op(
                "The class dashboard of the instructor's LMS context",
                page,
                parameters=[
                    _TOKEN,
                    _query("sort", "name, mastered, mean or last"),
                    _query("desc", "1: descending"),
                    _query("status", "mastered, in_progress, ready or locked"),
                    _query("skill", "limits the status filter to one skill"),
                ],
            )
        },
        "/instructor/{token}/class.csv": {
            "get": _op("One table of the dashboard as CSV", csv, parameters=[_TOKEN, table])
        },
        "/instructor/{token}/learners/{learner_id}": {
            "get": _op(
                "One learner's timeline, gaps, P(L) over time and P(L) beside DKT's prediction",
                page,
                parameters=[_TOKEN, _LEARNER],
            )
        },
        "/instructor/{token}/learners/{learner_id}.csv": {
            "get": _op("One learner's timeline as CSV", csv, parameters=[_TOKEN, _LEARNER])
        },
        "/instructor/{token}/learners/{learner_id}/interventions": {
            "post": _op(
                "Reset, grant, revoke, pin or unpin a skill, or exempt the learner (audited)",
                _responses(
                    "html", {303: _redirect()}, (400, 401, 403, 404, 409, 411, 413, 429, 503)
                ),
                parameters=[_TOKEN, _path_param("learner_id", "The learner's pseudonymous id")],
                requestBody=_form(
                    {
                        "kind": {"type": "string"},
                        "skill_id": {"type": "string"},
                        "reason": {"type": "string"},
                        "request_id": {"type": "string"},
                    },
                    ["kind", "reason", "request_id"],
                ),
            )
        },
        "/instructor/{token}/class/pins": {
            "post": _op(
                "Pin or unpin a skill for the whole class (audited)",
                _responses(
                    "html", {303: _redirect()}, (400, 401, 403, 404, 409, 411, 413, 429, 503)
                ),
                parameters=[_TOKEN],
                requestBody=_form(
                    {
                        "kind": {"type": "string"},
                        "skill_id": {"type": "string"},
                        "reason": {"type": "string"},
                        "request_id": {"type": "string"},
                    },
                    ["kind", "reason", "request_id"],
                ),
            )
        },
        course: {"get": _admin("The course's class report (every learner), as JSON", _COURSE)},
        "/admin/tenants/{tenant}/courses/{course_id}/drift-checks": {
            "get": _admin("The course's monthly drift checks, newest first", _COURSE)
        },
        f"{course}.csv": {
            "get": _op(
                "One table of the course's class report as CSV",
                csv,
                parameters=[_TENANT, _COURSE, table],
                security=_ADMIN,
            )
        },
        # The course's experiment (issue 15 part 5): per arm, with 95% intervals.
        "/admin/tenants/{tenant}/courses/{course_id}/experiment": {
            "get": _admin("The course's experiment report per arm, as JSON", _COURSE)
        },
        "/admin/tenants/{tenant}/courses/{course_id}/experiment.csv": {
            "get": _op(
                "The course's experiment report as CSV, one row per arm",
                csv,
                parameters=[_TENANT, _COURSE],
                security=_ADMIN,
            )
        },
    }
