"""``attune gateway --workers N`` (issue 17): N gateway processes on one HTTP port over one
Redis, supervised (gateway/supervisor.py on infra/supervisor.py). Real processes, a real
redis-server on a free port, real HTTP on fresh connections."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest
import requests

from attune.gateway.settings import DEV_ADMIN_TOKEN
from tests.support.redis_server import RedisServer, redis_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

START_S = 180.0  # bounds on waiting for a state, never assertions on time
ADMIN = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
REGISTRATION = {
    "issuer": "https://lms.example.edu",
    "client_id": "tool-1",
    "auth_login_url": "https://lms.example.edu/auth",
    "auth_token_url": "https://lms.example.edu/token",
    "key_set_url": "https://lms.example.edu/jwks",
    "deployment_ids": ["d1"],
}


@dataclass
class Supervised:
    """The supervisor process, its stdout and its (JSON) log lines as they come."""

    proc: subprocess.Popen[str]
    lines: list[dict[str, Any]] = field(default_factory=list)
    stdout: queue.Queue[str] = field(default_factory=queue.Queue)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def pump(self) -> None:
        assert self.proc.stdout is not None and self.proc.stderr is not None
        threading.Thread(target=self._out, args=(self.proc.stdout,), daemon=True).start()
        threading.Thread(target=self._err, args=(self.proc.stderr,), daemon=True).start()

    def _out(self, stream: IO[str]) -> None:
        for line in stream:
            self.stdout.put(line)

    def _err(self, stream: IO[str]) -> None:
        for line in stream:
            try:
                entry = json.loads(line)
            except ValueError:
                entry = {"event": "unstructured", "text": line}
            with self.lock:
                self.lines.append(entry)

    def listening_url(self) -> str:
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            try:
                line = self.stdout.get(timeout=1.0)
            except queue.Empty:
                assert self.proc.poll() is None, f"the supervisor exited: {self.lines[-5:]}"
                continue
            if line.startswith("attune gateway listening on"):
                assert line.rstrip().endswith("(2 workers)")
                return line.split()[4]
        raise AssertionError("the supervisor never listened")

    def events(self, name: str) -> list[dict[str, Any]]:
        with self.lock:
            return [e for e in self.lines if e.get("event") == name]

    def wait_for(self, what: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            with self.lock:
                found = [e for e in self.lines if what(e)]
            if found:
                return found[-1]
            time.sleep(0.05)
        raise AssertionError(f"no such log line; last lines: {self.lines[-5:]}")


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("ATTUNE_")}


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


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + START_S
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.05)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_two_gateway_workers_serve_share_redis_restart_and_stop_cleanly(
    redis: RedisServer, tmp_path: Path
) -> None:
    cmd = [sys.executable, "-m", "attune", "gateway", "--workers", "2", "--store", redis.url]
    cmd += ["--port", "0", "--data-dir", str(tmp_path / "gw"), "--log-format", "json"]
    cmd += ["--engine-address", "127.0.0.1:1"]  # no engine: these requests need none
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
    )
    sup = Supervised(proc)
    sup.pump()
    try:
        url = sup.listening_url()
        started = {e["worker"]: e["pid"] for e in sup.events("supervisor.worker_started")}
        assert sorted(started) == [0, 1] and started[0] != started[1]

        _refused_on_fresh_connections(url, 24)
        _until(lambda: len(_workers_that_refused(sup)) == 2)  # both answered

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
        assert _gone(again) and _gone(other)
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
        env=_env(),
        timeout=120,
    )
    assert done.returncode == 2
    assert "--workers 2 needs the Redis store" in done.stderr
    assert "gateway.db" in done.stderr and str(tmp_path) in done.stderr
    assert "Traceback" not in done.stderr and "listening on" not in done.stdout
    assert list(tmp_path.iterdir()) == []  # nothing was opened
