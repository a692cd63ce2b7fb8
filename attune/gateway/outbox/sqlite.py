"""The leased queue on the embedded SQLite file: one table per family (``queue_grades``,
``queue_statements``) and one table of cursors, each write one short transaction.

The embedded store has one gateway, so by default a lease is the read itself (``lease_s``
0): an item a crashed sender held is due again as soon as the gateway is back. Files written
before issue 12 kept grades in ``outbox`` and statements in ``statements`` and
``statement_cursor``: they are moved into the new tables when the file is opened, ids and all
(:mod:`gateway.outbox.sqlite_legacy`).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

from attune.gateway.outbox.ports import ERROR_CHARS, NewItem, QueueItem
from attune.gateway.outbox.sqlite_legacy import migrate
from attune.gateway.sqlite_file import SqliteFile

SCHEMA = """
CREATE TABLE IF NOT EXISTS queue_{f} (
    item_id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL, queue TEXT NOT NULL, key TEXT NOT NULL, payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL DEFAULT 0, done_at REAL
);
CREATE INDEX IF NOT EXISTS queue_{f}_due ON queue_{f} (status, next_at, item_id);
CREATE INDEX IF NOT EXISTS queue_{f}_queue ON queue_{f} (tenant, queue, status, next_at);
CREATE INDEX IF NOT EXISTS queue_{f}_key ON queue_{f} (tenant, queue, key, status);
CREATE INDEX IF NOT EXISTS queue_{f}_tenant ON queue_{f} (tenant, status, item_id);
CREATE TABLE IF NOT EXISTS queue_cursors (
    family TEXT NOT NULL, tenant TEXT NOT NULL, name TEXT NOT NULL, position INTEGER NOT NULL,
    PRIMARY KEY (family, tenant, name)
) WITHOUT ROWID;
"""
_COLUMNS = "item_id, tenant, queue, key, payload, status, attempts, next_at, last_error"


class SqliteLeasedQueue(SqliteFile):
    """:class:`~gateway.outbox.ports.LeasedQueue` for one family, on its own connection."""

    def __init__(self, path: Path, family: str, lease_s: float = 0.0) -> None:
        if not re.fullmatch(r"[a-z]+", family):
            raise ValueError(f"family must be lower-case letters, got {family!r}")
        super().__init__(path, SCHEMA.format(f=family))
        self._family, self._table, self._lease_s = family, f"queue_{family}", lease_s
        with self._transaction() as db:
            migrate(db, family, self._table)

    def enqueue(
        self,
        tenant: str,
        items: Sequence[NewItem],
        *,
        supersede: bool = False,
        cursor: tuple[str, int] | None = None,
        now: float = 0.0,
    ) -> list[int | None]:
        ids: list[int | None] = []
        t = self._table
        with self._transaction() as db:
            for item in items:
                match = (tenant, item.queue, item.key)
                if supersede:
                    db.execute(
                        f"UPDATE {t} SET status = 'superseded' WHERE tenant = ? AND queue = ? "
                        "AND key = ? AND status = 'pending'",
                        match,
                    )
                status = "dead" if item.parked else "pending"
                row = db.execute(
                    f"INSERT INTO {t} (tenant, queue, key, payload, status, next_at, last_error, "
                    f"created_at) SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE ? OR NOT EXISTS "
                    f"(SELECT 1 FROM {t} WHERE tenant = ? AND queue = ? AND key = ?) "
                    "RETURNING item_id",
                    (
                        *match,
                        json.dumps(dict(item.payload)),
                        status,
                        now,
                        item.parked[:ERROR_CHARS],
                        time.time(),
                        supersede,
                        *match,
                    ),
                ).fetchone()
                ids.append(int(row[0]) if row else None)
            if cursor is not None:
                db.execute(
                    "INSERT INTO queue_cursors VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE "
                    "SET position = max(position, excluded.position)",
                    (self._family, tenant, *cursor),
                )
        return ids

    def cursor(self, tenant: str, name: str) -> int:
        rows = self._run(
            "SELECT position FROM queue_cursors WHERE family = ? AND tenant = ? AND name = ?",
            (self._family, tenant, name),
        )
        return int(rows[0][0]) if rows else 0

    def lease(
        self,
        now: float,
        limit: int,
        tenant: str | None = None,
        queue: str | None = None,
        skip: Collection[int] = (),
    ) -> list[QueueItem]:
        where = "status = 'pending' AND next_at <= ?"
        args: list[Any] = [now]
        for column, value in (("tenant", tenant), ("queue", queue)):
            if value is not None:
                where, args = f"{where} AND {column} = ?", [*args, value]
        if skip:
            where = f"{where} AND item_id NOT IN ({','.join('?' * len(skip))})"
            args += list(skip)
        select = f"SELECT {_COLUMNS} FROM {self._table} WHERE {where} ORDER BY item_id LIMIT ?"
        if self._lease_s <= 0:
            return [_item(r) for r in self._run(select, (*args, limit))]
        with self._transaction() as db:
            rows = db.execute(select, (*args, limit)).fetchall()
            marks = ",".join("?" * len(rows))
            db.execute(
                f"UPDATE {self._table} SET next_at = ? WHERE item_id IN ({marks})",
                (now + self._lease_s, *(r[0] for r in rows)),
            )
        return [_item(r) for r in rows]

    def ack(
        self, tenant: str, item_ids: Sequence[int], now: float, queue: str | None = None
    ) -> None:
        assignments = "status = 'delivered', done_at = ?, attempts = attempts + 1"
        self._settle(tenant, item_ids, assignments, (now,), queue=queue)

    def retry(self, tenant: str, item_ids: Sequence[int], next_at: float, error: str) -> None:
        self._settle(
            tenant,
            item_ids,
            "attempts = attempts + 1, next_at = ?, last_error = ?",
            (next_at, error[:ERROR_CHARS]),
            only="pending",
        )

    def dead(self, tenant: str, item_ids: Sequence[int], error: str) -> None:
        self._settle(
            tenant,
            item_ids,
            "status = 'dead', attempts = attempts + 1, last_error = ?",
            (error[:ERROR_CHARS],),
        )

    def _settle(
        self,
        tenant: str,
        item_ids: Sequence[int],
        assignments: str,
        args: tuple[Any, ...],
        only: str | None = None,
        queue: str | None = None,
    ) -> None:
        if not item_ids:
            return
        marks = ",".join("?" * len(item_ids))
        extra = [(c, v) for c, v in (("status", only), ("queue", queue)) if v is not None]
        self._run(
            f"UPDATE {self._table} SET {assignments} WHERE tenant = ? AND item_id IN ({marks})"
            + "".join(f" AND {column} = ?" for column, _ in extra),
            (*args, tenant, *item_ids, *(v for _, v in extra)),
        )

    def items(self, tenant: str, status: str, limit: int | None = None) -> list[QueueItem]:
        rows = self._run(
            f"SELECT {_COLUMNS} FROM {self._table} WHERE tenant = ? AND status = ? "
            "ORDER BY item_id LIMIT ?",
            (tenant, status, -1 if limit is None else limit),
        )
        return [_item(r) for r in rows]

    def replay(
        self,
        tenant: str,
        item_id: int,
        now: float,
        check: Callable[[QueueItem], None] | None = None,
    ) -> bool:
        dead = "tenant = ? AND item_id = ? AND status = 'dead'"
        found = self._run(f"SELECT {_COLUMNS} FROM {self._table} WHERE {dead}", (tenant, item_id))
        if not found:
            return False
        if check is not None:
            check(_item(found[0]))
        back = f"UPDATE {self._table} SET status = 'pending', next_at = ? WHERE {dead}"
        return self._count(back, (now, tenant, item_id)) == 1

    def counts(self, tenant: str) -> dict[str, int]:
        rows = self._run(
            f"SELECT status, COUNT(*) FROM {self._table} WHERE tenant = ? GROUP BY status",
            (tenant,),
        )
        return {status: int(n) for status, n in rows}


def _item(row: tuple[Any, ...]) -> QueueItem:
    return QueueItem(
        item_id=int(row[0]),
        tenant=row[1],
        queue=row[2],
        key=row[3],
        payload=json.loads(row[4]),
        status=row[5],
        attempts=int(row[6]),
        next_at=float(row[7]),
        last_error=row[8],
    )
