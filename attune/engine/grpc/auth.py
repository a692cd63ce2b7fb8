"""Who is calling: the pluggable authenticator behind the auth interceptor.

The tenant always comes from the credential, never from the request body. A credential gives a
:class:`Principal`: its tenant, and the scopes it was granted (``None`` for the development
static tokens, which may call everything). JWT access tokens from the gateway's authorization
server are checked by :class:`~engine.grpc.jwt_auth.JwtAuthenticator`.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal, Protocol

from attune.engine.domain.errors import UnauthenticatedError

TENANT: ContextVar[str] = ContextVar("attune_tenant")


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: a tenant, who (a client id, or "static"), how, and its scopes
    (``None``: every RPC, as the development static tokens)."""

    tenant: str
    subject: str
    kind: Literal["static", "jwt"]
    scopes: frozenset[str] | None = None

    def allows(self, scope: str | None) -> bool:
        """Whether this caller may use an RPC that needs ``scope`` (``None``: an RPC the
        scope table does not know, which only an unscoped caller may use)."""
        if self.scopes is None:
            return True
        return scope is not None and scope in self.scopes


PRINCIPAL: ContextVar[Principal] = ContextVar("attune_principal")


def current_tenant() -> str:
    """The tenant of the call being served (set by the auth interceptor)."""
    try:
        return TENANT.get()
    except LookupError as exc:  # a servicer reached without the interceptor
        raise UnauthenticatedError("no authenticated tenant for this call") from exc


def current_principal() -> Principal:
    """The caller of the call being served (set by the auth interceptor), for role checks."""
    try:
        return PRINCIPAL.get()
    except LookupError as exc:
        raise UnauthenticatedError("no authenticated caller for this call") from exc


def bearer_token(metadata: Mapping[str, str]) -> str:
    """The token of ``authorization: Bearer <token>``, or :class:`UnauthenticatedError`."""
    header = metadata.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthenticatedError("missing 'authorization: Bearer <token>' metadata")
    return token.strip()


class Authenticator(Protocol):
    """Maps call metadata to a :class:`Principal`, or raises :class:`UnauthenticatedError`
    (or ``UnavailableError`` when what it checks against cannot be reached)."""

    async def principal(self, metadata: Mapping[str, str]) -> Principal: ...


class StaticTokenAuthenticator:
    """``authorization: Bearer <token>`` against a fixed token -> tenant table (development)."""

    def __init__(self, tokens: Mapping[str, str]) -> None:
        if not tokens:
            raise ValueError("at least one token is required")
        self._tokens = [(t.encode(), tenant) for t, tenant in tokens.items()]

    def find(self, token: str) -> str | None:
        """The tenant of ``token``, or None; constant-time comparison with every token."""
        given = token.encode()
        tenant = None
        for known, owner in self._tokens:
            if hmac.compare_digest(known, given):
                tenant = owner
        return tenant

    def authenticate(self, metadata: Mapping[str, str]) -> str:
        """The tenant of the bearer token."""
        tenant = self.find(bearer_token(metadata))
        if tenant is None:
            raise UnauthenticatedError("unknown token")
        return tenant

    async def principal(self, metadata: Mapping[str, str]) -> Principal:
        """The tenant of the bearer token, with every scope."""
        return Principal(self.authenticate(metadata), "static", "static")


class ChainAuthenticator:
    """Static tokens first (when configured, for development), then JWT access tokens."""

    def __init__(self, static: StaticTokenAuthenticator | None, others: Sequence[Authenticator]):
        self._static = static
        self._others = tuple(others)

    async def principal(self, metadata: Mapping[str, str]) -> Principal:
        token = bearer_token(metadata)
        if self._static is not None:
            tenant = self._static.find(token)
            if tenant is not None:
                return Principal(tenant, "static", "static")
        if not self._others:
            raise UnauthenticatedError("unknown token")
        error: UnauthenticatedError | None = None
        for other in self._others:
            try:
                return await other.principal(metadata)
            except UnauthenticatedError as exc:
                error = exc
        assert error is not None
        raise error
