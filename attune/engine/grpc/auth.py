"""Who is calling: the pluggable authenticator behind the auth interceptor.

The tenant always comes from the credential, never from the request body.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Protocol

from attune.engine.domain.errors import UnauthenticatedError

TENANT: ContextVar[str] = ContextVar("attune_tenant")


def current_tenant() -> str:
    """The tenant of the call being served (set by the auth interceptor)."""
    try:
        return TENANT.get()
    except LookupError as exc:  # a servicer reached without the interceptor
        raise UnauthenticatedError("no authenticated tenant for this call") from exc


class Authenticator(Protocol):
    """Maps call metadata to a tenant, or raises :class:`UnauthenticatedError`."""

    def authenticate(self, metadata: Mapping[str, str]) -> str: ...


class StaticTokenAuthenticator:
    """``authorization: Bearer <token>`` against a fixed token -> tenant table."""

    def __init__(self, tokens: Mapping[str, str]) -> None:
        if not tokens:
            raise ValueError("at least one token is required")
        self._tokens = [(t.encode(), tenant) for t, tenant in tokens.items()]

    def authenticate(self, metadata: Mapping[str, str]) -> str:
        """The tenant of the bearer token; constant-time comparison."""
        header = metadata.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise UnauthenticatedError("missing 'authorization: Bearer <token>' metadata")
        given = token.strip().encode()
        tenant = None
        for known, owner in self._tokens:
            if hmac.compare_digest(known, given):
                tenant = owner
        if tenant is None:
            raise UnauthenticatedError("unknown token")
        return tenant
