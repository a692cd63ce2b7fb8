"""Signing keys for the emulated platform, and verification of JWTs a tool signs.

The platform signs id_tokens with RSA keys it publishes at ``/jwks``. Rotation publishes a
new key and keeps the old ones, as a real platform must while tokens signed with them may
still be in flight (1EdTech Security Framework §6.3). Tools sign client assertions and deep
linking responses with their own keys; the platform fetches the tool's JWKS to check them.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from jwt.algorithms import RSAAlgorithm

_JWKS_TIMEOUT_S = 5.0


class ToolTokenError(Exception):
    """A JWT from the tool could not be verified; ``str(self)`` says why."""


def new_rsa_key() -> RSAPrivateKey:
    """A fresh 2048-bit RSA key: the size LTI's RS256 requires at a minimum."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: RSAPrivateKey, kid: str) -> dict[str, Any]:
    """The public half of ``key`` as a JWK carrying ``kid``, ``alg`` and ``use``."""
    jwk: dict[str, Any] = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwk.update(kid=kid, alg="RS256", use="sig")
    return jwk


class KeyRing:
    """The platform's signing keys: one current, all published."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, RSAPrivateKey] = {}
        self._current = ""
        self.rotate()

    @property
    def current_kid(self) -> str:
        """The kid new tokens are signed with."""
        return self._current

    def rotate(self) -> str:
        """Make a new key current, keep the old ones published, and return the new kid."""
        key = new_rsa_key()
        with self._lock:
            kid = f"platform-key-{len(self._keys) + 1}"
            self._keys[kid] = key
            self._current = kid
        return kid

    def jwks(self) -> dict[str, Any]:
        """The JWKS document: every kid ever current."""
        with self._lock:
            items = list(self._keys.items())
        return {"keys": [public_jwk(key, kid) for kid, key in items]}

    def sign(
        self,
        claims: dict[str, Any],
        *,
        kid: str | None = None,
        key: Any = None,
        alg: str = "RS256",
    ) -> str:
        """Sign ``claims``; a foreign ``key`` is used as given, under ``kid`` or the current kid.

        Putting a published kid on a token signed by another key is how tests forge a
        signature that a verifier must refuse.
        """
        kid = kid or self._current
        if key is None:
            with self._lock:
                if kid not in self._keys:
                    raise KeyError(f"unknown platform kid {kid!r}")
                key = self._keys[kid]
        return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})


def _tool_key(token: str, jwks_url: str) -> Any:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise ToolTokenError(f"not a JWT: {exc}") from exc
    if header.get("alg") != "RS256":
        # LTI 1.3 core §5.1.2 names RS256; accepting "none" or HS256 would be the classic hole.
        raise ToolTokenError(f"alg {header.get('alg')!r} is not RS256")
    try:
        with requests.Session() as session:
            # The tool is on loopback in tests: an HTTP(S)_PROXY from the environment must not
            # swallow the request.
            session.trust_env = False
            response = session.get(jwks_url, timeout=_JWKS_TIMEOUT_S)
        response.raise_for_status()
        keys = response.json()["keys"]
    except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
        raise ToolTokenError(f"cannot fetch the tool's JWKS at {jwks_url}: {exc}") from exc
    kid = header.get("kid")
    if kid is None and len(keys) == 1:
        return jwt.PyJWK(keys[0]).key
    for jwk in keys:
        if jwk.get("kid") == kid:
            return jwt.PyJWK(jwk).key
    raise ToolTokenError(f"kid {kid!r} is not in the tool's JWKS")


def verify_tool_jwt(
    token: str,
    *,
    jwks_url: str,
    audience: str,
    issuer: str | None = None,
    required: Sequence[str] = ("iss", "aud", "exp", "iat"),
) -> dict[str, Any]:
    """Verify a tool's RS256 JWT against its JWKS (fetched now) and return its claims."""
    key = _tool_key(token, jwks_url)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            audience=audience,
            issuer=issuer,
            leeway=5,
            options={"require": list(required)},
        )
    except jwt.PyJWTError as exc:
        raise ToolTokenError(f"{type(exc).__name__}: {exc}") from exc
    return claims
