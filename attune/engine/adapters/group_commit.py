"""A single writer thread that commits concurrent writes together.

SQLite in WAL mode with ``synchronous=FULL`` fsyncs on every commit (about 0.4 ms here).
Committing each response alone would cap throughput at the disk; instead, every write that
arrives while the previous transaction is being fsynced joins the next one. Each write runs
in its own SAVEPOINT, so one failing write (a duplicate event id) does not undo the others,
and no caller is answered before its transaction is durable.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from attune.engine.domain.errors import UnavailableError

Write = Callable[[sqlite3.Connection], Any]
_STOP = object()


class GroupCommitter:
    """Runs writes on one connection in a dedicated thread, batching them into transactions."""

    def __init__(self, conn: sqlite3.Connection, max_batch: int = 256) -> None:
        self._conn = conn
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="attune-sqlite-writer", daemon=True)
        self._closed = False
        self.transactions = 0  # for the benchmark: writes / transactions is the batching gain
        self.writes = 0
        self.on_batch: Callable[[int], None] | None = None  # metrics: writes per transaction

    def start(self) -> None:
        """Start the writer thread."""
        self._thread.start()

    def submit(self, write: Write) -> asyncio.Future[Any]:
        """Queue ``write``; the future resolves once its transaction is durable."""
        if self._closed:
            raise UnavailableError("the store is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.put((write, loop, future))
        return future

    def close(self) -> None:
        """Commit everything already queued, then stop the thread."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is _STOP:
                break
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stop = True
                    break
                batch.append(nxt)
            self._commit(batch)

    def _commit(self, batch: list[Any]) -> None:
        conn = self._conn
        outcomes: list[tuple[bool, Any]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for write, _loop, _future in batch:
                conn.execute("SAVEPOINT w")
                try:
                    value = write(conn)
                except Exception as exc:  # the caller gets its own error
                    conn.execute("ROLLBACK TO w")
                    conn.execute("RELEASE w")
                    outcomes.append((False, exc))
                else:
                    conn.execute("RELEASE w")
                    outcomes.append((True, value))
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            err = UnavailableError(f"store commit failed: {exc}")
            outcomes = [(False, err)] * len(batch)
        self.transactions += 1
        self.writes += len(batch)
        if self.on_batch is not None:
            self.on_batch(len(batch))
        # One hand-back per event loop for the whole batch (issue 17): each
        # call_soon_threadsafe wakes the loop through its self-pipe, a system call and a turn
        # of the loop per write otherwise.
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]]
        by_loop = {}
        for (ok, value), (_write, loop, future) in zip(outcomes, batch, strict=True):
            by_loop.setdefault(loop, []).append((future, ok, value))
        for loop, settled in by_loop.items():
            # RuntimeError: the loop is gone (shutdown); the writes are durable anyway.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle_all, settled)


def _settle_all(settled: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for future, ok, value in settled:
        _settle(future, ok, value)


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.cancelled():
        return  # the caller went away; its write is durable and a retry will find it
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
