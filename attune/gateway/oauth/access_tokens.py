"""RFC 9068 JWT access tokens signed with the tool's current key: one function for the tokens
the token endpoint issues to partner apps and for those the gateway mints for its own calls
to the engine (gateway/engine_auth.py)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from attune.gateway.keys import ToolKeys

TOKEN_TYPE = "at+jwt"


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A signed token, the key that signed it, and when it expires (epoch seconds)."""

    token: str
    kid: str
    expires_at: int


def sign_access_token(
    keys: ToolKeys,
    *,
    issuer: str,
    audience: str,
    client_id: str,
    tenant: str,
    scope: str,
    now: float,
    ttl_s: int,
) -> AccessToken:
    """A token for ``client_id`` acting for ``tenant`` with ``scope``, valid ``ttl_s`` from
    ``now``, signed (RS256) with the key current at ``now``."""
    issued = int(now)
    key = keys.current(issued)
    claims = {
        "iss": issuer,
        "sub": client_id,
        "client_id": client_id,
        "aud": audience,
        "tenant": tenant,
        "scope": scope,
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl_s,
        "jti": secrets.token_urlsafe(16),
    }
    headers = {"kid": key.kid, "typ": TOKEN_TYPE}
    token = jwt.encode(claims, _private_key(key.private_pem), algorithm="RS256", headers=headers)
    return AccessToken(token, key.kid, issued + ttl_s)


@lru_cache(maxsize=8)
def _private_key(pem: str) -> Any:
    """The signing key, loaded once: loading checks the RSA key, which costs far more than
    the signature (~100 ms against ~1 ms)."""
    return load_pem_private_key(pem.encode(), password=None)
