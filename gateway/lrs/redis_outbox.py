"""The statement outbox on Redis, for several gateways sharing one queue.

A tenant's statements live under its hash tag: ``items`` (row id -> the queued statement),
and per target a ``due`` sorted set and an ``ids`` hash (statement id -> row id) that makes a
statement queue once per target. Queuing a target's rows and moving its cursor is one script,
so a gateway that dies between the two loses and doubles nothing. Due statements are leased
when read, as in :mod:`gateway.redis_store`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from gateway.lrs.ports import QueuedStatement, UnbuiltEvent, is_unbuilt
from gateway.lrs.targets import LrsTarget
from gateway.lrs.unbuilt import not_replayable
from gateway.redis_store import LEASE_S, ROOT, LeasedQueue, tenant_tag

TARGETS = f"{ROOT}:{{lrs-targets}}"

# KEYS: items, due, ids, seq, cursors, bodies; ARGV: target, cursor ('' for none), then
# (statement id, row metadata, body) triples. Bodies are stored as sent, never decoded by
# Lua (cjson would round their numbers). A row that is not pending (an unbuilt log entry,
# parked dead) is stored but never scheduled. Returns how many new rows were queued.
_ENQUEUE = """
local added = 0
for i = 3, #ARGV, 3 do
  if redis.call('HEXISTS', KEYS[3], ARGV[i]) == 0 then
    local id = redis.call('INCR', KEYS[4])
    local row = cjson.decode(ARGV[i + 1])
    row.row_id = id
    redis.call('HSET', KEYS[1], id, cjson.encode(row))
    redis.call('HSET', KEYS[6], id, ARGV[i + 2])
    redis.call('HSET', KEYS[3], ARGV[i], id)
    -- An unbuilt log entry comes in as a dead letter: never due, not counted as queued.
    if row.status == 'pending' then
      redis.call('ZADD', KEYS[2], 0, id)
      added = added + 1
    end
  end
end
if ARGV[2] ~= '' then
  -- Only forward: two gateways feeding one target may finish out of order.
  local current = tonumber(redis.call('HGET', KEYS[5], ARGV[1]) or '0')
  if tonumber(ARGV[2]) > current then redis.call('HSET', KEYS[5], ARGV[1], ARGV[2]) end
end
return added
"""


class RedisStatementOutbox(LeasedQueue):
    """:class:`~gateway.lrs.ports.StatementOutbox` on Redis."""

    ENQUEUE = _ENQUEUE

    def _keys(self, tenant: str, target: str) -> list[str]:
        tag = tenant_tag(tenant)
        return [
            f"{tag}:st:items",
            f"{tag}:st:due:{target}",
            f"{tag}:st:ids:{target}",
            f"{tag}:st:seq",
            f"{tag}:st:cursors",
            f"{tag}:st:bodies",
        ]

    # -- targets --------------------------------------------------------------------------

    def put_target(self, target: LrsTarget) -> None:
        self._r.hset(TARGETS, target.key, json.dumps(asdict(target)))

    def targets(self, tenant: str | None = None) -> list[LrsTarget]:
        found = [LrsTarget(**json.loads(raw)) for raw in self._r.hvals(TARGETS)]
        mine = [t for t in found if tenant is None or t.tenant == tenant]
        return sorted(mine, key=lambda t: (t.tenant, t.name))

    def delete_target(self, tenant: str, name: str) -> bool:
        return bool(self._r.hdel(TARGETS, f"{tenant}/{name}"))

    # -- the feed -------------------------------------------------------------------------

    def cursor(self, target: str) -> int:
        tenant = target.rpartition("/")[0]
        raw = self._r.hget(self._keys(tenant, target)[4], target)
        return int(raw) if raw is not None else 0

    def enqueue(
        self,
        tenant: str,
        rows: Sequence[tuple[str, str, dict[str, Any]]],
        cursor: tuple[str, int] | None = None,
        unbuilt: Sequence[UnbuiltEvent] = (),
    ) -> int:
        by_target: dict[str, list[Any]] = {}
        parked = [(u.target, u.statement_id, u.body, "dead", u.reason[:1000]) for u in unbuilt]
        for target, statement_id, body, status, error in [
            *((t, i, b, "pending", "") for t, i, b in rows),
            *parked,
        ]:
            row = {
                "tenant": tenant,
                "target": target,
                "statement_id": statement_id,
                "status": status,
                "attempts": 0,
                "next_at": 0,
                "last_error": error,
            }
            by_target.setdefault(target, []).extend(
                [statement_id, json.dumps(row), json.dumps(body)]
            )
        if cursor is not None:
            by_target.setdefault(cursor[0], [])
        added = 0
        for target, pairs in by_target.items():
            moved = str(cursor[1]) if cursor is not None and cursor[0] == target else ""
            added += int(
                self._enqueue(keys=self._keys(tenant, target), args=[target, moved, *pairs])
            )
        return added

    # -- delivery -------------------------------------------------------------------------

    def due(self, target: LrsTarget, now: float, limit: int) -> list[QueuedStatement]:
        keys = self._keys(target.tenant, target.key)[:2]
        rows = [json.loads(raw) for raw in self._lease(keys=keys, args=[now, now + LEASE_S, limit])]
        return sorted(self._with_bodies(target.tenant, rows), key=lambda q: q.row_id)

    def _with_bodies(self, tenant: str, rows: list[dict[str, Any]]) -> list[QueuedStatement]:
        if not rows:
            return []
        bodies = self._r.hmget(self._keys(tenant, "")[5], [r["row_id"] for r in rows])
        return [_queued(r, json.loads(b or "{}")) for r, b in zip(rows, bodies, strict=True)]

    def _set(
        self, tenant: str, row_id: int, status: str, next_at: float, error: str, only_if: str = ""
    ) -> bool:
        raw = self._r.hget(self._keys(tenant, "")[0], row_id)
        if raw is None:
            return False
        target = json.loads(raw)["target"]
        keys = self._keys(tenant, target)[:2]
        return bool(
            self._update(keys=keys, args=[row_id, status, next_at, error[:1000], "", only_if])
        )

    def delivered(self, tenant: str, row_ids: Sequence[int]) -> None:
        for row_id in row_ids:
            self._set(tenant, row_id, "delivered", 0.0, "")

    def retry(self, tenant: str, row_ids: Sequence[int], next_at: float, error: str) -> None:
        for row_id in row_ids:
            self._set(tenant, row_id, "pending", next_at, error)

    def dead(self, tenant: str, row_id: int, error: str) -> None:
        self._set(tenant, row_id, "dead", 0.0, error)

    def _rows(self, tenant: str) -> list[dict[str, Any]]:
        return [json.loads(raw) for raw in self._r.hvals(self._keys(tenant, "")[0])]

    def list_statements(self, tenant: str, status: str, limit: int = 500) -> list[QueuedStatement]:
        rows = sorted(
            (r for r in self._rows(tenant) if r["status"] == status), key=lambda r: int(r["row_id"])
        )
        return self._with_bodies(tenant, rows[:limit])

    def replay(self, tenant: str, row_id: int, now: float) -> bool:
        raw = self._r.hget(self._keys(tenant, "")[0], row_id)
        row = json.loads(raw) if raw is not None else {}
        if row.get("status") == "dead" and is_unbuilt(row["statement_id"]):
            body = json.loads(self._r.hget(self._keys(tenant, "")[5], row_id) or "{}")
            raise not_replayable(row_id, body, row["last_error"])
        return self._set(tenant, row_id, "pending", now, "", only_if="dead")

    def counts(self, tenant: str) -> dict[str, int]:
        return dict(Counter(r["status"] for r in self._rows(tenant)))


def _queued(row: dict[str, Any], body: dict[str, Any]) -> QueuedStatement:
    return QueuedStatement(
        row_id=int(row["row_id"]),
        tenant=row["tenant"],
        target=row["target"],
        statement_id=row["statement_id"],
        body=body,
        attempts=int(row["attempts"]),
        last_error=row["last_error"],
    )
