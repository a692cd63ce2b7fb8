"""Reading the statements resource (xAPI 1.0.3 Communication §2.1.3; 2.0.0 §2.1.3) and the
Caliper endpoint's configuration.

- ``GET /xapi/statements?statementId=`` / ``?voidedStatementId=``: one statement (404 when
  there is none; a voided statement only by ``voidedStatementId``);
- ``GET /xapi/statements`` with filters: a StatementResult ``{"statements", "more"}``,
  ``more`` a relative URL with an opaque cursor (tenant-bound, expires after an hour);
- ``HEAD``: the same status and headers, no body (Flask runs the GET and drops it);
- every reply carries ``X-Experience-API-Consistent-Through`` and ``Last-Modified``
  (Communication §2.1.3, "Consistent Through" and "Last-Modified");
- ``GET /caliper``: what the endpoint takes (Caliper 1.2 §6 "Endpoint").

Behind the ingest credential, like POST (the body gate refuses a missing one before the
route runs), scoped to its tenant.
"""

from __future__ import annotations

import json
import re
from typing import Any

import structlog
from flask import Blueprint, Response, g, jsonify, request

from attune.gateway.app import current
from attune.gateway.errors import BadRequestError, GatewayError
from attune.gateway.ingest.attachments import load as load_attachment
from attune.gateway.ingest.xapi_multipart import (
    AttachmentPart,
    build_multipart,
    walk_attachments,
)
from attune.gateway.web.credentials import authorise_ingest
from attune.gateway.xapi_store.formats import formatted, iso
from attune.gateway.xapi_store.ports import QueryError, StoredStatement
from attune.gateway.xapi_store.query import (
    SINGLE_PARAMS,
    WITH_SINGLE,
    Format,
    boolean,
    format_of,
    parse_query,
)
from attune.gateway.xapi_store.reader import (
    StatementReader,
    cursor_key,
    more_token,
    read_more,
)

statement_reads = Blueprint("statement_reads", __name__)
log = structlog.get_logger("attune.gateway.ingest")

VERSION_HEADER = "X-Experience-API-Version"
CONSISTENT = "X-Experience-API-Consistent-Through"
CALIPER_CONTEXT = "http://purl.imsglobal.org/ctx/caliper/v1p2"
# A statement is stored by the time its POST returns; a request in flight took its
# ``stored`` time at most this long before it commits (see the README on consistency).
IN_FLIGHT_SECONDS = 1.0
_VERSION = re.compile(r"^(?:1\.0(?:\.\d+)?|2\.0\.0)$")
_HTTP_DATE = "%a, %d %b %Y %H:%M:%S GMT"


class NotFoundError(GatewayError):
    status = 404
    error = "not_found"


statement_reads.before_request(authorise_ingest)  # the caller the RBAC hook let through


@statement_reads.after_request
def _headers(response: Response) -> Response:
    if request.path.startswith("/xapi"):
        wanted = request.headers.get(VERSION_HEADER, "")
        response.headers[VERSION_HEADER] = "2.0.0" if wanted == "2.0.0" else "1.0.3"
        now = current().wall_clock()
        response.headers.setdefault(CONSISTENT, iso(now - IN_FLIGHT_SECONDS))
    return response


@statement_reads.get("/xapi/statements")
def get_statements() -> Any:
    """One statement by id, or a page of a filtered query."""
    _version()
    repeated = sorted(k for k, v in request.args.to_dict(flat=False).items() if len(v) > 1)
    if repeated:
        raise BadRequestError(f"{repeated[0]}: the parameter is given more than once")
    args = request.args.to_dict()
    try:
        if SINGLE_PARAMS & set(args):
            return _single(args)
        return _query(args)
    except QueryError as exc:
        raise BadRequestError(exc.reason) from exc


def _single(args: dict[str, str]) -> Response:
    given = sorted(SINGLE_PARAMS & set(args))
    if len(given) > 1:
        raise QueryError("statementId", "cannot be combined with voidedStatementId")
    name = given[0]
    extra = sorted(set(args) - {name} - WITH_SINGLE)
    if extra:
        raise QueryError(extra[0], f"cannot be combined with {name}")
    fmt = format_of(args)
    with_parts = boolean(args, "attachments")
    reader = StatementReader(current().store, g.ingest_tenant)
    found = reader.one(args[name], voided=name == "voidedStatementId")
    if found is None:
        raise NotFoundError(f"{name}: no statement {args[name]!r}")
    statement = formatted(found.statement, fmt, _languages())
    response = _reply(statement, [statement], with_parts)
    response.headers["Last-Modified"] = _http_date(found.stored)
    return response


def _query(args: dict[str, str]) -> Response:
    gw = current()
    tenant: str = g.ingest_tenant
    key = cursor_key(gw.store, tenant)
    after = 0
    if "more" in args:
        if len(args) > 1:
            raise QueryError(sorted(set(args) - {"more"})[0], "cannot be combined with more")
        args, after = read_more(key, tenant, args["more"], gw.wall_clock())
    q = parse_query(args)
    page = StatementReader(gw.store, tenant).page(q, after)
    more = ""
    if page.next_after is not None:
        more = "/xapi/statements?more=" + more_token(
            key, tenant, args, page.next_after, gw.wall_clock()
        )
    statements = _render(page.statements, q.format)
    response = _reply({"statements": statements, "more": more}, statements, q.attachments)
    newest = max((s.stored for s in page.statements), default=None)
    if newest is not None:
        response.headers["Last-Modified"] = _http_date(newest)
    return response


def _render(records: list[StoredStatement], fmt: Format) -> list[dict[str, Any]]:
    languages = _languages()
    return [formatted(r.statement, fmt, languages) for r in records]


def _reply(body: Any, statements: list[dict[str, Any]], with_parts: bool) -> Response:
    """JSON, or with ``attachments=true`` multipart/mixed: the JSON, then each attachment
    the statements (and their SubStatements) name (by ``sha2``) that was received as a part,
    once (Communication §2.1.3; attachments given only by ``fileUrl`` have no part)."""
    if not with_parts:
        return jsonify(body)
    gw = current()
    parts: dict[str, AttachmentPart] = {}
    for statement in statements:
        for _, attachment in walk_attachments("", statement):
            sha2 = str(attachment.get("sha2", "")).lower()
            if sha2 and sha2 not in parts:
                found = load_attachment(gw.store, g.ingest_tenant, sha2)
                if found is not None:
                    parts[sha2] = found
    content_type, data = build_multipart(json.dumps(body).encode(), parts.values())
    return Response(data, content_type=content_type)


def _languages() -> list[str]:
    return [lang for lang, _ in request.accept_languages]


def _version() -> None:
    version = request.headers.get(VERSION_HEADER, "")
    if not _VERSION.match(version):
        raise BadRequestError(
            f"{VERSION_HEADER}: must be 1.0.x or 2.0.0, got {version!r}"
            if version
            else f"{VERSION_HEADER}: the header is required (1.0.3 or 2.0.0)"
        )


def _http_date(epoch: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).strftime(_HTTP_DATE)


@statement_reads.get("/caliper")
def caliper_configuration() -> Any:
    """The endpoint's configuration (Caliper 1.2 §6): what a sensor may send here."""
    gw = current()
    return jsonify(
        dataVersion=[CALIPER_CONTEXT],
        contentType=["application/json"],
        maxBodyBytes=gw.settings.http.body_limits.caliper,
        authentication=["Bearer", "Basic"],
        envelope={"required": ["sensor", "sendTime", "dataVersion", "data"]},
    )
