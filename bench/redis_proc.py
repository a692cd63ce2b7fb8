"""A private ``redis-server`` for the store benchmark: a free loopback port, a temp directory,
AOF with the fsync policy under test. Never the shared Redis on 6379."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from types import TracebackType
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

START_TIMEOUT_S = 20.0


class RedisProcess:
    """Context manager: a redis-server with ``appendfsync`` = ``fsync``, and its stats."""

    def __init__(self, fsync: str = "always") -> None:
        self.fsync = fsync
        self.port = 0
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def __enter__(self) -> RedisProcess:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self._dir = tempfile.TemporaryDirectory(prefix="attune-bench-redis-")
        options = {
            "port": str(self.port),
            "bind": "127.0.0.1",
            "save": "",
            "appendonly": "yes",
            "appendfsync": self.fsync,
            "dir": self._dir.name,
        }
        self._proc = subprocess.Popen(
            [binary, *(x for k, v in options.items() for x in (f"--{k}", v))],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                if self.client().ping():
                    return self
            except (redis.RedisError, OSError):
                time.sleep(0.02)
        self.__exit__(None, None, None)
        raise RuntimeError(f"redis-server on {self.port} did not start")

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, retry=Retry(NoBackoff(), 0), decode_responses=True)

    def counters(self) -> dict[str, float]:
        """What the server has done so far: socket reads (round trips), commands (script
        internals included), EVALSHA calls, and its CPU seconds."""
        with self.client() as c:
            stats: dict[str, Any] = c.info("stats")
            commands: dict[str, Any] = c.info("commandstats")
            cpu: dict[str, Any] = c.info("cpu")
        return {
            "reads": float(stats["total_reads_processed"]),
            "commands": float(stats["total_commands_processed"]),
            "evalsha": float(commands.get("cmdstat_evalsha", {}).get("calls", 0)),
            "cpu_s": float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"]),
        }

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(10)
            self._proc = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None
