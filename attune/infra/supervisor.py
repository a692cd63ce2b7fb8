"""N copies of one server process on one port, supervised (issue 17): the generic part of
``attune engine --workers N`` and ``attune gateway --workers N``. It knows nothing of either:
a :class:`WorkerPlan` says how to start a worker and how a worker says it listens.

- The workers listen on the same address with ``SO_REUSEPORT``: the kernel spreads new
  connections over them.
- The supervisor holds the port (a bound socket that never listens, ``SO_REUSEPORT`` too),
  so ``--port 0`` names one free port for every worker and nothing else takes it meanwhile.
- A worker that exits on its own is started again after a backoff (0.5 s, doubling up to
  30 s; back to 0.5 s once a worker has run a minute).
- SIGTERM and SIGINT are passed on: each worker drains (``grace_seconds``) and exits; then the
  supervisor returns (KeyboardInterrupt after SIGINT). SIGHUP is passed on when the plan
  says so.
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import IO

import structlog

log = structlog.get_logger("attune.supervisor")

_POLL_S = 0.05
_KILL_AFTER_S = 5.0  # beyond the workers' grace before a worker is killed


class SupervisorStartupError(Exception):
    """The workers cannot start; the message names why (the store, the port, a worker)."""


@dataclass(frozen=True)
class Backoff:
    """Restart delays: ``base`` doubled per consecutive quick failure, at most ``cap``; a
    worker that ran ``stable_s`` or longer is restarted after ``base`` again."""

    base: float = 0.5
    cap: float = 30.0
    stable_s: float = 60.0

    def delay(self, failures: int, ran_s: float) -> float:
        """The wait before the next start, after ``failures`` quick exits in a row
        (counting this one) of a worker that ran ``ran_s`` seconds."""
        if ran_s >= self.stable_s:
            return self.base
        return min(self.cap, self.base * 2.0 ** max(0, failures - 1))


@dataclass(frozen=True)
class WorkerPlan:
    """What the supervisor runs: ``name`` (``engine``, ``gateway``) for messages; the address;
    ``command(port)`` and ``env(index)`` of worker ``index``; the stdout line prefix a worker
    prints once it listens (``listening``) and the supervisor's own line for the real port
    (``announce(port)``); the workers' drain time; whether SIGHUP is passed on."""

    name: str
    host: str
    port: int
    command: Callable[[int], list[str]]
    env: Callable[[int], dict[str, str]]
    listening: str
    announce: Callable[[int], str]
    grace_seconds: float
    pass_hangup: bool = False
    port_label: str = ""  # how a port error names the port: "gRPC" (default: the name)


def reserve_port(host: str, port: int, what: str) -> socket.socket:
    """A socket bound to ``host:port`` with SO_REUSEPORT that never listens: it keeps the port
    for the workers (and picks it when ``port`` is 0)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SupervisorStartupError(
            f"cannot listen on {host}:{port} ({what}): {exc.strerror or exc}"
        ) from None
    return sock


def _die_with_parent() -> Callable[[], None] | None:
    """A pre-exec hook: the worker gets SIGTERM if the supervisor dies (Linux), so a killed
    supervisor leaves no worker behind. Resolved here, before any fork."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def hook() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM)

    return hook


@dataclass
class Worker:
    """One worker process and what the supervisor knows of it."""

    index: int
    proc: subprocess.Popen[str] | None = None
    started_at: float = 0.0
    failures: int = 0
    restart_at: float | None = None
    listening: threading.Event = field(default_factory=threading.Event)


class Supervisor:
    """Runs N workers of ``plan`` until signalled; see the module docstring."""

    def __init__(
        self,
        plan: WorkerPlan,
        workers: int,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.plan = plan
        self.backoff = backoff or Backoff()
        self.workers = [Worker(i) for i in range(workers)]
        self._clock = clock
        self._signal: int | None = None
        self._hangup = False
        self._hook = _die_with_parent()
        self.port = 0

    def run(self) -> None:
        """Start, supervise, stop on a signal. A worker that cannot start at first is a
        :class:`SupervisorStartupError`; SIGINT ends with KeyboardInterrupt (status 130)."""
        reservation = reserve_port(
            self.plan.host, self.plan.port, self.plan.port_label or self.plan.name
        )
        self.port = int(reservation.getsockname()[1])
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        if self.plan.pass_hangup:
            previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, self._on_hangup)
        try:
            for worker in self.workers:
                self._spawn(worker)
            self._await_listening()
            if self._signal is None:
                print(f"{self.plan.announce(self.port)} ({len(self.workers)} workers)", flush=True)
                self._supervise()
        finally:
            self._stop_all()
            reservation.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if self._signal == signal.SIGINT:
            raise KeyboardInterrupt

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signal = signum

    def _on_hangup(self, signum: int, frame: FrameType | None) -> None:
        self._hangup = True  # passed on from the supervising loop, not from the handler

    def _pass_hangup(self) -> None:
        """SIGHUP (the engine reloads its DKT models): passed on to every running worker."""
        self._hangup = False
        running = [w.proc for w in self.workers if w.proc is not None and w.proc.poll() is None]
        for proc in running:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGHUP)
        log.info("supervisor.hangup", workers=len(running))

    def _spawn(self, worker: Worker) -> None:
        worker.listening.clear()
        worker.proc = subprocess.Popen(
            self.plan.command(self.port),
            env=self.plan.env(worker.index),
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=self._hook,  # a prctl call only, resolved before the fork
        )
        worker.started_at = self._clock()
        worker.restart_at = None
        assert worker.proc.stdout is not None
        threading.Thread(
            target=_pump,
            args=(worker.proc.stdout, worker.listening, self.plan.listening),
            daemon=True,
        ).start()
        log.info("supervisor.worker_started", worker=worker.index, pid=worker.proc.pid)

    def _await_listening(self) -> None:
        """Until every worker listens; one that exits first fails the start."""
        while self._signal is None and not all(w.listening.is_set() for w in self.workers):
            for worker in self.workers:
                code = worker.proc.poll() if worker.proc is not None else None
                if code is not None and not worker.listening.is_set():
                    raise SupervisorStartupError(
                        f"{self.plan.name} worker {worker.index} exited with status {code} "
                        "before listening (its message is above)"
                    )
            time.sleep(_POLL_S)

    def _supervise(self) -> None:
        while self._signal is None:
            if self._hangup:
                self._pass_hangup()
            now = self._clock()
            for worker in self.workers:
                self._check(worker, now)
            time.sleep(_POLL_S)

    def _check(self, worker: Worker, now: float) -> None:
        if worker.restart_at is not None:
            if now >= worker.restart_at:
                self._spawn(worker)
            return
        if worker.proc is None or (code := worker.proc.poll()) is None:
            return
        ran = now - worker.started_at
        worker.failures = 1 if ran >= self.backoff.stable_s else worker.failures + 1
        delay = self.backoff.delay(worker.failures, ran)
        worker.restart_at = now + delay
        log.warning(
            "supervisor.worker_exited",
            worker=worker.index,
            pid=worker.proc.pid,
            status=code,
            ran_s=round(ran, 1),
            restart_in_s=delay,
        )

    def _stop_all(self) -> None:
        """SIGTERM every worker, wait for their drain, kill what is left after the grace."""
        running = [w.proc for w in self.workers if w.proc is not None and w.proc.poll() is None]
        if running:
            log.info("supervisor.stopping", workers=len(running))
        for proc in running:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.plan.grace_seconds + _KILL_AFTER_S
        for proc in running:
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error("supervisor.worker_killed", pid=proc.pid)
                proc.kill()
                proc.wait()


def _pump(stream: IO[str], listening: threading.Event, prefix: str) -> None:
    """Read a worker's stdout to its end: note its "listening" line, pass the rest on."""
    for line in stream:
        if line.startswith(prefix):
            listening.set()
        else:
            sys.stdout.write(line)
            sys.stdout.flush()
