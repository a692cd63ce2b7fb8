"""Real ``redis-server`` processes for the tests: one server, or a three-master cluster.

Every server runs on a free port in a temporary directory the test owns, with AOF and
``appendfsync always`` by default, and is killed and removed afterwards. The shared Redis on
6379 is never started, touched or flushed here.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

SHARED_PORT = 6379
_START_TIMEOUT_S = 20.0


def redis_binaries() -> tuple[str, str]:
    """Paths of ``redis-server`` and ``redis-cli``; fails in CI, skips elsewhere."""
    server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    if server and cli:
        return server, cli
    message = (
        "redis-server and redis-cli are needed for the Redis store tests "
        "(Debian: apt-get install redis-server)"
    )
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must run these tests", pytrace=False)
    pytest.skip(message)


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(with_bus: bool = False) -> int:
    """A free loopback port (and, for a cluster node, its bus port ``port + 10000``)."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port == SHARED_PORT or (with_bus and (port + 10000 > 65535)):
            continue
        if not with_bus or _port_free(port + 10000):
            return port
    raise RuntimeError("no free port found")


@dataclass
class RedisServer:
    """One ``redis-server`` this test process started."""

    port: int
    directory: Path
    appendfsync: str = "always"
    cluster: bool = False
    proc: subprocess.Popen[bytes] | None = None
    extra: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        server, _ = redis_binaries()
        cmd = [
            server,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "yes",
            "--appendfsync", self.appendfsync,
            "--dir", str(self.directory),
            "--logfile", str(self.directory / "redis.log"),
        ]  # fmt: skip
        if self.cluster:
            cmd += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]
        return [*cmd, *self.extra]

    def start(self) -> None:
        """Start (or restart, on the same port and directory) and wait for PING."""
        assert self.port != SHARED_PORT, "never run tests against the shared Redis"
        self.directory.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                log = (self.directory / "redis.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"redis-server on {self.port} exited: {log}")
            with suppress(redis.RedisError, OSError):
                if self.client().ping():
                    return
            time.sleep(0.02)
        raise RuntimeError(f"redis-server on {self.port} did not answer PING")

    def client(self) -> redis.Redis:
        """A synchronous client of this server only."""
        assert self.port != SHARED_PORT
        return redis.Redis(
            host="127.0.0.1", port=self.port, socket_timeout=5, retry=Retry(NoBackoff(), 0)
        )

    def stop(self, sig: int = signal.SIGKILL) -> None:
        """Stop the server with ``sig`` (SIGKILL: a crash; SIGTERM: a clean shutdown)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def flush(self) -> None:
        """Empty this server (ours, never the shared one)."""
        with self.client() as c:
            c.flushall()


@contextmanager
def redis_server(directory: Path, appendfsync: str = "always") -> Iterator[RedisServer]:
    """A standalone server on a free port with its AOF in ``directory``."""
    server = RedisServer(port=free_port(), directory=directory, appendfsync=appendfsync)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class RedisClusterNodes:
    """A local Redis Cluster of masters only."""

    nodes: list[RedisServer] = field(default_factory=list)

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def flush(self) -> None:
        for node in self.nodes:
            node.flush()


def _cluster_ok(node: RedisServer) -> bool:
    with node.client() as c:
        info = c.execute_command("CLUSTER", "INFO")
    text = info.decode() if isinstance(info, bytes) else str(info)
    return "cluster_state:ok" in text


@contextmanager
def redis_cluster(directory: Path, masters: int = 3) -> Iterator[RedisClusterNodes]:
    """``masters`` cluster-enabled servers joined with ``redis-cli --cluster create``."""
    _, cli = redis_binaries()
    cluster = RedisClusterNodes()
    try:
        for _ in range(masters):
            port = free_port(with_bus=True)
            node = RedisServer(port=port, directory=directory / str(port), cluster=True)
            node.start()
            cluster.nodes.append(node)
        create = [cli, "--cluster", "create", *[f"127.0.0.1:{n.port}" for n in cluster.nodes]]
        subprocess.run(
            [*create, "--cluster-replicas", "0", "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not all(_cluster_ok(n) for n in cluster.nodes):
            if time.monotonic() > deadline:
                raise RuntimeError("the cluster did not reach cluster_state:ok")
            time.sleep(0.05)
        yield cluster
    finally:
        for node in cluster.nodes:
            node.stop()
