"""One SQLite file shared by the gateway's threads: WAL, ``synchronous=FULL`` (a write is on
disk before it returns), and short write transactions.

- **Reads** run on a connection of the calling thread's own: in WAL mode readers see the last
  commit and never wait for a writer, so a page's lookups do not queue behind an fsync.
- **Writes** of one statement are committed in groups: every write that arrives while a commit
  is being fsynced joins the next transaction (each in its own SAVEPOINT, so one failing write
  does not undo the others), and no caller returns before its transaction is durable. The
  thread that takes the write lock commits whatever is queued (no writer thread to manage).
  Each commit costs an fsync (about 6 ms on the shared benchmark machine), so committing the
  page's writes one at a time capped the practice loop at the disk.
- **Transactions** (``_transaction``) and the mixins that use ``_db`` directly hold the same
  lock on the same write connection.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_Outcome = tuple[list[tuple[Any, ...]], int]  # rows, rowcount (of a unit's last statement)
_Statement = tuple[str, Sequence[Any]]
_READS = ("SELECT", "WITH")


class SqliteFile:
    """The connections and the ways to use them: one statement, or one transaction."""

    def __init__(self, path: Path, schema: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._db = _connect(path)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(schema)
        self._lock = threading.Lock()
        self._writes: queue.SimpleQueue[tuple[Sequence[_Statement], Future[_Outcome]]] = (
            queue.SimpleQueue()
        )
        self._local = threading.local()
        self._readers: dict[int, sqlite3.Connection] = {}  # by thread ident
        self._readers_lock = threading.Lock()
        self._closed = False

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._db.close()
        with self._readers_lock:
            for conn in self._readers.values():
                conn.close()
            self._readers.clear()

    def _run(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if sql.lstrip()[:6].upper().startswith(_READS):
            return self._reader().execute(sql, args).fetchall()
        return self._write(((sql, args),))[0]

    def _count(self, sql: str, args: Sequence[Any] = ()) -> int:
        """Rows changed by one statement."""
        return self._write(((sql, args),))[1]

    def _run_all(self, statements: Sequence[_Statement]) -> None:
        """Several write statements, applied together or not at all (one commit)."""
        if statements:
            self._write(statements)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any error."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            with self._readers_lock:
                if self._closed:
                    raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
                # A thread's connection goes with the thread: close those of ended threads.
                alive = {t.ident for t in threading.enumerate()}
                for ident in [i for i in self._readers if i not in alive]:
                    self._readers.pop(ident).close()
                conn = _connect(self._path)
                self._readers[threading.get_ident()] = conn
            self._local.conn = conn
        return conn

    def _write(self, statements: Sequence[_Statement]) -> _Outcome:
        done: Future[_Outcome] = Future()
        self._writes.put((statements, done))
        with self._lock:
            if not done.done():  # nobody has committed it yet: commit everything queued
                self._commit_queued()
        return done.result()

    def _commit_queued(self) -> None:
        batch = []
        while True:
            try:
                batch.append(self._writes.get_nowait())
            except queue.Empty:
                break
        db = self._db
        outcomes: list[tuple[bool, Any]] = []
        try:
            db.execute("BEGIN IMMEDIATE")
            for statements, _done in batch:
                db.execute("SAVEPOINT w")
                try:
                    for sql, args in statements:
                        cursor = db.execute(sql, args)
                    outcome = (cursor.fetchall(), cursor.rowcount)
                except Exception as exc:  # the caller gets its own error
                    db.execute("ROLLBACK TO w")
                    db.execute("RELEASE w")
                    outcomes.append((False, exc))
                else:
                    db.execute("RELEASE w")
                    outcomes.append((True, outcome))
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            outcomes = [(False, exc)] * len(batch)
        for (ok, value), (_statements, done) in zip(outcomes, batch, strict=True):
            if ok:
                done.set_result(value)
            else:
                done.set_exception(value)


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    # Other connections (the statement outbox's, a test's, the readers) use the same file.
    db.execute("PRAGMA busy_timeout=10000")
    db.execute("PRAGMA synchronous=FULL")
    return db
