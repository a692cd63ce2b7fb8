"""The embedded store's interventions: the audit trail and the class pins, in the same file
and through the same writer as learner states, so an intervention commits with the state
it changes in one transaction (see sqlite_store.py).

The functions named ``write_*`` run on the writer connection inside the group committer's
savepoint; those named ``read_*`` on the shared reader.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace

from attune.engine.adapters.intervention_codec import (
    decode_entry,
    decode_pins,
    encode_entry,
    encode_pins,
)
from attune.engine.domain.errors import ConflictError
from attune.engine.domain.interventions import InterventionEntry
from attune.engine.domain.interventions_apply import ClassPins
from attune.engine.ports import DuplicateInterventionError

# intervention_id is the tenant's own numbering (from intervention_seq), like the event log's
# tenant_log_id: a tenant's ids say nothing about what other tenants do.
SCHEMA = """
CREATE TABLE IF NOT EXISTS interventions (
    tenant TEXT NOT NULL, intervention_id INTEGER NOT NULL,
    course_id TEXT NOT NULL, learner_id TEXT NOT NULL, request_id TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (tenant, intervention_id),
    UNIQUE (tenant, course_id, learner_id, request_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS interventions_by_course
    ON interventions (tenant, course_id, intervention_id);
CREATE INDEX IF NOT EXISTS interventions_by_learner
    ON interventions (tenant, course_id, learner_id, intervention_id);
CREATE TABLE IF NOT EXISTS intervention_seq (
    tenant TEXT NOT NULL PRIMARY KEY, last INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS class_pins (
    tenant TEXT NOT NULL, course_id TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (tenant, course_id)
) WITHOUT ROWID;
"""

_COLUMNS = "intervention_id, body"


def _append(conn: sqlite3.Connection, entry: InterventionEntry) -> InterventionEntry:
    """Give the entry the tenant's next id and insert it (a known request id: refused)."""
    (n,) = conn.execute(
        "INSERT INTO intervention_seq (tenant, last) VALUES (?, 1) "
        "ON CONFLICT (tenant) DO UPDATE SET last = last + 1 RETURNING last",
        (entry.tenant,),
    ).fetchone()
    try:
        conn.execute(
            "INSERT INTO interventions "
            "(tenant, intervention_id, course_id, learner_id, request_id, body) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                entry.tenant,
                n,
                entry.course_id,
                entry.learner_id,
                entry.request_id,
                encode_entry(entry),
            ),
        )
    except sqlite3.IntegrityError as exc:
        raise DuplicateInterventionError(entry.request_id) from exc
    return replace(entry, intervention_id=int(n))


def write_learner(
    conn: sqlite3.Connection,
    entry: InterventionEntry,
    state_body: str,
    expected_version: int,
) -> InterventionEntry:
    """Check the learner's version, append the entry, save the state."""
    key = (entry.tenant, entry.learner_id, entry.course_id)
    row = conn.execute(
        "SELECT version FROM learner_state WHERE tenant = ? AND learner_id = ? AND course_id = ?",
        key,
    ).fetchone()
    if (row[0] if row else 0) != expected_version:
        raise ConflictError(f"learner {entry.learner_id!r} changed concurrently")
    logged = _append(conn, entry)
    conn.execute(
        "INSERT INTO learner_state (tenant, learner_id, course_id, version, body) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant, learner_id, course_id) "
        "DO UPDATE SET version = excluded.version, body = excluded.body",
        (*key, expected_version + 1, state_body),
    )
    return logged


def write_class(
    conn: sqlite3.Connection,
    entry: InterventionEntry,
    skills: tuple[str, ...],
    expected_version: int,
) -> InterventionEntry:
    """Check the class pins' version, append the entry, set the pins."""
    row = conn.execute(
        "SELECT version FROM class_pins WHERE tenant = ? AND course_id = ?",
        (entry.tenant, entry.course_id),
    ).fetchone()
    if (row[0] if row else 0) != expected_version:
        raise ConflictError(f"the class pins of {entry.course_id!r} changed concurrently")
    logged = _append(conn, entry)
    conn.execute(
        "INSERT INTO class_pins (tenant, course_id, version, body) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (tenant, course_id) DO UPDATE SET version = excluded.version, "
        "body = excluded.body",
        (entry.tenant, entry.course_id, expected_version + 1, encode_pins(skills)),
    )
    return logged


def erase_learner(conn: sqlite3.Connection, tenant: str, learner_id: str) -> None:
    """Delete the learner's entries (inside the learner's erasure transaction)."""
    conn.execute(
        "DELETE FROM interventions WHERE tenant = ? AND learner_id = ?", (tenant, learner_id)
    )


def read_entry(
    conn: sqlite3.Connection, tenant: str, course_id: str, learner_id: str, request_id: str
) -> InterventionEntry | None:
    """The entry recorded under a request id."""
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM interventions "
        "WHERE tenant = ? AND course_id = ? AND learner_id = ? AND request_id = ?",
        (tenant, course_id, learner_id, request_id),
    ).fetchone()
    return decode_entry(row[1], row[0]) if row else None


def read_class_pins(conn: sqlite3.Connection, tenant: str, course_id: str) -> ClassPins:
    """The class pins of a course."""
    row = conn.execute(
        "SELECT version, body FROM class_pins WHERE tenant = ? AND course_id = ?",
        (tenant, course_id),
    ).fetchone()
    return ClassPins(decode_pins(row[1]), row[0]) if row else ClassPins()


def read_trail(
    conn: sqlite3.Connection,
    tenant: str,
    course_id: str,
    learner_id: str,
    before: int,
    limit: int,
) -> Sequence[InterventionEntry]:
    """A course's (or one learner's) entries with ids below ``before``, newest first."""
    bound = before if before > 0 else 2**63 - 1
    where = "tenant = ? AND course_id = ? AND intervention_id < ?"
    args: tuple[object, ...] = (tenant, course_id, bound)
    if learner_id:
        where += " AND learner_id = ?"
        args += (learner_id,)
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM interventions WHERE {where} ORDER BY intervention_id DESC LIMIT ?",
        (*args, limit),
    ).fetchall()
    return [decode_entry(r[1], r[0]) for r in rows]


def read_latest(
    conn: sqlite3.Connection, tenant: str, course_id: str
) -> Sequence[InterventionEntry]:
    """The newest entry of each learner in a course (interventions_by_learner serves it)."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM interventions WHERE tenant = ? AND course_id = ? "
        "AND intervention_id IN (SELECT MAX(intervention_id) FROM interventions "
        "WHERE tenant = ? AND course_id = ? AND learner_id != '' GROUP BY learner_id)",
        (tenant, course_id, tenant, course_id),
    ).fetchall()
    return [decode_entry(r[1], r[0]) for r in rows]
