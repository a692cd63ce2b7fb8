"""``attune engine --workers N`` (issue 17): real processes on a real redis-server. Two
workers both serve on one port, a killed worker is started again, SIGTERM stops everything
cleanly; with the embedded store N > 1 is refused, naming why."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from attune.engine.v1 import course_pb2, course_pb2_grpc
from tests.support.courses import chain_course
from tests.support.redis_server import RedisServer, _port_free, free_port, redis_server
from tests.support.supervised import Supervised, clean_env, gone

pytestmark = [pytest.mark.integration, pytest.mark.slow]

META = (("authorization", "Bearer dev-token"),)


def _metrics_base() -> int:
    """A free port whose successor is free too (worker i serves metrics on base + i)."""
    for _ in range(100):
        port = free_port()
        if port < 65535 and _port_free(port + 1):
            return port
    raise RuntimeError("no two consecutive free ports")


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    with redis_server(tmp_path / "redis") as server:
        yield server


def _metric_count(port: int, method: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as reply:
        text = reply.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith("attune_engine_rpc_duration_seconds_count") and method in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def _get_course_on_fresh_connections(port: int, n: int) -> None:
    """``n`` calls, each on its own TCP connection (a local subchannel pool per channel), so
    that the kernel spreads them over the workers."""
    for _ in range(n):
        with grpc.insecure_channel(
            f"127.0.0.1:{port}", options=[("grpc.use_local_subchannel_pool", 1)]
        ) as channel:
            stub = course_pb2_grpc.CourseServiceStub(channel)
            reply = stub.GetCourse(
                course_pb2.GetCourseRequest(course_id="chain"), metadata=META, timeout=30
            )
            assert reply.course.course_id == "chain"


def test_two_workers_serve_restart_and_stop_cleanly(redis: RedisServer) -> None:
    metrics = _metrics_base()
    cmd = [sys.executable, "-m", "attune", "engine", "--workers", "2", "--store", redis.url]
    cmd += ["--port", "0", "--no-demo", "--log-format", "json"]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(ATTUNE_METRICS_PORT=str(metrics), ATTUNE_GRACE_SECONDS="2"),
    )
    sup = Supervised(proc)
    sup.pump()
    try:
        port = int(sup.listening_line("attune engine listening on").split(":")[1].split()[0])
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            course_pb2_grpc.CourseServiceStub(channel).PutCourse(
                course_pb2.PutCourseRequest(course=chain_course()), metadata=META, timeout=30
            )
        _get_course_on_fresh_connections(port, 24)
        method = "GetCourse"
        assert _metric_count(metrics, method) > 0, "worker 0 served no call"
        assert _metric_count(metrics + 1, method) > 0, "worker 1 served no call"
        assert _metric_count(metrics, method) + _metric_count(metrics + 1, method) == 24
        # Each worker sheds load by default: its admission gate is wired to its metrics.
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics + 1}/metrics", timeout=10) as r:
            assert 'attune_engine_in_flight{class="tutoring"} 0.0' in r.read().decode()

        def started(worker: int) -> list[int]:
            with sup.lock:
                return [
                    e["pid"]
                    for e in sup.lines
                    if e.get("event") == "supervisor.worker_started" and e.get("worker") == worker
                ]

        first = started(0)[0]
        other = started(1)[0]
        os.kill(first, signal.SIGKILL)
        exited = sup.wait_for(
            lambda e: e.get("event") == "supervisor.worker_exited" and e.get("pid") == first
        )
        assert exited["status"] == -signal.SIGKILL and exited["restart_in_s"] > 0
        sup.wait_for(
            lambda e: (
                e.get("event") == "supervisor.worker_started"
                and e["pid"] != first
                and e.get("worker") == 0
            )
        )
        restarted = started(0)[-1]
        assert restarted != first and started(1) == [other]
        sup.wait_for(
            lambda e: (
                e.get("event") == "metrics.listening"
                and e.get("worker") == 0
                and len([x for x in sup.lines if x.get("event") == "metrics.listening"]) >= 3
            )
        )
        _get_course_on_fresh_connections(port, 24)
        assert _metric_count(metrics, method) > 0, "the restarted worker serves no call"

        # SIGHUP (reload the DKT models) is passed on, and kills nothing.
        proc.send_signal(signal.SIGHUP)
        assert sup.wait_for(lambda e: e.get("event") == "supervisor.hangup")["workers"] == 2
        _get_course_on_fresh_connections(port, 8)
        assert proc.poll() is None
        assert not [e for e in sup.lines if e.get("status") == -signal.SIGHUP]

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        assert gone(restarted) and gone(other)
        stopped = [e for e in sup.lines if e.get("event") == "server.stopped"]
        assert sorted(e["worker"] for e in stopped) == [0, 1]  # both drained, neither killed
        assert not [e for e in sup.lines if e.get("event") == "supervisor.worker_killed"]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_workers_with_the_embedded_store_are_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "attune", "engine", "--workers", "2", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=120,
    )
    assert done.returncode == 2
    assert "--workers 2 needs the Redis store" in done.stderr
    assert str(tmp_path) in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # nothing was opened


def test_a_worker_that_cannot_start_stops_the_whole_start(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "attune", "engine", "--workers", "2", "--port", "0"]
    done = subprocess.run(
        [*cmd, "--store", "redis://127.0.0.1:1/0", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=120,
    )
    assert done.returncode == 2
    assert "Redis does not answer" in done.stderr  # the worker's own message
    assert "exited with status 2 before listening" in done.stderr
    assert "Traceback" not in done.stderr and "listening on" not in done.stdout
