"""The embedded store: SQLite in WAL mode on local disk, with group commit.

One engine process owns a data directory (an exclusive lock file enforces it). Learner states
and courses are cached in memory (bounded LRUs) after their first read; every write goes
through the group committer and is durable (``synchronous=FULL``) before the caller is
answered. Reads run in a worker thread, never on the event loop: the reader connection is
shared (SQLite is built serialized, ``sqlite3.threadsafety == 3``) and sees only committed
transactions, while the one writer thread stays the only writer.

One exception (issue 17): the idempotency check of every response, a lookup of one event by
its unique key (tenant, event id), runs on the event loop on a connection of its own. It
costs about 5 us of CPU there, against 50-100 us for the hand-off to a worker thread and
back. In WAL mode a reader never waits for the writer; this connection does not wait at all
(``busy_timeout`` 0), and when SQLite says busy the lookup goes to a worker thread instead.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, TypeVar

from attune.engine.adapters import sqlite_erasures as erasures
from attune.engine.adapters import sqlite_interventions as iv
from attune.engine.adapters.codec import decode_result, decode_state, encode_result, encode_state
from attune.engine.adapters.course_codec import SingleFlight, decode_course, encode_course
from attune.engine.adapters.group_commit import GroupCommitter
from attune.engine.adapters.sqlite_schema import prepare_schema
from attune.engine.domain.course import Course
from attune.engine.domain.erasures import PendingErasure
from attune.engine.domain.errors import ConflictError, UnavailableError
from attune.engine.domain.interventions import InterventionEntry
from attune.engine.domain.interventions_apply import ClassPins
from attune.engine.domain.learner import LearnerState
from attune.engine.domain.lru import Lru
from attune.engine.domain.records import LoggedEvent
from attune.engine.ports import DuplicateEventError, Snapshot

_EVENT_COLUMNS = (
    "tenant, event_id, learner_id, course_id, item_id, score, response_time_ms, "
    "occurred_at, recorded_at, sequence, reply, tenant_log_id, credibility, gain"
)
_INSERTED_COLUMNS = _EVENT_COLUMNS.replace("tenant_log_id, ", "") + ", tenant_log_id"
_REPLY = _EVENT_COLUMNS.split(", ").index("reply")

STATE_CACHE = 100_000  # learner states kept in memory (a few KB each)
ABSENT_CACHE = 20_000  # learners known to have no state in a course (a new learner's pages)
COURSE_CACHE = 256  # courses kept in memory (a course at the size limits is megabytes)

LearnerKey = tuple[str, str, str]


_T = TypeVar("_T")


class SqliteStore:
    """:class:`~engine.ports.EngineStore` on one SQLite file."""

    def __init__(
        self, path: Path, cache_size: int = STATE_CACHE, course_cache: int = COURSE_CACHE
    ) -> None:
        self._path = path
        self._cache: Lru[LearnerKey, Snapshot] = Lru(cache_size)
        # Keys read from disk and found absent (issue 17): a new learner's first pages ask
        # for the state several times before the first answer writes it. Every write of a
        # state goes through _remember, which forgets the key here; this process owns the
        # file, so nothing else can create the state meanwhile.
        self._absent: Lru[LearnerKey, bool] = Lru(ABSENT_CACHE)
        self._courses: Lru[tuple[str, str], Course] = Lru(course_cache)
        self._lock_file: IO[str] | None = None
        self._reader: sqlite3.Connection | None = None
        self._probe: sqlite3.Connection | None = None  # point lookups on the event loop
        # Reads run in worker threads on the reader connection; close() takes this lock so it
        # never closes the connection under a read (which crashes the process in SQLite).
        self._reader_lock = threading.Lock()
        self._writer: GroupCommitter | None = None
        self._floor = 0  # where a new tenant's log starts (see _migrate)
        self._loads: SingleFlight[Course | None] = SingleFlight()
        self._state_loads: SingleFlight[Snapshot | None] = SingleFlight()
        # Learner states being read from disk, and whether a write overtook the read (then
        # the read's result is answered but not cached: the cache never goes back in time).
        self._reading: dict[LearnerKey, bool] = {}
        self._reading_courses: dict[tuple[str, str], bool] = {}

    @classmethod
    def open(cls, path: Path) -> SqliteStore:
        """Open (creating if needed) the store at ``path`` and take its lock."""
        store = cls(path)
        store._open()
        return store

    def _open(self) -> None:
        if str(self._path) != ":memory:":
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._lock_file = open(f"{self._path}.lock", "w")  # noqa: SIM115 - held open
            try:
                fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise UnavailableError(
                    f"another engine process holds the embedded store at {self._path}"
                ) from exc
            self._lock_file.write(str(os.getpid()))
            self._lock_file.flush()
        writer = self._connect()
        self._floor = prepare_schema(writer)
        writer.executescript(iv.SCHEMA)
        writer.executescript(erasures.SCHEMA)
        self._reader = self._connect()
        self._probe = self._connect()
        self._probe.execute("PRAGMA busy_timeout=0")  # never wait on the event loop
        self._writer = GroupCommitter(writer)
        self._writer.start()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=5000")
        return conn

    @property
    def committer(self) -> GroupCommitter:
        """The writer; exposed for metrics."""
        assert self._writer is not None, "store is not open"
        return self._writer

    def _read(self) -> sqlite3.Connection:
        if self._reader is None:
            raise UnavailableError("the store is closed")
        return self._reader

    def _guarded(self, read: Callable[..., _T], *args: Any) -> _T:
        with self._reader_lock:
            return read(self._read(), *args)

    async def _in_reader(self, read: Callable[..., _T], *args: Any) -> _T:
        """``read(connection, *args)`` in a worker thread, on the reader connection, which
        close() cannot take away meanwhile."""
        return await asyncio.to_thread(self._guarded, read, *args)

    async def _one(self, sql: str, args: tuple[object, ...]) -> Any:
        """The first row of a query, read in a worker thread."""
        return await self._in_reader(lambda conn: conn.execute(sql, args).fetchone())

    async def _one_by_key(self, sql: str, args: tuple[object, ...]) -> Any:
        """The first row of a lookup by a unique key, read on the event loop (see the module
        doc); in a worker thread when SQLite is busy."""
        probe = self._probe
        if probe is None:
            raise UnavailableError("the store is closed")
        try:
            return probe.execute(sql, args).fetchone()
        except sqlite3.OperationalError:  # busy or locked: never wait here
            return await self._one(sql, args)

    async def _all(self, sql: str, args: tuple[object, ...]) -> list[Any]:
        """Every row of a query, read in a worker thread."""
        return await self._in_reader(lambda conn: conn.execute(sql, args).fetchall())

    async def close(self) -> None:
        """Commit what is queued, then close the files and release the lock."""
        if self._writer is not None:
            await asyncio.to_thread(self._writer.close)
            self._writer = None
        with self._reader_lock:  # a read in a worker thread finishes first
            if self._reader is not None:
                self._reader.close()
                self._reader = None
        if self._probe is not None:
            self._probe.close()
            self._probe = None
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    @property
    def path(self) -> Path:
        """The SQLite file."""
        return self._path

    def forget_tenant(self, tenant: str) -> None:
        """Drop this process's cached states and courses of a deleted tenant."""
        self._cache.drop(lambda k: k[0] == tenant)
        self._absent.drop(lambda k: k[0] == tenant)
        self._courses.drop(lambda k: k[0] == tenant)

    # -- courses ---------------------------------------------------------------------------

    async def put_course(self, tenant: str, course: Course) -> None:
        """Create or replace a course."""
        body = await encode_course(course)

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO courses (tenant, course_id, body) VALUES (?, ?, ?) "
                "ON CONFLICT (tenant, course_id) DO UPDATE SET body = excluded.body",
                (tenant, course.course_id, body),
            )

        await self.committer.submit(write)
        key = (tenant, course.course_id)
        if key in self._reading_courses:
            self._reading_courses[key] = True
        self._courses.put(key, course)

    async def get_course(self, tenant: str, course_id: str) -> Course | None:
        """A course, from the in-process cache or disk (decoded off the event loop)."""
        key = (tenant, course_id)
        cached = self._courses.get(key)
        if cached is not None:
            return cached
        return await self._loads.run(key, lambda: self._load_course(key))

    async def _load_course(self, key: tuple[str, str]) -> Course | None:
        self._reading_courses[key] = False
        try:
            row = await self._one(
                "SELECT body FROM courses WHERE tenant = ? AND course_id = ?", key
            )
            course = await decode_course(row[0]) if row is not None else None
        finally:
            overtaken = self._reading_courses.pop(key)
        if course is None:
            return None
        if overtaken:  # a put_course while this read wins: its course is the newer one
            return self._courses.get(key) or course
        self._courses.put(key, course)
        return course

    async def list_courses(self, tenant: str, after: str, limit: int) -> Sequence[Course]:
        """Courses with ``course_id > after``, ordered by id."""
        rows = await self._all(
            "SELECT course_id FROM courses WHERE tenant = ? AND course_id > ? "
            "ORDER BY course_id LIMIT ?",
            (tenant, after, limit),
        )
        courses = [await self.get_course(tenant, r[0]) for r in rows]
        return [c for c in courses if c is not None]

    # -- learners --------------------------------------------------------------------------

    async def prepare(
        self, tenant: str, learner_id: str, course_id: str, event_id: str
    ) -> tuple[LoggedEvent | None, Snapshot | None]:
        """The logged event with this id and the learner's snapshot (both local reads)."""
        return (
            await self.get_event(tenant, event_id, learner_id),
            await self.load(tenant, learner_id, course_id),
        )

    async def load(self, tenant: str, learner_id: str, course_id: str) -> Snapshot | None:
        """The learner's state and version, or None for a new learner."""
        key = (tenant, learner_id, course_id)
        snap = self._cache.get(key)
        if snap is not None:
            return snap
        if self._absent.get(key):
            return None
        return await self._state_loads.run(key, lambda: self._load_state(key))

    async def _load_state(self, key: LearnerKey) -> Snapshot | None:
        self._reading[key] = False
        try:
            row = await self._one(
                "SELECT version, body FROM learner_state "
                "WHERE tenant = ? AND learner_id = ? AND course_id = ?",
                key,
            )
        finally:
            overtaken = self._reading.pop(key)
        if row is None:
            if not overtaken:
                self._absent.put(key, True)
            return None
        snap = Snapshot(state=decode_state(row[1]), version=row[0])
        if not overtaken:
            self._remember(key, snap)
        return snap

    def _remember(self, key: LearnerKey, snap: Snapshot) -> None:
        if key in self._reading:
            self._reading[key] = True
        self._absent.pop(key)
        self._cache.put(key, snap)

    async def commit(self, event: LoggedEvent, state: LearnerState, expected_version: int) -> int:
        """Append the event and save the state in one transaction (see the port)."""
        body = encode_state(state)
        version = expected_version + 1

        def write(conn: sqlite3.Connection) -> int:
            row = conn.execute(
                "SELECT version FROM learner_state "
                "WHERE tenant = ? AND learner_id = ? AND course_id = ?",
                (event.tenant, event.learner_id, event.course_id),
            ).fetchone()
            if (row[0] if row else 0) != expected_version:
                raise ConflictError(f"learner {event.learner_id!r} changed concurrently")
            # The tenant's next log id; rolled back with the savepoint if the insert fails.
            (log_id,) = conn.execute(
                "INSERT INTO tenant_log (tenant, last) VALUES (?, ?) "
                "ON CONFLICT (tenant) DO UPDATE SET last = last + 1 RETURNING last",
                (event.tenant, self._floor + 1),
            ).fetchone()
            try:
                conn.execute(
                    f"INSERT INTO events ({_INSERTED_COLUMNS}) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (*_event_row(event), log_id),
                )
            except sqlite3.IntegrityError as exc:
                raise DuplicateEventError(event.event_id) from exc
            conn.execute(
                "INSERT INTO learner_state (tenant, learner_id, course_id, version, body) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant, learner_id, course_id) "
                "DO UPDATE SET version = excluded.version, body = excluded.body",
                (event.tenant, event.learner_id, event.course_id, version, body),
            )
            return int(log_id)

        await self.committer.submit(write)
        self._remember((event.tenant, event.learner_id, event.course_id), Snapshot(state, version))
        return version

    async def delete_learner(
        self, tenant: str, learner_id: str, erasure: PendingErasure | None = None
    ) -> tuple[int, int]:
        """Erase every state and event of the learner in the tenant, and record the pending
        erasure in the same transaction when anything was erased."""

        def write(conn: sqlite3.Connection) -> tuple[int, int]:
            states = conn.execute(
                "DELETE FROM learner_state WHERE tenant = ? AND learner_id = ?",
                (tenant, learner_id),
            ).rowcount
            events = conn.execute(
                "DELETE FROM events WHERE tenant = ? AND learner_id = ?", (tenant, learner_id)
            ).rowcount
            iv.erase_learner(conn, tenant, learner_id)
            if erasure is not None and (states or events):
                erasures.record(conn, erasure)
            return states, events

        result: tuple[int, int] = await self.committer.submit(write)
        self._cache.drop(lambda k: k[0] == tenant and k[1] == learner_id)
        self._absent.drop(lambda k: k[0] == tenant and k[1] == learner_id)
        for key in self._reading:
            if key[0] == tenant and key[1] == learner_id:
                self._reading[key] = True
        return result

    # -- pending erasures (sqlite_erasures.py) ----------------------------------------------

    async def pending_erasures(
        self, tenant: str, learner_id: str, limit: int
    ) -> Sequence[PendingErasure]:
        """The tenant's pending erasures, oldest first."""
        return await self._in_reader(erasures.read, tenant, learner_id, limit)

    async def acknowledge_erasure(self, tenant: str, learner_id: str, erasure_id: str) -> bool:
        """Delete the pending erasure if it is still ``erasure_id`` (through the writer)."""
        done: bool = await self.committer.submit(
            lambda conn: erasures.acknowledge(conn, tenant, learner_id, erasure_id)
        )
        return done

    # -- interventions (sqlite_interventions.py) -------------------------------------------

    async def get_intervention(
        self, tenant: str, course_id: str, learner_id: str, request_id: str
    ) -> InterventionEntry | None:
        """The entry recorded under this request id, if any."""
        return await self._in_reader(iv.read_entry, tenant, course_id, learner_id, request_id
        )

    async def commit_intervention(
        self, entry: InterventionEntry, state: LearnerState, expected_version: int
    ) -> InterventionEntry:
        """Record the entry and save the state in one transaction (see the port)."""
        body = encode_state(state)
        logged: InterventionEntry = await self.committer.submit(
            lambda conn: iv.write_learner(conn, entry, body, expected_version)
        )
        key = (entry.tenant, entry.learner_id, entry.course_id)
        self._remember(key, Snapshot(state, expected_version + 1))
        return logged

    async def class_pins(self, tenant: str, course_id: str) -> ClassPins:
        """The course's class pins."""
        return await self._in_reader(iv.read_class_pins, tenant, course_id)

    async def commit_class_pins(
        self, entry: InterventionEntry, skills: tuple[str, ...], expected_version: int
    ) -> InterventionEntry:
        """Record the entry and set the class's pins in one transaction."""
        logged: InterventionEntry = await self.committer.submit(
            lambda conn: iv.write_class(conn, entry, skills, expected_version)
        )
        return logged

    async def list_interventions(
        self, tenant: str, course_id: str, learner_id: str, before: int, limit: int
    ) -> Sequence[InterventionEntry]:
        """The course's entries older than ``before``, newest first."""
        return await self._in_reader(iv.read_trail, tenant, course_id, learner_id, before, limit
        )

    async def latest_interventions(
        self, tenant: str, course_id: str
    ) -> Sequence[InterventionEntry]:
        """The newest entry of each learner in the course."""
        return await self._in_reader(iv.read_latest, tenant, course_id)

    # -- event log -------------------------------------------------------------------------

    async def get_event(self, tenant: str, event_id: str, learner_id: str) -> LoggedEvent | None:
        """The logged event with this id, if any. Ids are unique per tenant here, which is
        stricter than the port asks, so ``learner_id`` is not needed to find it."""
        row = await self._one_by_key(
            f"SELECT {_EVENT_COLUMNS} FROM events WHERE tenant = ? AND event_id = ?",
            (tenant, event_id),
        )
        return _event(row) if row else None

    async def read_course_events(
        self, tenant: str, course_id: str, after: int, limit: int
    ) -> Sequence[LoggedEvent]:
        """Events of one course with ``log_id > after``, in log order."""
        return await self._events(
            "tenant = ? AND course_id = ? AND tenant_log_id > ? ORDER BY tenant_log_id LIMIT ?",
            (tenant, course_id, after, limit),
        )

    async def read_learner_events(
        self, tenant: str, learner_id: str, course_id: str
    ) -> Sequence[LoggedEvent]:
        """One learner's events in one course, in the order they were applied."""
        return await self._events(
            "tenant = ? AND learner_id = ? AND course_id = ? ORDER BY sequence",
            (tenant, learner_id, course_id),
        )

    async def read_events(self, tenant: str, after: int, limit: int) -> Sequence[LoggedEvent]:
        """Events of the tenant with ``log_id > after`` (the tenant's own numbering), in log
        order."""
        return await self._events(
            "tenant = ? AND tenant_log_id > ? ORDER BY tenant_log_id LIMIT ?",
            (tenant, after, limit),
        )

    async def _events(self, where: str, args: tuple[object, ...]) -> list[LoggedEvent]:
        """Events matching ``where``, read in a worker thread: a page of a long log (a
        statistics rebuild, an export) must not stall the event loop. SQLite is built
        serialized (sqlite3.threadsafety == 3), so the reader connection may be shared."""
        sql = f"SELECT {_EVENT_COLUMNS} FROM events WHERE {where}"

        def query(conn: sqlite3.Connection) -> list[LoggedEvent]:
            return [_event(r) for r in conn.execute(sql, args).fetchall()]

        return await self._in_reader(query)


def _event_row(e: LoggedEvent) -> tuple[object, ...]:
    return (
        e.tenant, e.event_id, e.learner_id, e.course_id, e.item_id, e.score,
        e.response_time_ms, e.occurred_at, e.recorded_at, e.sequence, encode_result(e.reply),
        e.credibility, e.gain,
    )  # fmt: skip


def _event(row: Sequence[Any]) -> LoggedEvent:
    """A row of _EVENT_COLUMNS as a logged event, its reply decoded."""
    fields = list(row)
    fields[_REPLY] = decode_result(fields[_REPLY])
    return LoggedEvent(*fields)
