"""``attune serve``'s trust between its two parts (composition root): the engine accepts the
access tokens of the gateway it started, checked against the gateway's own key ring in
process, so the gateway's minted engine tokens (and partner apps' tokens) work with no
configuration. It is the same check as ``ATTUNE_AUTH__JWKS_URL`` (engine/grpc/jwt_auth.py),
with the JWK Set read from the gateway's store instead of over HTTP.

The gateway binds after the engine listens (its port may be picked then, and so its issuer
URL), so the trust is installed once the gateway is bound; until then it refuses every token
(UNAUTHENTICATED).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

from attune.engine.domain.errors import UnauthenticatedError
from attune.engine.grpc.auth import Principal
from attune.engine.grpc.jwt_auth import JwksCache, JwtAuthenticator, JwtPolicy
from attune.gateway.keys import ToolKeys

IN_PROCESS = "in-process:gateway-keys"
# The ring is local: an unknown kid (after a rotation) may reread it once a second.
MIN_REFETCH_S = 1.0


class InProcessJwks:
    """:class:`~engine.grpc.jwt_auth.JwksFetcher` over the gateway's key ring."""

    def __init__(self, keys: ToolKeys) -> None:
        self._keys = keys

    async def fetch(self, url: str) -> Mapping[str, Any]:
        return await asyncio.to_thread(self._keys.jwks)


class GatewayTrust:
    """An engine :class:`~engine.grpc.auth.Authenticator` for the co-started gateway's
    tokens."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._inner: JwtAuthenticator | None = None

    @property
    def jwks(self) -> JwksCache | None:
        return self._inner.jwks if self._inner is not None else None

    def install(
        self, keys: ToolKeys, issuer: str, audience: str, leeway_s: float, cache_s: float
    ) -> None:
        """Trust tokens from ``issuer`` for ``audience`` signed by ``keys``."""
        cache = JwksCache(IN_PROCESS, InProcessJwks(keys), self._clock, cache_s, MIN_REFETCH_S)
        self._inner = JwtAuthenticator(cache, JwtPolicy(issuer, audience, leeway_s), self._clock)

    async def principal(self, metadata: Mapping[str, str]) -> Principal:
        if self._inner is None:
            raise UnauthenticatedError("the gateway's tokens are not trusted yet (starting)")
        return await self._inner.principal(metadata)
