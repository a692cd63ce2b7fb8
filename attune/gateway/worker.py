"""A background delivery loop with exponential backoff and jitter, shared by the grade
outbox and the statement outbox."""

from __future__ import annotations

import abc
import random
import threading
from collections.abc import Callable

import structlog

log = structlog.get_logger("attune.gateway.worker")


class Backoff:
    """``base * 2^attempts`` seconds, capped at ``maximum``, drawn from the upper half: a
    recovering endpoint is not hit by every retry at once, and no retry comes too soon."""

    def __init__(
        self, base: float, maximum: float, rng: Callable[[], float] = random.random
    ) -> None:
        self._base = base
        self._max = maximum
        self._rng = rng

    def delay(self, attempts: int) -> float:
        """Seconds before the next try after ``attempts`` failures."""
        ceiling = min(self._max, self._base * 2 ** min(attempts, 30))
        return float(ceiling * (0.5 + 0.5 * self._rng()))


class Housekeeper:
    """Drops expired values (used nonces, OIDC state, sessions) from a store that keeps
    them until asked; runs with the other workers."""

    def __init__(self, purge: Callable[[], int], every_seconds: float) -> None:
        self._purge = purge
        self._every = every_seconds
        self._last = 0.0

    def __call__(self, now: float) -> int:
        if now - self._last < self._every:
            return 0
        self._last = now
        purged = self._purge()
        if purged:
            log.info("store.purged", values=purged)
        return purged


class PollingWorker(abc.ABC):
    """Runs :meth:`run_once` every ``poll_seconds`` in a daemon thread until :meth:`stop`.

    A subclass must define :meth:`run_once`: an abstract method, so that a worker without
    one cannot even be built (a ``NotImplementedError`` would only surface in the thread).
    """

    name = "worker"

    def __init__(self, poll_seconds: float) -> None:
        self._poll = poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @abc.abstractmethod
    def run_once(self) -> int:
        """One round of work; how many things were done."""

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # the loop must survive anything one round throws
                log.exception("worker.error", worker=self.name)
            self._stop.wait(self._poll)
