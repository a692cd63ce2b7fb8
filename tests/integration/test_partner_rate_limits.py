"""Per-tenant budgets on the routes partner apps call (issue 16): the OAuth token endpoint
(per client address, per claimed client id and per that client's tenant) and the statement
reads (per client address and per ingest tenant). Over real HTTP (waitress on port 0), on a
clock the test moves: a refusal is 429 with Retry-After and a JSON reason naming the bucket,
and one tenant (or one client) that spends its budget leaves the others theirs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from attune.gateway.app import Gateway, build_gateway, create_app
from attune.gateway.http_server import create_hardened_server
from attune.gateway.http_settings import HttpSettings, Rate, RateLimits
from attune.gateway.settings import DEV_ADMIN_TOKEN, GatewaySettings
from attune.gateway.stores import open_stores
from attune.gateway.web.rate_limit import RateLimiter
from attune.integrations.edges import gateway_edges
from tests.support.engine_server import ManualClock
from tests.unit.test_ingest import FakeEngine

pytestmark = pytest.mark.integration
A, B = "uni-a", "uni-b"
INGEST = {"ingest-a": A, "ingest-b": B}
XAPI = {"X-Experience-API-Version": "1.0.3"}
WIDE = Rate(burst=1000, per_second=100.0)  # a bucket that never refuses here
LIMITS = RateLimits(
    token_per_client=WIDE,
    token_per_client_id=Rate(burst=2, per_second=0.1),
    token_per_tenant=Rate(burst=4, per_second=0.5),
    reads_per_client=WIDE,
    reads_per_tenant=Rate(burst=3, per_second=1.0),
)


@dataclass
class Served:
    url: str
    gateway: Gateway
    clock: ManualClock

    def new_client(self, tenant: str) -> tuple[str, str]:
        reply = requests.post(
            f"{self.url}/admin/tenants/{tenant}/oauth-clients",
            json={"scopes": ["courses:read"]},
            headers={"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"},
            timeout=10,
        )
        assert reply.status_code == 201, reply.text
        return reply.json()["client_id"], reply.json()["client_secret"]

    def token(self, client_id: str, secret: str) -> requests.Response:
        return requests.post(
            f"{self.url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id, secret),
            timeout=10,
        )

    def read(self, token: str, method: str = "GET", **params: Any) -> requests.Response:
        return requests.request(
            method,
            f"{self.url}/xapi/statements",
            params=params,
            headers={**XAPI, "Authorization": f"Bearer {token}"},
            timeout=10,
        )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    settings = GatewaySettings(
        port=0,
        engine_tenants=[A, B],
        ingest_tokens=INGEST,
        http=HttpSettings(rate_limits=LIMITS),
    )
    clock = ManualClock()
    store, statements = open_stores("", tmp_path)
    engine = FakeEngine()
    holder: dict[str, Any] = {}
    server = create_hardened_server(lambda env, start: holder["app"](env, start), settings)
    url = f"http://127.0.0.1:{int(server.effective_port)}"
    gateway = build_gateway(
        settings, store, engine, url, statements, gateway_edges(), clock=clock.now
    )
    holder["app"] = create_app(gateway)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield Served(url, gateway, clock)
    finally:
        server.close()
        server.task_dispatcher.shutdown()
        thread.join(5)
        store.close()
        statements.close()
        engine.close()


def _refused(reply: requests.Response, names: str) -> None:
    assert reply.status_code == 429, reply.text
    assert int(reply.headers["Retry-After"]) >= 1
    body = reply.json()
    assert body["error"] == "rate_limited" and names in body["reason"], body


@pytest.mark.slow  # scrypt checks of secrets
def test_a_client_guessing_secrets_is_slowed_alone(served: Served) -> None:
    guessed, _ = served.new_client(A)
    other_id, other_secret = served.new_client(A)
    assert [served.token(guessed, "wrong").status_code for _ in range(2)] == [401, 401]
    refused = served.token(guessed, "wrong")  # its own bucket is spent: no scrypt check
    _refused(refused, f"OAuth client {guessed!r}")
    assert refused.headers["Retry-After"] == "10"  # one try at 0.1 per second
    # Another client of the same tenant still gets its token.
    assert served.token(other_id, other_secret).status_code == 200
    served.clock.t += 10.0
    assert served.token(guessed, "wrong").status_code == 401  # its bucket refilled by one


@pytest.mark.slow  # scrypt checks of secrets
def test_one_tenant_spending_its_token_budget_leaves_the_other_its_own(served: Served) -> None:
    clients = [served.new_client(A) for _ in range(3)]
    codes = [served.token(*c).status_code for c in clients for _ in range(2)]
    assert codes[:4] == [200] * 4 and codes[4:] == [429, 429]  # tenant A's burst of four
    _refused(served.token(*clients[2]), f"tenant {A!r}")
    other = served.new_client(B)
    assert [served.token(*other).status_code for _ in range(2)] == [200, 200]
    served.clock.t += 2.0  # one of tenant A's tokens back
    assert served.token(*clients[2]).status_code == 200


def test_statement_reads_are_budgeted_per_tenant(served: Served) -> None:
    assert [served.read("ingest-a").status_code for _ in range(2)] == [200, 200]
    assert served.read("ingest-a", "HEAD").status_code == 200  # HEAD counts as a read
    refused = served.read("ingest-a", attachments="true")
    _refused(refused, f"tenant {A!r}")
    assert "too many reads requests" in refused.json()["reason"]
    # Tenant B's reads are untouched by A's.
    assert [served.read("ingest-b").status_code for _ in range(3)] == [200, 200, 200]
    served.clock.t += 1.0
    assert served.read("ingest-a").status_code == 200


def test_a_refusing_bucket_charges_none_of_the_others() -> None:
    clock = ManualClock()
    limiter = RateLimiter(LIMITS, clock.now)
    assert limiter.check("token", "10.0.0.1", A, "c1") == (0.0, None)
    assert limiter.check("token", "10.0.0.1", A, "c1") == (0.0, None)
    wait, scope = limiter.check("token", "10.0.0.1", A, "c1")
    assert scope == "client_id" and wait == pytest.approx(10.0)
    for _ in range(5):  # refused attempts of c1 take nothing from tenant A
        assert limiter.check("token", "10.0.0.1", A, "c1")[1] == "client_id"
    assert limiter.check("token", "10.0.0.2", A, "c2") == (0.0, None)
    assert limiter.check("token", "10.0.0.2", A, "c3") == (0.0, None)
    assert limiter.check("token", "10.0.0.2", A, "c4")[1] == "tenant"  # 4 of A's burst of 4
