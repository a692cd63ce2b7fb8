"""Staff sessions in the gateway store (embedded SQLite here): idle and absolute expiry on an
injected clock, sign-out, an admin's revocation of one session or of a subject; the store
never holds the cookie value. The attribute mapping, and the cookies' security flags."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Response

from attune.gateway.app import build_gateway, create_app
from attune.gateway.http_settings import HttpSettings, Rate, RateLimits
from attune.gateway.ports import GatewayStore
from attune.gateway.settings import GatewaySettings
from attune.gateway.sqlite_store import SqliteGatewayStore
from attune.gateway.sso.principal import MappingError, Principal, map_identity
from attune.gateway.sso.routes import set_session_cookie
from attune.gateway.sso.sessions import StaffSessions, session_id
from attune.gateway.sso.settings import IdentityProvider, SsoSettings
from attune.gateway.sso.wiring import current_sso
from attune.gateway.stores import open_stores
from attune.integrations.edges import gateway_edges
from tests.support.engine_server import ManualClock
from tests.unit.test_ingest import FakeEngine

IDLE, ABSOLUTE = 600, 3600
ALICE = Principal("uni", "alice", "Alice", "a@uni.test", ("instructor",), "oidc:campus")


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.integration)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GatewayStore]:
    """The embedded store, and Redis (the store several gateways share)."""
    if request.param == "sqlite":
        opened: GatewayStore = SqliteGatewayStore(tmp_path / "gateway.db")
    else:
        server = request.getfixturevalue("redis_standalone")
        server.flush()
        opened, outbox = open_stores(server.url, tmp_path)
        outbox.close()
    yield opened
    opened.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sessions(store: GatewayStore, clock: ManualClock) -> StaffSessions:
    settings = SsoSettings(idle_seconds=IDLE, absolute_seconds=ABSOLUTE)
    return StaffSessions(store, settings, clock.now)


def test_a_session_loads_its_principal(sessions: StaffSessions, tmp_path: Path) -> None:
    token, signed_in = sessions.create(ALICE)
    assert signed_in.session_id == session_id(token)
    assert sessions.load(token) == signed_in
    assert sessions.load(token + "x") is None and sessions.load("") is None


def test_the_store_never_holds_the_cookie(tmp_path: Path, clock: ManualClock) -> None:
    store = SqliteGatewayStore(tmp_path / "gateway.db")
    try:
        token, signed_in = StaffSessions(store, SsoSettings(), clock.now).create(ALICE)
    finally:
        store.close()
    with sqlite3.connect(tmp_path / "gateway.db") as db:
        stored = " ".join(str(row) for row in db.execute("SELECT key, value FROM kv"))
    assert token not in stored and signed_in.session_id in stored


def test_a_session_expires_when_idle(sessions: StaffSessions, clock: ManualClock) -> None:
    token, _ = sessions.create(ALICE)
    clock.t += IDLE - 1
    assert sessions.load(token) is not None  # the idle timer restarts here
    clock.t += IDLE - 1
    assert sessions.load(token) is not None
    clock.t += IDLE + 1
    assert sessions.load(token) is None
    clock.t -= IDLE  # gone for good: the record was dropped
    assert sessions.load(token) is None


def test_a_session_expires_absolutely_even_when_used(
    sessions: StaffSessions, clock: ManualClock
) -> None:
    token, _ = sessions.create(ALICE)
    started = clock.t
    while clock.t + IDLE // 2 - started <= ABSOLUTE:
        clock.t += IDLE // 2
        assert sessions.load(token) is not None  # in use, never idle
    clock.t += IDLE // 2
    assert sessions.load(token) is None


def test_sign_out_and_admin_revocation(sessions: StaffSessions, clock: ManualClock) -> None:
    mine, _ = sessions.create(ALICE)
    assert sessions.revoke(mine) and sessions.load(mine) is None
    assert not sessions.revoke(mine)
    one, first = sessions.create(ALICE)
    two, _ = sessions.create(ALICE)
    assert not sessions.revoke_session("other-tenant", first.session_id)
    assert sessions.revoke_session("uni", first.session_id)
    assert sessions.load(one) is None and sessions.load(two) is not None


def test_revoking_a_subject_ends_its_sessions_only(
    sessions: StaffSessions, clock: ManualClock
) -> None:
    alice, _ = sessions.create(ALICE)
    bob, _ = sessions.create(Principal("uni", "bob", "", "", ("tenant_admin",), "saml:x"))
    elsewhere, _ = sessions.create(Principal("t2", "alice", "", "", ("instructor",), "oidc:y"))
    clock.t += 1
    sessions.revoke_subject("uni", "alice")
    assert sessions.load(alice) is None
    assert sessions.load(bob) is not None and sessions.load(elsewhere) is not None
    clock.t += 1
    later, _ = sessions.create(ALICE)  # signing in again after the revocation works
    assert sessions.load(later) is not None


def _provider(**mapping: object) -> IdentityProvider:
    return IdentityProvider.model_validate(
        {
            "id": "campus",
            "protocol": "oidc",
            "issuer": "https://idp.test",
            "client_id": "attune",
            "mapping": {"role": "groups", "roles": {"t": "instructor", "a": "tenant_admin"}}
            | mapping,
        }
    )


def test_attribute_mapping() -> None:
    claims = {"name": "Al", "email": ["al@x"], "groups": ["a", "t", "z"]}
    principal = map_identity("uni", _provider(), "s-1", claims)
    assert principal.roles == ("instructor", "tenant_admin")
    assert (principal.name, principal.email, principal.via) == ("Al", "al@x", "oidc:campus")
    with pytest.raises(MappingError, match="no staff role"):
        map_identity("uni", _provider(), "s-1", {"groups": "student"})
    scoped = _provider(tenant="org")
    assert map_identity("uni", scoped, "s", {"groups": "t", "org": ["uni"]}).tenant == "uni"
    with pytest.raises(MappingError, match="does not name tenant"):
        map_identity("uni", scoped, "s", {"groups": "t", "org": "other"})


def test_provider_configs_are_validated_naming_the_field() -> None:
    with pytest.raises(ValueError, match="issuer"):
        IdentityProvider.model_validate({"id": "x", "protocol": "oidc", "client_id": "c"})
    with pytest.raises(ValueError, match="metadata_xml"):
        IdentityProvider.model_validate({"id": "x", "protocol": "saml", "entity_id": "e"})
    with pytest.raises(ValueError, match="id must be"):
        _provider().model_validate({**_provider().model_dump(), "id": "../x"})


def test_cookies_are_secure_by_default(tmp_path: Path) -> None:
    settings = GatewaySettings()
    assert settings.sso.cookie_secure
    store, statements = open_stores("", tmp_path)
    engine = FakeEngine()
    try:
        app = create_app(
            build_gateway(settings, store, engine, "https://gw.test", statements, gateway_edges())
        )
        with app.test_request_context():
            sso = current_sso()
            assert sso.session_cookie == "__Host-attune_staff"
            token, _ = sso.sessions.create(ALICE)
        client = app.test_client()
        client.set_cookie("__Host-attune_staff", token)
        assert client.get("/sso/me").json["subject"] == "alice"
        out = client.post("/sso/logout")
        assert out.headers["Set-Cookie"].startswith("__Host-attune_staff=;")
        with app.test_request_context():
            response = Response()
            set_session_cookie(current_sso(), response, token)
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith(f"__Host-attune_staff={token};")
        assert all(flag in cookie for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"))
        assert client.get("/sso/me").status_code == 401
    finally:
        store.close()
        statements.close()
        engine.close()


def test_admin_routes_refuse_bad_bodies_naming_the_field(tmp_path: Path) -> None:
    settings = GatewaySettings()
    store, statements = open_stores("", tmp_path)
    engine = FakeEngine()
    auth = {"Authorization": f"Bearer {settings.admin_token}"}
    try:
        app = create_app(
            build_gateway(settings, store, engine, "https://gw.test", statements, gateway_edges())
        )
        client = app.test_client()
        url = "/admin/tenants/uni/sso/providers/campus"
        bad = client.put(url, json={"protocol": "oidc", "issuer": "ftp://x"}, headers=auth)
        assert bad.status_code == 400 and "issuer" in bad.json["reason"]
        wrong = client.put(url, json={"protocol": "ldap"}, headers=auth)
        assert wrong.status_code == 400 and "protocol" in wrong.json["reason"]
        assert client.get("/admin/tenants/uni/sso/providers", headers=auth).json == {
            "providers": []
        }
        assert client.put(url, json={}).status_code == 401
        revoke = "/admin/tenants/uni/sso/sessions/revoke"
        both = client.post(revoke, json={"subject": "a", "session_id": "b"}, headers=auth)
        assert both.status_code == 400 and "exactly one" in both.json["reason"]
        assert client.post(revoke, json={"session_id": "nope"}, headers=auth).status_code == 404
        assert client.delete(url, headers=auth).status_code == 404
    finally:
        store.close()
        statements.close()
        engine.close()


def test_sign_in_starts_are_rate_limited(tmp_path: Path) -> None:
    limits = RateLimits(sessions_per_client=Rate(burst=2, per_second=0.01))
    settings = GatewaySettings(http=HttpSettings(rate_limits=limits))
    store, statements = open_stores("", tmp_path)
    engine = FakeEngine()
    clock = ManualClock()
    try:
        gateway = build_gateway(
            settings, store, engine, "https://gw.test", statements, gateway_edges(), clock.now
        )
        client = create_app(gateway).test_client()
        codes = [client.get("/sso/uni/login/campus").status_code for _ in range(3)]
        assert codes == [403, 403, 429]  # not on the allow-list, then limited
        clock.t += 100
        assert client.get("/sso/uni/oidc/callback?state=x").status_code == 401
    finally:
        store.close()
        statements.close()
        engine.close()
