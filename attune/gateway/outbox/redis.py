"""The leased queue on Redis or Redis Cluster, for several gateways sharing one queue.

A family's keys for one tenant live under the tenant's hash tag, so every step is one script
in one slot: ``items`` (id -> the item without its payload), ``payloads`` (id -> the payload
exactly as queued: Lua never decodes it, since cjson would round its numbers), ``seq``,
``cursors``, and per queue a ``due`` sorted set and an ``ids`` hash (key -> latest id) that
supersedes or deduplicates by key. One set outside the tenants' slots lists the (tenant,
queue) pairs, for a worker that leases from all of them.

Due items are *leased* when read: their due time moves ``lease_s`` ahead, so two gateways do
not send the same item at the same moment, and one that dies mid-send only delays it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from typing import Any

from attune.gateway.outbox.ports import ERROR_CHARS, NewItem, QueueItem

LEASE_S = 30.0

# KEYS: items, payloads, seq, cursors, then (due, ids) per queue of this call.
# ARGV: supersede ('1'/''), cursor name ('' for none), cursor position, now, then per item
# (queue number from 1, key, the item as JSON, the payload as JSON).
# Returns per item its new id, or 0 when an item with that key was queued before.
_ENQUEUE = """
local out = {}
for i = 5, #ARGV, 4 do
  local q = tonumber(ARGV[i])
  local due, ids, key = KEYS[3 + 2 * q], KEYS[4 + 2 * q], ARGV[i + 1]
  local old = redis.call('HGET', ids, key)
  local id = 0
  if old and ARGV[1] == '1' then
    local raw = redis.call('HGET', KEYS[1], old)
    if raw then
      local item = cjson.decode(raw)
      if item.status == 'pending' then
        item.status = 'superseded'
        redis.call('HSET', KEYS[1], old, cjson.encode(item))
        redis.call('ZREM', due, old)
      end
    end
  end
  if not old or ARGV[1] == '1' then
    id = redis.call('INCR', KEYS[3])
    local item = cjson.decode(ARGV[i + 2])
    item.id = id
    redis.call('HSET', KEYS[1], id, cjson.encode(item))
    redis.call('HSET', KEYS[2], id, ARGV[i + 3])
    redis.call('HSET', ids, key, id)
    if item.status == 'pending' then redis.call('ZADD', due, ARGV[4], id) end
  end
  table.insert(out, id)
end
if ARGV[2] ~= '' then
  -- Only forward: two gateways feeding one cursor may finish out of order.
  local current = tonumber(redis.call('HGET', KEYS[4], ARGV[2]) or '0')
  if tonumber(ARGV[3]) > current then redis.call('HSET', KEYS[4], ARGV[2], ARGV[3]) end
end
return out
"""

# KEYS: items, due, payloads; ARGV: now, leased until, limit. Returns the leased items, each
# followed by its payload (as queued: never decoded here).
_LEASE = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
local out = {}
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[2], ARGV[2], id)
  local raw = redis.call('HGET', KEYS[1], id)
  if raw then
    table.insert(out, raw)
    table.insert(out, redis.call('HGET', KEYS[3], id) or '{}')
  end
end
return out
"""

# KEYS: items, due; ARGV: status, next_at, error ('' keeps it), only if this status ('' for
# any), count an attempt ('1'/''), the queue of the due key, then the ids. Pending items are
# (re)scheduled, others leave; an item of another queue is left alone. Returns how many
# were settled.
_SETTLE = """
local settled = 0
for i = 7, #ARGV do
  local id = ARGV[i]
  local raw = redis.call('HGET', KEYS[1], id)
  if raw then
    local item = cjson.decode(raw)
    if (ARGV[4] == '' or item.status == ARGV[4]) and item.queue == ARGV[6] then
      if ARGV[5] == '1' then item.attempts = item.attempts + 1 end
      item.status = ARGV[1]
      item.next_at = tonumber(ARGV[2])
      if ARGV[3] ~= '' then item.last_error = ARGV[3] end
      redis.call('HSET', KEYS[1], id, cjson.encode(item))
      if item.status == 'pending' then
        redis.call('ZADD', KEYS[2], ARGV[2], id)
      else
        redis.call('ZREM', KEYS[2], id)
      end
      settled = settled + 1
    end
  end
end
return settled
"""


class RedisLeasedQueue:
    """:class:`~gateway.outbox.ports.LeasedQueue` for one family. ``client`` is a sync
    ``Redis`` or ``RedisCluster`` with ``decode_responses=True``; ``tag(tenant)`` is the
    tenant's hash-tagged key prefix and ``queues`` the key of the set of (tenant, queue)."""

    def __init__(
        self,
        client: Any,
        family: str,
        tag: Callable[[str], str],
        queues: str,
        lease_s: float = LEASE_S,
    ) -> None:
        self._r = client
        self._family, self._tag, self._queues, self._lease_s = family, tag, queues, lease_s
        self._enqueue = client.register_script(_ENQUEUE)
        self._lease = client.register_script(_LEASE)
        self._settle = client.register_script(_SETTLE)

    def key(self, tenant: str, name: str) -> str:
        """One of the family's keys of ``tenant``: ``items``, ``due:<queue>`` ..."""
        return f"{self._tag(tenant)}:{self._family}:{name}"

    def enqueue(
        self,
        tenant: str,
        items: Sequence[NewItem],
        *,
        supersede: bool = False,
        cursor: tuple[str, int] | None = None,
        now: float = 0.0,
    ) -> list[int | None]:
        queues = list(dict.fromkeys(item.queue for item in items))
        keys = [self.key(tenant, k) for k in ("items", "payloads", "seq", "cursors")]
        for queue in queues:
            keys += [self.key(tenant, f"due:{queue}"), self.key(tenant, f"ids:{queue}")]
        args: list[Any] = ["1" if supersede else "", *(cursor or ("", 0)), now]
        for item in items:
            meta = {
                "tenant": tenant,
                "queue": item.queue,
                "key": item.key,
                "status": "dead" if item.parked else "pending",
                "attempts": 0,
                "next_at": now,
                "last_error": item.parked[:ERROR_CHARS],
            }
            number = queues.index(item.queue) + 1
            args += [number, item.key, json.dumps(meta), json.dumps(dict(item.payload))]
        self.register(tenant, queues)
        if not items and cursor is None:
            return []
        return [int(i) or None for i in self._enqueue(keys=keys, args=args)]

    def register(self, tenant: str, queues: Sequence[str]) -> None:
        """List the tenant's ``queues`` for the workers that lease from every queue."""
        if queues:
            self._r.sadd(self._queues, *(json.dumps([tenant, q]) for q in queues))

    def cursor(self, tenant: str, name: str) -> int:
        raw = self._r.hget(self.key(tenant, "cursors"), name)
        return int(raw) if raw is not None else 0

    def lease(
        self,
        now: float,
        limit: int,
        tenant: str | None = None,
        queue: str | None = None,
        skip: Collection[int] = (),
    ) -> list[QueueItem]:
        # ``skip`` needs no work here: a leased item is not due again until its lease runs
        # out, which is longer than any send holds it.
        if tenant is not None and queue is not None:
            pairs = [(tenant, queue)]
        else:
            known = sorted(tuple(json.loads(raw)) for raw in self._r.smembers(self._queues))
            pairs = [(t, q) for t, q in known if tenant in (None, t) and queue in (None, q)]
        found: list[QueueItem] = []
        for t, q in pairs:
            if len(found) >= limit:
                break
            keys = [self.key(t, "items"), self.key(t, f"due:{q}"), self.key(t, "payloads")]
            raws = self._lease(keys=keys, args=[now, now + self._lease_s, limit - len(found)])
            # One round trip: each item comes with its payload.
            rows = zip(raws[::2], raws[1::2], strict=True)
            leased = [_item(json.loads(raw), payload) for raw, payload in rows]
            found += sorted(leased, key=lambda i: i.item_id)
        return found

    def ack(
        self, tenant: str, item_ids: Sequence[int], now: float, queue: str | None = None
    ) -> None:
        if queue is None:
            self._settle_all(tenant, item_ids, "delivered", now, "")
        elif item_ids:  # one round trip; the script leaves an item of another queue alone
            self._settle_ids(tenant, item_ids, queue, "delivered", now, "", "", True)

    def retry(self, tenant: str, item_ids: Sequence[int], next_at: float, error: str) -> None:
        self._settle_all(tenant, item_ids, "pending", next_at, error, only="pending")

    def dead(self, tenant: str, item_ids: Sequence[int], error: str) -> None:
        self._settle_all(tenant, item_ids, "dead", 0.0, error)

    def _settle_all(
        self,
        tenant: str,
        item_ids: Sequence[int],
        status: str,
        next_at: float,
        error: str,
        only: str = "",
    ) -> None:
        if not item_ids:
            return
        # One read of the items' queues, then one script per queue (a batch is one queue):
        # two round trips for a whole batch.
        raws = self._r.hmget(self.key(tenant, "items"), list(item_ids))
        by_queue: dict[str, list[int]] = {}
        for item_id, raw in zip(item_ids, raws, strict=True):
            if raw is not None:
                by_queue.setdefault(json.loads(raw)["queue"], []).append(item_id)
        for queue, ids in by_queue.items():
            self._settle_ids(tenant, ids, queue, status, next_at, error, only, True)

    def _settle_ids(
        self,
        tenant: str,
        item_ids: Sequence[int],
        queue: str,
        status: str,
        next_at: float,
        error: str,
        only: str,
        attempt: bool,
    ) -> int:
        keys = [self.key(tenant, "items"), self.key(tenant, f"due:{queue}")]
        args = [status, next_at, error[:ERROR_CHARS], only, "1" if attempt else "", queue]
        args += list(item_ids)
        return int(self._settle(keys=keys, args=args))

    def items(self, tenant: str, status: str, limit: int | None = None) -> list[QueueItem]:
        rows = map(json.loads, self._r.hvals(self.key(tenant, "items")))
        mine = sorted((r for r in rows if r["status"] == status), key=lambda r: int(r["id"]))
        return self._with_payloads(tenant, mine[:limit])

    def replay(
        self,
        tenant: str,
        item_id: int,
        now: float,
        check: Callable[[QueueItem], None] | None = None,
    ) -> bool:
        raw = self._r.hget(self.key(tenant, "items"), item_id)
        if raw is None or json.loads(raw)["status"] != "dead":
            return False
        [item] = self._with_payloads(tenant, [json.loads(raw)])
        if check is not None:
            check(item)
        return (
            self._settle_ids(tenant, [item_id], item.queue, "pending", now, "", "dead", False) == 1
        )

    def counts(self, tenant: str) -> dict[str, int]:
        rows = map(json.loads, self._r.hvals(self.key(tenant, "items")))
        return dict(Counter(r["status"] for r in rows))

    def close(self) -> None:
        self._r.close()

    def _with_payloads(self, tenant: str, rows: Sequence[dict[str, Any]]) -> list[QueueItem]:
        if not rows:
            return []
        payloads = self._r.hmget(self.key(tenant, "payloads"), [r["id"] for r in rows])
        return [_item(r, p) for r, p in zip(rows, payloads, strict=True)]


def _item(row: dict[str, Any], payload: str | None) -> QueueItem:
    return QueueItem(
        item_id=int(row["id"]),
        tenant=row["tenant"],
        queue=row["queue"],
        key=row["key"],
        payload=json.loads(payload or "{}"),
        status=row["status"],
        attempts=int(row["attempts"]),
        next_at=float(row["next_at"]),
        last_error=row["last_error"],
    )
