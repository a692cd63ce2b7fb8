"""The engine under test as a child process: ``attune serve`` on a free loopback port, in a
fresh data directory, stopped with SIGTERM."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import IO, Any

HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
_KEEP_LINES = 40
_LISTENING = re.compile(r"attune engine listening on (\S+):(\d+)")
# Logged at every start while the development token is accepted: expected, not a finding.
_EXPECTED_EVENTS = frozenset({"auth.dev_token"})


class ServerStartError(RuntimeError):
    """The server exited, or did not report its port in time."""


def attune_command() -> list[str]:
    """The ``attune`` console script of this interpreter's environment."""
    script = Path(sys.executable).parent / "attune"
    if script.exists():
        return [str(script)]
    found = shutil.which("attune")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from attune.cli import main; sys.exit(main())"]


class ServerLog:
    """The server's stderr (JSON log lines): counts by level and the notable lines."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_level: Counter[str] = Counter()
        self.notable: list[str] = []

    def add(self, line: str) -> None:
        """Classify one line; warnings, errors and non-JSON output (tracebacks) are kept."""
        line = line.rstrip("\n")
        if not line:
            return
        try:
            entry: Any = json.loads(line)
        except ValueError:
            entry = None
        if isinstance(entry, dict):
            level = str(entry.get("level", "unknown"))
            notable = level not in ("debug", "info") and entry.get("event") not in _EXPECTED_EVENTS
        else:
            level, notable = "unstructured", True
        with self._lock:
            self.by_level[level] += 1
            if notable and len(self.notable) < _KEEP_LINES:
                self.notable.append(line[:2000])

    def snapshot(self) -> dict[str, Any]:
        """Counts and notable lines so far."""
        with self._lock:
            return {"lines_by_level": dict(self.by_level), "notable_lines": list(self.notable)}


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of one live process (Linux /proc), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (Linux /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def tree_cpu_seconds(pid: int) -> float | None:
    """CPU time of a process and of its live descendants (a supervisor and its workers)."""
    own = process_cpu_seconds(pid)
    if own is None:
        return None
    return own + sum(tree_cpu_seconds(c) or 0.0 for c in children(pid))


class ServerProcess:
    """Context manager: starts the engine, exposes its port, stops it gracefully on exit."""

    def __init__(
        self,
        log_level: str = "warning",
        store_url: str = "",
        workers: int = 1,
        settings: dict[str, str] | None = None,
    ) -> None:
        self.log_level = log_level
        self.settings = settings or {}  # ATTUNE_* variables the run sets on purpose
        self.store_url = store_url  # "" for the embedded store in the temp dir
        self.workers = workers  # above 1: `attune engine --workers N` (Redis only)
        self.log = ServerLog()
        self.port = 0
        self.exit_code: int | None = None
        self.killed = False
        self._proc: subprocess.Popen[str] | None = None
        self._data_dir: tempfile.TemporaryDirectory[str] | None = None
        self._stdout: queue.Queue[str | None] = queue.Queue()
        self._threads: list[threading.Thread] = []

    @property
    def target(self) -> str:
        """The gRPC target of the running server."""
        return f"{HOST}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The server's process id while it exists."""
        return self._proc.pid if self._proc else None

    def start(self) -> None:
        """Spawn ``attune serve --port 0`` and wait for its "listening on" line."""
        self._data_dir = tempfile.TemporaryDirectory(prefix="attune-bench-")
        # One process: `attune serve` without its gateway; N: the engine's own supervisor.
        command = ["engine", "--workers", str(self.workers)] if self.workers > 1 else ["serve"]
        cmd = [
            *attune_command(),
            *command,
            "--host",
            HOST,
            "--port",
            "0",
            "--data-dir",
            self._data_dir.name,
            "--log-level",
            self.log_level,
            "--log-format",
            "json",
        ]
        if self.workers == 1:
            cmd.append("--no-gateway")  # the engine alone is under test
        if self.store_url:
            cmd += ["--store", self.store_url]
        # ATTUNE_* from the caller's shell could point the server at another store or
        # replace the dev token; the benchmark wants the defaults.
        env = {k: v for k, v in os.environ.items() if not k.startswith("ATTUNE_")}
        env.update(self.settings)
        self._proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        assert self._proc.stdout is not None and self._proc.stderr is not None
        self._spawn(self._pump_stdout, self._proc.stdout)
        self._spawn(self._pump_stderr, self._proc.stderr)
        try:
            self.port = self._wait_for_port()
        except BaseException:
            self.stop()  # __exit__ does not run when __enter__ raises
            raise

    def _spawn(self, target: Any, stream: IO[str]) -> None:
        thread = threading.Thread(target=target, args=(stream,), daemon=True)
        thread.start()
        self._threads.append(thread)

    def _pump_stdout(self, stream: IO[str]) -> None:
        for line in stream:
            self._stdout.put(line)
        self._stdout.put(None)

    def _pump_stderr(self, stream: IO[str]) -> None:
        # Drained continuously: a full pipe would block the server's logging mid-benchmark.
        for line in stream:
            self.log.add(line)

    def _wait_for_port(self) -> int:
        deadline = time.monotonic() + START_TIMEOUT_S
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = self._stdout.get(timeout=remaining)
            except queue.Empty:
                break
            if line is None:
                code = self._proc.wait() if self._proc else None
                raise ServerStartError(
                    f"server exited with {code} before listening: "
                    f"{self.log.snapshot()['notable_lines']}"
                )
            match = _LISTENING.search(line)
            if match:
                return int(match.group(2))
        self.stop()
        raise ServerStartError(f"server did not report its port within {START_TIMEOUT_S:.0f} s")

    def alive(self) -> bool:
        """Whether the server process is still running."""
        return self._proc is not None and self._proc.poll() is None

    def exited_within(self, timeout: float) -> bool:
        """Whether the server ends within ``timeout`` s (its sockets close a moment before
        its exit can be observed, so a failed phase waits briefly before concluding)."""
        if self._proc is None:
            return False
        try:
            self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the server so far, its worker processes included
        (Linux /proc), or None."""
        if self._proc is None:
            return None
        return tree_cpu_seconds(self._proc.pid)

    def worker_pids(self) -> list[int]:
        """The engine processes: the supervisor's workers, or the server itself."""
        if self._proc is None:
            return []
        return children(self._proc.pid) if self.workers > 1 else [self._proc.pid]

    def stop(self) -> None:
        """SIGTERM, wait for the graceful shutdown (kill only after STOP_TIMEOUT_S)."""
        proc = self._proc
        if proc is not None and self.exit_code is None:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    self.killed = True
                    proc.kill()
                    proc.wait()
            self.exit_code = proc.returncode
            for thread in self._threads:
                thread.join(timeout=5.0)
        if self._data_dir is not None:
            self._data_dir.cleanup()
            self._data_dir = None

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
