"""A partner's DeleteLearner over gRPC reaches the gateway's stores (issue 16).

A real engine (grpc.aio on port 0) trusts the gateway's static token and the partner JWTs the
gateway issues (real HTTP token endpoint and JWKS). Everything runs on the embedded stores, or
on one real redis-server (the engine's store, the gateway's and the trail). The worker is
driven by calling its step (:meth:`ErasurePropagation.run_once`); nothing sleeps.

- after the poll, every table and column of ``attune.db``, ``gateway.db`` and ``audit.db``,
  and every key and value in Redis, holds no trace of the learner or their platform ``sub``;
- a gateway that was down during the delete applies it when it is back;
- a retried delete, a second poll and the admin route's own erasure do no double work;
- an engine out of reach, or a trail that refuses the record, leaves the erasure pending
  (not acknowledged) until a later poll applies it.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
import redis
import requests

from attune.engine.adapters.redis_store import RedisStore
from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.grpc.auth import ChainAuthenticator, StaticTokenAuthenticator
from attune.engine.grpc.jwt_auth import HttpJwksFetcher, JwksCache, JwtAuthenticator, JwtPolicy
from attune.engine.grpc.server import RunningServer, build_engine, start_server
from attune.engine.v1 import learner_pb2, learner_pb2_grpc
from attune.gateway.app import Gateway, build_gateway, create_app
from attune.gateway.audit.hook import EXTENSION
from attune.gateway.audit.propagation import ACTION, ErasurePropagation
from attune.gateway.engine_client import GrpcEngineClient
from attune.gateway.grades.outbox import queue_score
from attune.gateway.http_server import create_hardened_server
from attune.gateway.http_settings import HttpSettings, RateLimits
from attune.gateway.lrs.targets import LrsTarget
from attune.gateway.sessions import LaunchSession, learner_pseudonym
from attune.gateway.settings import GatewaySettings
from attune.gateway.stores import open_stores
from attune.gateway.web.page_sessions import roster_key
from attune.gateway.xapi_store.ports import StoredStatement
from attune.infra.audit import AuditTrail, open_audit_log
from attune.integrations.edges import gateway_edges
from tests.support.courses import chain_course
from tests.support.engine_server import ManualClock
from tests.support.oauth_stack import AUDIENCE, bearer
from tests.support.redis_server import RedisServer
from tests.support.store_scan import redis_mentions, sqlite_mentions

pytestmark = pytest.mark.integration
T = "tenant-a"
ADMIN = {"Authorization": "Bearer admin-secret"}
ISSUER = "https://lms.example.edu"
SUB = "user-4711"
LEARNER = learner_pseudonym(ISSUER, SUB)


class GatewayUp:
    """One running gateway: its stores, engine client, app and HTTP server (token endpoint,
    JWKS, admin routes). Closing it is the gateway going down; its data stays."""

    def __init__(self, root: Path, url: str, engine_port: int, port: int = 0) -> None:
        self.settings = GatewaySettings(
            port=port,
            admin_token="admin-secret",
            engine_tokens={T: "gateway-token"},
            data_dir=root,
            store_url=url,
            http=HttpSettings(rate_limits=RateLimits(enabled=False)),
        )
        self.store, self.statements = open_stores(url, root)
        self.engine = GrpcEngineClient(f"127.0.0.1:{engine_port}", self.settings.engine_tokens)
        holder: dict[str, Any] = {}
        self.server = create_hardened_server(
            lambda env, start: holder["app"](env, start), self.settings
        )
        self.url = f"http://127.0.0.1:{int(self.server.effective_port)}"
        self.gateway: Gateway = build_gateway(
            self.settings, self.store, self.engine, self.url, self.statements, gateway_edges()
        )
        self.app = holder["app"] = create_app(self.gateway)
        self._thread = threading.Thread(target=self.server.run, daemon=True)
        self._thread.start()

    @property
    def trail(self) -> AuditTrail | None:
        trail: AuditTrail | None = self.app.extensions.get(EXTENSION)
        return trail

    def worker(self) -> ErasurePropagation:
        """The propagation worker, as ``attune gateway`` starts it (not started: tests call
        its step)."""
        return ErasurePropagation(self.gateway, lambda: self.trail, [T], 60.0)

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(method, self.url + path, headers=ADMIN, timeout=10, **kwargs)

    def close(self) -> None:
        self.server.close()
        self.server.task_dispatcher.shutdown()
        # Kept-alive connections (the engine's JWKS fetcher) would keep the loop running.
        for channel in list(self.server._map.values()):
            channel.close()
        self._thread.join(5)
        assert not self._thread.is_alive()
        if self.trail is not None:
            self.trail.log.close()
        self.engine.close()
        self.store.close()
        self.statements.close()


@dataclass
class Stack:
    root: Path
    url: str  # the gateway's store ("" for the embedded one)
    engine_port: int
    gw: GatewayUp
    partner: learner_pb2_grpc.LearnerServiceStub
    token: str
    redis: Any = None

    def reopen(self) -> GatewayUp:
        self.gw = GatewayUp(self.root, self.url, self.engine_port)
        return self.gw


def _start_engine(
    root: Path, audit_url: str, jwks_url: str
) -> tuple[asyncio.AbstractEventLoop, threading.Thread, RunningServer]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> RunningServer:
        clock = ManualClock(time.time())
        cache = JwksCache(f"{jwks_url}/lti/jwks", HttpJwksFetcher(5.0), clock.now, 300.0, 10.0)
        jwt_auth = JwtAuthenticator(cache, JwtPolicy(jwks_url, AUDIENCE), clock.now)
        auth = ChainAuthenticator(StaticTokenAuthenticator({"gateway-token": T}), [jwt_auth])
        # On Redis, the engine shares the gateway's server: one scan covers both.
        store = (
            await RedisStore.open(audit_url) if audit_url else SqliteStore.open(root / "attune.db")
        )
        engine = build_engine(store)
        trail = AuditTrail(open_audit_log(audit_url, root))  # the gateway's trail too
        return await start_server(engine, auth, "127.0.0.1", 0, audit=trail)

    return loop, thread, asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)


@pytest.fixture(params=["sqlite", "redis"])
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stack]:
    url = ""
    if request.param == "redis":
        server: RedisServer = request.getfixturevalue("redis_standalone")
        server.flush()
        url = server.url
    # The gateway binds first: the engine needs its address for the JWKS.
    probe = create_hardened_server(lambda env, start: [], GatewaySettings(port=0))
    port = int(probe.effective_port)
    probe.close()
    loop, thread, running = _start_engine(tmp_path, url, f"http://127.0.0.1:{port}")
    gw = GatewayUp(tmp_path, url, running.port, port)
    channel = grpc.insecure_channel(f"127.0.0.1:{running.port}")
    raw = redis.Redis.from_url(url, decode_responses=True) if url else None
    try:
        reply = gw.admin(
            "POST", f"/admin/tenants/{T}/oauth-clients", json={"scopes": ["learners:delete"]}
        )
        assert reply.status_code == 201, reply.text
        client = reply.json()
        token = requests.post(
            f"{gw.url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client["client_id"], client["client_secret"]),
            timeout=10,
        ).json()["access_token"]
        gw.engine.put_course(T, chain_course("chain"))
        stack = Stack(tmp_path, url, running.port, gw, learner_pb2_grpc.LearnerServiceStub(channel),
                      token, raw)  # fmt: skip
        yield stack
    finally:
        channel.close()
        if raw is not None:
            raw.close()
        stack.gw.close()
        asyncio.run_coroutine_threadsafe(running.stop(1.0), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


def _answer(gw: GatewayUp, learner: str, n: int) -> None:
    for k in range(n):
        gw.engine.record(
            T,
            learner_pb2.RecordResponseRequest(
                event_id=f"{learner}-{k}", learner_id=learner, course_id="chain", item_id="a1",
                correct=True, response_time_ms=20_000,
            ),
        )  # fmt: skip


def _seed(gw: GatewayUp, learner: str = LEARNER, sub: str = SUB) -> None:
    """The learner in every gateway store: a session, a roster, a grade, queued statements,
    a statement another tool sent."""
    _answer(gw, learner, 3)
    gateway = gw.gateway
    own = LaunchSession(
        tenant=T, issuer=ISSUER, client_id="c", deployment_id="d", sub=sub, learner_id=learner,
        course_id="chain", skill_ids=(), staff=False, given_name="Ada",
    )  # fmt: skip
    gateway.sessions.create(own)
    staff = LaunchSession(
        tenant=T, issuer=ISSUER, client_id="c", deployment_id="d", sub=f"teacher-of-{sub}",
        learner_id=learner_pseudonym(ISSUER, f"teacher-of-{sub}"), course_id="chain",
        skill_ids=(), staff=True, context_id="ctx-1",
    )  # fmt: skip
    members = [{"user_id": sub, "name": "Ada", "learner": True, "learner_id": learner}]
    gateway.store.put(T, roster_key(staff), members, 3600)
    queue_score(gateway.store, T, ISSUER, "c", f"{ISSUER}/lineitem/1",
                {"userId": sub, "scoreGiven": 1, "scoreMaximum": 1})  # fmt: skip
    target = LrsTarget(tenant=T, name="main", url="https://lrs.example.edu/xapi", auth="none",
                       home_page=gw.url, activity_base=f"{gw.url}/xapi")  # fmt: skip
    gateway.statements.put_target(target)
    gateway.relay.feed(target)
    statement = {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, learner)),
        "actor": {"account": {"homePage": gw.url, "name": learner}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
        "object": {"id": f"{gw.url}/xapi/items/a1"},
    }
    gateway.store.add_statement(T, StoredStatement(statement["id"], 1.8e9, statement))


def _traces(stack: Stack, needle: str) -> list[str]:
    files = [stack.root / n for n in ("attune.db", "gateway.db", "audit.db")]
    found = [hit for f in files if f.exists() for hit in sqlite_mentions(f, needle)]
    if stack.redis is not None:
        found += redis_mentions(stack.redis, needle)
    return found


def _partner_delete(stack: Stack, learner: str) -> learner_pb2.DeleteLearnerResponse:
    request = learner_pb2.DeleteLearnerRequest(learner_id=learner)
    reply: learner_pb2.DeleteLearnerResponse = stack.partner.DeleteLearner(
        request, metadata=bearer(stack.token), timeout=10
    )
    return reply


def _propagated(gw: GatewayUp, learner: str) -> list[dict[str, Any]]:
    reply = gw.admin("GET", f"/admin/tenants/{T}/audit?learner_id={learner}&limit=1000")
    assert reply.status_code == 200, reply.text
    return [r for r in reply.json()["records"] if r["action"] == ACTION]


def test_a_partners_delete_reaches_every_gateway_store(stack: Stack) -> None:
    gw = stack.gw
    _seed(gw)
    _answer(gw, "someone-else", 2)

    reply = _partner_delete(stack, LEARNER)
    assert (reply.courses, reply.events) == (1, 3)
    # The engine is clean; the gateway still holds the learner until its worker polls.
    assert any("gateway" in hit or ":kv:" in hit for hit in _traces(stack, SUB)), "seeded"
    assert [p.learner_id for p in gw.engine.pending_erasures(T)] == [LEARNER]

    assert gw.worker().run_once() == 1
    for needle in (LEARNER, SUB):
        assert _traces(stack, needle) == [], needle
    assert gw.engine.pending_erasures(T) == []
    # Recorded in the trail, pseudonymised; the chain still verifies; others untouched.
    (record,) = _propagated(gw, LEARNER)
    assert record["learner_id"] == "" and record["learner_ref"].startswith("p-")
    assert record["details"]["stores"]["gateway_values"] >= 2
    assert record["details"]["stores"]["grade_items"] == 1
    assert record["details"]["stores"]["xapi_statements"] == 1
    # The engine's side: the partner's delete and the gateway's acknowledgement, pseudonymised.
    reply = gw.admin("GET", f"/admin/tenants/{T}/audit?learner_id={LEARNER}&limit=1000")
    engine_side = {(r["action"], r["actor"], r["learner_id"])
                   for r in reply.json()["records"] if r["source"] == "engine"}  # fmt: skip
    assert {(a, lid) for a, _, lid in engine_side} == {("learner.erase", ""),
                                                     ("erasure.acknowledge", "")}  # fmt: skip
    assert len({actor for _, actor, _ in engine_side}) == 2  # the partner, then the gateway
    assert gw.admin("GET", f"/admin/tenants/{T}/audit/verify").json()["ok"]
    assert gw.engine.state(T, "someone-else", "chain").responses == 2
    # A second poll has nothing to do.
    assert gw.worker().run_once() == 0
    assert len(_propagated(gw, LEARNER)) == 1


def test_a_gateway_down_during_the_delete_applies_it_when_it_is_back(stack: Stack) -> None:
    _seed(stack.gw)
    # The partner's first call fetches the JWKS, which the engine keeps while the gateway
    # is down: a learner unknown to the engine, so nothing is erased or recorded.
    with pytest.raises(grpc.RpcError) as unknown:
        _partner_delete(stack, "nobody")
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
    stack.gw.close()

    reply = _partner_delete(stack, LEARNER)
    assert reply.events == 3

    gw = stack.reopen()
    assert _traces(stack, SUB) != []  # nothing happened while it was down
    assert gw.worker().run_once() == 1
    for needle in (LEARNER, SUB):
        assert _traces(stack, needle) == [], needle
    assert len(_propagated(gw, LEARNER)) == 1


def test_a_retried_delete_and_the_admin_routes_own_erasure_do_no_double_work(
    stack: Stack,
) -> None:
    gw = stack.gw
    _seed(gw)
    other = learner_pseudonym(ISSUER, "user-2")
    _seed(gw, other, "user-2")

    assert _partner_delete(stack, LEARNER).events == 3
    with pytest.raises(grpc.RpcError) as retried:  # the engine holds nothing more of them
        _partner_delete(stack, LEARNER)
    assert retried.value.code() == grpc.StatusCode.NOT_FOUND
    assert len(gw.engine.pending_erasures(T)) == 1
    worker = gw.worker()
    assert worker.run_once() == 1
    assert worker.run_once() == 0
    assert len(_propagated(gw, LEARNER)) == 1

    # The admin route erases everything itself and acknowledges its own engine erasure:
    # the poller finds nothing to redo.
    erased = gw.admin("DELETE", f"/admin/tenants/{T}/learners/{other}")
    assert erased.status_code == 200, erased.text
    assert erased.json()["stores"]["engine_events"] == 3
    assert gw.engine.pending_erasures(T) == []
    assert worker.run_once() == 0
    assert _propagated(gw, other) == []
    for needle in (other, "user-2"):
        assert _traces(stack, needle) == [], needle


class _FailingTrail:
    """The gateway's trail, failing its next ``failures`` appends (a full disk, say)."""

    def __init__(self, inner: AuditTrail, failures: int) -> None:
        self.inner = inner
        self.failures = failures

    def record(self, **fields: Any) -> Any:
        if self.failures:
            self.failures -= 1
            raise OSError("disk full")
        return self.inner.record(**fields)

    def erase_learner(self, tenant: str, learner_id: str) -> int:
        return self.inner.erase_learner(tenant, learner_id)


def test_an_erasure_that_fails_half_way_stays_pending_and_is_applied_at_the_next_poll(
    stack: Stack,
) -> None:
    gw = stack.gw
    _seed(gw)
    assert _partner_delete(stack, LEARNER).events == 3
    # The engine unreachable (a port nobody listens on): the poll logs and waits.
    probe = create_hardened_server(lambda env, start: [], GatewaySettings(port=0))
    dead = f"127.0.0.1:{int(probe.effective_port)}"
    probe.close()
    real, gw.gateway.engine = gw.gateway.engine, GrpcEngineClient(dead, {T: "gateway-token"})
    try:
        assert gw.worker().run_once() == 0
    finally:
        gw.gateway.engine.close()
        gw.gateway.engine = real
    assert gw.trail is not None
    trail = _FailingTrail(gw.trail, failures=1)
    worker = ErasurePropagation(gw.gateway, lambda: trail, [T], 60.0)  # type: ignore[arg-type,return-value]
    assert worker.run_once() == 0  # not acknowledged: the trail did not take the record
    assert [p.learner_id for p in gw.engine.pending_erasures(T)] == [LEARNER]
    assert worker.run_once() == 1
    assert gw.engine.pending_erasures(T) == []
    for needle in (LEARNER, SUB):
        assert _traces(stack, needle) == [], needle
    assert len(_propagated(gw, LEARNER)) == 1
