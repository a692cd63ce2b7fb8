"""One audit record, its chained hash and the learner pseudonym it is hashed with.

A record names who did what to which learner, when, from where, why and in which request.
Records of a tenant form one chain: each carries its per-tenant sequence number and the
SHA-256 of the previous record, so a rewritten, removed or inserted record breaks every hash
after it (:mod:`infra.audit.verify`).

Erasure must be able to remove a learner's id from the trail without breaking the chain.
So the hash never covers the learner id itself: it covers ``learner_ref``, a keyed hash of
the id (HMAC-SHA-256 under the tenant's audit key). The plain id is kept beside the record
for the tenant's own searches and is blanked on erasure; a verifier with the key also checks
that every plain id still left matches its ref, so the plain column cannot be swapped either.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

GENESIS = "0" * 64  # the "previous hash" of a tenant's first record
SOURCES = ("gateway", "engine")


def learner_ref(key: bytes, learner_id: str) -> str:
    """The learner's pseudonym in the tenant's trail: a keyed hash, stable per tenant key."""
    if not learner_id:
        return ""
    return "p-" + hmac.new(key, learner_id.encode(), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """What a caller asks to record (the store adds the sequence, the ref and the chain).

    ``actor`` is a principal string: ``admin``, ``partner:<token id>``, ``lti:<learner or
    staff pseudonym>``, ``sso:<subject>``. ``action`` is dotted (``learner.read``,
    ``registration.put``); ``target`` what it acted on (a course, a registration ...);
    ``learner_id`` the learner whose data it was, if any; ``peer`` the client address;
    ``reason`` a reason where one was given; ``outcome`` ``ok`` or ``denied``/``failed``."""

    tenant: str
    at: float
    actor: str
    action: str
    source: str = "gateway"
    target: str = ""
    learner_id: str = ""
    peer: str = ""
    reason: str = ""
    request_id: str = ""
    outcome: str = "ok"
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """A stored record. ``learner_id`` is "" once the learner was erased; ``learner_ref``
    stays, and is what the hash covers."""

    tenant: str
    seq: int
    at: float
    actor: str
    action: str
    source: str
    target: str
    learner_ref: str
    peer: str
    reason: str
    request_id: str
    outcome: str
    details: dict[str, Any]
    prev_hash: str
    hash: str
    learner_id: str = ""

    def hashed_form(self) -> dict[str, Any]:
        """Every field the hash covers: all but ``hash`` itself and the plain learner id."""
        body = asdict(self)
        del body["hash"], body["learner_id"]
        return body

    def to_json(self) -> dict[str, Any]:
        """The record as exported (JSON lines, the admin route)."""
        return asdict(self)


def record_hash(body: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of a hashed form."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def seal(entry: AuditEntry, seq: int, prev_hash: str, key: bytes) -> AuditRecord:
    """The record ``entry`` becomes as number ``seq`` after ``prev_hash``."""
    unsealed = AuditRecord(
        tenant=entry.tenant,
        seq=seq,
        at=float(entry.at),
        actor=entry.actor,
        action=entry.action,
        source=entry.source,
        target=entry.target,
        learner_ref=learner_ref(key, entry.learner_id),
        peer=entry.peer,
        reason=entry.reason,
        request_id=entry.request_id,
        outcome=entry.outcome,
        details=dict(entry.details),
        prev_hash=prev_hash,
        hash="",
        learner_id=entry.learner_id,
    )
    return replace(unsealed, hash=record_hash(unsealed.hashed_form()))


def from_json(body: dict[str, Any]) -> AuditRecord:
    """A record from its :meth:`AuditRecord.to_json` form."""
    return AuditRecord(**{**body, "details": dict(body.get("details") or {})})
