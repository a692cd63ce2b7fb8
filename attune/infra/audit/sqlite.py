"""The audit trail in a SQLite file (``audit.db`` under the data directory by default).

The engine and the gateway of one ``attune serve`` open the same file, so a tenant has one
chain whichever side wrote a record: each append is one ``BEGIN IMMEDIATE`` transaction that
reads the chain's head and writes the next record. WAL and ``synchronous=FULL``: a record is
on disk before the action it records is answered.

Triggers refuse what the port does not offer: any UPDATE but blanking the plain learner id,
and any DELETE outside :meth:`SqliteAuditLog.prune`. They are a guard against mistakes; the
hash chain is what detects a deliberate edit of the file.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from attune.infra.audit.ports import MAX_PAGE, Anchor, AuditQuery
from attune.infra.audit.record import GENESIS, AuditEntry, AuditRecord, learner_ref, seal

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_records (
    tenant TEXT NOT NULL, seq INTEGER NOT NULL, at REAL NOT NULL, actor TEXT NOT NULL,
    action TEXT NOT NULL, source TEXT NOT NULL, target TEXT NOT NULL,
    learner_ref TEXT NOT NULL, learner_id TEXT NOT NULL, peer TEXT NOT NULL,
    reason TEXT NOT NULL, request_id TEXT NOT NULL, outcome TEXT NOT NULL,
    details TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
    PRIMARY KEY (tenant, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS audit_by_actor ON audit_records (tenant, actor, seq);
CREATE INDEX IF NOT EXISTS audit_by_learner ON audit_records (tenant, learner_ref, seq);
CREATE INDEX IF NOT EXISTS audit_by_time ON audit_records (tenant, at);
CREATE TABLE IF NOT EXISTS audit_meta (
    tenant TEXT PRIMARY KEY, key BLOB NOT NULL,
    anchor_seq INTEGER NOT NULL DEFAULT 0, anchor_hash TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit_prune_gate (
    tenant TEXT PRIMARY KEY, through INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS audit_append_only BEFORE UPDATE ON audit_records
WHEN NEW.learner_id != '' OR NEW.tenant != OLD.tenant OR NEW.seq != OLD.seq
  OR NEW.at != OLD.at OR NEW.actor != OLD.actor OR NEW.action != OLD.action
  OR NEW.source != OLD.source OR NEW.target != OLD.target
  OR NEW.learner_ref != OLD.learner_ref OR NEW.peer != OLD.peer OR NEW.reason != OLD.reason
  OR NEW.request_id != OLD.request_id OR NEW.outcome != OLD.outcome
  OR NEW.details != OLD.details OR NEW.prev_hash != OLD.prev_hash OR NEW.hash != OLD.hash
BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit_records
WHEN NOT EXISTS (
  SELECT 1 FROM audit_prune_gate g WHERE g.tenant = OLD.tenant AND g.through >= OLD.seq
)
BEGIN SELECT RAISE(ABORT, 'audit records are only pruned past their retention'); END;
"""
_COLUMNS = (
    "tenant, seq, at, actor, action, source, target, learner_ref, peer, reason, request_id, "
    "outcome, details, prev_hash, hash, learner_id"
)


class SqliteAuditLog:
    """:class:`~infra.audit.ports.AuditLog` on one SQLite file, shared by threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    @staticmethod
    def _meta(db: sqlite3.Connection, tenant: str) -> tuple[bytes, int, str]:
        db.execute(
            "INSERT OR IGNORE INTO audit_meta (tenant, key, anchor_seq, anchor_hash) "
            "VALUES (?, ?, 0, ?)",
            (tenant, os.urandom(32), GENESIS),
        )
        key, seq, hash_ = db.execute(
            "SELECT key, anchor_seq, anchor_hash FROM audit_meta WHERE tenant = ?", (tenant,)
        ).fetchone()
        return bytes(key), int(seq), str(hash_)

    def append(self, entry: AuditEntry) -> AuditRecord:
        with self._transaction() as db:
            key, anchor_seq, anchor_hash = self._meta(db, entry.tenant)
            head = db.execute(
                "SELECT seq, hash FROM audit_records WHERE tenant = ? ORDER BY seq DESC LIMIT 1",
                (entry.tenant,),
            ).fetchone()
            seq, prev = (int(head[0]), str(head[1])) if head else (anchor_seq, anchor_hash)
            record = seal(entry, seq + 1, prev, key)
            db.execute(
                f"INSERT INTO audit_records ({_COLUMNS}) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                _row(record),
            )
        return record

    def tenant_key(self, tenant: str) -> bytes:
        with self._transaction() as db:
            return self._meta(db, tenant)[0]

    def search(self, query: AuditQuery) -> list[AuditRecord]:
        where, args = ["tenant = ?", "seq > ?"], [query.tenant, query.after_seq]
        if query.actor:
            where.append("actor = ?")
            args.append(query.actor)
        if query.action.endswith("."):
            where.append("substr(action, 1, ?) = ?")
            args += [len(query.action), query.action]
        elif query.action:
            where.append("action = ?")
            args.append(query.action)
        if query.learner_id:
            where.append("learner_ref = ?")
            args.append(learner_ref(self.tenant_key(query.tenant), query.learner_id))
        if query.since is not None:
            where.append("at >= ?")
            args.append(query.since)
        if query.until is not None:
            where.append("at < ?")
            args.append(query.until)
        limit = max(1, min(query.limit, MAX_PAGE))
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM audit_records WHERE {' AND '.join(where)} "
            "ORDER BY seq LIMIT ?",
            (*args, limit),
        )
        return [_record(r) for r in rows]

    def records(self, tenant: str, after_seq: int = 0, limit: int = MAX_PAGE) -> list[AuditRecord]:
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM audit_records WHERE tenant = ? AND seq > ? "
            "ORDER BY seq LIMIT ?",
            (tenant, after_seq, limit),
        )
        return [_record(r) for r in rows]

    def anchor(self, tenant: str) -> Anchor:
        rows = self._rows(
            "SELECT anchor_seq, anchor_hash FROM audit_meta WHERE tenant = ?", (tenant,)
        )
        return Anchor(int(rows[0][0]), str(rows[0][1])) if rows else Anchor(0, GENESIS)

    def erase_learner(self, tenant: str, learner_id: str) -> int:
        ref = learner_ref(self.tenant_key(tenant), learner_id)
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE audit_records SET learner_id = '' WHERE tenant = ? AND learner_ref = ? "
                "AND learner_id != ''",
                (tenant, ref),
            )
        return int(cursor.rowcount)

    def prune(self, tenant: str, before: float) -> int:
        with self._transaction() as db:
            newer = db.execute(
                "SELECT min(seq) FROM audit_records WHERE tenant = ? AND at >= ?",
                (tenant, before),
            ).fetchone()[0]
            bound = "" if newer is None else " AND seq < ?"
            args: tuple[Any, ...] = (tenant,) if newer is None else (tenant, newer)
            last = db.execute(
                f"SELECT seq, hash FROM audit_records WHERE tenant = ?{bound} "
                "ORDER BY seq DESC LIMIT 1",
                args,
            ).fetchone()
            if last is None:
                return 0
            db.execute("INSERT OR REPLACE INTO audit_prune_gate VALUES (?, ?)", (tenant, last[0]))
            cursor = db.execute(
                "DELETE FROM audit_records WHERE tenant = ? AND seq <= ?", (tenant, last[0])
            )
            db.execute("DELETE FROM audit_prune_gate WHERE tenant = ?", (tenant,))
            db.execute(
                "UPDATE audit_meta SET anchor_seq = ?, anchor_hash = ? WHERE tenant = ?",
                (last[0], last[1], tenant),
            )
        return int(cursor.rowcount)

    def tenants(self) -> Sequence[str]:
        return [str(r[0]) for r in self._rows("SELECT tenant FROM audit_meta ORDER BY tenant")]


def _row(r: AuditRecord) -> tuple[Any, ...]:
    return (
        r.tenant, r.seq, r.at, r.actor, r.action, r.source, r.target, r.learner_ref, r.peer,
        r.reason, r.request_id, r.outcome, json.dumps(r.details, sort_keys=True), r.prev_hash,
        r.hash, r.learner_id,
    )  # fmt: skip


def _record(row: tuple[Any, ...]) -> AuditRecord:
    return AuditRecord(
        tenant=row[0],
        seq=int(row[1]),
        at=float(row[2]),
        actor=row[3],
        action=row[4],
        source=row[5],
        target=row[6],
        learner_ref=row[7],
        peer=row[8],
        reason=row[9],
        request_id=row[10],
        outcome=row[11],
        details=json.loads(row[12]),
        prev_hash=row[13],
        hash=row[14],
        learner_id=row[15],
    )
