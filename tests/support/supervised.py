"""A supervisor process under test (``attune engine|gateway --workers N``): its stdout and its
JSON log lines as they come, read by two pump threads, and waits on them bounded by
``START_S`` (bounds on waiting for a state, never assertions on time)."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

START_S = 180.0


@dataclass
class Supervised:
    """The supervisor process, its stdout and its (JSON) log lines as they come."""

    proc: subprocess.Popen[str]
    lines: list[dict[str, Any]] = field(default_factory=list)
    stdout: queue.Queue[str] = field(default_factory=queue.Queue)
    # Reentrant: a condition waited on may itself read the lines under the lock.
    lock: threading.RLock = field(default_factory=threading.RLock)
    changed: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)

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
            with self.changed:
                self.lines.append(entry)
                self.changed.notify_all()

    def listening_line(self, prefix: str) -> str:
        """The first stdout line starting with ``prefix``; the process must not exit first."""
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            try:
                line = self.stdout.get(timeout=1.0)
            except queue.Empty:
                assert self.proc.poll() is None, f"the supervisor exited: {self.lines[-5:]}"
                continue
            if line.startswith(prefix):
                return line
        raise AssertionError("the supervisor never listened")

    def events(self, name: str) -> list[dict[str, Any]]:
        with self.lock:
            return [e for e in self.lines if e.get("event") == name]

    def wait_for(self, what: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The last log line ``what`` holds for, waiting (on each new line) until there is one."""
        found: list[dict[str, Any]] = []

        def any_line() -> bool:
            found[:] = [e for e in self.lines if what(e)]
            return bool(found)

        self.until(any_line, "no such log line")
        return found[-1]

    def until(self, condition: Callable[[], bool], failure: str = "it never held") -> None:
        """Wait until ``condition`` (checked under the lock, again on each new log line) holds."""
        deadline = time.monotonic() + START_S
        with self.changed:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{failure}; last lines: {self.lines[-5:]}")
                self.changed.wait(timeout=min(left, 1.0))


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any ATTUNE_ setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTUNE_")}
    return {**env, **extra}


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False
