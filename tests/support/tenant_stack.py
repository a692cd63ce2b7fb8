"""The live stack of the whole-tenant tests and benchmark (issue 16): a real engine on port 0
(TenantService and quotas on, over the embedded store or Redis) in its own event loop thread,
and the gateway's app in front of it on the matching store, sharing one audit trail."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis

from attune.engine.adapters.redis_store import RedisStore
from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.grpc.auth import StaticTokenAuthenticator
from attune.engine.grpc.server import RunningServer, build_engine, start_server
from attune.engine.limits_settings import TenantLimitSettings
from attune.engine.quota_setup import open_quotas
from attune.engine.tenant_setup import enable_tenant_admin
from attune.gateway.app import build_gateway, create_app
from attune.gateway.engine_client import GrpcEngineClient
from attune.gateway.settings import GatewaySettings
from attune.gateway.stores import open_stores
from attune.infra.audit import AuditTrail, open_audit_log
from attune.integrations.edges import gateway_edges
from tests.integration.test_audit_gateway import Stack, T
from tests.support.courses import chain_course
from tests.support.engine_server import TOKENS


class Live(Stack):
    """The stack, with the engine's server and loop (for its caches and its gate)."""

    running: RunningServer
    loop: asyncio.AbstractEventLoop

    def on_engine(self, work: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=60)


@contextmanager
def live_stack(tmp_path: Path, url: str = "") -> Iterator[Live]:
    """The stack over ``tmp_path`` (embedded stores) or the Redis at ``url``."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> RunningServer:
        store: Any = (
            await RedisStore.open(url, sweep_seconds=0)
            if url
            else SqliteStore.open(tmp_path / "attune.db")
        )
        engine = build_engine(store)
        engine.quotas = await open_quotas(store, TenantLimitSettings())
        enable_tenant_admin(engine, store)
        trail = AuditTrail(open_audit_log(url, tmp_path))
        return await start_server(
            engine, StaticTokenAuthenticator(TOKENS), "127.0.0.1", 0, audit=trail
        )

    running = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
    settings = GatewaySettings(
        admin_token="admin-secret",
        engine_tokens={T: "token-a"},
        data_dir=tmp_path,
        store_url=url,
    )
    store, statements = open_stores(url, tmp_path)
    # token-b too: tests put a second tenant's data into the engine through this client
    client = GrpcEngineClient(
        f"127.0.0.1:{running.port}", {**settings.engine_tokens, "tenant-b": "token-b"}
    )
    gateway = build_gateway(settings, store, client, "http://gw.test", statements, gateway_edges())
    app = create_app(gateway)
    client.put_course(T, chain_course("chain"))
    raw = redis.Redis.from_url(url, decode_responses=True) if url else None
    stack = Live(app.test_client(), app, gateway, client, tmp_path, raw)
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
