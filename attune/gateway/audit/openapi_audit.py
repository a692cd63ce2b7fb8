"""The OpenAPI description of the audit and erasure routes (issue 16 parts 4 and 6). Part
of :func:`attune.gateway.web.openapi.openapi_document`."""

from __future__ import annotations

from attune.gateway.web.openapi import (
    _ADMIN,
    _TENANT,
    Json,
    _json_ok,
    _op,
    _path_param,
    _query,
    _responses,
)

_ERRORS = (400, 401, 404, 429, 503)


def _filters() -> list[Json]:
    return [
        _TENANT,
        _query("actor", "Exactly this principal (admin, lti:<id>, partner:<id>, sso:<sub>)"),
        _query("action", "Exactly this action, or a prefix ending in '.' (learner.)"),
        _query("learner_id", "Records about this learner"),
        _query("since", "From this time: epoch seconds or ISO 8601 with an offset"),
        _query("until", "Before this time: epoch seconds or ISO 8601 with an offset"),
        _query("after", "Records after this sequence number (the previous page's next_after)"),
        _query("limit", "Records per page, 1 to 1000 (default 100)"),
    ]


def _file(summary: str, media: str) -> Json:
    ok = {200: {"content": {media: {"schema": {"type": "string"}}}}}
    return _op(summary, _responses("json", ok, _ERRORS), parameters=_filters(), security=_ADMIN)


def audit_paths() -> Json:
    """The audit trail's routes and the erasure of a learner."""
    base = "/admin/tenants/{tenant}"
    return {
        f"{base}/audit": {
            "get": _op(
                "Search the tenant's audit trail, paged by sequence number",
                _responses("json", {200: _json_ok()}, _ERRORS),
                parameters=_filters(),
                security=_ADMIN,
            )
        },
        f"{base}/audit.jsonl": {
            "get": _file("The matching audit records as JSON lines", "application/x-ndjson")
        },
        f"{base}/audit.csv": {"get": _file("The matching audit records as CSV", "text/csv")},
        f"{base}/audit/verify": {
            "get": _op(
                "Check the tenant's audit hash chain from its anchor",
                _responses("json", {200: _json_ok()}, _ERRORS),
                parameters=[_TENANT],
                security=_ADMIN,
            )
        },
        f"{base}/learners/{{learner_id}}": {
            "delete": _op(
                "Erase a learner from every store (engine, sessions, outboxes, caches); the "
                "audit trail keeps only their pseudonym. The counts per store",
                _responses("json", {200: _json_ok()}, (*_ERRORS, 502)),
                parameters=[_TENANT, _path_param("learner_id", "The learner's id")],
                security=_ADMIN,
            )
        },
    }
