"""OAuth clients on Redis: one hash under a tag of its own (clients are found by id before
the tenant is known, like registrations), field = client id, value = the stored JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from attune.gateway.oauth.clients import OAuthClient, client_from_json, client_to_json

CLIENTS = "attune:gw:{oauth-clients}"

# Revoke only the tenant's own, active client, atomically.
_REVOKE = """
local body = redis.call('HGET', KEYS[1], ARGV[1])
if not body then return 0 end
local client = cjson.decode(body)
local revoked = client['revoked_at']
if client['tenant'] ~= ARGV[2] or (revoked ~= nil and revoked ~= cjson.null) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
"""


class RedisOAuthClients:
    """:class:`~gateway.oauth.ports.OAuthClientStore` on a Redis client (mixed into the
    gateway's Redis store)."""

    _r: Any

    def put_oauth_client(self, client: OAuthClient) -> None:
        self._r.hset(
            CLIENTS, client.client_id, json.dumps(client_to_json(client, include_hash=True))
        )

    def get_oauth_client(self, client_id: str) -> OAuthClient | None:
        raw = self._r.hget(CLIENTS, client_id)
        return None if raw is None else client_from_json(raw)

    def list_oauth_clients(self, tenant: str) -> Sequence[OAuthClient]:
        found = (client_from_json(v) for v in self._r.hgetall(CLIENTS).values())
        return sorted((c for c in found if c.tenant == tenant), key=lambda c: c.created_at)

    def revoke_oauth_client(self, tenant: str, client_id: str, at: float) -> bool:
        found = self.get_oauth_client(client_id)
        if found is None:
            return False
        body = json.dumps(client_to_json(found.revoked(at), include_hash=True))
        return bool(self._r.eval(_REVOKE, 1, CLIENTS, client_id, tenant, body))
