"""The statement outbox on SQLite (the gateway's file, its own connection): targets, the
event-log cursor per tenant, and the statements waiting for each target.

A statement is queued once per target: ``UNIQUE (target, statement_id)`` with deterministic
ids makes re-reading the log harmless. Each target has its own cursor into its tenant's log (a
new target is fed the tenant's history first), and the cursor moves in the same transaction
as the rows it produced, so a crash between the two cannot lose or double a statement.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from gateway.lrs.ports import QueuedStatement, UnbuiltEvent, is_unbuilt
from gateway.lrs.targets import LrsTarget
from gateway.lrs.unbuilt import not_replayable
from gateway.sqlite_file import SqliteFile

SCHEMA = """
CREATE TABLE IF NOT EXISTS lrs_targets (
    tenant TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (tenant, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS statement_cursor (
    target TEXT PRIMARY KEY, after_log_id INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS statements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL, target TEXT NOT NULL, statement_id TEXT NOT NULL, body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',
    UNIQUE (target, statement_id)
);
CREATE INDEX IF NOT EXISTS statements_due ON statements (target, status, next_at, id);
"""


class SqliteStatementOutbox(SqliteFile):
    """Targets, cursors and queued statements."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, SCHEMA)

    # -- targets --------------------------------------------------------------------------

    def put_target(self, target: LrsTarget) -> None:
        self._run(
            "INSERT OR REPLACE INTO lrs_targets VALUES (?, ?, ?)",
            (target.tenant, target.name, json.dumps(asdict(target))),
        )

    def targets(self, tenant: str | None = None) -> list[LrsTarget]:
        """Every target (of ``tenant``), enabled or not."""
        if tenant is None:
            rows = self._run("SELECT body FROM lrs_targets ORDER BY tenant, name")
        else:
            rows = self._run(
                "SELECT body FROM lrs_targets WHERE tenant = ? ORDER BY name", (tenant,)
            )
        return [LrsTarget(**json.loads(r[0])) for r in rows]

    def delete_target(self, tenant: str, name: str) -> bool:
        return (
            self._count("DELETE FROM lrs_targets WHERE tenant = ? AND name = ?", (tenant, name))
            == 1
        )

    # -- the feed -------------------------------------------------------------------------

    def cursor(self, target: str) -> int:
        """How far into its tenant's event log a target has been fed (0: not yet)."""
        rows = self._run("SELECT after_log_id FROM statement_cursor WHERE target = ?", (target,))
        return int(rows[0][0]) if rows else 0

    def enqueue(
        self,
        tenant: str,
        rows: Sequence[tuple[str, str, dict[str, Any]]],
        cursor: tuple[str, int] | None = None,
        unbuilt: Sequence[UnbuiltEvent] = (),
    ) -> int:
        """Queue ``(target, statement_id, body)`` rows not queued before, park ``unbuilt``
        log entries as dead letters, and move a target's cursor (``(target, after_log_id)``,
        when given), atomically; how many rows were new."""
        added = 0
        with self._transaction() as db:
            for target, statement_id, body in rows:
                added += db.execute(
                    "INSERT OR IGNORE INTO statements (tenant, target, statement_id, body) "
                    "VALUES (?, ?, ?, ?)",
                    (tenant, target, statement_id, json.dumps(body)),
                ).rowcount
            for entry in unbuilt:
                db.execute(
                    "INSERT OR IGNORE INTO statements "
                    "(tenant, target, statement_id, body, status, last_error) "
                    "VALUES (?, ?, ?, ?, 'dead', ?)",
                    (
                        tenant,
                        entry.target,
                        entry.statement_id,
                        json.dumps(entry.body),
                        entry.reason[:1000],
                    ),
                )
            if cursor is not None:
                db.execute("INSERT OR REPLACE INTO statement_cursor VALUES (?, ?)", cursor)
        return added

    # -- delivery -------------------------------------------------------------------------

    def due(self, target: LrsTarget, now: float, limit: int) -> list[QueuedStatement]:
        """The oldest pending statements of a target whose retry time has come."""
        rows = self._run(
            f"SELECT {_COLUMNS} FROM statements WHERE target = ? AND status = 'pending' "
            "AND next_at <= ? ORDER BY id LIMIT ?",
            (target.key, now, limit),
        )
        return [_queued(r) for r in rows]

    def delivered(self, tenant: str, row_ids: Sequence[int]) -> None:
        self._update("status = 'delivered', attempts = attempts + 1", (), row_ids)

    def retry(self, tenant: str, row_ids: Sequence[int], next_at: float, error: str) -> None:
        self._update(
            "attempts = attempts + 1, next_at = ?, last_error = ?", (next_at, error[:1000]), row_ids
        )

    def dead(self, tenant: str, row_id: int, error: str) -> None:
        self._update(
            "status = 'dead', attempts = attempts + 1, last_error = ?", (error[:1000],), [row_id]
        )

    def _update(self, assignments: str, args: tuple[Any, ...], row_ids: Sequence[int]) -> None:
        if not row_ids:
            return
        marks = ",".join("?" * len(row_ids))
        self._run(f"UPDATE statements SET {assignments} WHERE id IN ({marks})", (*args, *row_ids))

    def list_statements(self, tenant: str, status: str, limit: int = 500) -> list[QueuedStatement]:
        rows = self._run(
            f"SELECT {_COLUMNS} FROM statements WHERE tenant = ? AND status = ? "
            "ORDER BY id LIMIT ?",
            (tenant, status, limit),
        )
        return [_queued(r) for r in rows]

    def replay(self, tenant: str, row_id: int, now: float) -> bool:
        """Put a dead letter back in the queue (not one that could not be built)."""
        found = self._run(
            "SELECT statement_id, body, last_error FROM statements "
            "WHERE tenant = ? AND id = ? AND status = 'dead'",
            (tenant, row_id),
        )
        if found and is_unbuilt(found[0][0]):
            raise not_replayable(row_id, json.loads(found[0][1]), found[0][2])
        return (
            self._count(
                "UPDATE statements SET status = 'pending', next_at = ? "
                "WHERE tenant = ? AND id = ? AND status = 'dead'",
                (now, tenant, row_id),
            )
            == 1
        )

    def counts(self, tenant: str) -> dict[str, int]:
        rows = self._run(
            "SELECT status, COUNT(*) FROM statements WHERE tenant = ? GROUP BY status", (tenant,)
        )
        return {status: int(n) for status, n in rows}


_COLUMNS = "id, tenant, target, statement_id, body, attempts, last_error"


def _queued(row: tuple[Any, ...]) -> QueuedStatement:
    return QueuedStatement(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5], row[6])
