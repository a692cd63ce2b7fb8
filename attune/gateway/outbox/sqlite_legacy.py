"""Queues written before issue 12, moved into the leased queue's tables when a file opens.

The grade outbox lived in ``outbox`` (``kind`` is the queue), the statement outbox in
``statements`` (``target`` is the queue, ``statement_id`` the key) and ``statement_cursor``
(``target`` is the cursor's name: ``<tenant>/<target name>``). Rows keep their ids, so an id
an admin noted still names the same dead letter, and the id sequence continues where it was.
It runs in the opening transaction: a crash leaves the file as it was or fully moved.
"""

from __future__ import annotations

import sqlite3

# family -> (old table, its columns in the order of the new ones)
_ITEMS = {
    "grades": (
        "outbox",
        "item_id, tenant, kind, key, payload, status, attempts, next_at, last_error, "
        "created_at, delivered_at",
    ),
    "statements": (
        "statements",
        "id, tenant, target, statement_id, body, status, attempts, next_at, last_error, 0, NULL",
    ),
}
_NEW = (
    "item_id, tenant, queue, key, payload, status, attempts, next_at, last_error, "
    "created_at, done_at"
)


def migrate(db: sqlite3.Connection, family: str, table: str) -> None:
    """Move the family's old rows (and cursors) into ``table``, if the file has any."""
    if family not in _ITEMS:
        return
    old, columns = _ITEMS[family]
    if _exists(db, old):
        db.execute(f"INSERT INTO {table} ({_NEW}) SELECT {columns} FROM {old}")
        seq = db.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (old,)).fetchone()
        if seq is not None:  # the new table's sequence goes on from the old one's
            db.execute("DELETE FROM sqlite_sequence WHERE name = ?", (table,))
            db.execute(
                "INSERT INTO sqlite_sequence (name, seq) "
                f"SELECT ?, max(?, coalesce((SELECT max(item_id) FROM {table}), 0))",
                (table, seq[0]),
            )
        db.execute(f"DROP TABLE {old}")
    if family == "statements" and _exists(db, "statement_cursor"):
        for target, position in db.execute("SELECT target, after_log_id FROM statement_cursor"):
            db.execute(
                "INSERT OR REPLACE INTO queue_cursors VALUES ('statements', ?, ?, ?)",
                (target.rpartition("/")[0], target, position),
            )
        db.execute("DROP TABLE statement_cursor")


def _exists(db: sqlite3.Connection, table: str) -> bool:
    found = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    return found is not None
