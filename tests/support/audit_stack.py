"""The gateway's app over a real engine (gRPC on port 0, in its own event loop thread, with
the audit interceptor), both writing one audit trail. Shared by the audit and erasure tests
(tests/integration/test_audit_gateway.py) and the whole-tenant stack
(tests/support/tenant_stack.py), which differ only in the engine they start."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from flask import Flask
from flask.testing import FlaskClient

from attune.engine.adapters.redis_store import RedisStore
from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.grpc.auth import StaticTokenAuthenticator
from attune.engine.grpc.server import RunningServer, build_engine, start_server
from attune.engine.limits_settings import TenantLimitSettings
from attune.engine.quota_setup import open_quotas
from attune.engine.tenant_setup import enable_tenant_admin
from attune.gateway.app import Gateway, build_gateway, create_app
from attune.gateway.engine_client import GrpcEngineClient
from attune.gateway.settings import GatewaySettings
from attune.gateway.stores import open_stores
from attune.infra.audit import AuditTrail, open_audit_log
from attune.integrations.edges import gateway_edges
from tests.support.courses import chain_course
from tests.support.engine_server import TOKENS

ADMIN = {"Authorization": "Bearer admin-secret"}
T = "tenant-a"
ISSUER = "https://lms.example.edu"


@dataclass
class Stack:
    http: FlaskClient
    app: Flask
    gateway: Gateway
    engine: GrpcEngineClient
    root: Path
    redis: Any = None


class Live(Stack):
    """The stack, with the engine's server and loop (for its caches and its gate)."""

    running: RunningServer
    loop: asyncio.AbstractEventLoop

    def on_engine(self, work: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=60)


async def _start_engine(root: Path, url: str, tenant_engine: bool) -> RunningServer:
    """The plain engine keeps its data in SQLite under ``root`` whatever ``url`` is (only the
    audit trail and the gateway use the Redis); the tenant engine uses the Redis too, and
    has its quotas and TenantService on."""
    if not tenant_engine:
        engine = build_engine(SqliteStore.open(root / "attune.db"))
    else:
        store: Any = (
            await RedisStore.open(url, sweep_seconds=0)
            if url
            else SqliteStore.open(root / "attune.db")
        )
        engine = build_engine(store)
        engine.quotas = await open_quotas(store, TenantLimitSettings())
        enable_tenant_admin(engine, store)
    trail = AuditTrail(open_audit_log(url, root))  # the gateway's trail too
    return await start_server(engine, StaticTokenAuthenticator(TOKENS), "127.0.0.1", 0, audit=trail)


@contextmanager
def gateway_over_engine(root: Path, url: str = "", *, tenant_engine: bool) -> Iterator[Live]:
    """The stack over ``root`` (embedded stores) or the Redis at ``url``."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    running = asyncio.run_coroutine_threadsafe(
        _start_engine(root, url, tenant_engine), loop
    ).result(timeout=30)
    settings = GatewaySettings(
        admin_token="admin-secret",
        engine_tokens={T: "token-a"},
        data_dir=root,
        store_url=url,
    )
    store, statements = open_stores(url, root)
    # token-b too: tests put a second tenant's data into the engine through this client
    client = GrpcEngineClient(
        f"127.0.0.1:{running.port}", {**settings.engine_tokens, "tenant-b": "token-b"}
    )
    gateway = build_gateway(settings, store, client, "http://gw.test", statements, gateway_edges())
    app = create_app(gateway)
    client.put_course(T, chain_course("chain"))
    raw = redis.Redis.from_url(url, decode_responses=True) if url else None
    stack = Live(app.test_client(), app, gateway, client, root, raw)
    stack.running, stack.loop = running, loop
    try:
        yield stack
    finally:
        if raw is not None:
            raw.close()
        client.close()
        store.close()
        statements.close()
        asyncio.run_coroutine_threadsafe(running.stop(1.0), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
