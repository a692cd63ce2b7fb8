"""The gateway's HTTP server under slow and greedy clients (issue 11): slow headers are cut off
on a deadline while everyone else is served (item 4), bodies are refused before they are
read (item 5), and unauthenticated session starts are rate limited (item 16).

The app is the real one over embedded stores, served by the real (hardened) waitress server
on a free port, with an injected clock for the deadlines and the rate limits."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient

from attune.gateway.app import Gateway, build_gateway, create_app
from attune.gateway.http_server import HardenedServer, create_hardened_server
from attune.gateway.http_settings import KIB, BodyLimits, HttpSettings, Rate, RateLimits
from attune.gateway.ports import Registration
from attune.gateway.settings import DEV_ADMIN_TOKEN, GatewaySettings
from attune.gateway.sqlite_store import SqliteGatewayStore
from attune.gateway.stores import open_stores
from attune.integrations.edges import gateway_edges
from tests.support.engine_server import ManualClock
from tests.unit.test_ingest import FakeEngine

pytestmark = pytest.mark.integration

INGEST_TOKEN = "tok-ingest"
ISSUER = "https://lms.uni.example.edu"
SLOW_CLIENTS = 300
WAIT_S = 20  # a safety net for reads, never an assertion


@dataclass
class Served:
    url: str
    address: tuple[str, int]
    server: HardenedServer
    gateway: Gateway
    clock: ManualClock
    data_dir: Path

    def kv_rows(self) -> int:
        """Rows in the embedded store's key-value table (states, nonces, sessions)."""
        with sqlite3.connect(self.data_dir / "gateway.db") as db:
            return int(db.execute("SELECT count(*) FROM kv").fetchone()[0])


def _settings(**http: object) -> GatewaySettings:
    return GatewaySettings(
        port=0,
        ingest_tokens={INGEST_TOKEN: "default"},
        http=HttpSettings(body_limits=BodyLimits(xapi=64 * KIB), **http),  # type: ignore[arg-type]
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    settings = _settings(
        rate_limits=RateLimits(
            sessions_per_client=Rate(burst=3, per_second=0.5),
            sessions_per_tenant=Rate(burst=5, per_second=1.0),
        )
    )
    clock = ManualClock()
    store, statements = open_stores("", tmp_path)
    engine = FakeEngine()  # serves the "demo" course; nothing here records
    holder: dict[str, object] = {}
    server = create_hardened_server(
        lambda environ, start: holder["app"](environ, start),  # type: ignore[operator]
        settings,
        clock.now,
    )
    port = int(server.effective_port)
    url = f"http://127.0.0.1:{port}"
    gateway = build_gateway(
        settings, store, engine, url, statements, gateway_edges(), clock=clock.now
    )
    holder["app"] = create_app(gateway)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield Served(url, ("127.0.0.1", port), server, gateway, clock, tmp_path)
    finally:
        server.close()
        server.task_dispatcher.shutdown()
        thread.join(5)
        store.close()
        statements.close()
        engine.close()


def _closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closed ``sock`` without answering (EOF or reset)."""
    sock.settimeout(WAIT_S)
    try:
        return sock.recv(4096) == b""
    except ConnectionResetError:
        return True


def _answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    sock.settimeout(WAIT_S)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


# -- item 4: slow clients -----------------------------------------------------------------------


def _settle(served: Served) -> object:
    """GET /healthz on a new connection. Bytes sent before it are in the server's hands once
    it is answered (they were ready when its connection was accepted), so the clock moved
    after this never predates them."""
    reply = requests.get(served.url + "/healthz", timeout=WAIT_S)
    assert reply.status_code == 200
    return reply.json()


@pytest.mark.slow
def test_trickling_headers_are_cut_off_and_everyone_else_is_served(served: Served) -> None:
    slow = [socket.create_connection(served.address) for _ in range(SLOW_CLIENTS)]
    try:
        for sock in slow:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: gw\r\n")
        for sock in slow:
            sock.sendall(b"X-Trickle: 1\r\n")  # active, so waitress's idle timeout never fires
        # Three times waitress's old connection limit are open, and a normal client is served.
        assert _settle(served) == {"status": "ok"}

        served.clock.t += served.gateway.settings.http.header_timeout_seconds + 1
        late = socket.create_connection(served.address)  # its first byte comes after the move
        late.sendall(b"GET /healthz HTTP/1.1\r\nHost: gw\r\n")
        for sock in slow:
            sock.sendall(b"X-Trickle: 2\r\n")  # still trickling: the deadline counts anyway
        assert all(_closed_by_server(sock) for sock in slow)

        late.sendall(b"Connection: close\r\n\r\n")
        assert _answer(late).startswith(b"HTTP/1.1 200")
        late.close()
    finally:
        for sock in slow:
            sock.close()


def test_a_body_must_arrive_within_the_request_deadline(served: Served) -> None:
    sock = socket.create_connection(served.address)
    sock.sendall(
        b"POST /xapi/statements HTTP/1.1\r\nHost: gw\r\n"
        + f"Authorization: Bearer {INGEST_TOKEN}\r\nContent-Type: application/json\r\n".encode()
        + b"Content-Length: 1000\r\n\r\n[{"
    )
    _settle(served)
    served.clock.t += served.gateway.settings.http.request_timeout_seconds + 1
    sock.sendall(b'"a')  # activity does not help
    assert _closed_by_server(sock)
    sock.close()


# -- item 5: bodies refused before they are read ------------------------------------------------

GIB = 1 << 30


def _refusal(
    address: tuple[str, int], head: str, first_bytes: bytes = b'[{"id": '
) -> tuple[int, bytes]:
    """Send ``head`` and a few bytes of the body it announces, then read the answer."""
    with socket.create_connection(address) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + first_bytes)
        answer = _answer(sock)
    status = int(answer.split(b" ", 2)[1])
    return status, answer.partition(b"\r\n\r\n")[2]


@pytest.fixture
def address(served: Served) -> tuple[str, int]:
    return served.address


def _post(path: str, *headers: str, method: str = "POST") -> str:
    return "\n".join([f"{method} {path} HTTP/1.1", "Host: gw", *(h for h in headers if h), ""])


JSON = "Content-Type: application/json"
XAPI = "X-Experience-API-Version: 1.0.3"


@pytest.mark.parametrize(
    "auth",
    ["", "Authorization: Bearer wrong", "Authorization: Basic Og==", "Authorization: tok-ingest"],
)
def test_an_unauthenticated_gigabyte_gets_401_before_its_body_is_read(
    served: Served, address: tuple[str, int], auth: str
) -> None:
    headers = [h for h in (auth, JSON, XAPI, f"Content-Length: {GIB}") if h]
    for path in ("/xapi/statements", "/caliper"):
        status, body = _refusal(address, _post(path, *headers))
        assert status == 401, body
        assert b'"error": "unauthorized"' in body
    status, body = _refusal(
        address,
        _post(
            "/admin/tenants/default/registrations",
            auth,
            JSON,
            f"Content-Length: {GIB}",
            method="PUT",
        ),
    )
    assert status == 401 and b"admin token" in body


def test_no_100_continue_for_a_refused_body(served: Served, address: tuple[str, int]) -> None:
    status, body = _refusal(
        address,
        _post("/xapi/statements", JSON, XAPI, "Expect: 100-continue", f"Content-Length: {GIB}"),
        b"",
    )
    assert status == 401, body  # the first status line sent is the refusal, not 100 Continue


def test_a_body_over_its_routes_cap_gets_413_naming_the_limit(
    served: Served, address: tuple[str, int]
) -> None:
    auth = f"Authorization: Bearer {INGEST_TOKEN}"
    status, body = _refusal(
        address, _post("/xapi/statements", auth, JSON, XAPI, f"Content-Length: {GIB}")
    )
    assert status == 413, body
    assert b"payload_too_large" in body and b"the limit is 65536 bytes" in body
    status, body = _refusal(
        address, _post("/practice/some-token/answer", f"Content-Length: {16 * KIB + 1}"), b"answer="
    )
    assert status == 413 and b"the limit is 16384 bytes" in body
    status, body = _refusal(
        address, _post("/lti/launch", f"Content-Length: {64 * KIB + 1}"), b"id_"
    )
    assert status == 413 and b"the limit is 65536 bytes" in body
    admin = f"Authorization: Bearer {DEV_ADMIN_TOKEN}"
    status, body = _refusal(
        address,
        _post(
            "/admin/tenants/t/registrations", admin, JSON, f"Content-Length: {GIB}", method="PUT"
        ),
    )
    assert status == 413 and b"the limit is 1048576 bytes" in body


def test_a_chunked_body_is_cut_off_at_the_cap(served: Served, address: tuple[str, int]) -> None:
    head = _post(
        "/xapi/statements",
        f"Authorization: Bearer {INGEST_TOKEN}",
        JSON,
        XAPI,
        "Transfer-Encoding: chunked",
    )
    chunk = b"x" * 8192
    body = (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * 9  # 72 KiB, over the 64 KiB cap
    status, answer = _refusal(address, head, body)
    assert status == 413 and b"payload_too_large" in answer


def test_an_ingest_post_without_a_length_gets_411(served: Served, address: tuple[str, int]) -> None:
    auth = f"Authorization: Bearer {INGEST_TOKEN}"
    status, body = _refusal(
        address, _post("/xapi/statements", auth, JSON, XAPI, "Connection: close"), b""
    )
    assert status == 411 and b"length_required" in body


def test_a_body_within_its_cap_still_goes_through(served: Served) -> None:
    reply = requests.post(
        served.url + "/xapi/statements",
        data=b"[" + b" " * (60 * KIB) + b"]",
        headers={
            "Authorization": f"Bearer {INGEST_TOKEN}",
            "Content-Type": "application/json",
            "X-Experience-API-Version": "1.0.3",
        },
        timeout=WAIT_S,
    )
    assert reply.status_code == 200, reply.text  # read whole: an empty batch
    assert reply.json() == []


# -- item 16: rate limits -----------------------------------------------------------------------


def _register(gateway: Gateway) -> None:
    gateway.store.put_registration(
        Registration(
            tenant="default",
            issuer=ISSUER,
            client_id="client-1",
            auth_login_url=f"{ISSUER}/auth",
            auth_token_url=f"{ISSUER}/token",
            key_set_url=f"{ISSUER}/jwks",
            deployment_ids=("dep-1",),
        )
    )


def _login(client: FlaskClient, ip: str) -> int:
    reply = client.get(
        "/lti/login",
        query_string={
            "iss": ISSUER,
            "client_id": "client-1",
            "login_hint": "u1",
            "target_link_uri": "http://127.0.0.1/lti/launch",
        },
        environ_base={"REMOTE_ADDR": ip},
    )
    return reply.status_code


def test_a_burst_of_demo_sessions_gets_429_and_writes_nothing(served: Served) -> None:
    client = create_app(served.gateway).test_client()
    first = [client.get("/demo", environ_base={"REMOTE_ADDR": "10.0.0.1"}) for _ in range(3)]
    assert [r.status_code for r in first] == [303, 303, 303]
    rows = served.kv_rows()
    per_session = rows // 3  # a session and its first question
    assert per_session >= 1
    refused = client.get("/demo", environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "2"  # one token at 0.5 per second
    assert "too many sessions requests" in refused.text
    assert served.kv_rows() == rows  # the refused request wrote nothing

    served.clock.t += 2.0  # the bucket refills
    assert client.get("/demo", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 303
    assert served.kv_rows() == rows + per_session


def test_logins_are_limited_per_client_and_per_tenant(served: Served) -> None:
    _register(served.gateway)
    client = create_app(served.gateway).test_client()
    assert [_login(client, "10.0.0.1") for _ in range(3)] == [302, 302, 302]
    rows = served.kv_rows()
    assert rows >= 3
    assert _login(client, "10.0.0.1") == 429  # this client's burst is spent
    # Another client of the same tenant: two more fit the tenant's burst of five.
    assert [_login(client, "10.0.0.2") for _ in range(3)] == [302, 302, 429]
    reply = client.get(
        "/lti/login",
        query_string={
            "iss": ISSUER,
            "client_id": "client-1",
            "login_hint": "u",
            "target_link_uri": "x",
        },
        environ_base={"REMOTE_ADDR": "10.0.0.3"},
    )
    assert reply.status_code == 429 and reply.headers["Retry-After"] == "1"  # the tenant's
    after_refusals = served.kv_rows()
    assert _login(client, "10.0.0.4") == 429
    assert served.kv_rows() == after_refusals

    served.clock.t += 1.0  # one tenant token back
    assert _login(client, "10.0.0.4") == 302


def test_over_http_a_refusal_carries_retry_after(served: Served) -> None:
    replies = [
        requests.get(served.url + "/demo", allow_redirects=False, timeout=WAIT_S) for _ in range(4)
    ]
    assert [r.status_code for r in replies] == [303, 303, 303, 429]
    assert replies[-1].headers["Retry-After"] == "2"


def test_ingest_is_limited_per_tenant(tmp_path: Path) -> None:
    settings = _settings(rate_limits=RateLimits(ingest_per_tenant=Rate(burst=2, per_second=1.0)))
    clock = ManualClock()
    engine = FakeEngine()
    store, statements = open_stores("", tmp_path)
    gateway = build_gateway(
        settings, store, engine, "http://gw", statements, gateway_edges(), clock=clock.now
    )
    client = create_app(gateway).test_client()
    headers = {"Authorization": f"Bearer {INGEST_TOKEN}", "X-Experience-API-Version": "1.0.3"}
    codes = [
        client.post(
            "/xapi/statements", json=[], headers=headers, environ_base={"REMOTE_ADDR": ip}
        ).status_code
        for ip in ("10.0.0.1", "10.0.0.2", "10.0.0.3")
    ]
    assert codes == [200, 200, 429]  # the tenant's burst of two, from three clients
    store.close()
    statements.close()
    engine.close()
    assert isinstance(store, SqliteGatewayStore)


@pytest.mark.parametrize("kind", ["outbox", "statements"])
def test_a_replay_of_an_id_past_64_bits_is_404(served: Served, kind: str) -> None:
    client = create_app(served.gateway).test_client()
    reply = client.post(
        f"/admin/tenants/default/{kind}/{2**80}/replay",
        headers={"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"},
    )
    assert reply.status_code == 404 and reply.json is not None
    assert reply.json["error"] == "not_found"


def _ok(environ: dict[str, object], start: Any) -> list[bytes]:
    start("200 OK", [("Content-Length", "2")])
    return [b"ok"]


def test_a_stop_closes_idle_keep_alive_connections() -> None:
    # waitress's loop runs until its last connection closes: an idle keep-alive client used
    # to hold every stop for its whole grace (5 s in RunningGateway.stop). shut_down closes
    # the idle connections, and the busy ones once their answer is out.
    server = create_hardened_server(_ok, _settings())
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    client = requests.Session()
    try:
        url = f"http://127.0.0.1:{int(server.effective_port)}/"
        assert client.get(url, timeout=WAIT_S).text == "ok"  # the connection stays open
        assert len(server.active_channels) == 1
        server.shut_down(WAIT_S)
        thread.join(WAIT_S)  # a safety net: the loop ends once the idle client is closed
        assert not thread.is_alive()
        assert not server.active_channels
    finally:
        server.task_dispatcher.shutdown()
        client.close()


def test_a_stop_lets_a_request_in_progress_finish_then_closes_its_connection() -> None:
    started, release = threading.Event(), threading.Event()

    def slow(environ: dict[str, object], start: Any) -> list[bytes]:
        started.set()
        release.wait(WAIT_S)
        start("200 OK", [("Content-Length", "4")])
        return [b"done"]

    server = create_hardened_server(slow, _settings())
    loop = threading.Thread(target=server.run, daemon=True)
    loop.start()
    url = f"http://127.0.0.1:{int(server.effective_port)}/"
    answers: list[str] = []
    asker = threading.Thread(target=lambda: answers.append(requests.get(url, timeout=WAIT_S).text))
    asker.start()
    try:
        assert started.wait(WAIT_S)
        stopper = threading.Thread(target=server.shut_down, args=(WAIT_S,))
        stopper.start()
        for _ in range(WAIT_S * 100):  # until the stop has begun (a state, not a timing)
            if server.stopping:
                break
            time.sleep(0.01)
        assert server.stopping
        release.set()  # the request finishes during the stop
        for thread in (asker, stopper, loop):
            thread.join(WAIT_S)
            assert not thread.is_alive()
        assert answers == ["done"]  # answered in full, then closed
        assert not server.active_channels
    finally:
        release.set()
        server.task_dispatcher.shutdown()
