"""A small pool of worker processes for maths checks, with a time limit per check.

sympy can run for ever on a short input (``9^9^9``, ``factorial(10^9)``) and Python cannot
interrupt a thread that is doing so. Each check therefore runs in a worker process: when it
overruns ``timeout_s`` the worker is killed (its memory with it) and replaced, and the check
raises :class:`MathTimeoutError`, which the dispatcher turns into *unscored*. Workers are
spawned (never forked: the gateway is threaded), import sympy once, say they are ready, and
only then is the clock started, so a slow start never counts against a check. Each worker
caps its own address space (``memory_bytes``), so a runaway check fails fast instead of
swapping. The pool is thread-safe: a caller waits for a free worker.
"""

from __future__ import annotations

import multiprocessing
import queue
import re
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Literal

Verdict = Literal["equal", "different", "unreadable"]
# The details of maths_eval.compare's verdicts (the worker's), shared with the fast path below.
SIMPLIFIES = "simplifies to the answer"
NOT_EQUIVALENT = "not equivalent"
# A plain integer as sympy reads it (no sign but a minus, no leading zero), small enough that
# two different ones are never within maths_eval's relative tolerance (1e-9) of each other.
_SMALL_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]{0,7})")


class MathCheckError(RuntimeError):
    """A maths check could not decide (never the learner's fault)."""


class MathTimeoutError(MathCheckError):
    """The check overran its time limit; the worker was killed."""


@dataclass(frozen=True)
class MathVerdict:
    """The outcome of one comparison: ``equal``, ``different`` or ``unreadable`` (learner's
    text), with a short detail."""

    verdict: Verdict
    detail: str


def _limit_memory(memory_bytes: int) -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    except (ImportError, ValueError, OSError):  # not on this platform: the time limit remains
        pass


def _worker_main(conn: Connection, memory_bytes: int) -> None:
    """A worker's loop: import sympy, report ready, then answer comparisons until closed."""
    from attune.content.checking import maths_eval

    _limit_memory(memory_bytes)
    conn.send(("ready",))
    while True:
        try:
            expected, given = conn.recv()
        except EOFError:
            return
        try:
            verdict, detail = maths_eval.compare(expected, given)
            conn.send(("ok", verdict, detail))
        except BaseException as exc:  # reported to the caller, who logs it; the loop goes on
            conn.send(("error", type(exc).__name__, str(exc)[:200]))


class _Worker:
    def __init__(self, start_timeout_s: float, memory_bytes: int) -> None:
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        self.conn: Connection = parent
        self.process: BaseProcess = context.Process(
            target=_worker_main, args=(child, memory_bytes), daemon=True, name="attune-maths"
        )
        self.process.start()
        child.close()
        if not parent.poll(start_timeout_s) or parent.recv() != ("ready",):
            self.kill()
            raise MathCheckError("the maths worker did not start")

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()

    def close(self) -> None:
        self.conn.close()  # the worker sees EOF and returns
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.kill()


def integer_verdict(expected: str, given: str) -> MathVerdict | None:
    """The verdict on two plain integers, or None for anything else. sympy reads both as
    Integers, so ``simplify(expected - given) == 0`` exactly when they are equal, and for
    integers under 10^8 the sampled comparison cannot call two different ones equal: the
    verdict and its detail are the worker's, without the round trip (most template items
    have integer answers, and each shown variant's key is checked before use)."""
    if not (_SMALL_INTEGER.fullmatch(expected) and _SMALL_INTEGER.fullmatch(given)):
        return None
    if int(expected) == int(given):
        return MathVerdict("equal", SIMPLIFIES)
    return MathVerdict("different", NOT_EQUIVALENT)


class MathPool:
    """Up to ``size`` workers; :meth:`compare` runs one check with the time limit."""

    def __init__(
        self,
        size: int = 2,
        timeout_s: float = 2.0,
        *,
        start_timeout_s: float = 60.0,
        memory_bytes: int = 1 << 30,
    ) -> None:
        if size < 1 or timeout_s <= 0:
            raise ValueError("a maths pool needs at least one worker and a positive time limit")
        self.timeout_s = timeout_s
        self._start_timeout_s = start_timeout_s
        self._memory_bytes = memory_bytes
        self._slots: queue.Queue[_Worker | None] = queue.Queue()
        for _ in range(size):
            self._slots.put(None)  # workers start on first use
        self._lock = threading.Lock()
        self._closed = False
        self._all: set[_Worker] = set()

    def compare(self, expected: str, given: str) -> MathVerdict:
        """Compare in a worker; raises :class:`MathTimeoutError` past the time limit and
        :class:`MathCheckError` when the worker fails. Two plain integers are compared here,
        with the worker's verdict (:func:`integer_verdict`)."""
        quick = integer_verdict(expected, given)
        if quick is not None:
            return quick
        worker = self._slots.get()
        try:
            if worker is None or not worker.process.is_alive():
                worker = None
                worker = self._start()
            return self._run(worker, expected, given)
        finally:
            alive = worker is not None and worker.process.is_alive()
            self._slots.put(worker if alive else None)

    def _start(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise MathCheckError("the maths pool is closed")
        worker = _Worker(self._start_timeout_s, self._memory_bytes)
        with self._lock:
            self._all.add(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)

    def _run(self, worker: _Worker, expected: str, given: str) -> MathVerdict:
        try:
            worker.conn.send((expected, given))
            ready = worker.conn.poll(self.timeout_s)
            reply = worker.conn.recv() if ready else None
        except (EOFError, OSError) as exc:
            self._retire(worker)
            raise MathCheckError(f"the maths worker died ({type(exc).__name__})") from exc
        if reply is None:
            self._retire(worker)
            raise MathTimeoutError(f"time limit ({self.timeout_s:g} s) exceeded")
        if reply[0] == "error":
            raise MathCheckError(f"{reply[1]}: {reply[2]}")
        return MathVerdict(reply[1], reply[2])

    def close(self) -> None:
        """Stop every worker; later checks raise :class:`MathCheckError`."""
        with self._lock:
            self._closed = True
            workers, self._all = list(self._all), set()
        for worker in workers:
            worker.close()
