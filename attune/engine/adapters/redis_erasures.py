"""Pending erasures on Redis: one hash per tenant (the tenant's slot), learner id -> JSON.

A learner's keys and the tenant's keys live in different cluster slots, so no one script can
delete the learner and record the erasure together. The entry is written first (write-ahead):
if the delete then fails, the entry is still there, and the gateway's erasure of a learner the
caller asked to erase is harmless (the caller sees the error and retries; the retry writes
the same entry again). A delete that went through always has its entry.
"""

from __future__ import annotations

import json
from typing import Any

from attune.engine.adapters.redis_conn import unavailable_on_failure
from attune.engine.adapters.redis_keys import TenantKeys
from attune.engine.adapters.redis_scripts import Script
from attune.engine.domain.erasures import PendingErasure, oldest_first

# Delete the learner's entry only when it is still the acknowledged erasure.
ACKNOWLEDGE = Script(
    """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
if cjson.decode(raw)['erasure_id'] ~= ARGV[2] then return 0 end
return redis.call('HDEL', KEYS[1], ARGV[1])
"""
)


class RedisErasures:
    """:class:`~engine.ports.ErasureStore` on Redis."""

    def __init__(self, client: Any) -> None:
        self._client = client

    async def record(self, erasure: PendingErasure) -> None:
        """Write (or replace) the learner's pending erasure."""
        body = {
            "erasure_id": erasure.erasure_id,
            "requested_at": erasure.requested_at,
            "request_id": erasure.request_id,
        }
        async with unavailable_on_failure("delete_learner"):
            await self._client.hset(
                TenantKeys(erasure.tenant).erasures, erasure.learner_id, json.dumps(body)
            )

    async def pending(self, tenant: str, learner_id: str, limit: int) -> list[PendingErasure]:
        """The tenant's pending erasures, oldest first (the learner's only, when given)."""
        key = TenantKeys(tenant).erasures
        async with unavailable_on_failure("pending_erasures"):
            if learner_id:
                raw = await self._client.hget(key, learner_id)
                found = {learner_id: raw} if raw is not None else {}
            else:
                found = await self._client.hgetall(key)
        entries = []
        for lid, text in found.items():
            body = json.loads(text)
            entries.append(
                PendingErasure(
                    tenant,
                    lid,
                    str(body["erasure_id"]),
                    float(body["requested_at"]),
                    str(body.get("request_id", "")),
                )
            )
        return oldest_first(entries, learner_id, limit)

    async def acknowledge(self, tenant: str, learner_id: str, erasure_id: str) -> bool:
        """Delete the entry if it is still ``erasure_id``; whether it was."""
        async with unavailable_on_failure("acknowledge_erasure"):
            deleted = await ACKNOWLEDGE(
                self._client, [TenantKeys(tenant).erasures], [learner_id, erasure_id]
            )
        return bool(deleted)
