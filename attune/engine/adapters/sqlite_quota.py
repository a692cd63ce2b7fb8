"""The embedded store's per-tenant counts for the quotas (engine/service/quotas.py).

``quota_usage`` holds one row per (tenant, kind): ``courses`` is kept by triggers on the
``courses`` table (an insert counts, an upsert that replaces does not); ``learners`` counts the
rows of ``quota_learners``, the learners admitted by :meth:`SqliteQuota.admit_learner` (in the
single writer thread, so the check and the insert are one atomic step) and released by their
erasure. Reading a count is one primary-key lookup: O(1) whatever the tenant stores.

The tables and triggers are created the first time quotas are opened on a data dir; a data
dir of an older version is counted then, once (its courses and the learners with state).
"""

from __future__ import annotations

import sqlite3

from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.domain.course import Course

COURSES = "courses"
LEARNERS = "learners"

_SCHEMA = (
    "CREATE TABLE quota_usage (tenant TEXT NOT NULL, kind TEXT NOT NULL, n INTEGER NOT NULL, "
    "PRIMARY KEY (tenant, kind)) WITHOUT ROWID",
    "CREATE TABLE quota_learners (tenant TEXT NOT NULL, learner_id TEXT NOT NULL, "
    "PRIMARY KEY (tenant, learner_id)) WITHOUT ROWID",
    "CREATE TRIGGER quota_course_added AFTER INSERT ON courses BEGIN "
    "INSERT INTO quota_usage (tenant, kind, n) VALUES (NEW.tenant, 'courses', 1) "
    "ON CONFLICT (tenant, kind) DO UPDATE SET n = n + 1; END",
    "CREATE TRIGGER quota_course_removed AFTER DELETE ON courses BEGIN "
    "UPDATE quota_usage SET n = n - 1 WHERE tenant = OLD.tenant AND kind = 'courses'; END",
    # What the store held before quotas were opened on it, counted once.
    "INSERT INTO quota_learners SELECT DISTINCT tenant, learner_id FROM learner_state",
    "INSERT INTO quota_usage SELECT tenant, 'learners', COUNT(*) FROM quota_learners "
    "GROUP BY tenant",
    "INSERT INTO quota_usage SELECT tenant, 'courses', COUNT(*) FROM courses GROUP BY tenant",
)

_BUMP = (
    "INSERT INTO quota_usage (tenant, kind, n) VALUES (?, ?, ?) "
    "ON CONFLICT (tenant, kind) DO UPDATE SET n = n + excluded.n"
)


def _create(conn: sqlite3.Connection) -> None:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'quota_usage'"
    ).fetchone()
    if exists is None:
        for statement in _SCHEMA:
            conn.execute(statement)


def _count(conn: sqlite3.Connection, tenant: str, kind: str) -> int:
    row = conn.execute(
        "SELECT n FROM quota_usage WHERE tenant = ? AND kind = ?", (tenant, kind)
    ).fetchone()
    return int(row[0]) if row else 0


def _known(conn: sqlite3.Connection, tenant: str, learner_id: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM quota_learners WHERE tenant = ? AND learner_id = ?", (tenant, learner_id)
    ).fetchone()
    return row is not None


class SqliteQuota:
    """:class:`~engine.service.quotas.QuotaCounter` on the embedded store."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    @classmethod
    async def open(cls, store: SqliteStore) -> SqliteQuota:
        """Create the counts (and count what is stored) unless the data dir has them."""
        await store.committer.submit(_create)
        return cls(store)

    async def course_count(self, tenant: str) -> int:
        """The tenant's courses."""
        row = await self._store._one(
            "SELECT n FROM quota_usage WHERE tenant = ? AND kind = ?", (tenant, COURSES)
        )
        return int(row[0]) if row else 0

    async def put_new_course(self, tenant: str, course: Course, limit: int) -> bool:
        """Check the count, then write: exact under the service's per-tenant lock, as the
        embedded store has one process."""
        if limit and await self.course_count(tenant) >= limit:
            return False
        await self._store.put_course(tenant, course)
        return True

    async def learner_count(self, tenant: str) -> int:
        """The tenant's learners (admitted and not erased)."""
        row = await self._store._one(
            "SELECT n FROM quota_usage WHERE tenant = ? AND kind = ?", (tenant, LEARNERS)
        )
        return int(row[0]) if row else 0

    async def admit_learner(self, tenant: str, learner_id: str, limit: int) -> bool:
        """See the port; a learner counted already costs one read, no write."""
        known = await self._store._one(
            "SELECT 1 FROM quota_learners WHERE tenant = ? AND learner_id = ?",
            (tenant, learner_id),
        )
        if known is not None:
            return True

        def write(conn: sqlite3.Connection) -> bool:
            if _known(conn, tenant, learner_id):
                return True
            if limit and _count(conn, tenant, LEARNERS) >= limit:
                return False
            conn.execute(
                "INSERT INTO quota_learners (tenant, learner_id) VALUES (?, ?)",
                (tenant, learner_id),
            )
            conn.execute(_BUMP, (tenant, LEARNERS, 1))
            return True

        admitted: bool = await self._store.committer.submit(write)
        return admitted

    async def release_learner(self, tenant: str, learner_id: str) -> None:
        """Uncount the learner (nothing when they were not counted)."""

        def write(conn: sqlite3.Connection) -> None:
            gone = conn.execute(
                "DELETE FROM quota_learners WHERE tenant = ? AND learner_id = ?",
                (tenant, learner_id),
            ).rowcount
            if gone:
                conn.execute(_BUMP, (tenant, LEARNERS, -1))

        await self._store.committer.submit(write)
