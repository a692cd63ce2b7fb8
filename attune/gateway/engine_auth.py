"""The gateway's own credential at the engine (issue 16): a bearer token per tenant, put on
every call by :class:`gateway.engine_client.GrpcEngineClient`.

- :class:`ServiceTokens` (``ATTUNE_GATEWAY__ENGINE_AUTH=jwt``, the default): the gateway is
  the authorization server, so it mints its own RFC 9068 access tokens, one per tenant, with
  the tool's current signing key: ``sub``/``client_id`` :data:`GATEWAY_CLIENT_ID`, ``aud`` the
  engine's audience, and exactly :data:`GATEWAY_SCOPES`. A token is reused until
  ``margin_s`` before it expires; then one caller mints the next one while the others keep
  using the old token (still valid), so a busy gateway mints once per tenant per period.
- :class:`StaticEngineTokens` (``ATTUNE_GATEWAY__ENGINE_AUTH=static``): fixed tokens from
  ``ATTUNE_GATEWAY__ENGINE_TOKENS``, for development.

Tokens are never logged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping
from typing import Protocol

import structlog

from attune.gateway.errors import UnknownTenantError
from attune.gateway.keys import ToolKeys
from attune.gateway.oauth.access_tokens import AccessToken, sign_access_token

log = structlog.get_logger("attune.gateway.engine_auth")
GATEWAY_CLIENT_ID = "attune-gateway"
# The scopes of the RPCs GrpcEngineClient calls, and no other (tests/unit/test_engine_auth.py
# checks both ways against the engine's table, engine/grpc/scopes.py).
GATEWAY_SCOPES = (
    "responses:write",  # RecordResponse
    "learners:read",  # Recommend, GetLearnerState, ListInterventions
    "learners:delete",  # DeleteLearner (erasure)
    "courses:read",  # GetCourse, ListCourses
    "courses:write",  # PutCourse
    "analytics:read",  # GetClassReport, GetLearnerTimeline, GetExperimentReport
    "events:read",  # ListEvents (the statement outbox)
    "interventions:write",  # Intervene, VoidEvent
    "erasures:sync",  # ListPendingErasures, AcknowledgeErasure (partner erasures reach the gateway)
    "tenants:admin",  # ExportTenant, DeleteTenant (reserved: never granted to a partner app)
)


class EngineCredentials(Protocol):
    """The bearer token the gateway presents for ``tenant``; :class:`UnknownTenantError` for
    a tenant it does not act for."""

    def bearer(self, tenant: str) -> str: ...


class StaticEngineTokens:
    """Fixed tokens per tenant (``ATTUNE_GATEWAY__ENGINE_TOKENS``)."""

    def __init__(self, tokens: Mapping[str, str]) -> None:
        self._tokens = dict(tokens)

    def bearer(self, tenant: str) -> str:
        token = self._tokens.get(tenant)
        if token is None:
            raise UnknownTenantError(f"no engine credential for tenant {tenant!r}")
        return token


class ServiceTokens:
    """Access tokens the gateway mints for its own engine calls, per tenant, cached."""

    def __init__(
        self,
        keys: ToolKeys,
        *,
        issuer: str,
        audience: str,
        tenants: Collection[str],
        ttl_s: int,
        margin_s: float,
        clock: Callable[[], float],
    ) -> None:
        self._keys = keys
        self._issuer, self._audience = issuer, audience
        self._tenants = frozenset(tenants)
        self._ttl = ttl_s
        self._margin = min(margin_s, ttl_s / 2)  # a token is always used for a while
        self._clock = clock
        self._tokens: dict[str, AccessToken] = {}
        self._minting = {tenant: threading.Lock() for tenant in self._tenants}
        self.mints = 0  # tokens minted so far (metrics, tests)

    def bearer(self, tenant: str) -> str:
        """The tenant's token: the cached one while it is fresh; else a new one, minted by
        one caller at a time (the others use the old one while it is valid, or wait)."""
        lock = self._minting.get(tenant)
        if lock is None:
            raise UnknownTenantError(f"no engine credential for tenant {tenant!r}")
        held = self._tokens.get(tenant)
        now = self._clock()
        if held is not None and now < held.expires_at - self._margin:
            return held.token
        usable = held is not None and now < held.expires_at - 1.0
        if not lock.acquire(blocking=not usable):
            assert held is not None
            return held.token  # another thread is minting; this one is still valid
        try:
            held = self._tokens.get(tenant)
            now = self._clock()
            if held is not None and now < held.expires_at - self._margin:
                return held.token  # minted while this thread waited
            minted = self._mint(tenant, now)
            self._tokens[tenant] = minted
            return minted.token
        finally:
            lock.release()

    def _mint(self, tenant: str, now: float) -> AccessToken:
        minted = sign_access_token(
            self._keys,
            issuer=self._issuer,
            audience=self._audience,
            client_id=GATEWAY_CLIENT_ID,
            tenant=tenant,
            scope=" ".join(GATEWAY_SCOPES),
            now=now,
            ttl_s=self._ttl,
        )
        self.mints += 1
        log.info("engine_auth.minted", tenant=tenant, kid=minted.kid, exp=minted.expires_at)
        return minted
