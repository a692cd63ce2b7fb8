"""The OpenAPI description of the statements resource's reads and the Caliper endpoint's
configuration (gateway/web/statement_query_routes.py), merged into the paths that POST and
PUT already describe."""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]
_INGEST: list[Json] = [{"ingestToken": []}, {"ingestBasic": []}]
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_WHY = {
    400: "A bad or a misplaced parameter, named; or a missing version header",
    401: "No or a bad ingest credential",
    404: "No such statement (a voided one is found only by voidedStatementId)",
    422: "An envelope of a Caliper version this endpoint does not take",
    429: "Rate limited; retry after the Retry-After seconds",
}
_PARAMS = {
    "statementId": "One statement by id (with format and attachments only)",
    "voidedStatementId": "One voided statement by id",
    "agent": "JSON Agent or Group, matched by its inverse functional identifier",
    "verb": "Verb IRI",
    "activity": "Activity IRI",
    "registration": "Registration UUID",
    "related_activities": "true: also context activities and SubStatement activities",
    "related_agents": "true: also authority, instructor, team and SubStatement agents",
    "since": "Only statements stored after this ISO 8601 time",
    "until": "Only statements stored at or before this ISO 8601 time",
    "limit": "At most this many statements (0: the server's maximum, 500)",
    "format": "ids, exact (default) or canonical",
    "attachments": "true: multipart/mixed with the statements' attachments",
    "ascending": "true: oldest first",
    "more": "The cursor of a previous page's more link (with no other parameter)",
}


def _errors(*codes: int) -> Json:
    return {str(c): {"description": _WHY[c], "content": _ERROR} for c in codes}


def _ok(description: str) -> Json:
    return {
        "description": description,
        "headers": {
            "X-Experience-API-Consistent-Through": {"schema": {"type": "string"}},
            "Last-Modified": {"schema": {"type": "string"}},
        },
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "multipart/mixed": {"schema": {"type": "string"}},
        },
    }


def add_statement_reads(paths: Json) -> None:
    """Add GET /xapi/statements and GET /caliper to ``paths``, and the 422 of POST /caliper."""
    params: list[Json] = [
        {
            "name": "X-Experience-API-Version",
            "in": "header",
            "required": True,
            "description": "1.0.x or 2.0.0 (xAPI Communication §3.3)",
            "schema": {"type": "string"},
        }
    ]
    params += [
        {
            "name": n,
            "in": "query",
            "required": False,
            "description": d,
            "schema": {"type": "string"},
        }
        for n, d in _PARAMS.items()
    ]
    paths.setdefault("/xapi/statements", {})["get"] = {
        "summary": "A statement by id, or a StatementResult page (Communication §2.1.3)",
        "parameters": params,
        "responses": {
            "200": _ok("The statement, or {statements, more}"),
            **_errors(400, 401, 404, 429),
        },
        "security": _INGEST,
    }
    caliper = paths.setdefault("/caliper", {})
    caliper["get"] = {
        "summary": "The endpoint's configuration (Caliper 1.2 §6)",
        "responses": {
            "200": {
                "description": "Data versions, content types, body limit, authentication",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            **_errors(401, 429),
        },
        "security": _INGEST,
    }
    if "post" in caliper:
        caliper["post"]["responses"].update(_errors(422))
