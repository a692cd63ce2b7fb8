"""Accepted statements on the gateway's SQLite file: one table beside the others, rows
numbered per file (``seq``, the row id), read per tenant in that order."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence

from attune.gateway.xapi_store.ports import (
    StoredStatement,
    record_from_json,
    record_to_json,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS xapi_statements (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, statement_id TEXT NOT NULL,
    voided INTEGER NOT NULL, body TEXT NOT NULL, UNIQUE (tenant, statement_id)
);
CREATE INDEX IF NOT EXISTS xapi_statements_by_tenant ON xapi_statements (tenant, seq);
"""


class SqliteStatements:
    """:class:`~gateway.xapi_store.ports.StatementStore` over a SqliteFile's connection
    (mixed into the gateway's SQLite store, which runs :data:`SCHEMA`)."""

    _db: sqlite3.Connection
    _lock: threading.Lock

    def add_statement(self, tenant: str, record: StoredStatement) -> bool:
        body = json.dumps(record_to_json(record))
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO xapi_statements (tenant, statement_id, voided, body) "
                "VALUES (?, ?, ?, ?)",
                (tenant, record.statement_id, int(record.voided), body),
            )
        return cursor.rowcount == 1

    def get_statement(self, tenant: str, statement_id: str) -> StoredStatement | None:
        with self._lock:
            row = self._db.execute(
                "SELECT seq, voided, body FROM xapi_statements "
                "WHERE tenant = ? AND statement_id = ?",
                (tenant, statement_id),
            ).fetchone()
        return None if row is None else _record(row)

    def erase_statements(self, tenant: str, statement_ids: Sequence[str]) -> int:
        with self._lock:
            return sum(
                self._db.execute(
                    "DELETE FROM xapi_statements WHERE tenant = ? AND statement_id = ?",
                    (tenant, one),
                ).rowcount
                for one in statement_ids
            )

    def void_statement(self, tenant: str, statement_id: str) -> bool:
        with self._lock:
            cursor = self._db.execute(
                "UPDATE xapi_statements SET voided = 1 "
                "WHERE tenant = ? AND statement_id = ? AND voided = 0",
                (tenant, statement_id),
            )
        return cursor.rowcount == 1

    def scan_statements(
        self, tenant: str, after: int, ascending: bool, limit: int
    ) -> Sequence[StoredStatement]:
        if ascending:
            sql = "AND seq > ? ORDER BY seq ASC"
            bound = after
        else:
            sql = "AND seq < ? ORDER BY seq DESC"
            bound = after or 2**62
        with self._lock:
            rows = self._db.execute(
                f"SELECT seq, voided, body FROM xapi_statements WHERE tenant = ? {sql} LIMIT ?",
                (tenant, bound, limit),
            ).fetchall()
        return [_record(r) for r in rows]


def _record(row: tuple[int, int, str]) -> StoredStatement:
    body = json.loads(row[2])
    return record_from_json({**body, "seq": row[0], "voided": bool(row[1])})
