"""Pending erasures in the embedded store: one row per (tenant, learner), written in the
delete's own transaction (engine/domain/erasures.py)."""

from __future__ import annotations

import sqlite3

from attune.engine.domain.erasures import PendingErasure

SCHEMA = """
CREATE TABLE IF NOT EXISTS pending_erasures (
    tenant TEXT NOT NULL, learner_id TEXT NOT NULL, erasure_id TEXT NOT NULL,
    requested_at REAL NOT NULL, request_id TEXT NOT NULL,
    PRIMARY KEY (tenant, learner_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS pending_erasures_by_age
    ON pending_erasures (tenant, requested_at, learner_id);
"""
_COLUMNS = "tenant, learner_id, erasure_id, requested_at, request_id"


def record(conn: sqlite3.Connection, erasure: PendingErasure) -> None:
    """Record (or replace) the learner's pending erasure; inside the delete's transaction."""
    conn.execute(
        f"INSERT INTO pending_erasures ({_COLUMNS}) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (tenant, learner_id) DO UPDATE SET erasure_id = excluded.erasure_id, "
        "requested_at = excluded.requested_at, request_id = excluded.request_id",
        (
            erasure.tenant,
            erasure.learner_id,
            erasure.erasure_id,
            erasure.requested_at,
            erasure.request_id,
        ),
    )


def read(
    conn: sqlite3.Connection, tenant: str, learner_id: str, limit: int
) -> list[PendingErasure]:
    """The tenant's pending erasures (the learner's only, when given), oldest first."""
    where = "tenant = ?" + (" AND learner_id = ?" if learner_id else "")
    args: tuple[object, ...] = (tenant, learner_id) if learner_id else (tenant,)
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM pending_erasures WHERE {where} "
        "ORDER BY requested_at, learner_id LIMIT ?",
        (*args, limit),
    ).fetchall()
    return [PendingErasure(t, lid, eid, float(at), rid) for t, lid, eid, at, rid in rows]


def acknowledge(conn: sqlite3.Connection, tenant: str, learner_id: str, erasure_id: str) -> bool:
    """Delete the row if it is still ``erasure_id``; whether it was."""
    deleted = conn.execute(
        "DELETE FROM pending_erasures WHERE tenant = ? AND learner_id = ? AND erasure_id = ?",
        (tenant, learner_id, erasure_id),
    ).rowcount
    return bool(deleted)
