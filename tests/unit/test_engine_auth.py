"""The gateway's own engine credential (gateway/engine_auth.py): the scopes it mints are
exactly those of the RPCs it calls; a token is reused until shortly before it expires, then
minted again by one caller; rotation changes the key of the next token only. Over the real
embedded key ring, on an injected clock."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest

from attune.engine.grpc.scopes import METHOD_SCOPES
from attune.gateway import engine_client
from attune.gateway.engine_auth import (
    GATEWAY_CLIENT_ID,
    GATEWAY_SCOPES,
    ServiceTokens,
    StaticEngineTokens,
)
from attune.gateway.errors import UnknownTenantError
from attune.gateway.keys import ToolKeys
from attune.gateway.ports import GatewayStore
from attune.gateway.sqlite_store import SqliteGatewayStore
from tests.support.engine_server import ManualClock

ISSUER, AUDIENCE, TTL, MARGIN = "https://gw.example.edu", "attune-engine", 600, 60
STUBS = {
    "_courses": "CourseService",
    "_learners": "LearnerService",
    "_events": "EventService",
    "_analytics": "AnalyticsService",
    "_interventions": "InterventionService",
    "_experiments": "ExperimentService",
    "_erasures": "ErasureService",
    "_tenants": "TenantService",
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[GatewayStore]:
    found = SqliteGatewayStore(tmp_path / "gateway.db")
    yield found
    found.close()


def _tokens(store: GatewayStore, clock: ManualClock, tenants: tuple[str, ...] = ("a", "b")):
    keys = ToolKeys(store, 30, 7)
    return keys, ServiceTokens(
        keys, issuer=ISSUER, audience=AUDIENCE, tenants=tenants, ttl_s=TTL, margin_s=MARGIN,
        clock=clock.now,
    )  # fmt: skip


def _claims(keys: ToolKeys, token: str) -> dict[str, object]:
    kid = jwt.get_unverified_header(token)["kid"]
    [jwk] = [k for k in keys.jwks(ManualClock().now())["keys"] if k["kid"] == kid]  # published
    key = jwt.PyJWK(jwk, algorithm="RS256")
    skip = {"verify_exp": False, "verify_iat": False, "verify_nbf": False}  # ManualClock time
    return dict(jwt.decode(token, key.key, ["RS256"], audience=AUDIENCE, options=skip))


def _at_once(tokens: ServiceTokens, tenant: str, callers: int = 16) -> list[str]:
    """The tokens ``callers`` threads got, all asking at the same moment."""
    start = threading.Barrier(callers)
    got: list[str] = []

    def call() -> None:
        start.wait()
        got.append(tokens.bearer(tenant))

    threads = [threading.Thread(target=call) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return got


def test_the_gateway_asks_for_exactly_the_scopes_of_the_rpcs_it_calls() -> None:
    source = Path(engine_client.__file__).read_text()
    called = {f"/attune.engine.v1.{STUBS[s]}/{m}" for s, m in
              re.findall(r"self\.(_[a-z]+)\.([A-Z][A-Za-z]+)", source)}  # fmt: skip
    assert called and called <= set(METHOD_SCOPES)
    assert {METHOD_SCOPES[m] for m in called} == set(GATEWAY_SCOPES)


def test_a_token_names_the_gateway_and_the_tenant(store: GatewayStore) -> None:
    clock = ManualClock()
    keys, tokens = _tokens(store, clock)
    token = tokens.bearer("a")
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "at+jwt" and header["kid"] == keys.current(clock.now()).kid
    claims = _claims(keys, token)
    assert claims["sub"] == claims["client_id"] == GATEWAY_CLIENT_ID
    assert claims["iss"] == ISSUER and claims["aud"] == AUDIENCE and claims["tenant"] == "a"
    assert str(claims["scope"]).split() == list(GATEWAY_SCOPES)
    assert claims["exp"] == int(clock.now()) + TTL
    assert _claims(keys, tokens.bearer("b"))["tenant"] == "b"


def test_a_token_is_reused_until_shortly_before_it_expires(store: GatewayStore) -> None:
    clock = ManualClock()
    _, tokens = _tokens(store, clock)
    first = tokens.bearer("a")
    assert all(tokens.bearer("a") == first for _ in range(50))
    clock.t += TTL - MARGIN - 1
    assert tokens.bearer("a") == first and tokens.mints == 1
    clock.t += 1  # now within the margin: a new one
    second = tokens.bearer("a")
    assert second != first and tokens.mints == 2
    assert tokens.bearer("a") == second and tokens.mints == 2


def test_many_callers_at_once_mint_one_token(store: GatewayStore) -> None:
    clock = ManualClock()
    _, tokens = _tokens(store, clock)
    cold = _at_once(tokens, "a")  # nothing cached: one mints, the others wait for it
    assert len(set(cold)) == 1 and len(cold) == 16 and tokens.mints == 1
    clock.t += TTL - MARGIN + 1  # a refresh is due, the old token still valid
    due = _at_once(tokens, "a")  # one mints; the others use the old or the new one
    assert len(due) == 16 and set(due) <= {cold[0], tokens.bearer("a")}
    assert tokens.mints == 2


def test_after_a_rotation_the_next_token_uses_the_new_key(store: GatewayStore) -> None:
    clock = ManualClock()
    keys, tokens = _tokens(store, clock)
    old = tokens.bearer("a")
    old_kid = jwt.get_unverified_header(old)["kid"]
    new_kid = keys.rotate(clock.now()).kid
    assert tokens.bearer("a") == old  # still valid, and its key is still published
    assert _claims(keys, old)["tenant"] == "a"
    clock.t += TTL - MARGIN
    fresh = tokens.bearer("a")
    assert jwt.get_unverified_header(fresh)["kid"] == new_kid != old_kid


def test_a_tenant_the_gateway_does_not_act_for_is_refused(store: GatewayStore) -> None:
    _, tokens = _tokens(store, ManualClock())
    with pytest.raises(UnknownTenantError, match="'c'"):
        tokens.bearer("c")
    with pytest.raises(UnknownTenantError, match="'c'"):
        StaticEngineTokens({"a": "t"}).bearer("c")
    assert tokens.mints == 0


def test_the_tenants_the_gateway_acts_for() -> None:
    from pydantic import ValidationError

    from attune.gateway.settings import GatewaySettings

    default = GatewaySettings()
    assert default.engine_auth == "jwt" and default.engine_tenant_names() == ("default",)
    listed = GatewaySettings(engine_tenants=["uni", "college"])
    assert listed.serves_tenant("uni") and not listed.serves_tenant("default")
    static = GatewaySettings(engine_auth="static", engine_tenants=["uni"], engine_tokens={"x": "t"})
    assert static.engine_tenant_names() == ("x",)  # static mode: the tokens' tenants
    with pytest.raises(ValidationError, match="engine_auth"):
        GatewaySettings(engine_auth="none")  # type: ignore[arg-type]
