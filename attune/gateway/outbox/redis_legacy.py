"""Queues written to Redis before issue 12, moved into the leased queue's keys when a store
opens (once per family: a marker remembers it).

Before, the grade outbox kept ``outbox:{items,payloads,seq,due,by-key}`` per tenant (one due
set for its only kind, ``ags-score``) and listed its tenants in ``{tenants}``; the statement
outbox kept ``st:{items,bodies,seq,cursors}`` and ``st:due:<target>``, ``st:ids:<target>``
per tenant, its tenants found through the targets. Each tenant moves in one script in its
own slot (so on Redis Cluster too), merging into whatever the new keys already hold, and the
item fields take their new names. Ids are kept; a second gateway doing the same finds the old
keys gone and moves nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from attune.gateway.outbox.redis import RedisLeasedQueue

# KEYS: old items, new items, then (old, new) pairs; ARGV: field renames as JSON, then the
# kind of each pair: 'hash', 'zset' or 'counter'. Returns how many items moved.
_MOVE = """
local renames = cjson.decode(ARGV[1])
local flat = redis.call('HGETALL', KEYS[1])
for i = 1, #flat, 2 do
  local item = cjson.decode(flat[i + 1])
  for old, new in pairs(renames) do
    if item[old] ~= nil then item[new] = item[old]; item[old] = nil end
  end
  redis.call('HSETNX', KEYS[2], flat[i], cjson.encode(item))
end
redis.call('DEL', KEYS[1])
for k = 3, #KEYS, 2 do
  local kind, old, new = ARGV[2 + (k - 3) / 2], KEYS[k], KEYS[k + 1]
  if redis.call('EXISTS', old) == 1 then
    if kind == 'hash' then
      local f = redis.call('HGETALL', old)
      for j = 1, #f, 2 do redis.call('HSETNX', new, f[j], f[j + 1]) end
    elseif kind == 'zset' then
      redis.call('ZUNIONSTORE', new, 2, new, old, 'AGGREGATE', 'MIN')
    else
      local a = tonumber(redis.call('GET', old) or '0')
      local b = tonumber(redis.call('GET', new) or '0')
      redis.call('SET', new, string.format('%d', math.max(a, b)))
    end
    redis.call('DEL', old)
  end
end
return #flat / 2
"""
GRADE_KIND = "ags-score"  # the only kind the grade outbox ever queued


def migrate_grades(
    client: Any, queue: RedisLeasedQueue, tag: Callable[[str], str], tenants: str, marker: str
) -> None:
    """Move the grade outbox of every tenant in the old ``tenants`` set."""
    if client.hget(marker, "grades") is not None:
        return
    move = client.register_script(_MOVE)
    for tenant in client.smembers(tenants):
        old = f"{tag(tenant)}:outbox"
        pairs = [
            ("payloads", "payloads", "hash"),
            ("seq", "seq", "counter"),
            ("due", f"due:{GRADE_KIND}", "zset"),
            ("by-key", f"ids:{GRADE_KIND}", "hash"),
        ]
        _move(move, queue, tenant, old, pairs, {"item_id": "id", "kind": "queue"})
        queue.register(tenant, [GRADE_KIND])
    client.hset(marker, "grades", "1")
    client.delete(tenants)


def migrate_statements(
    client: Any,
    queue: RedisLeasedQueue,
    tag: Callable[[str], str],
    tenants: Iterable[str],
    marker: str,
) -> None:
    """Move the statement outbox of each of ``tenants`` (those with a target)."""
    if client.hget(marker, "statements") is not None:
        return
    move = client.register_script(_MOVE)
    for tenant in sorted(set(tenants)):
        old = f"{tag(tenant)}:st"
        rows = [json.loads(raw) for raw in client.hvals(f"{old}:items")]
        targets = sorted({str(r["target"]) for r in rows})
        pairs = [
            ("bodies", "payloads", "hash"),
            ("seq", "seq", "counter"),
            ("cursors", "cursors", "hash"),
        ]
        for target in targets:
            pairs += [(f"due:{target}", f"due:{target}", "zset")]
            pairs += [(f"ids:{target}", f"ids:{target}", "hash")]
        renames = {"row_id": "id", "target": "queue", "statement_id": "key"}
        _move(move, queue, tenant, old, pairs, renames)
        queue.register(tenant, targets)
    client.hset(marker, "statements", "1")


def _move(
    move: Any,
    queue: RedisLeasedQueue,
    tenant: str,
    old: str,
    pairs: list[tuple[str, str, str]],
    renames: dict[str, str],
) -> None:
    keys = [f"{old}:items", queue.key(tenant, "items")]
    for before, after, _ in pairs:
        keys += [f"{old}:{before}", queue.key(tenant, after)]
    move(keys=keys, args=[json.dumps(renames), *(kind for _, _, kind in pairs)])
