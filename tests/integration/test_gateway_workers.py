"""``attune gateway --workers N`` (issue 17): N gateway processes on one HTTP port over one
Redis, supervised (gateway/supervisor.py on infra/supervisor.py). Real processes, a real
redis-server on a free port, real HTTP on fresh connections."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from attune.gateway.settings import DEV_ADMIN_TOKEN
from tests.support.redis_server import RedisServer, redis_server
from tests.support.supervised import START_S, Supervised, clean_env, gone

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ADMIN = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
REGISTRATION = {
    "issuer": "https://lms.example.edu",
    "client_id": "tool-1",
    "auth_login_url": "https://lms.example.edu/auth",
    "auth_token_url": "https://lms.example.edu/token",
    "key_set_url": "https://lms.example.edu/jwks",
    "deployment_ids": ["d1"],
}


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    with redis_server(tmp_path / "redis") as server:
        yield server


def _refused_on_fresh_connections(url: str, n: int) -> None:
    """``n`` unauthenticated admin writes, each on its own connection (so the kernel spreads
    them over the workers); each worker logs its refusal with ``worker=<i>``."""
    for _ in range(n):
        reply = requests.put(f"{url}/admin/tenants/default/registrations", json={}, timeout=30)
        assert reply.status_code == 401


def _workers_that_refused(sup: Supervised) -> set[int]:
    return {e["worker"] for e in sup.events("http.refused_before_body")}


def test_two_gateway_workers_serve_share_redis_restart_and_stop_cleanly(
    redis: RedisServer, tmp_path: Path
) -> None:
    cmd = [sys.executable, "-m", "attune", "gateway", "--workers", "2", "--store", redis.url]
    cmd += ["--port", "0", "--data-dir", str(tmp_path / "gw"), "--log-format", "json"]
    cmd += ["--engine-address", "127.0.0.1:1"]  # no engine: these requests need none
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env()
    )
    sup = Supervised(proc)
    sup.pump()
    try:
        line = sup.listening_line("attune gateway listening on")
        assert line.rstrip().endswith("(2 workers)")
        url = line.split()[4]
        started = {e["worker"]: e["pid"] for e in sup.events("supervisor.worker_started")}
        assert sorted(started) == [0, 1] and started[0] != started[1]

        _refused_on_fresh_connections(url, 24)
        sup.until(lambda: len(_workers_that_refused(sup)) == 2)  # both answered

        # What one worker stores, every worker reads: the state is in Redis.
        put = requests.put(
            f"{url}/admin/tenants/default/registrations",
            json=REGISTRATION,
            headers=ADMIN,
            timeout=30,
        )
        assert put.status_code == 200, put.text
        for _ in range(8):
            listed = requests.get(
                f"{url}/admin/tenants/default/registrations", headers=ADMIN, timeout=30
            )
            assert listed.status_code == 200
            assert REGISTRATION["issuer"] in listed.text

        # A killed worker is started again, and serves.
        first, other = started[0], started[1]
        os.kill(first, signal.SIGKILL)
        exited = sup.wait_for(
            lambda e: e.get("event") == "supervisor.worker_exited" and e.get("pid") == first
        )
        assert exited["status"] == -signal.SIGKILL and exited["restart_in_s"] > 0
        again = sup.wait_for(
            lambda e: (
                e.get("event") == "supervisor.worker_started"
                and e.get("worker") == 0
                and e["pid"] != first
            )
        )["pid"]
        with sup.lock:
            sup.lines.clear()
        deadline = time.monotonic() + START_S
        while 0 not in _workers_that_refused(sup) and time.monotonic() < deadline:
            _refused_on_fresh_connections(url, 4)
        assert 0 in _workers_that_refused(sup), "the restarted worker serves no request"
        assert [e["pid"] for e in sup.events("supervisor.worker_started")] == []  # no more

        # SIGTERM: both drain and stop, the supervisor exits 0.
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        assert gone(again) and gone(other)
        assert sorted(e["worker"] for e in sup.events("gateway.stopped")) == [0, 1]
        assert sup.events("supervisor.worker_killed") == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_gateway_workers_with_the_embedded_store_are_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "attune", "gateway", "--workers", "2", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=120,
    )
    assert done.returncode == 2
    assert "--workers 2 needs the Redis store" in done.stderr
    assert "gateway.db" in done.stderr and str(tmp_path) in done.stderr
    assert "Traceback" not in done.stderr and "listening on" not in done.stdout
    assert list(tmp_path.iterdir()) == []  # nothing was opened
