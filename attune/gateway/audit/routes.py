"""The administrators' audit and erasure routes (admin credential, like every /admin route):

- ``GET /admin/tenants/<t>/audit``: search (actor, action or an ``action.`` prefix,
  learner_id, since/until as epoch seconds or ISO 8601), paged by ``after`` (a sequence
  number) and ``limit``; JSON with ``next_after`` for the next page.
- ``GET /admin/tenants/<t>/audit.jsonl`` and ``audit.csv``: the same search, every page.
- ``GET /admin/tenants/<t>/audit/verify``: the hash chain checked from its anchor.
- ``DELETE /admin/tenants/<t>/learners/<learner_id>``: erase a learner from every store,
  with the count per store.

No route changes or removes a record.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request

from attune.gateway.errors import BadRequestError, NotFoundError
from attune.gateway.web.credentials import require_admin
from attune.infra.audit import AuditQuery, AuditTrail, verify
from attune.infra.audit.export import csv_rows, jsonl
from attune.infra.audit.ports import MAX_PAGE

audit_admin = Blueprint("audit_admin", __name__, url_prefix="/admin")
audit_admin.before_request(require_admin)
FILTERS = ("actor", "action", "learner_id", "since", "until", "after", "limit")
MAX_FILTER_CHARS = 512


def _trail() -> AuditTrail:
    from attune.gateway.audit.hook import audit_trail

    trail = audit_trail()
    if trail is None:
        raise NotFoundError("the audit trail is turned off (ATTUNE_GATEWAY__AUDIT__ENABLED)")
    return trail


def _time(name: str) -> float | None:
    raw = request.args.get(name, "")
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequestError(f"{name}: expected epoch seconds or an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise BadRequestError(f"{name}: an ISO 8601 time needs its offset (Z or +hh:mm)")
    return parsed.timestamp()


def _int(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name, "")
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise BadRequestError(f"{name}: expected a whole number from {low} to {high}")
    return int(raw)


def _query(tenant: str) -> AuditQuery:
    unknown = sorted(set(request.args) - set(FILTERS))
    if unknown:
        raise BadRequestError(f"{unknown[0]}: not a filter (use {', '.join(FILTERS)})")
    for name in ("actor", "action", "learner_id"):
        if len(request.args.get(name, "")) > MAX_FILTER_CHARS:
            raise BadRequestError(f"{name}: at most {MAX_FILTER_CHARS} characters")
    return AuditQuery(
        tenant=tenant,
        actor=request.args.get("actor", ""),
        action=request.args.get("action", ""),
        learner_id=request.args.get("learner_id", ""),
        since=_time("since"),
        until=_time("until"),
        after_seq=_int("after", 0, 0, 2**63 - 1),
        limit=_int("limit", 100, 1, MAX_PAGE),
    )


@audit_admin.get("/tenants/<tenant>/audit")
def search(tenant: str) -> Any:
    query = _query(tenant)
    found = _trail().log.search(query)
    more = len(found) == query.limit
    return jsonify(
        records=[r.to_json() for r in found],
        next_after=found[-1].seq if found and more else None,
    )


def _every(query: AuditQuery) -> Iterator[Any]:
    trail = _trail()
    page = replace(query, limit=MAX_PAGE)
    while True:
        found = trail.log.search(page)
        yield from found
        if len(found) < MAX_PAGE:
            return
        page = replace(page, after_seq=found[-1].seq)


@audit_admin.get("/tenants/<tenant>/audit.jsonl")
def export_jsonl(tenant: str) -> Response:
    records = list(_every(_query(tenant)))
    return Response(
        "".join(jsonl(records)),
        mimetype="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="audit-{_safe(tenant)}.jsonl"'},
    )


@audit_admin.get("/tenants/<tenant>/audit.csv")
def export_csv(tenant: str) -> Response:
    records = list(_every(_query(tenant)))
    return Response(
        "".join(csv_rows(records)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="audit-{_safe(tenant)}.csv"'},
    )


@audit_admin.get("/tenants/<tenant>/audit/verify")
def verify_chain(tenant: str) -> Any:
    verdict = verify(_trail().log, tenant)
    return jsonify({**asdict(verdict), "problems": list(verdict.problems)})


@audit_admin.delete("/tenants/<tenant>/learners/<learner_id>")
def erase(tenant: str, learner_id: str) -> Any:
    from attune.gateway.app import current
    from attune.gateway.audit.erasure import erase_learner

    gw = current()
    if not gw.settings.serves_tenant(tenant):
        raise NotFoundError(f"tenant {tenant!r} has no engine credential configured")
    if not learner_id.strip() or len(learner_id) > MAX_FILTER_CHARS:
        raise BadRequestError(f"learner_id: 1 to {MAX_FILTER_CHARS} characters")
    report = erase_learner(gw, _trail_or_none(), tenant, learner_id)
    return jsonify(learner_erased=True, stores=report.counts, lrs=report.lrs_note)


def _trail_or_none() -> AuditTrail | None:
    from attune.gateway.audit.hook import audit_trail

    return audit_trail()


def _safe(tenant: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in tenant)[:64]
