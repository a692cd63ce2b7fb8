"""The gateway's own engine calls on access tokens it mints (issue 16): a real gateway
(waitress on port 0, its embedded store) in front of a real engine (gRPC on port 0) that
takes JWTs only, checked against the gateway's JWKS over HTTP. Each side has its own clock,
which the test moves: a token is reused across calls, minted again once it nears its expiry,
and a key rotation breaks no call."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import jwt
import pytest
import requests
from structlog.testing import capture_logs

from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.grpc.auth import ChainAuthenticator
from attune.engine.grpc.jwt_auth import HttpJwksFetcher, JwksCache, JwtAuthenticator, JwtPolicy
from attune.engine.grpc.server import RunningServer, build_engine, start_server
from attune.engine.v1 import course_pb2, course_pb2_grpc
from attune.gateway.app import Gateway, build_gateway, create_app
from attune.gateway.engine_auth import ServiceTokens
from attune.gateway.engine_client import GrpcEngineClient
from attune.gateway.http_server import create_hardened_server
from attune.gateway.http_settings import HttpSettings, RateLimits
from attune.gateway.keys import ToolKeys
from attune.gateway.settings import DEV_ADMIN_TOKEN, GatewaySettings
from attune.gateway.stores import open_stores
from attune.integrations.edges import gateway_edges
from tests.support.courses import chain_course
from tests.support.engine_server import ManualClock
from tests.support.gateway_stack import running_stack

pytestmark = pytest.mark.integration
T, AUDIENCE, TTL, MARGIN, REFETCH = "default", "attune-engine", 600, 60, 10.0


@dataclass
class Stack:
    url: str
    gateway: Gateway
    engine: GrpcEngineClient  # the gateway's client
    tokens: ServiceTokens
    jwks: JwksCache  # the engine's
    gateway_clock: ManualClock
    engine_clock: ManualClock
    engine_target: str

    def advance(self, seconds: float) -> None:
        self.gateway_clock.t += seconds
        self.engine_clock.t += seconds

    def kid(self) -> str:
        return str(jwt.get_unverified_header(self.tokens.bearer(T))["kid"])


def _start_engine(
    root: Path, url: str, clock: ManualClock
) -> tuple[asyncio.AbstractEventLoop, RunningServer, JwksCache]:
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    cache = JwksCache(f"{url}/lti/jwks", HttpJwksFetcher(5.0), clock.now, 300.0, REFETCH)

    async def start() -> RunningServer:
        jwt_auth = JwtAuthenticator(cache, JwtPolicy(url, AUDIENCE), clock.now)
        auth = ChainAuthenticator(None, [jwt_auth])  # static tokens off: JWTs only
        return await start_server(build_engine(SqliteStore.open(root / "attune.db")), auth)

    running = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
    return loop, running, cache


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    settings = GatewaySettings(
        port=0,
        data_dir=tmp_path,
        default_course_id="chain",
        http=HttpSettings(rate_limits=RateLimits(enabled=False)),
    )
    holder: dict[str, Any] = {}
    server = create_hardened_server(lambda env, start: holder["app"](env, start), settings)
    url = f"http://127.0.0.1:{int(server.effective_port)}"
    gateway_clock, engine_clock = ManualClock(time.time()), ManualClock(time.time())
    loop, running, cache = _start_engine(tmp_path, url, engine_clock)
    store, statements = open_stores("", tmp_path)
    keys = ToolKeys(store, settings.key_rotate_days, settings.key_overlap_days)
    tokens = ServiceTokens(
        keys, issuer=url, audience=AUDIENCE, tenants=[T], ttl_s=TTL, margin_s=MARGIN,
        clock=gateway_clock.now,
    )  # fmt: skip
    target = f"127.0.0.1:{running.port}"
    engine = GrpcEngineClient(target, tokens)
    gateway = build_gateway(settings, store, engine, url, statements, gateway_edges())
    holder["app"] = create_app(gateway)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield Stack(url, gateway, engine, tokens, cache, gateway_clock, engine_clock, target)
    finally:
        server.close()
        server.task_dispatcher.shutdown()
        thread.join(5)
        engine.close()
        store.close()
        statements.close()
        asyncio.run_coroutine_threadsafe(running.stop(0.5), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)


def _list_courses(target: str, token: str) -> grpc.StatusCode:
    with grpc.insecure_channel(target) as channel:
        try:
            course_pb2_grpc.CourseServiceStub(channel).ListCourses(
                course_pb2.ListCoursesRequest(),
                metadata=(("authorization", f"Bearer {token}"),),
                timeout=10,
            )
        except grpc.RpcError as exc:
            return exc.code()
    return grpc.StatusCode.OK


def test_the_gateway_calls_the_engine_on_one_minted_token(stack: Stack) -> None:
    with capture_logs() as logs:
        stack.engine.put_course(T, chain_course("chain"))
        http = requests.Session()
        for _ in range(3):  # each start of the practice page calls the engine
            page = http.get(stack.url + "/demo", timeout=10, allow_redirects=False)
            assert page.status_code in (302, 303), page.text
            assert "/practice/" in page.headers["Location"]
        assert [c.course_id for c in stack.engine.list_courses(T)] == ["chain"]
    assert stack.tokens.mints == 1  # one token for every call
    token = stack.tokens.bearer(T)
    assert any(e["event"] == "engine_auth.minted" for e in logs)
    assert all(token not in repr(e) for e in logs)  # the token itself is never logged
    # The engine takes no static token: the development one is refused.
    assert _list_courses(stack.engine_target, "dev-token") == grpc.StatusCode.UNAUTHENTICATED
    assert _list_courses(stack.engine_target, stack.tokens.bearer(T)) == grpc.StatusCode.OK


def test_a_token_is_minted_again_before_it_expires(stack: Stack) -> None:
    stack.engine.list_courses(T)
    first = stack.tokens.bearer(T)
    stack.advance(TTL - MARGIN - 1)
    stack.engine.list_courses(T)
    assert stack.tokens.mints == 1
    stack.advance(1)  # within the margin: the next call mints
    stack.engine.list_courses(T)
    assert stack.tokens.mints == 2 and stack.tokens.bearer(T) != first
    stack.advance(MARGIN + 31)  # past the first token's exp and the engine's leeway
    assert _list_courses(stack.engine_target, first) == grpc.StatusCode.UNAUTHENTICATED
    stack.engine.list_courses(T)  # the gateway's current token is fine
    assert stack.tokens.mints == 2


def test_a_key_rotation_breaks_no_call(stack: Stack) -> None:
    stack.engine.list_courses(T)
    old_kid = stack.kid()
    assert stack.jwks.fetches == 1
    rotated = requests.post(
        stack.url + "/admin/keys/rotate",
        headers={"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"},
        timeout=10,
    )
    assert rotated.status_code == 200, rotated.text
    # The token signed with the retired key stays valid until its exp.
    stack.engine.list_courses(T)
    assert stack.tokens.mints == 1 and stack.kid() == old_kid
    # The next token is signed with the new key; the engine fetches the JWKS again for it.
    stack.advance(TTL - MARGIN)
    stack.engine.list_courses(T)
    assert stack.tokens.mints == 2 and stack.kid() != old_kid
    assert stack.jwks.fetches == 2


@pytest.mark.slow
def test_attune_serve_needs_no_static_token(tmp_path: Path) -> None:
    # attune serve's engine trusts its gateway's keys with no configuration.
    with running_stack(tmp_path, {"ATTUNE_AUTH__TOKENS": "{}"}) as served:
        page = requests.get(served.url + "/demo", timeout=10)
        assert page.status_code == 200 and "/practice/" in page.url, page.text
        assert _list_courses(served.engine.target, "dev-token") == grpc.StatusCode.UNAUTHENTICATED
        # A partner app's token is checked the same way.
        client = served.admin(
            "POST", f"/admin/tenants/{T}/oauth-clients", json={"scopes": ["courses:read"]}
        ).json()
        reply = requests.post(
            served.url + "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client["client_id"], client["client_secret"]),
            timeout=10,
        )
        assert reply.status_code == 200, reply.text
        token = reply.json()["access_token"]
        assert _list_courses(served.engine.target, token) == grpc.StatusCode.OK


@pytest.mark.parametrize("mode", ["jwt", "static"])
def test_static_engine_tokens_are_warned_about(tmp_path: Path, mode: str) -> None:
    from attune.gateway.server import start_gateway

    settings = GatewaySettings(
        port=0, data_dir=tmp_path, engine_address="127.0.0.1:1", engine_auth=mode
    )
    with capture_logs() as logs:
        start_gateway(settings, gateway_edges()).stop()
    events = {e["event"] for e in logs}
    assert ("gateway.dev_engine_token" in events) == (mode == "static")
    assert ("gateway.engine_auth" in events) == (mode == "jwt")
    assert all("dev-token" not in repr(e) for e in logs)  # the token itself is not logged
