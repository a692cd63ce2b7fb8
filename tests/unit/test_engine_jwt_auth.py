"""The engine's JWT authenticator and its JWKS cache (issue 16 part 1), with a fetcher and a
clock the test controls: one fetch for many waiting calls, at most one refetch per floor, a
failing JWKS keeps the keys it had; the claims it requires; the settings that build it."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import jwt
import pytest

from attune.engine.auth_setup import build_authenticator
from attune.engine.domain.errors import UnauthenticatedError, UnavailableError
from attune.engine.grpc.auth import ChainAuthenticator, StaticTokenAuthenticator
from attune.engine.grpc.jwt_auth import JwksCache, JwtAuthenticator, JwtPolicy
from attune.engine.settings import AuthSettings
from tests.support.engine_server import ManualClock
from tests.support.oauth_stack import public_jwk, rsa_key

ISS, AUD = "https://gw.test", "attune-engine"
KEY = rsa_key()


class Fetcher:
    """Serves ``document``; counts calls; fails while ``down``; each fetch yields once."""

    def __init__(self, *keys: dict[str, Any]) -> None:
        self.document: dict[str, Any] = {"keys": list(keys)}
        self.calls = 0
        self.down = False

    async def fetch(self, url: str) -> Mapping[str, Any]:
        self.calls += 1
        await asyncio.sleep(0)  # let other calls pile up behind this one
        if self.down:
            raise UnavailableError("down")
        return self.document


def _token(clock: ManualClock, kid: str = "k1", key: Any = KEY, **changes: Any) -> str:
    now = int(clock.now())
    claims = {"iss": ISS, "aud": AUD, "sub": "atc_1", "tenant": "univ-a",
              "scope": "responses:write", "iat": now, "exp": now + 600, **changes}  # fmt: skip
    headers = {"kid": kid, "typ": "at+jwt"}
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, "RS256", headers)


def _auth(fetcher: Fetcher, clock: ManualClock) -> JwtAuthenticator:
    cache = JwksCache("https://gw.test/jwks", fetcher, clock.now, ttl_s=300, min_refetch_s=10)
    return JwtAuthenticator(cache, JwtPolicy(ISS, AUD, 30), clock.now)


def _meta(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_a_good_token_gives_its_tenant_client_and_scopes() -> None:
    clock, fetcher = ManualClock(), Fetcher(public_jwk(KEY, "k1"))
    who = await _auth(fetcher, clock).principal(_meta(_token(clock)))
    assert (who.tenant, who.subject, who.kind) == ("univ-a", "atc_1", "jwt")
    assert who.scopes == frozenset({"responses:write"})


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"tenant": None}, "tenant"),
        ({"tenant": ""}, "tenant"),
        ({"sub": None}, "sub"),
        ({"exp": None}, "exp"),
        ({"iat": None}, "iat"),
        ({"aud": "other"}, "aud"),
        ({"iss": "https://other"}, "iss"),
        ({"iat": 1_800_001_000}, "iat"),
        ({"nbf": 1_800_001_000}, "nbf"),
        ({"scope": ["a"]}, "scope"),
        ({"exp": 1_799_999_000}, "expired"),
    ],
)
async def test_each_bad_claim_is_named(changes: dict[str, Any], named: str) -> None:
    clock, fetcher = ManualClock(), Fetcher(public_jwk(KEY, "k1"))
    with pytest.raises(UnauthenticatedError, match=named):
        await _auth(fetcher, clock).principal(_meta(_token(clock, **changes)))


async def test_malformed_credentials_are_unauthenticated() -> None:
    clock, fetcher = ManualClock(), Fetcher(public_jwk(KEY, "k1"))
    auth = _auth(fetcher, clock)
    for meta in ({}, {"authorization": "Basic x"}, _meta("not.a.jwt"), _meta("x" * 9000)):
        with pytest.raises(UnauthenticatedError):
            await auth.principal(meta)
    no_kid = jwt.encode({"iss": ISS}, KEY, "RS256", {"typ": "at+jwt"})
    with pytest.raises(UnauthenticatedError, match="kid"):
        await auth.principal(_meta(no_kid))
    assert fetcher.calls == 0  # nothing fetched for credentials that name no key


async def test_one_fetch_serves_every_waiting_call() -> None:
    clock, fetcher = ManualClock(), Fetcher(public_jwk(KEY, "k1"))
    auth = _auth(fetcher, clock)
    results = await asyncio.gather(*(auth.principal(_meta(_token(clock))) for _ in range(20)))
    assert {r.tenant for r in results} == {"univ-a"} and fetcher.calls == 1


async def test_unknown_kids_refetch_at_most_once_per_floor() -> None:
    clock, fetcher = ManualClock(), Fetcher(public_jwk(KEY, "k1"))
    auth = _auth(fetcher, clock)
    await auth.principal(_meta(_token(clock)))
    other = rsa_key()
    for _ in range(5):
        with pytest.raises(UnauthenticatedError, match="kid"):
            await auth.principal(_meta(_token(clock, kid="k2", key=other)))
    assert fetcher.calls == 1  # within the floor: no refetch at all
    fetcher.document["keys"].append(public_jwk(other, "k2"))  # the gateway rotated
    clock.t += 10
    who = await auth.principal(_meta(_token(clock, kid="k2", key=other)))
    assert who.tenant == "univ-a" and fetcher.calls == 2


async def test_a_failing_jwks_keeps_the_keys_it_had() -> None:
    clock, fetcher = ManualClock(), Fetcher(public_jwk(KEY, "k1"))
    auth = _auth(fetcher, clock)
    await auth.principal(_meta(_token(clock)))
    fetcher.down = True
    clock.t += 301  # the cache is stale; the fetch fails; the old keys still verify
    assert (await auth.principal(_meta(_token(clock)))).tenant == "univ-a"
    assert fetcher.calls == 2


async def test_a_jwks_never_fetched_is_unavailable_not_a_bad_token() -> None:
    clock, fetcher = ManualClock(), Fetcher(public_jwk(KEY, "k1"))
    fetcher.down = True
    auth = _auth(fetcher, clock)
    for _ in range(3):
        with pytest.raises(UnavailableError):
            await auth.principal(_meta(_token(clock)))
    assert fetcher.calls == 1  # no retry storm against a failing gateway
    fetcher.down = False
    clock.t += 10
    assert (await auth.principal(_meta(_token(clock)))).tenant == "univ-a"


async def test_static_tokens_are_checked_first_then_jwts() -> None:
    clock, fetcher = ManualClock(), Fetcher(public_jwk(KEY, "k1"))
    chain = ChainAuthenticator(
        StaticTokenAuthenticator({"dev": "default"}), [_auth(fetcher, clock)]
    )
    assert (await chain.principal(_meta("dev"))).kind == "static"
    assert fetcher.calls == 0
    assert (await chain.principal(_meta(_token(clock)))).kind == "jwt"
    with pytest.raises(UnauthenticatedError):
        await chain.principal(_meta("nope"))


def test_auth_settings_name_what_is_missing() -> None:
    with pytest.raises(ValueError, match="issuer"):
        AuthSettings(jwks_url="https://gw/lti/jwks")
    with pytest.raises(ValueError, match="jwks_url"):
        AuthSettings(jwks_url="ftp://gw/jwks", issuer="x")
    with pytest.raises(ValueError, match="tokens or jwks_url"):
        AuthSettings(tokens={})
    with pytest.raises(ValueError, match="tls_key_file"):
        AuthSettings(tls_cert_file="cert.pem")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tls_client_ca_file"):
        AuthSettings(tls_client_ca_file="ca.pem")  # type: ignore[arg-type]
    assert isinstance(build_authenticator(AuthSettings()), StaticTokenAuthenticator)
    jwt_only = AuthSettings(tokens={}, jwks_url="https://gw/lti/jwks", issuer="https://gw")
    assert isinstance(build_authenticator(jwt_only), ChainAuthenticator)


async def test_a_verified_token_is_remembered_until_it_expires() -> None:
    clock, fetcher = ManualClock(), Fetcher(public_jwk(KEY, "k1"))
    auth = _auth(fetcher, clock)
    token = _token(clock)  # exp = now + 600, leeway 30
    for _ in range(3):
        assert (await auth.principal(_meta(token))).tenant == "univ-a"
    assert auth.verifications == 1
    other = _token(clock, sub="atc_2")
    assert (await auth.principal(_meta(other))).subject == "atc_2"
    assert auth.verifications == 2
    clock.t += 630  # exp + leeway: still accepted, from memory
    assert (await auth.principal(_meta(token))).tenant == "univ-a"
    assert auth.verifications == 2
    clock.t += 1
    with pytest.raises(UnauthenticatedError, match="expired"):
        await auth.principal(_meta(token))
    assert auth.verifications == 3


async def test_a_refused_token_is_never_remembered() -> None:
    clock, fetcher = ManualClock(), Fetcher(public_jwk(KEY, "k1"))
    auth = _auth(fetcher, clock)
    forged = _token(clock, key=rsa_key())  # signed with another key, same kid
    for _ in range(2):
        with pytest.raises(UnauthenticatedError, match="signature"):
            await auth.principal(_meta(forged))
    assert auth.verifications == 2


async def test_the_verified_tokens_remembered_are_bounded() -> None:
    clock, fetcher = ManualClock(), Fetcher(public_jwk(KEY, "k1"))
    cache = JwksCache("https://gw.test/jwks", fetcher, clock.now, ttl_s=300, min_refetch_s=10)
    auth = JwtAuthenticator(cache, JwtPolicy(ISS, AUD, 30), clock.now, cache_size=2)
    tokens = [_token(clock, sub=f"atc_{i}") for i in range(3)]
    for token in tokens:
        await auth.principal(_meta(token))
    await auth.principal(_meta(tokens[2]))  # remembered
    assert auth.verifications == 3
    await auth.principal(_meta(tokens[0]))  # the oldest was forgotten
    assert auth.verifications == 4
