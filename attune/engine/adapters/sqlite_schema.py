"""The embedded store's schema, and the migration of a data dir of an older version."""

from __future__ import annotations

import sqlite3

# Tables first; indexes and triggers once the tables have their current columns (an older
# data dir is migrated in between, see _migrate).
TABLES = """
CREATE TABLE IF NOT EXISTS courses (
    tenant TEXT NOT NULL, course_id TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (tenant, course_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS learner_state (
    tenant TEXT NOT NULL, learner_id TEXT NOT NULL, course_id TEXT NOT NULL,
    version INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (tenant, learner_id, course_id)
) WITHOUT ROWID;
-- log_id is the row's place in the file, shared by every tenant: never shown. A tenant sees
-- tenant_log_id, its own log's numbering (1, 2, 3, ... from tenant_log), so that its
-- cursors reveal nothing of what other tenants write.
CREATE TABLE IF NOT EXISTS events (
    log_id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL, event_id TEXT NOT NULL,
    learner_id TEXT NOT NULL, course_id TEXT NOT NULL, item_id TEXT NOT NULL,
    score REAL NOT NULL, response_time_ms INTEGER NOT NULL,
    occurred_at REAL NOT NULL, recorded_at REAL NOT NULL, sequence INTEGER NOT NULL,
    reply TEXT NOT NULL,
    credibility REAL NOT NULL DEFAULT 1.0, gain REAL NOT NULL DEFAULT 0.0,
    tenant_log_id INTEGER NOT NULL,
    UNIQUE (tenant, event_id)
);
-- The last tenant_log_id handed out per tenant; never goes back, even when events are erased.
CREATE TABLE IF NOT EXISTS tenant_log (
    tenant TEXT NOT NULL PRIMARY KEY, last INTEGER NOT NULL
) WITHOUT ROWID;
-- 'floor': where a tenant's log starts (0, or the last shared log id of a migrated store).
CREATE TABLE IF NOT EXISTS store_meta (
    key TEXT NOT NULL PRIMARY KEY, value INTEGER NOT NULL
) WITHOUT ROWID;
"""
INDEXES = """
CREATE UNIQUE INDEX IF NOT EXISTS events_by_tenant_log ON events (tenant, tenant_log_id);
CREATE INDEX IF NOT EXISTS events_by_course_log ON events (tenant, course_id, tenant_log_id);
CREATE INDEX IF NOT EXISTS events_by_learner ON events (tenant, learner_id, course_id, sequence);
-- The log is append-only: rows are never rewritten. Erasure (DeleteLearner) deletes them.
CREATE TRIGGER IF NOT EXISTS events_append_only BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
"""
SCHEMA_VERSION = 1


def prepare_schema(conn: sqlite3.Connection) -> int:
    """Create or migrate the schema on ``conn`` (the writer, before it starts); return the
    log floor (see :func:`_migrate`)."""
    conn.executescript(TABLES)
    floor = _migrate(conn)
    conn.executescript(INDEXES)
    return floor


def _migrate(conn: sqlite3.Connection) -> int:
    """Bring a data dir of an older version to the current schema; return the log floor.

    Version 0 numbered one log for every tenant (``log_id``). Its events keep their numbers,
    so a reader's saved cursor stays valid, and every tenant's own numbering continues above
    the last number version 0 handed out (the floor), so no new event lands behind a saved
    cursor. The floor is one constant, the same for every tenant: it says nothing about what
    any tenant writes from then on.
    """
    columns = {row[1] for row in conn.execute("PRAGMA table_info(events)")}
    if "tenant_log_id" not in columns:
        conn.execute("BEGIN IMMEDIATE")
        try:
            (floor,) = conn.execute(
                "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), "
                "(SELECT MAX(log_id) FROM events), 0)"
            ).fetchone()
            conn.execute("DROP TRIGGER IF EXISTS events_append_only")  # recreated after
            conn.execute("DROP INDEX IF EXISTS events_by_course")
            conn.execute("ALTER TABLE events ADD COLUMN tenant_log_id INTEGER NOT NULL DEFAULT 0")
            conn.execute("UPDATE events SET tenant_log_id = log_id")
            conn.execute(
                "INSERT OR REPLACE INTO store_meta (key, value) VALUES ('floor', ?)", (floor,)
            )
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    else:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    row = conn.execute("SELECT value FROM store_meta WHERE key = 'floor'").fetchone()
    return int(row[0]) if row else 0
