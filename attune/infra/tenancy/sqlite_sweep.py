"""A tenant's rows in one SQLite file: every table with a ``tenant`` column holds tenant data
(the stores' shared layout rule), so a new table is covered without a change here. Audit
tables are left to the audit port (``audit_*``: append-only, see :mod:`attune.tenancy.ops`).

One exception to the rule: the gateway's token indexes live in the ``""`` namespace of ``kv``
(the token names no tenant: ``session-tenant:``, ``sso-session-tenant:``, ``dynreg:``, ...)
and name the tenant in their value. One rule covers them all: every ``kv`` row of tenant ``""``
whose value is the tenant (as stored: JSON) belongs to that tenant.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SKIPPED_PREFIXES = ("sqlite_", "audit_")


def _cell(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"$base64": base64.b64encode(value).decode()}
    return value


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class SqliteSweep:
    """Read or drop one tenant's rows of one SQLite file, on a connection of its own (the
    deployable using the file may keep running: reads take :meth:`snapshot`, a delete is one
    write transaction, waiting for the file's writer as any writer does)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(path, timeout=10.0, isolation_level=None)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Hold one read transaction: every read inside sees the same state of the file."""
        self._db.execute("BEGIN")
        try:
            self._db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # takes the view
            yield
        finally:
            self._db.execute("COMMIT")

    def tables(self) -> list[str]:
        """The tables with a ``tenant`` column, by name."""
        names = [
            r[0]
            for r in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return [
            n
            for n in names
            if not n.startswith(SKIPPED_PREFIXES)
            and "tenant" in {r[1] for r in self._db.execute(f"PRAGMA table_info({_quoted(n)})")}
        ]

    def _has_index(self, table: str) -> bool:
        columns = {r[1] for r in self._db.execute(f"PRAGMA table_info({_quoted(table)})")}
        return table == "kv" and {"key", "value"} <= columns

    def rows(self, tenant: str, table: str) -> Iterator[dict[str, Any]]:
        """The tenant's rows of ``table`` as JSON-ready dicts (blobs as ``{"$base64": ...}``)."""
        cursor = self._db.execute(f"SELECT * FROM {_quoted(table)} WHERE tenant = ?", (tenant,))
        names = [d[0] for d in cursor.description]
        for row in cursor:
            yield {n: _cell(v) for n, v in zip(names, row, strict=True)}
        if self._has_index(table):
            cursor = self._db.execute(
                f"SELECT * FROM {_quoted(table)} WHERE tenant = '' AND value = ?",
                (json.dumps(tenant),),
            )
            names = [d[0] for d in cursor.description]
            for row in cursor:
                yield {n: _cell(v) for n, v in zip(names, row, strict=True)}

    def delete(self, tenant: str) -> dict[str, int]:
        """Drop the tenant's rows of every table, in one transaction; rows per table."""
        counts: dict[str, int] = {}
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            for table in self.tables():
                gone = db.execute(f"DELETE FROM {_quoted(table)} WHERE tenant = ?", (tenant,))
                counts[table] = gone.rowcount
                if self._has_index(table):
                    index = db.execute(
                        f"DELETE FROM {_quoted(table)} WHERE tenant = '' AND value = ?",
                        (json.dumps(tenant),),
                    )
                    counts[table] += index.rowcount
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return {t: n for t, n in counts.items() if n}
