"""The gateway's store on Redis (or Redis Cluster), so that several gateway processes share
launches, sessions, registrations and the grade outbox (``ATTUNE_GATEWAY__STORE_URL``).

Keys are hash-tagged by tenant, ``attune:gw:{t=<tenant>}:...``, so every multi-key step of a
tenant is one slot and runs as one Lua script. Registrations are found by issuer before the
tenant is known, so they live under one tag of their own, as do the tool's keys. Values carry
their TTL in Redis itself (``SET ... PX``); taking a value is ``GETDEL``: exactly one caller
gets a nonce or a state.

Due outbox items are *leased* when they are read (their due time moves ``LEASE_S`` ahead), so
two gateways do not send the same score at the same moment; a gateway that dies mid-send only
delays the score by the lease.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from attune.infra.redis import escape
from gateway.ports import Activity, OutboxItem, Registration, ToolKey

LEASE_S = 30.0
ROOT = "attune:gw"
REGS = f"{ROOT}:{{registrations}}"
KEYS = f"{ROOT}:{{tool-keys}}"
TENANTS = f"{ROOT}:{{tenants}}"

# Supersede the pending item with the same key, then add the new one (KEYS: items, due,
# by_key, seq, payloads; ARGV: key, item metadata as JSON, payload as JSON, now). The
# payload is stored as given, never decoded by Lua (cjson would round its numbers).
_ENQUEUE = """
local old = redis.call('HGET', KEYS[3], ARGV[1])
if old then
  local raw = redis.call('HGET', KEYS[1], old)
  if raw then
    local item = cjson.decode(raw)
    if item.status == 'pending' then
      item.status = 'superseded'
      redis.call('HSET', KEYS[1], old, cjson.encode(item))
      redis.call('ZREM', KEYS[2], old)
    end
  end
end
local id = redis.call('INCR', KEYS[4])
local item = cjson.decode(ARGV[2])
item.item_id = id
redis.call('HSET', KEYS[1], id, cjson.encode(item))
redis.call('HSET', KEYS[5], id, ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[4], id)
redis.call('HSET', KEYS[3], ARGV[1], id)
return id
"""

# Lease up to ARGV[3] due items (KEYS: items, due; ARGV: now, lease until, limit).
_LEASE = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
local out = {}
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[2], ARGV[2], id)
  local raw = redis.call('HGET', KEYS[1], id)
  if raw then table.insert(out, raw) end
end
return out
"""

# Change one item (KEYS: items, due; ARGV: id, status, next_at, error, delivered_at,
# only_if_status): attempts + 1; pending items are (re)scheduled, others leave the queue.
_UPDATE = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local item = cjson.decode(raw)
if ARGV[6] ~= '' and item.status ~= ARGV[6] then return 0 end
if ARGV[6] == '' then item.attempts = item.attempts + 1 end
item.status = ARGV[2]
item.next_at = tonumber(ARGV[3])
if ARGV[4] ~= '' then item.last_error = ARGV[4] end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(item))
if item.status == 'pending' then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
else
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return 1
"""


def tenant_tag(tenant: str) -> str:
    """The hash tag of a tenant's keys."""
    return f"{ROOT}:{{t={escape(tenant)}}}"


class LeasedQueue:
    """A client with the queue scripts: ``_enqueue`` (the subclass's), ``_lease`` and
    ``_update``. ``client`` is a sync ``Redis`` or ``RedisCluster`` with
    ``decode_responses=True``."""

    ENQUEUE = ""

    def __init__(self, client: Any) -> None:
        self._r = client
        self._enqueue = client.register_script(self.ENQUEUE)
        self._lease = client.register_script(_LEASE)
        self._update = client.register_script(_UPDATE)

    def close(self) -> None:
        self._r.close()


class RedisGatewayStore(LeasedQueue):
    """:class:`~gateway.ports.GatewayStore` on Redis."""

    ENQUEUE = _ENQUEUE

    # -- key/value ------------------------------------------------------------------------

    def _kv(self, tenant: str, key: str) -> str:
        return f"{tenant_tag(tenant)}:kv:{key}"

    def put(self, tenant: str, key: str, value: Any, ttl: float) -> None:
        if ttl <= 0:
            self._r.delete(self._kv(tenant, key))
            return
        self._r.set(self._kv(tenant, key), json.dumps(value), px=max(1, int(ttl * 1000)))

    def get(self, tenant: str, key: str) -> Any | None:
        raw = self._r.get(self._kv(tenant, key))
        return None if raw is None else json.loads(raw)

    def add(self, tenant: str, key: str, value: Any, ttl: float) -> bool:
        px = max(1, int(ttl * 1000))
        return bool(self._r.set(self._kv(tenant, key), json.dumps(value), px=px, nx=True))

    def take(self, tenant: str, key: str) -> Any | None:
        raw = self._r.getdel(self._kv(tenant, key))
        return None if raw is None else json.loads(raw)

    def purge_expired(self) -> int:
        return 0  # Redis expires the keys itself (PX)

    # -- registrations --------------------------------------------------------------------

    def put_registration(self, registration: Registration) -> None:
        body = {f: getattr(registration, f) for f in Registration.__slots__}
        field = f"{registration.issuer}\n{registration.client_id}"
        self._r.hset(REGS, field, json.dumps(body))

    def _all_registrations(self) -> list[Registration]:
        found = []
        for raw in self._r.hvals(REGS):
            body = json.loads(raw)
            found.append(Registration(**{**body, "deployment_ids": tuple(body["deployment_ids"])}))
        return found

    def find_registration(self, issuer: str, client_id: str | None) -> Registration | None:
        if client_id:
            raw = self._r.hget(REGS, f"{issuer}\n{client_id}")
            if raw is None:
                return None
            body = json.loads(raw)
            return Registration(**{**body, "deployment_ids": tuple(body["deployment_ids"])})
        mine = [r for r in self._all_registrations() if r.issuer == issuer]
        return mine[0] if len(mine) == 1 else None

    def list_registrations(self, tenant: str) -> Sequence[Registration]:
        regs = [r for r in self._all_registrations() if r.tenant == tenant]
        return sorted(regs, key=lambda r: (r.issuer, r.client_id))

    def delete_registration(self, tenant: str, issuer: str, client_id: str) -> bool:
        found = self.find_registration(issuer, client_id)
        if found is None or found.tenant != tenant:
            return False
        return bool(self._r.hdel(REGS, f"{issuer}\n{client_id}"))

    # -- activities -----------------------------------------------------------------------

    def put_activity(self, activity: Activity) -> None:
        body = {f: getattr(activity, f) for f in Activity.__slots__}
        key = f"{tenant_tag(activity.tenant)}:activities"
        self._r.hset(key, activity.activity_id, json.dumps(body))

    def get_activity(self, tenant: str, activity_id: str) -> Activity | None:
        raw = self._r.hget(f"{tenant_tag(tenant)}:activities", activity_id)
        if raw is None:
            return None
        body = json.loads(raw)
        return Activity(**{**body, "skill_ids": tuple(body["skill_ids"])})

    # -- outbox ---------------------------------------------------------------------------

    def _outbox_keys(self, tenant: str) -> list[str]:
        tag = tenant_tag(tenant)
        return [
            f"{tag}:outbox:items",
            f"{tag}:outbox:due",
            f"{tag}:outbox:by-key",
            f"{tag}:outbox:seq",
            f"{tag}:outbox:payloads",
        ]

    def enqueue(self, tenant: str, kind: str, key: str, payload: Mapping[str, Any]) -> int:
        now = time.time()
        item = {
            "tenant": tenant,
            "kind": kind,
            "key": key,
            "status": "pending",
            "attempts": 0,
            "next_at": now,
            "last_error": "",
        }
        self._r.sadd(TENANTS, tenant)
        args = [key, json.dumps(item), json.dumps(dict(payload)), now]
        return int(self._enqueue(keys=self._outbox_keys(tenant), args=args))

    def due(self, now: float, limit: int) -> Sequence[OutboxItem]:
        found: list[OutboxItem] = []
        for tenant in sorted(self._r.smembers(TENANTS)):
            if len(found) >= limit:
                break
            keys = self._outbox_keys(tenant)[:2]
            leased = self._lease(keys=keys, args=[now, now + LEASE_S, limit - len(found)])
            found.extend(self._with_payloads(tenant, [json.loads(raw) for raw in leased]))
        return found

    def _with_payloads(self, tenant: str, items: list[dict[str, Any]]) -> list[OutboxItem]:
        if not items:
            return []
        payloads = self._r.hmget(self._outbox_keys(tenant)[4], [i["item_id"] for i in items])
        return [_item(i, json.loads(p or "{}")) for i, p in zip(items, payloads, strict=True)]

    def _set(
        self, tenant: str, item_id: int, status: str, next_at: float, error: str, only_if: str = ""
    ) -> bool:
        keys = self._outbox_keys(tenant)[:2]
        return bool(
            self._update(keys=keys, args=[item_id, status, next_at, error[:1000], "", only_if])
        )

    def delivered(self, tenant: str, item_id: int, now: float) -> None:
        self._set(tenant, item_id, "delivered", now, "")

    def retry(self, tenant: str, item_id: int, next_at: float, error: str) -> None:
        self._set(tenant, item_id, "pending", next_at, error)

    def dead(self, tenant: str, item_id: int, error: str) -> None:
        self._set(tenant, item_id, "dead", 0.0, error)

    def list_items(self, tenant: str, status: str) -> Sequence[OutboxItem]:
        items = [json.loads(raw) for raw in self._r.hvals(self._outbox_keys(tenant)[0])]
        mine = sorted((i for i in items if i["status"] == status), key=lambda i: i["item_id"])
        return self._with_payloads(tenant, mine)

    def replay(self, tenant: str, item_id: int, now: float) -> bool:
        return self._set(tenant, item_id, "pending", now, "", only_if="dead")

    # -- tool keys ------------------------------------------------------------------------

    def tool_keys(self) -> Sequence[ToolKey]:
        keys = [json.loads(raw) for raw in self._r.hvals(KEYS)]
        return sorted((ToolKey(**k) for k in keys), key=lambda k: k.created_at)

    def add_key(self, key: ToolKey) -> None:
        body = {
            "kid": key.kid,
            "private_pem": key.private_pem,
            "public_jwk": dict(key.public_jwk),
            "created_at": key.created_at,
            "retired_at": key.retired_at,
        }
        self._r.hsetnx(KEYS, key.kid, json.dumps(body))

    def retire_key(self, kid: str, at: float) -> None:
        raw = self._r.hget(KEYS, kid)
        if raw is None:
            return
        body = json.loads(raw)
        if body["retired_at"] is None:
            body["retired_at"] = at
            self._r.hset(KEYS, kid, json.dumps(body))


def _item(body: dict[str, Any], payload: dict[str, Any]) -> OutboxItem:
    return OutboxItem(
        item_id=int(body["item_id"]),
        tenant=body["tenant"],
        kind=body["kind"],
        key=body["key"],
        payload=payload,
        attempts=int(body["attempts"]),
        next_at=float(body["next_at"]),
        last_error=body["last_error"],
    )
