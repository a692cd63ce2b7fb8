"""The gateway's HTTP API as an OpenAPI 3.1 document, served at ``/openapi.json``.

The document is built from the tables below when asked for (nothing at import time). A unit
test walks the Flask app's ``url_map`` and fails when a route is missing here, so the
description stays complete; ``tests/fuzz`` feeds it to schemathesis.

Credentials (see README, "Gateway"):

- ``adminToken``: ``Authorization: Bearer <ATTUNE_GATEWAY__ADMIN_TOKEN>`` on ``/admin/*``.
- ``ingestToken`` / ``ingestBasic``: an ingest token (``ATTUNE_GATEWAY__INGEST_TOKENS``) as a
  Bearer token, or as the password of Basic auth, on ``/xapi/statements`` and ``/caliper``.
- ``sessionToken``: a page's session token as a Bearer token on ``/api/learners/*``. The
  practice, instructor and deep-linking pages carry the session token in their path instead.
- LTI endpoints are authenticated by the LTI 1.3 protocol itself (a signed ``id_token``
  bound to a ``state`` the tool issued; core §5.1.3), not by an HTTP credential.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

openapi_bp = Blueprint("openapi", __name__)

Json = dict[str, Any]
_PAGE = {"text/html": {"schema": {"type": "string"}}}
_ERROR_SCHEMA: Json = {
    "type": "object",
    "required": ["error", "reason"],
    "properties": {"error": {"type": "string"}, "reason": {"type": "string"}},
}
_WHY = {
    200: "OK",
    204: "Stored; no content",
    302: "Redirect (OIDC authorization request to the platform)",
    304: "Not modified",
    303: "See other: the next page",
    400: "Malformed input; the reason names what was wrong and nothing changed",
    401: "No, a bad or an expired credential",
    403: "Authenticated, but not allowed",
    404: "Not found",
    409: "Conflict with what is stored; nothing changed",
    411: "A body without a declared length",
    413: "The body is larger than the route accepts",
    415: "The body is not application/json",
    422: "The upload has problems, each located; nothing changed",
    429: "Rate limited; retry after the Retry-After seconds",
    502: "A platform or the engine failed",
    503: "The engine is unavailable",
}


def _responses(kind: str, ok: dict[int, Json], errors: tuple[int, ...]) -> Json:
    """Responses: the successes as given, each error in the JSON or HTML error shape."""
    body = (
        {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        if kind == "json"
        else _PAGE
    )
    out: Json = {str(code): {"description": _WHY[code], **spec} for code, spec in ok.items()}
    for code in errors:
        out[str(code)] = {"description": _WHY[code], "content": body}
    return out


def _json_ok(schema: Json | None = None) -> Json:
    return {
        "description": "OK",
        "content": {"application/json": {"schema": schema or {"type": "object"}}},
    }


def _redirect() -> Json:
    return {"headers": {"Location": {"schema": {"type": "string"}}}}


def _path_param(name: str, description: str, schema: Json | None = None) -> Json:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema or {"type": "string", "minLength": 1},
    }


def _query(name: str, description: str, required: bool = False) -> Json:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": {"type": "string"},
    }


def _form(properties: dict[str, Json], required: list[str]) -> Json:
    return {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "properties": properties, "required": required}
            }
        },
    }


def _json_body(schema: Json | None = None) -> Json:
    return {
        "required": True,
        "content": {"application/json": {"schema": schema or {"type": "object"}}},
    }


def _with_attachments(body: Json) -> Json:
    """Statements with attachments: multipart/mixed (xAPI Communication §1.5.2)."""
    multipart = {"schema": {"type": "string", "format": "binary"}}
    return {**body, "content": {**body["content"], "multipart/mixed": multipart}}


_TOKEN = _path_param("token", "The page's session token, issued by a launch or /demo")
_TENANT = _path_param("tenant", "The tenant")
_ADMIN: list[Json] = [{"adminToken": []}]
_INGEST: list[Json] = [{"ingestToken": []}, {"ingestBasic": []}]
_XAPI_VERSION = {
    "name": "X-Experience-API-Version",
    "in": "header",
    "required": True,
    "description": "1.0.x or 2.0.0 (xAPI Communication §3.3)",
    "schema": {"type": "string"},
}


def _op(summary: str, responses: Json, **extra: Any) -> Json:
    return {"summary": summary, "responses": responses, **extra}


def _lti_paths() -> Json:
    login_fields = {
        name: {"type": "string"}
        for name in (
            "iss",
            "login_hint",
            "target_link_uri",
            "lti_message_hint",
            "client_id",
            "lti_deployment_id",
        )
    }
    login_errors = (400, 401, 411, 413, 429)
    jwks = _op("The tool's public keys", {"200": _json_ok()})
    return {
        "/lti/login": {
            "get": _op(
                "OIDC third-party initiated login (LTI 1.3 core §5.1.1)",
                _responses("html", {302: _redirect()}, login_errors),
                parameters=[_query(n, f"LTI login parameter {n}") for n in login_fields],
            ),
            "post": _op(
                "OIDC third-party initiated login, as a form post",
                _responses("html", {302: _redirect()}, login_errors),
                requestBody=_form(login_fields, []),
            ),
        },
        "/lti/launch": {
            "post": _op(
                "The LTI launch (the OIDC redirect_uri): a signed id_token and its state",
                _responses(
                    "html", {303: _redirect()}, (400, 401, 403, 404, 411, 413, 429, 502, 503)
                ),
                requestBody=_form(
                    {"id_token": {"type": "string"}, "state": {"type": "string"}}, ["id_token"]
                ),
            )
        },
        "/lti/jwks": {"get": jwks},
        "/.well-known/jwks.json": {"get": jwks},
        "/lti/register/{enrollment}": {
            "get": _op(
                "LTI Dynamic Registration 1.0, opened by the platform",
                _responses("html", {200: {"content": _PAGE}}, (400, 401, 403, 404, 429, 502)),
                parameters=[
                    _path_param("enrollment", "The one-time registration id from the admin API"),
                    _query("openid_configuration", "The platform's configuration URL", True),
                    _query("registration_token", "The platform's registration access token"),
                ],
            )
        },
        "/lti/deep-link/{token}": {
            "get": _op(
                "The instructor's activity picker (Deep Linking 2.0)",
                _responses("html", {200: {"content": _PAGE}}, (401, 403, 502, 503)),
                parameters=[_TOKEN],
            ),
            "post": _op(
                "Store the chosen activity and return the signed response form",
                _responses("html", {200: {"content": _PAGE}}, (400, 401, 403, 404, 411, 413, 503)),
                parameters=[_TOKEN],
                requestBody=_form(
                    {
                        "course_id": {"type": "string"},
                        "title": {"type": "string"},
                        "skill_ids": {"type": "array", "items": {"type": "string"}},
                    },
                    ["course_id"],
                ),
            ),
        },
        "/lti/config/canvas.json": {
            "get": _op("A Canvas developer key for this gateway", {"200": _json_ok()})
        },
    }


def _page_paths() -> Json:
    page = _responses("html", {200: {"content": _PAGE}}, (400, 401, 403, 404, 429, 502, 503))
    return {
        "/healthz": {"get": _op("Liveness", {"200": _json_ok()})},
        "/livez": {"get": _op("Liveness: the process answers", {"200": _json_ok()})},
        "/readyz": {
            "get": _op(
                "Readiness: the store, the engine and the pinned DKT models",
                {"200": _json_ok(), "503": {"description": "Not ready; the failing checks"}},
            )
        },
        "/metrics": {
            "get": _op(
                "Prometheus metrics (Bearer metrics or operator token; none set: loopback only)",
                {
                    "200": {
                        "description": "OK",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    "401": {"description": "No or a wrong token"},
                    "403": {"description": "Not a loopback client and no token configured"},
                },
            )
        },
        "/openapi.json": {"get": _op("This document", {"200": _json_ok()})},
        "/demo": {
            "get": _op(
                "A practice session without an LMS (ATTUNE_GATEWAY__DEMO_PAGE)",
                _responses("html", {303: _redirect()}, (400, 404, 429, 502, 503)),
                parameters=[_query("course", "The course to practise; the default course")],
            )
        },
        "/practice/{token}": {"get": _op("The learner's practice page", page, parameters=[_TOKEN])},
        "/practice/{token}/answer": {
            "post": _op(
                "Answer the question shown; the page with feedback",
                _responses(
                    "html", {200: {"content": _PAGE}}, (400, 401, 403, 404, 409, 411, 413, 429, 503)
                ),
                parameters=[_TOKEN],
                requestBody=_form(
                    {"event_id": {"type": "string"}, "answer": {"type": "string"}}, []
                ),
            )
        },
        "/instructor/{token}": {
            "get": _op("The roster with each learner's mastery", page, parameters=[_TOKEN])
        },
        "/instructor/{token}/sync": {
            "post": _op(
                "Fetch the context's roster from the platform (NRPS 2.0)",
                _responses("html", {303: _redirect()}, (401, 403, 502, 503)),
                parameters=[_TOKEN],
            )
        },
        "/api/learners/{learner_id}/progress": {
            "get": _op(
                "A learner's per-skill progress in the session's activity",
                _responses("json", {200: _json_ok()}, (400, 401, 403, 404, 502, 503)),
                parameters=[_path_param("learner_id", "The learner's pseudonymous id")],
                security=[{"sessionToken": []}],
            )
        },
    }


def _ingest_paths() -> Json:
    ingest_errors = (400, 401, 409, 411, 413, 415, 429, 503)
    statements = {"oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]}
    return {
        "/xapi/about": {
            "get": _op("The xAPI versions spoken (Communication §2.8)", {"200": _json_ok()})
        },
        "/xapi/statements": {
            "post": _op(
                "Store one statement or an array (Communication §2.1.2)",
                _responses(
                    "json",
                    {200: _json_ok({"type": "array", "items": {"type": "string"}})},
                    ingest_errors,
                ),
                parameters=[_XAPI_VERSION],
                requestBody=_with_attachments(_json_body(statements)),
                security=_INGEST,
            ),
            "put": _op(
                "Store one statement under statementId (Communication §2.1.1)",
                _responses("json", {204: {}}, ingest_errors),
                parameters=[_XAPI_VERSION, _query("statementId", "The statement's id", True)],
                requestBody=_with_attachments(_json_body()),
                security=_INGEST,
            ),
        },
        "/caliper": {
            "post": _op(
                "A Caliper 1.2 envelope (Caliper Analytics §5.2)",
                _responses("json", {200: _json_ok()}, ingest_errors),
                requestBody=_json_body(),
                security=_INGEST,
            )
        },
    }


def _admin_paths() -> Json:
    base = "/admin/tenants/{tenant}"
    errors = (400, 401, 404, 411, 413, 429)

    def admin(summary: str, *params: Json, body: bool = False, extra: tuple[int, ...] = ()) -> Json:
        op = _op(
            summary,
            _responses("json", {200: _json_ok()}, tuple(sorted({*errors, *extra}))),
            parameters=[_TENANT, *params],
            security=_ADMIN,
        )
        if body:
            op["requestBody"] = _json_body()
        return op

    number = {"type": "integer", "minimum": 0}
    status = _query("status", "pending, dead (the default), delivered or superseded")
    key = [_query("issuer", "The platform's issuer"), _query("client_id", "The client id")]
    lrs = _path_param("name", "The LRS target's name")
    return {
        f"{base}/registrations": {
            "get": admin("The tenant's platform registrations"),
            "put": admin("Create or replace a registration", body=True),
            "delete": admin("Delete a registration", *key),
        },
        f"{base}/registration-urls": {"post": admin("A one-time Dynamic Registration URL")},
        f"{base}/outbox": {"get": admin("Grade outbox items by status", status)},
        f"{base}/outbox/{{item_id}}/replay": {
            "post": admin("Replay a dead grade", _path_param("item_id", "Item id", number))
        },
        f"{base}/lrs": {"get": admin("The tenant's LRS targets and statement counts")},
        f"{base}/lrs/{{name}}": {
            "put": admin("Create or replace an LRS target", lrs, body=True),
            "delete": admin("Delete an LRS target", lrs),
        },
        f"{base}/statements": {"get": admin("Outbound statements by status", status)},
        f"{base}/statements/{{row_id}}/replay": {
            "post": admin("Replay a dead statement", _path_param("row_id", "Row id", number))
        },
        f"{base}/activity-map": {
            "get": admin("Which course item each inbound activity IRI is"),
            "put": admin("Replace the activity map", body=True, extra=(502, 503)),
        },
        "/admin/keys/rotate": {
            "post": _op(
                "Make a new tool signing key current",
                _responses("json", {200: _json_ok()}, (401, 429)),
                security=_ADMIN,
            )
        },
    }


def openapi_document() -> Json:
    """The OpenAPI 3.1 description of every route of :func:`gateway.app.create_app`."""
    from attune.gateway.audit.openapi_audit import audit_paths
    from attune.gateway.console.openapi_console import console_paths
    from attune.gateway.sso.openapi_sso import sso_paths
    from attune.gateway.web.openapi_content import content_paths, dashboard_paths
    from attune.gateway.web.openapi_oauth import oauth_paths
    from attune.gateway.web.openapi_statements import add_statement_reads
    from attune.gateway.web.openapi_tenants import tenant_paths

    paths: Json = {}
    parts = (_page_paths(), _lti_paths(), _ingest_paths(), _admin_paths(), content_paths())
    for part in (*parts, dashboard_paths(), oauth_paths()):
        paths.update(part)
    paths.update(sso_paths())  # staff sign-in (issue 16 part 2)
    paths.update(audit_paths())  # the audit trail and erasure (issue 16 parts 4 and 6)
    paths.update(console_paths())  # the admin console (issue 16 part 5)
    paths.update(tenant_paths())  # whole-tenant export and delete (issue 16)
    add_statement_reads(paths)  # GET /xapi/statements, GET /caliper (issue 19)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Attune gateway",
            "version": "1",
            "description": (
                "LTI 1.3 tool, practice pages, xAPI and Caliper ingestion and the admin API "
                "of Attune. Bad input gets a 4xx with a reason and changes nothing."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": {"Error": _ERROR_SCHEMA},
            "securitySchemes": {
                "adminToken": {"type": "http", "scheme": "bearer"},
                "ingestToken": {"type": "http", "scheme": "bearer"},
                "ingestBasic": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "Any user name; the ingest token as the password",
                },
                "sessionToken": {"type": "http", "scheme": "bearer"},
            },
        },
    }


@openapi_bp.get("/openapi.json")
def serve_openapi() -> Response:
    """The document, as JSON."""
    return jsonify(openapi_document())
