"""Partner apps end to end (issue 16 part 1): a real gateway HTTP server (waitress on port 0,
its embedded store) issuing tokens, and a real engine (grpc.aio on port 0) that checks them
against the gateway's JWKS over HTTP, on a clock the test moves."""

from __future__ import annotations

import base64
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.grpc.auth import ChainAuthenticator
from attune.engine.grpc.jwt_auth import HttpJwksFetcher, JwksCache, JwtAuthenticator, JwtPolicy
from attune.engine.grpc.server import RunningServer, build_engine, start_server
from attune.engine.v1 import (
    course_pb2_grpc,
    events_pb2_grpc,
    learner_pb2_grpc,
)
from attune.gateway.app import Gateway, build_gateway, create_app
from attune.gateway.http_server import create_hardened_server
from attune.gateway.http_settings import HttpSettings, RateLimits
from attune.gateway.settings import DEV_ADMIN_TOKEN, GatewaySettings
from attune.gateway.stores import open_stores
from attune.integrations.edges import gateway_edges
from tests.support.engine_server import ManualClock
from tests.unit.test_ingest import FakeEngine

AUDIENCE = "attune-engine"
ADMIN = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}


@dataclass
class OAuthStack:
    url: str
    gateway: Gateway
    running: RunningServer
    channel: grpc.aio.Channel
    courses: course_pb2_grpc.CourseServiceStub
    learners: learner_pb2_grpc.LearnerServiceStub
    events: events_pb2_grpc.EventServiceStub
    jwks: JwksCache
    clock: ManualClock  # the engine's

    @property
    def token_url(self) -> str:
        return f"{self.url}/oauth/token"

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(method, self.url + path, headers=ADMIN, timeout=10, **kwargs)

    def new_client(self, tenant: str, scopes: list[str], **extra: Any) -> dict[str, Any]:
        reply = self.admin(
            "POST", f"/admin/tenants/{tenant}/oauth-clients", json={"scopes": scopes, **extra}
        )
        assert reply.status_code == 201, reply.text
        return dict(reply.json())

    def token(self, client: dict[str, Any], scope: str | None = None) -> requests.Response:
        """A token request with client_secret_basic."""
        data = {"grant_type": "client_credentials"}
        if scope is not None:
            data["scope"] = scope
        return requests.post(
            self.token_url,
            data=data,
            auth=(client["client_id"], client["client_secret"]),
            timeout=10,
        )

    def access_token(self, client: dict[str, Any], scope: str | None = None) -> str:
        reply = self.token(client, scope)
        assert reply.status_code == 200, reply.text
        return str(reply.json()["access_token"])


def bearer(token: str) -> tuple[tuple[str, str]]:
    return (("authorization", f"Bearer {token}"),)


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    numbers = key.public_key().public_numbers()

    def b64(n: int) -> str:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": b64(numbers.n),
            "e": b64(numbers.e)}  # fmt: skip


def client_assertion(key: rsa.RSAPrivateKey, kid: str, client_id: str, audience: str) -> str:
    """A private_key_jwt assertion (RFC 7523 §3)."""
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": audience, "iat": now,
              "exp": now + 60, "jti": uuid.uuid4().hex}  # fmt: skip
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


@asynccontextmanager
async def oauth_stack(root: Path, min_refetch_s: float = 10.0) -> AsyncIterator[OAuthStack]:
    """The gateway (HTTP, port 0) and an engine (gRPC, port 0) that accepts only its JWTs."""
    settings = GatewaySettings(port=0, http=HttpSettings(rate_limits=RateLimits(enabled=False)))
    store, statements = open_stores("", root / "gateway")
    unused = FakeEngine()
    holder: dict[str, Any] = {}
    server = create_hardened_server(lambda env, start: holder["app"](env, start), settings)
    url = f"http://127.0.0.1:{int(server.effective_port)}"
    gateway = build_gateway(settings, store, unused, url, statements, gateway_edges())
    holder["app"] = create_app(gateway)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()

    clock = ManualClock(time.time())
    cache = JwksCache(f"{url}/lti/jwks", HttpJwksFetcher(5.0), clock.now, 300.0, min_refetch_s)
    auth = ChainAuthenticator(None, [JwtAuthenticator(cache, JwtPolicy(url, AUDIENCE), clock.now)])
    engine = build_engine(SqliteStore.open(root / "attune.db"))
    running = await start_server(engine, auth, "127.0.0.1", 0)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{running.port}")
    try:
        yield OAuthStack(
            url,
            gateway,
            running,
            channel,
            course_pb2_grpc.CourseServiceStub(channel),
            learner_pb2_grpc.LearnerServiceStub(channel),
            events_pb2_grpc.EventServiceStub(channel),
            cache,
            clock,
        )
    finally:
        await channel.close()
        await running.stop(0.5)
        server.close()
        server.task_dispatcher.shutdown()
        thread.join(5)
        store.close()
        statements.close()
        unused.close()
