"""The real gateway app (embedded store, a fake engine) served by the hardened HTTP server
on a free port, with an injected wall clock for the staff sign-in tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from attune.gateway.app import Gateway, build_gateway, create_app
from attune.gateway.http_server import create_hardened_server
from attune.gateway.http_settings import HttpSettings, RateLimits
from attune.gateway.settings import DEV_ADMIN_TOKEN, GatewaySettings
from attune.gateway.sso.settings import SsoSettings
from attune.gateway.stores import open_stores
from attune.integrations.edges import gateway_edges
from tests.support.engine_server import ManualClock
from tests.unit.test_ingest import FakeEngine


@dataclass
class SsoGateway:
    url: str
    gateway: Gateway
    clock: ManualClock

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
        return requests.request(method, self.url + path, headers=headers, timeout=10, **kwargs)

    def add_provider(self, tenant: str, provider_id: str, config: dict[str, Any]) -> None:
        reply = self.admin(
            "PUT", f"/admin/tenants/{tenant}/sso/providers/{provider_id}", json=config
        )
        assert reply.status_code == 200, reply.text


@contextmanager
def sso_gateway(data_dir: Path, **sso: Any) -> Iterator[SsoGateway]:
    """The gateway with plain-http cookies (``cookie_secure`` off, as http://127.0.0.1 needs)
    and the clock at the real time, moved only by the test."""
    settings = GatewaySettings(
        port=0,
        sso=SsoSettings(cookie_secure=False, **sso),
        http=HttpSettings(rate_limits=RateLimits(enabled=False)),
    )
    clock = ManualClock(time.time())
    store, statements = open_stores("", data_dir)
    engine = FakeEngine()
    holder: dict[str, Any] = {}
    server = create_hardened_server(
        lambda environ, start: holder["app"](environ, start), settings, clock.now
    )
    url = f"http://127.0.0.1:{int(server.effective_port)}"
    gateway = build_gateway(settings, store, engine, url, statements, gateway_edges())
    gateway.wall_clock = clock.now
    holder["app"] = create_app(gateway)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield SsoGateway(url, gateway, clock)
    finally:
        # Browsers keep connections alive: close them, or the server's loop runs on.
        for channel in list(server._map.values()):
            channel.close()
        server.close()
        server.task_dispatcher.shutdown()
        thread.join(5)
        store.close()
        statements.close()
        engine.close()
