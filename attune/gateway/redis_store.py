"""The gateway's store on Redis (or Redis Cluster), so that several gateway processes share
launches, sessions, registrations and the grade outbox (``ATTUNE_GATEWAY__STORE_URL``).

Keys are hash-tagged by tenant, ``attune:gw:{t=<tenant>}:...``, so every multi-key step of a
tenant is one slot and runs as one Lua script. Registrations are found by issuer before the
tenant is known, so they live under one tag of their own, as do the tool's keys. Values carry
their TTL in Redis itself (``SET ... PX``); taking a value is ``GETDEL``: exactly one caller
gets a nonce or a state.

The grade outbox is the leased queue's ``grades`` family (:mod:`gateway.outbox.redis`): due
scores are leased when read, so two gateways do not send the same score at the same moment.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from attune.gateway.grades.queue import GradeOutbox
from attune.gateway.library.redis import RedisContent
from attune.gateway.oauth.redis import RedisOAuthClients
from attune.gateway.outbox.redis import RedisLeasedQueue
from attune.gateway.outbox.redis_legacy import migrate_grades
from attune.gateway.ports import Activity, Registration, ToolKey
from attune.gateway.xapi_store.redis import RedisStatements
from attune.infra.redis import escape

ROOT = "attune:gw"
REGS = f"{ROOT}:{{registrations}}"
KEYS = f"{ROOT}:{{tool-keys}}"
TENANTS = f"{ROOT}:{{tenants}}"  # the grade outbox's tenants before issue 12
GRADE_QUEUES = f"{ROOT}:{{grades-queues}}"
MIGRATED = f"{ROOT}:{{queue-layout}}"  # family -> "1" once its old keys were moved


def tenant_tag(tenant: str) -> str:
    """The hash tag of a tenant's keys."""
    return f"{ROOT}:{{t={escape(tenant)}}}"


class RedisGatewayStore(GradeOutbox, RedisContent, RedisOAuthClients, RedisStatements):
    """:class:`~gateway.ports.GatewayStore` on Redis. ``client`` is a sync ``Redis`` or
    ``RedisCluster`` with ``decode_responses=True``."""

    def __init__(self, client: Any) -> None:
        self._r = client
        self._tag = tenant_tag
        grades = RedisLeasedQueue(client, "grades", tenant_tag, GRADE_QUEUES)
        migrate_grades(client, grades, tenant_tag, TENANTS, MIGRATED)
        super().__init__(grades)

    def close(self) -> None:
        self._r.close()

    # -- key/value ------------------------------------------------------------------------

    def _kv(self, tenant: str, key: str) -> str:
        return f"{tenant_tag(tenant)}:kv:{key}"

    def put(self, tenant: str, key: str, value: Any, ttl: float) -> None:
        if ttl <= 0:
            self._r.delete(self._kv(tenant, key))
            return
        self._r.set(self._kv(tenant, key), json.dumps(value), px=max(1, int(ttl * 1000)))

    def put_many(self, tenant: str, items: Sequence[tuple[str, Any, float]]) -> None:
        pipe = self._r.pipeline(transaction=False)  # keys may sit in several cluster slots
        for key, value, ttl in items:
            if ttl <= 0:
                pipe.delete(self._kv(tenant, key))
            else:
                pipe.set(self._kv(tenant, key), json.dumps(value), px=max(1, int(ttl * 1000)))
        pipe.execute()

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
