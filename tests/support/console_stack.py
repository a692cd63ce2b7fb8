"""The admin console's test stack: the real gateway app (embedded stores and audit trail in
a temporary folder, a fake engine) on the hardened HTTP server on a free port, with the
local OIDC provider allowed for two tenants, and sign-in helpers over real HTTP."""

from __future__ import annotations

import re
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
from tests.support.sso_idps import OidcProvider, authorize
from tests.unit.test_ingest import FakeEngine

TENANTS = ("uni", "other")
GROUPS = {"teachers": "instructor", "it-admins": "tenant_admin"}
USERS = {
    "root": {"name": "Ro Ot", "email": "it@uni.test", "groups": ["it-admins"]},
    "alice": {"name": "Alice Doe", "email": "alice@uni.test", "groups": ["teachers"]},
}
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def add_users(provider: OidcProvider) -> None:
    """The people of the tests: a tenant administrator and an instructor."""
    for sub, claims in USERS.items():
        provider.set_user(sub, claims)


@dataclass
class ConsoleGateway:
    url: str
    gateway: Gateway
    clock: ManualClock

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}", **kwargs.pop("headers", {})}
        return requests.request(method, self.url + path, headers=headers, timeout=10, **kwargs)

    def sign_in(self, sub: str, tenant: str = "uni") -> requests.Session:
        """A browser-like session signed in as ``sub`` through the OIDC provider."""
        http = requests.Session()
        start = http.get(f"{self.url}/sso/{tenant}/login/campus?next=/sso/me", timeout=10)
        me = authorize(http, start, sub)
        assert me.status_code == 200, me.text
        return http

    def post_form(
        self, http: requests.Session, path: str, data: dict[str, Any], origin: str | None = None
    ) -> requests.Response:
        """A form post as a browser on the console sends it (its own origin by default)."""
        headers = {"Origin": self.url if origin is None else origin} if origin != "" else {}
        return http.post(
            self.url + path, data=data, headers=headers, timeout=10, allow_redirects=False
        )


def csrf_of(page: requests.Response) -> str:
    """The CSRF token a console page's forms carry."""
    found = _CSRF.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


@contextmanager
def console_gateway(data_dir: Path, provider: OidcProvider) -> Iterator[ConsoleGateway]:
    """The gateway with plain-http cookies (``cookie_secure`` off, as http://127.0.0.1 needs),
    the provider ``campus`` allowed for both tenants, and the clock at the real time."""
    settings = GatewaySettings(
        port=0,
        data_dir=data_dir,
        engine_tokens={t: f"token-{t}" for t in TENANTS},
        sso=SsoSettings(cookie_secure=False),
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
    running = ConsoleGateway(url, gateway, clock)
    try:
        for tenant in TENANTS:
            reply = running.admin(
                "PUT",
                f"/admin/tenants/{tenant}/sso/providers/campus",
                json={
                    "protocol": "oidc",
                    "issuer": provider.issuer,
                    "client_id": "attune",
                    "client_secret": "s3cret",
                    "mapping": {"role": "groups", "roles": GROUPS},
                },
            )
            assert reply.status_code == 200, reply.text
        yield running
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
