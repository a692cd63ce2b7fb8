"""The audit trail on Redis or Redis Cluster (a synchronous client, ``decode_responses``).

A tenant's keys share one hash tag, ``attune:audit:{t=<tenant>}``, so each step is one slot:
``records`` (seq -> the sealed record as JSON, never rewritten), ``plain`` (seq -> the plain
learner id, dropped on erasure), ``head`` (the last seq and hash), ``meta`` (the tenant's key
and the anchor of a pruned trail) and one set of sequence numbers per learner ref. An append
is a check-and-set script: it writes only if the head is still the one the record was
chained to, and the writer retries otherwise, so several gateways and engines share a chain.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from typing import Any

from attune.infra.audit.ports import MAX_PAGE, Anchor, AuditQuery
from attune.infra.audit.record import (
    GENESIS,
    AuditEntry,
    AuditRecord,
    from_json,
    learner_ref,
    seal,
)
from attune.infra.redis import escape

ROOT = "attune:audit"
TENANTS = f"{ROOT}:{{tenants}}"
_ATTEMPTS = 50
_BATCH = 500

# KEYS: head, records, plain, learner set. ARGV: expected head seq, seq, hash, record JSON,
# plain learner id ('' for none). 0 when another writer moved the head first.
_APPEND = """
local head = tonumber(redis.call('HGET', KEYS[1], 'seq') or ARGV[1])
if head ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[2], ARGV[5])
  redis.call('SADD', KEYS[4], ARGV[2])
end
redis.call('HSET', KEYS[1], 'seq', ARGV[2], 'hash', ARGV[3])
return 1
"""


class RedisAuditLog:
    """:class:`~infra.audit.ports.AuditLog` on Redis."""

    def __init__(self, client: Any) -> None:
        self._r = client
        self._append = client.register_script(_APPEND)

    def _key(self, tenant: str, name: str) -> str:
        return f"{ROOT}:{{t={escape(tenant)}}}:{name}"

    def close(self) -> None:
        self._r.close()

    def tenant_key(self, tenant: str) -> bytes:
        meta = self._key(tenant, "meta")
        if self._r.hsetnx(meta, "key", os.urandom(32).hex()):
            self._r.hsetnx(meta, "anchor_seq", 0)
            self._r.hsetnx(meta, "anchor_hash", GENESIS)
            self._r.sadd(TENANTS, tenant)
        return bytes.fromhex(self._r.hget(meta, "key"))

    def anchor(self, tenant: str) -> Anchor:
        seq, hash_ = self._r.hmget(self._key(tenant, "meta"), ["anchor_seq", "anchor_hash"])
        return Anchor(int(seq or 0), hash_ or GENESIS)

    def _head(self, tenant: str) -> tuple[int, str]:
        seq, hash_ = self._r.hmget(self._key(tenant, "head"), ["seq", "hash"])
        if seq is None:
            anchor = self.anchor(tenant)
            return anchor.seq, anchor.hash
        return int(seq), hash_

    def append(self, entry: AuditEntry) -> AuditRecord:
        key = self.tenant_key(entry.tenant)
        for _ in range(_ATTEMPTS):
            seq, prev = self._head(entry.tenant)
            record = seal(entry, seq + 1, prev, key)
            body = record.to_json()
            del body["learner_id"]
            keys = [
                self._key(entry.tenant, "head"),
                self._key(entry.tenant, "records"),
                self._key(entry.tenant, "plain"),
                self._key(entry.tenant, f"learner:{record.learner_ref}"),
            ]
            args = [seq, record.seq, record.hash, json.dumps(body), entry.learner_id]
            if int(self._append(keys=keys, args=args)):
                return record
        raise RuntimeError(f"audit: the chain of tenant {entry.tenant!r} kept moving")

    def _load(self, tenant: str, seqs: Sequence[int]) -> list[AuditRecord]:
        if not seqs:
            return []
        raws = self._r.hmget(self._key(tenant, "records"), list(seqs))
        plains = self._r.hmget(self._key(tenant, "plain"), list(seqs))
        found = []
        for raw, plain in zip(raws, plains, strict=True):
            if raw is not None:
                found.append(from_json({**json.loads(raw), "learner_id": plain or ""}))
        return found

    def records(self, tenant: str, after_seq: int = 0, limit: int = MAX_PAGE) -> list[AuditRecord]:
        head, _ = self._head(tenant)
        start = max(after_seq, self.anchor(tenant).seq) + 1
        return self._load(tenant, range(start, min(head, start + limit - 1) + 1))

    def search(self, query: AuditQuery) -> list[AuditRecord]:
        limit = max(1, min(query.limit, MAX_PAGE))
        if query.learner_id:
            ref = learner_ref(self.tenant_key(query.tenant), query.learner_id)
            members = self._r.smembers(self._key(query.tenant, f"learner:{ref}"))
            seqs = sorted(s for s in map(int, members) if s > query.after_seq)
            pages: Iterator[list[AuditRecord]] = (
                self._load(query.tenant, seqs[i : i + _BATCH]) for i in range(0, len(seqs), _BATCH)
            )
        else:
            pages = self._pages(query.tenant, query.after_seq)
        found: list[AuditRecord] = []
        for page in pages:
            found += [r for r in page if _matches(r, query)]
            if len(found) >= limit:
                break
        return found[:limit]

    def _pages(self, tenant: str, after_seq: int) -> Iterator[list[AuditRecord]]:
        while True:
            page = self.records(tenant, after_seq, _BATCH)
            if not page:
                return
            yield page
            after_seq = page[-1].seq

    def erase_learner(self, tenant: str, learner_id: str) -> int:
        ref = learner_ref(self.tenant_key(tenant), learner_id)
        seqs = list(self._r.smembers(self._key(tenant, f"learner:{ref}")))
        if not seqs:
            return 0
        return int(self._r.hdel(self._key(tenant, "plain"), *seqs))

    def prune(self, tenant: str, before: float) -> int:
        dropped: list[AuditRecord] = []
        for page in self._pages(tenant, self.anchor(tenant).seq):
            kept = next((i for i, r in enumerate(page) if r.at >= before), None)
            dropped += page if kept is None else page[:kept]
            if kept is not None:
                break
        if not dropped:
            return 0
        last = dropped[-1]
        pipe = self._r.pipeline(transaction=True)
        seqs = [r.seq for r in dropped]
        pipe.hdel(self._key(tenant, "records"), *seqs)
        pipe.hdel(self._key(tenant, "plain"), *seqs)
        for record in dropped:
            if record.learner_ref:
                pipe.srem(self._key(tenant, f"learner:{record.learner_ref}"), record.seq)
        pipe.hset(
            self._key(tenant, "meta"), mapping={"anchor_seq": last.seq, "anchor_hash": last.hash}
        )
        pipe.execute()
        return len(dropped)

    def tenants(self) -> Sequence[str]:
        return sorted(self._r.smembers(TENANTS))


def _matches(record: AuditRecord, query: AuditQuery) -> bool:
    if query.actor and record.actor != query.actor:
        return False
    if query.action.endswith("."):
        if not record.action.startswith(query.action):
            return False
    elif query.action and record.action != query.action:
        return False
    if query.since is not None and record.at < query.since:
        return False
    return query.until is None or record.at < query.until
