"""Run ``attune serve``, ``attune engine`` or ``attune gateway`` as a real child process and
find the address it bound."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

TOKEN_META = (("authorization", "Bearer dev-token"),)
_LISTENING = re.compile(r"engine listening on ([\d.]+):(\d+)")
_GATEWAY_LISTENING = re.compile(r"gateway listening on (\S+)")


@dataclass(kw_only=True)
class ChildProcess:
    """A running ``attune`` command. Its stderr is drained in the background (a full pipe
    would block its logging) and its last lines kept for diagnostics."""

    proc: subprocess.Popen[str]
    log_tail: deque[str] = field(default_factory=lambda: deque(maxlen=200))

    def __post_init__(self) -> None:
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.log_tail.append(line.rstrip("\n"))

    def kill(self) -> None:
        """SIGKILL: no chance to flush anything."""
        self.proc.kill()
        self.proc.wait(10)

    def terminate(self, timeout: float = 20) -> int:
        """SIGTERM and wait for the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)


@dataclass(kw_only=True)
class EngineProcess(ChildProcess):
    """A running ``attune serve`` or ``attune engine``, and its gRPC port."""

    port: int

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"


@dataclass(kw_only=True)
class GatewayProcess(ChildProcess):
    """A running ``attune gateway``, and its base URL."""

    url: str


def attune_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a child ``attune``: JSON logs, warnings and up, then ``env``."""
    return {**os.environ, "ATTUNE_LOG_FORMAT": "json", "ATTUNE_LOG_LEVEL": "warning", **(env or {})}


def spawn(args: list[str], env: Mapping[str, str] | None = None) -> subprocess.Popen[str]:
    """``python -m attune <args>`` with stdout and stderr piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "attune", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=attune_env(env),
    )


def await_line(
    proc: subprocess.Popen[str], pattern: re.Pattern[str], timeout: float
) -> re.Match[str]:
    """The first stdout line matching ``pattern``; the process is killed and its stderr
    shown when it exits or ``timeout`` passes first."""
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        found = pattern.search(line)
        if found:
            return found
    proc.kill()
    _, err = proc.communicate(timeout=10)
    raise RuntimeError(f"{proc.args!r} did not start: {(err or '')[-2000:]}")


def start_engine(
    data_dir: Path,
    *extra: str,
    timeout: float = 30,
    env: dict[str, str] | None = None,
    command: str = "serve",
) -> EngineProcess:
    """Start ``attune serve`` (``command="engine"``: the engine alone) on a free port over
    the embedded store in ``data_dir``; ``extra`` flags (e.g. ``--store redis://...``) and
    ``env`` entries are added. ``serve``'s gateway takes a free port too."""
    gateway = ["--gateway-port", "0"] if command == "serve" else []
    proc = spawn([command, "--port", "0", "--data-dir", str(data_dir), *gateway, *extra], env)
    found = await_line(proc, _LISTENING, timeout)
    return EngineProcess(proc=proc, port=int(found.group(2)))


def start_gateway(
    engine_address: str,
    data_dir: Path,
    *extra: str,
    timeout: float = 30,
    env: dict[str, str] | None = None,
) -> GatewayProcess:
    """Start ``attune gateway`` on a free port against ``engine_address``, with its embedded
    store in ``data_dir``."""
    args = ["--engine-address", engine_address, "--port", "0", "--data-dir", str(data_dir)]
    proc = spawn(["gateway", *args, *extra], env)
    found = await_line(proc, _GATEWAY_LISTENING, timeout)
    return GatewayProcess(proc=proc, url=found.group(1))


NO_DKT = {"ATTUNE_MODELS_DIR": "/nonexistent"}  # skip loading the DKT artifacts: faster


async def start_engines(tmp_path: Path, url: str, n: int) -> list[EngineProcess]:
    """``n`` engine processes on the Redis at ``url``, started side by side."""
    return list(
        await asyncio.gather(
            *[
                asyncio.to_thread(
                    start_engine,
                    tmp_path / f"engine{i}",
                    "--store",
                    url,
                    "--no-demo",
                    env=NO_DKT,
                )
                for i in range(n)
            ]
        )
    )


def stop_engines(engines: list[EngineProcess]) -> None:
    """SIGTERM each engine still running; each must exit cleanly (0)."""
    for engine in engines:
        if engine.proc.poll() is None:
            assert engine.terminate() == 0, "\n".join(engine.log_tail)
