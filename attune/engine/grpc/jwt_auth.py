"""JWT access tokens from the gateway's authorization server (issue 16 part 1).

A token is accepted when (RFC 7519 §7.2, RFC 9068 §4):
- its header names ``alg`` RS256, ``typ`` ``at+jwt`` and a ``kid`` of the gateway's JWKS;
- its RS256 signature verifies with that key;
- ``iss`` is the configured issuer and ``aud`` holds the engine's audience;
- ``exp`` is in the future and ``iat``/``nbf`` not in it, within a small leeway, on the
  injected clock;
- it carries a ``tenant``, a ``sub`` and a ``scope``.

A token that verified is remembered, by the SHA-256 of its text, until its ``exp`` (plus the
leeway) on the injected clock: a partner sends the same token on every call for its lifetime,
and an RS256 verification costs far more than the rest of a call (issue 17). At most
``VERIFIED_CACHE`` tokens are remembered (the oldest forgotten first); a token refused is
never remembered, and a key dropped from the JWKS still serves the tokens it verified until
they expire, as they would anyway once verified.

The tenant comes only from the token. The JWKS is fetched over HTTP, with a timeout, and
cached; a ``kid`` the cache lacks refetches it once, at most once per ``min_refetch_s`` and
never twice at once (one fetch serves every call waiting for it), so a flood of forged kids
costs the gateway nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import jwt
import structlog

from attune.engine.domain.errors import UnauthenticatedError, UnavailableError
from attune.engine.grpc.auth import Principal, bearer_token

log = structlog.get_logger("attune.auth")
ALGORITHMS = ("RS256",)
TOKEN_TYPE = "at+jwt"
MAX_TOKEN_CHARS = 8192
VERIFIED_CACHE = 10_000  # verified tokens remembered until they expire


class JwksFetcher(Protocol):
    """Gets a JWK Set document; raises :class:`UnavailableError` when it cannot."""

    async def fetch(self, url: str) -> Mapping[str, Any]: ...


class HttpJwksFetcher:
    """The JWKS over HTTP(S) with httpx, bounded by a timeout."""

    def __init__(self, timeout_s: float, verify: str | bool = True) -> None:
        self._timeout = timeout_s
        self._verify = verify

    async def fetch(self, url: str) -> Mapping[str, Any]:
        import httpx

        try:
            async with httpx.AsyncClient(timeout=self._timeout, verify=self._verify) as client:
                reply = await client.get(url, headers={"Accept": "application/json"})
                reply.raise_for_status()
                document = json.loads(reply.content)
        except (httpx.HTTPError, ValueError) as exc:
            raise UnavailableError(f"cannot fetch the JWKS at {url}: {exc}") from exc
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise UnavailableError(f"the JWKS at {url} is not a JWK Set")
        return document


@dataclass(frozen=True)
class JwtPolicy:
    """What a token must say: who issued it, for whom, and how much clock skew is allowed."""

    issuer: str
    audience: str
    leeway_s: float = 30.0


class JwksCache:
    """The gateway's public keys by kid: fetched on first use, again after ``ttl_s``, and on an
    unknown kid at most once per ``min_refetch_s``."""

    def __init__(
        self,
        url: str,
        fetcher: JwksFetcher,
        clock: Callable[[], float],
        ttl_s: float = 300.0,
        min_refetch_s: float = 10.0,
    ) -> None:
        self._url = url
        self._fetcher = fetcher
        self._clock = clock
        self._ttl = ttl_s
        self._min_refetch = min_refetch_s
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None  # the last successful fetch
        self._tried_at: float | None = None  # the last attempt, successful or not
        self._lock = asyncio.Lock()
        self.fetches = 0  # how many times the JWKS was fetched (metrics, tests)

    async def key(self, kid: str) -> jwt.PyJWK:
        """The key ``kid`` names, or :class:`UnauthenticatedError` (or
        :class:`UnavailableError` while the JWKS has never been fetched)."""
        now = self._clock()
        stale = self._fetched_at is None or now - self._fetched_at >= self._ttl
        if stale or kid not in self._keys:
            await self._refresh()
        if not self._keys:
            raise UnavailableError("the issuer's JWKS cannot be fetched; retry later")
        found = self._keys.get(kid)
        if found is None:
            raise UnauthenticatedError("the token's key (kid) is not in the issuer's JWKS")
        return found

    async def _refresh(self) -> None:
        seen = self.fetches
        async with self._lock:
            if self.fetches != seen:
                return  # a fetch finished while this call waited: that was the refetch
            if self._tried_at is not None and self._clock() - self._tried_at < self._min_refetch:
                return  # at most one fetch per min_refetch_s, whatever the kids asked for
            self._tried_at = self._clock()
            try:
                document = await self._fetcher.fetch(self._url)
            except UnavailableError as exc:
                log.warning(
                    "auth.jwks_unavailable", url=self._url, kept=len(self._keys), error=str(exc)
                )
                return
            self._keys = _keys_of(document)
            self._fetched_at = self._clock()
            self.fetches += 1
            log.info("auth.jwks_fetched", url=self._url, keys=len(self._keys))


def _keys_of(document: Mapping[str, Any]) -> dict[str, jwt.PyJWK]:
    """The usable RSA signing keys of a JWK Set, by kid (others are skipped)."""
    keys: dict[str, jwt.PyJWK] = {}
    for entry in document.get("keys", []):
        if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
            continue
        if entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig":
            continue
        try:
            keys[entry["kid"]] = jwt.PyJWK(entry, algorithm="RS256")
        except jwt.PyJWTError:
            continue
    return keys


class JwtAuthenticator:
    """``authorization: Bearer <JWT access token>`` checked against the gateway's JWKS."""

    def __init__(
        self,
        keys: JwksCache,
        policy: JwtPolicy,
        clock: Callable[[], float],
        cache_size: int = VERIFIED_CACHE,
    ) -> None:
        self._keys = keys
        self._policy = policy
        self._clock = clock
        self._cache_size = cache_size
        # SHA-256 of a verified token -> (its principal, the time it stops being accepted)
        self._verified: dict[bytes, tuple[Principal, float]] = {}
        self.verifications = 0  # signature checks done (tests, metrics)

    @property
    def jwks(self) -> JwksCache:
        return self._keys

    async def principal(self, metadata: Mapping[str, str]) -> Principal:
        """The token's tenant, client and scopes, or :class:`UnauthenticatedError`."""
        token = bearer_token(metadata)
        if len(token) > MAX_TOKEN_CHARS:
            raise UnauthenticatedError("the token is too long")
        digest = hashlib.sha256(token.encode()).digest()
        known = self._verified.get(digest)
        if known is not None:
            if self._clock() <= known[1]:
                return known[0]
            del self._verified[digest]  # expired: verified again below, and refused
        principal, until = await self._check(token)
        if len(self._verified) >= self._cache_size:
            del self._verified[next(iter(self._verified))]  # the oldest
        self._verified[digest] = (principal, until)
        return principal

    async def _check(self, token: str) -> tuple[Principal, float]:
        """The token's principal and when it stops being accepted, or
        :class:`UnauthenticatedError`."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise UnauthenticatedError("the token is not a JWT") from exc
        if header.get("alg") not in ALGORITHMS:
            raise UnauthenticatedError("the token's alg must be RS256")
        if header.get("typ") != TOKEN_TYPE:
            raise UnauthenticatedError(f"the token's typ must be {TOKEN_TYPE!r}")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise UnauthenticatedError("the token names no key (kid)")
        key = await self._keys.key(kid)
        self.verifications += 1
        claims = self._verify(token, key)
        return _principal(claims), float(claims["exp"]) + self._policy.leeway_s

    def _verify(self, token: str, key: jwt.PyJWK) -> dict[str, Any]:
        policy = self._policy
        try:
            # Times are checked below on the injected clock; PyJWT would read time.time().
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=list(ALGORITHMS),
                audience=policy.audience,
                issuer=policy.issuer,
                options={
                    "require": ["exp", "iat", "iss", "aud", "sub"],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.InvalidAudienceError as exc:
            raise UnauthenticatedError("the token is not for this engine (aud)") from exc
        except jwt.InvalidIssuerError as exc:
            raise UnauthenticatedError("the token's issuer (iss) is not trusted") from exc
        except jwt.InvalidSignatureError as exc:
            raise UnauthenticatedError("the token's signature does not verify") from exc
        except jwt.PyJWTError as exc:
            raise UnauthenticatedError(f"invalid token: {exc}") from exc
        now, leeway = self._clock(), policy.leeway_s
        if not _number(claims.get("exp")) or now > claims["exp"] + leeway:
            raise UnauthenticatedError("the token has expired (exp)")
        if not _number(claims.get("iat")) or claims["iat"] > now + leeway:
            raise UnauthenticatedError("the token was issued in the future (iat)")
        nbf = claims.get("nbf")
        if nbf is not None and (not _number(nbf) or nbf > now + leeway):
            raise UnauthenticatedError("the token is not valid yet (nbf)")
        return claims


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _principal(claims: Mapping[str, Any]) -> Principal:
    tenant, subject, scope = claims.get("tenant"), claims.get("sub"), claims.get("scope", "")
    if not isinstance(tenant, str) or not tenant:
        raise UnauthenticatedError("the token names no tenant")
    if not isinstance(subject, str) or not subject:
        raise UnauthenticatedError("the token names no subject (sub)")
    if not isinstance(scope, str):
        raise UnauthenticatedError("the token's scope must be a string")
    return Principal(tenant, subject, "jwt", frozenset(scope.split()))
