"""Statement ingestion over HTTP: an xAPI statements resource and a Caliper endpoint.

``POST /xapi/statements`` and ``PUT /xapi/statements?statementId=`` behave as an LRS's
statements resource (xAPI 1.0.3 Communication §2.1.1, §2.1.2; the same in 2.0): POST answers
200 with the array of statement ids, PUT 204; a known id with the same content changes
nothing, with other content it is 409 Conflict; one invalid statement fails the request
with 400 and nothing of it is applied. ``POST /caliper`` takes a Caliper 1.2 envelope
(§5.2) and answers 200 with a summary.

Every call needs ``Authorization: Bearer <token>`` (or Basic with the token as the
password); the token names the tenant
(``ATTUNE_GATEWAY__INGEST_TOKENS``). Which statements were applied is in the
``X-Attune-Ingest`` header (POST/PUT: the body belongs to the spec) and the Caliper reply.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import structlog
from flask import Blueprint, Response, g, jsonify, request

from attune.gateway.app import Gateway, current
from attune.gateway.errors import BadRequestError, GatewayError
from attune.gateway.ingest import (
    Family,
    IdConflictError,
    Ingestor,
    InvalidInputError,
    Outcome,
    TenantView,
    parse_envelope,
    parse_post,
    parse_put,
)
from attune.gateway.ingest.attachments import check_sizes
from attune.gateway.ingest.attachments import keep as keep_attachments
from attune.gateway.ingest.xapi_multipart import AttachmentPart, parse_multipart
from attune.gateway.web.credentials import authorise_ingest
from attune.gateway.web.json_body import parse_json

ingest = Blueprint("ingest", __name__)
log = structlog.get_logger("attune.gateway.ingest")

VERSION_HEADER = "X-Experience-API-Version"
SUMMARY_HEADER = "X-Attune-Ingest"
_VERSION_1 = re.compile(r"^1\.0(?:\.\d+)?$")
_VERSION_2 = "2.0.0"
_REASONS_IN_HEADER = 20
_STORED_VERSION = {"1.0": "1.0.0", "2.0": "2.0.0"}  # Data §2.4.10 (1.0.3), §2.4.10 (2.0.0)
T = TypeVar("T")


class ConflictError(GatewayError):
    """A statement id received before with different content."""

    status = 409
    error = "conflict"


class UnsupportedMediaTypeError(GatewayError):
    status = 415
    error = "unsupported_media_type"


@ingest.before_request
def _authorise() -> None:
    """The ingest tenant (role ``ingest``: gateway.rbac decides who may ingest), but for
    the About resource, which needs no credential (1.0.3 Communication §2.8)."""
    if request.endpoint != "ingest.about":
        authorise_ingest()


@ingest.after_app_request
def _version(response: Response) -> Response:
    if request.path.startswith("/xapi"):
        # The LRS names the version it answers with on every response (Communication §3.3),
        # errors included: an app-wide hook, so that a 404 or 405 under /xapi (which no
        # blueprint handles) carries it too.
        wanted = request.headers.get(VERSION_HEADER, "")
        response.headers[VERSION_HEADER] = _VERSION_2 if wanted == _VERSION_2 else "1.0.3"
    return response


@ingest.get("/xapi/about")
def about() -> Any:
    """The versions this statements resource speaks (1.0.3 Communication §2.8)."""
    return jsonify(version=["1.0.3", _VERSION_2])


@ingest.post("/xapi/statements")
def post_statements() -> Any:
    """One statement or an array; 200 with the ids, in order."""
    family = _family()
    body, parts = _statements_body()
    parsed = _valid(lambda: parse_post(body, family, parts=parts))
    version = _STORED_VERSION[family]  # set on a statement without one (issue 19)
    outcomes = _applied(lambda ingestor, view: ingestor.apply_xapi(view, parsed, None, version))
    _keep_attachments(parts)
    response = jsonify([p.body["id"] for p in parsed])
    _summarise(response, outcomes)
    return response


@ingest.put("/xapi/statements")
def put_statement() -> Any:
    """One statement under the id in ``statementId``; 204."""
    family = _family()
    statement_id = request.args.get("statementId")
    if not statement_id:
        raise BadRequestError("statementId: the query parameter is required")
    body, parts = _statements_body()
    if not isinstance(body, dict):
        raise BadRequestError("statement: PUT takes one statement, a JSON object")
    parsed = _valid(lambda: parse_put(body, statement_id, family, parts=parts))
    version = _STORED_VERSION[family]
    outcomes = _applied(lambda ingestor, view: ingestor.apply_xapi(view, [parsed], None, version))
    _keep_attachments(parts)
    response = Response(status=204)
    _summarise(response, outcomes)
    return response


@ingest.post("/caliper")
def post_caliper() -> Any:
    """A Caliper 1.2 envelope; 200 with what became of each event."""
    body = _json_body()
    envelope = _valid(lambda: parse_envelope(body))
    outcomes = _applied(lambda ingestor, view: ingestor.apply_caliper(view, envelope.events))
    _log(outcomes, sensor=envelope.sensor)
    return jsonify(
        events=len(envelope.events),
        entities=envelope.entities,
        applied=sum(o.status == "applied" for o in outcomes),
        duplicates=sum(o.status == "duplicate" for o in outcomes),
        not_applied=[
            {"id": o.ident, "reason": o.reason} for o in outcomes if o.status == "not_applied"
        ],
    )


def _family() -> Family:
    """The xAPI version family of the request (Communication §3.3: the header is required)."""
    version = request.headers.get(VERSION_HEADER, "")
    if _VERSION_1.match(version):
        return "1.0"
    if version == _VERSION_2:
        return "2.0"
    raise BadRequestError(
        f"{VERSION_HEADER}: must be 1.0.x or {_VERSION_2}, got {version!r}"
        if version
        else f"{VERSION_HEADER}: the header is required (1.0.3 or {_VERSION_2})"
    )


def _statements_body() -> tuple[Any, dict[str, AttachmentPart] | None]:
    """The statements of an application/json or (with attachments) multipart/mixed request
    (Communication §1.5), and the attachment parts (``None`` for JSON)."""
    if request.mimetype != "multipart/mixed":
        return _json_body(), None
    settings = current().settings.xapi_attachments
    if not settings.enabled:
        raise UnsupportedMediaTypeError("multipart/mixed statements are turned off here")
    found = _valid(
        lambda: parse_multipart(request.content_type or "", request.get_data(cache=False))
    )
    _valid(lambda: check_sizes(found.parts.values(), settings))
    return found.statements, found.parts


def _keep_attachments(parts: dict[str, AttachmentPart] | None) -> None:
    """Store the request's attachments under the tenant, once its statements are in."""
    if parts:
        kept = keep_attachments(current().store, g.ingest_tenant, parts.values())
        log.info("ingest.attachments", kept=kept)


def _json_body() -> Any:
    if request.mimetype != "application/json":
        raise UnsupportedMediaTypeError(
            f"the body must be application/json, got {request.mimetype or 'no content type'!r}"
        )
    return parse_json(request.get_data(cache=False))


def _valid(parse: Callable[[], T]) -> T:
    try:
        return parse()
    except InvalidInputError as exc:
        raise BadRequestError(exc.reason) from exc


def _applied(apply: Callable[[Ingestor, TenantView], list[Outcome]]) -> list[Outcome]:
    gw = current()
    tenant: str = g.ingest_tenant
    ingestor = Ingestor(gw.store, gw.engine, gw.courses)
    try:
        outcomes = apply(ingestor, tenant_view(gw, ingestor, tenant))
    except IdConflictError as exc:
        raise ConflictError(exc.reason) from exc
    return outcomes


def tenant_view(gw: Gateway, ingestor: Ingestor, tenant: str) -> TenantView:
    """Whose accounts and IRIs are the tenant's own: the gateway's defaults (the home page
    and activity base that ``target_from_json`` gives an LRS target) and those of every
    statement target the tenant configured."""
    targets = gw.statements.targets(tenant)
    home_pages = {gw.base_url, *(t.home_page for t in targets if t.home_page)}
    bases = {f"{gw.base_url}/xapi", *(t.activity_base for t in targets if t.activity_base)}
    return TenantView(
        tenant=tenant,
        home_pages=tuple(sorted(home_pages)),
        activity_bases=tuple(sorted(bases)),
        activity_map=ingestor.activity_map(tenant),
    )


def _summarise(response: Response, outcomes: Sequence[Outcome]) -> None:
    """The ``X-Attune-Ingest`` header: counts, and the reasons of what was not applied."""
    _log(outcomes)
    skipped = [o for o in outcomes if o.status == "not_applied"]
    summary: dict[str, Any] = {
        "applied": sum(o.status == "applied" for o in outcomes),
        "duplicate": sum(o.status == "duplicate" for o in outcomes),
        "not_applied": len(skipped),
        "reasons": {o.ident: o.reason for o in skipped[:_REASONS_IN_HEADER]},
    }
    response.headers[SUMMARY_HEADER] = json.dumps(summary, separators=(",", ":"))


def _log(outcomes: Sequence[Outcome], **fields: Any) -> None:
    for o in outcomes:
        if o.status == "not_applied":
            log.info("ingest.not_applied", id=o.ident, reason=o.reason)
    log.info(
        "ingest.received",
        received=len(outcomes),
        applied=sum(o.status == "applied" for o in outcomes),
        duplicate=sum(o.status == "duplicate" for o in outcomes),
        **fields,
    )
