"""Erasing a learner from every store (issue 16 part 6; GDPR art. 17, FERPA):

- the engine: states, event log, interventions and its caches (``DeleteLearner``);
- the gateway's key/value store: launch sessions (and their token index), launch data,
  rosters and other caches whose key or value names the learner;
- the grade and statement outboxes: every queued, delivered or dead item for the learner;
- the audit trail: the plain learner id is blanked; the records and their pseudonym stay,
  so the trail still proves what happened and its chain still verifies.

**No xAPI voiding statements are sent.** A voiding statement (xAPI 1.0.3 Data §2.3.2)
does not erase anything: the LRS keeps the voided statement, and the voiding statement is one
more record about the learner. Statements leave under the learner's pseudonymous account
(no name or email unless a tenant configures ``share_identity``), and the LRS is the
institution's own store: erasing there is done with that LRS's own tools. The report says how
many statements had been delivered to each target, so the data-protection officer knows which
LRSs to ask.

A learner is matched in a stored value when one of its strings is the learner id (or holds it
as a whole word), outside the fields that name a record's context (:data:`CONTEXT_KEYS`: the
tenant, course, item ...), or when an issuer and a platform user id in it map to the learner's LTI
pseudonym (:func:`gateway.sessions.learner_pseudonym`): grade items and launch data name the
platform's user id, not ours.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog

from attune.gateway.errors import EngineCallError, GatewayError
from attune.gateway.ingest.actors import xapi_learner_of_json
from attune.gateway.sessions import learner_pseudonym

if TYPE_CHECKING:
    from attune.gateway.app import Gateway
    from attune.infra.audit import AuditTrail

log = structlog.get_logger("attune.gateway.erasure")
ISSUER_KEYS = ("iss", "issuer")
USER_KEYS = ("sub", "userId", "user_id")
# Fields that name the context of a record, never a learner: a match there says nothing of
# who the record is about. Without this, erasing a learner whose id happens to be the
# tenant's id or a course or item id (a partner app chooses its learner ids, and its
# DeleteLearner reaches here) dropped every session and staff session of the tenant.
CONTEXT_KEYS = frozenset(
    {"tenant", "course_id", "item_id", "skill_id", "skill_ids", "deployment_id", "client_id",
     "queue", "status", "kind", "xapi_version"}
)  # fmt: skip
LRS_NOTE = (
    "no voiding statements are sent: statements already delivered stay in each LRS under the "
    "learner's pseudonymous account; erase them there with the LRS's own tools"
)


@dataclass
class ErasureReport:
    """How many records each store dropped (or, for the audit trail, pseudonymised)."""

    counts: dict[str, int] = field(default_factory=dict)
    lrs_delivered: dict[str, int] = field(default_factory=dict)

    @property
    def lrs_note(self) -> dict[str, Any]:
        return {"voiding_statements": False, "delivered": self.lrs_delivered, "note": LRS_NOTE}


def mentions(value: Any, learner_id: str) -> bool:
    """Whether a stored JSON value names the learner (see the module docstring)."""
    word = re.compile(rf"(?<![A-Za-z0-9_\-]){re.escape(learner_id)}(?![A-Za-z0-9_\-])")
    issuers: set[str] = set()
    users: set[str] = set()
    for key, item in _walk(value, ""):
        if isinstance(item, str) and key not in CONTEXT_KEYS:
            if item == learner_id or word.search(item):
                return True
            if key in ISSUER_KEYS:
                issuers.add(item)
            elif key in USER_KEYS:
                users.add(item)
    return any(learner_pseudonym(i, u) == learner_id for i in issuers for u in users)


def _walk(value: Any, key: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, str(k))
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _walk(v, key)
    else:
        yield key, value


def erase_learner(
    gateway: Gateway, trail: AuditTrail | None, tenant: str, learner_id: str
) -> ErasureReport:
    """Erase ``learner_id`` of ``tenant`` from every store; the counts per store."""
    report = ErasureReport()
    # The trail first: the engine blanks the records it writes itself, which would hide
    # how many of the learner's records there were.
    report.counts["audit_records_pseudonymised"] = (
        trail.log.erase_learner(tenant, learner_id) if trail is not None else 0
    )
    try:
        courses, events = gateway.engine.delete_learner(tenant, learner_id)
    except EngineCallError as exc:
        if exc.code != "NOT_FOUND":
            raise
        courses, events = 0, 0
    report.counts["engine_courses"] = courses
    report.counts["engine_events"] = events
    erase_gateway_stores(gateway, tenant, learner_id, report)
    acknowledge_own_erasure(gateway, tenant, learner_id)
    log.info("learner.erased", tenant=tenant, learner_id=learner_id, **report.counts)
    return report


def erase_gateway_stores(
    gateway: Gateway, tenant: str, learner_id: str, report: ErasureReport
) -> ErasureReport:
    """The gateway's part of an erasure (everything but the engine and the trail): sessions,
    launch data, rosters and caches, both outboxes, accepted statements. Idempotent: a
    second run finds nothing and counts zeros. Shared by the admin route and the propagation
    of the engine's erasures (gateway/audit/propagation.py)."""
    from attune.gateway.audit.erase_stores import gateway_eraser

    eraser = gateway_eraser(gateway.settings)
    try:
        kv = eraser.erase_values(tenant, learner_id)
        outboxes = eraser.erase_queued(tenant, learner_id)
    finally:
        eraser.close()
    report.counts["gateway_values"] = kv
    report.counts["grade_items"] = outboxes.grades
    report.counts["statement_items"] = outboxes.statements
    report.counts["xapi_statements"] = erase_statements(gateway, tenant, learner_id)
    report.lrs_delivered = dict(outboxes.delivered)
    return report


def acknowledge_own_erasure(gateway: Gateway, tenant: str, learner_id: str) -> int:
    """Acknowledge the pending erasure the engine recorded for the route's own DeleteLearner,
    once the gateway's stores are erased: the propagation poller then has nothing to redo.
    If this fails, the poller applies it again later, which is harmless."""
    try:
        pending = gateway.engine.pending_erasures(tenant, learner_id)
        return sum(
            gateway.engine.acknowledge_erasure(tenant, p.learner_id, p.erasure_id) for p in pending
        )
    except GatewayError as exc:
        log.warning("erasure.acknowledge_failed", tenant=tenant, error=exc.reason)
        return 0


def erase_statements(gateway: Gateway, tenant: str, learner_id: str) -> int:
    """Remove the accepted xAPI statements about the learner (``GET /xapi/statements``'s
    store): those applied as the learner's answers, those whose actor is the learner (an
    account of ours, or the pseudonym of an email, account or OpenID), and any that name
    the learner's id. A statement is kept whole or removed whole."""
    targets = gateway.statements.targets(tenant)
    home_pages = {gateway.base_url, *(t.home_page for t in targets if t.home_page)}
    doomed: list[str] = []
    after = 0
    while True:
        page = gateway.store.scan_statements(tenant, after, True, 500)
        if not page:
            break
        for record in page:
            actor = xapi_learner_of_json(record.statement.get("actor"), tenant, home_pages)
            about = record.engine is not None and record.engine.learner_id == learner_id
            if about or actor == learner_id or mentions(record.statement, learner_id):
                doomed.append(record.statement_id)
        after = page[-1].seq
    return gateway.store.erase_statements(tenant, doomed)


@dataclass
class QueuedErased:
    """What the outboxes dropped: grade and statement items, and per LRS target how many
    of the learner's statements had already been delivered."""

    grades: int = 0
    statements: int = 0
    delivered: Counter[str] = field(default_factory=Counter)
