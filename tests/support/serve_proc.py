"""Run ``attune serve`` as a real child process and find the port it bound."""

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
from dataclasses import dataclass, field
from pathlib import Path

TOKEN_META = (("authorization", "Bearer dev-token"),)
_LISTENING = re.compile(r"listening on ([\d.]+):(\d+)")


@dataclass
class EngineProcess:
    """A running ``attune serve``. Its stderr is drained in the background (a full pipe
    would block the engine's logging) and its last lines kept for diagnostics."""

    proc: subprocess.Popen[str]
    port: int
    log_tail: deque[str] = field(default_factory=lambda: deque(maxlen=200))

    def __post_init__(self) -> None:
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.log_tail.append(line.rstrip("\n"))

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def kill(self) -> None:
        """SIGKILL: no chance to flush anything."""
        self.proc.kill()
        self.proc.wait(10)

    def terminate(self, timeout: float = 20) -> int:
        """SIGTERM and wait for the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)


def start_engine(
    data_dir: Path, *extra: str, timeout: float = 30, env: dict[str, str] | None = None
) -> EngineProcess:
    """Start the engine on a free port over the embedded store in ``data_dir``; ``extra``
    flags (e.g. ``--store redis://...``) and ``env`` entries are added."""
    env = {
        **os.environ,
        "ATTUNE_LOG_FORMAT": "json",
        "ATTUNE_LOG_LEVEL": "warning",
        **(env or {}),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "attune",
            "serve",
            "--port",
            "0",
            "--data-dir",
            str(data_dir),
            "--gateway-port",
            "0",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        found = _LISTENING.search(line)
        if found:
            return EngineProcess(proc=proc, port=int(found.group(2)))
    proc.kill()
    _, err = proc.communicate(timeout=10)
    raise RuntimeError(f"engine did not start: {err[-2000:]}")


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
