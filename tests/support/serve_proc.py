"""Run ``attune serve`` as a real child process and find the port it bound."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

TOKEN_META = (("authorization", "Bearer dev-token"),)
_LISTENING = re.compile(r"listening on ([\d.]+):(\d+)")


@dataclass
class EngineProcess:
    """A running ``attune serve``."""

    proc: subprocess.Popen[str]
    port: int

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


def start_engine(data_dir: Path, *extra: str, timeout: float = 30) -> EngineProcess:
    """Start the engine on a free port over the embedded store in ``data_dir``."""
    env = {**os.environ, "ATTUNE_LOG_FORMAT": "json", "ATTUNE_LOG_LEVEL": "warning"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "engine",
            "serve",
            "--port",
            "0",
            "--data-dir",
            str(data_dir),
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
