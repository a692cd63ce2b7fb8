"""The content store on the gateway's SQLite file: three tables beside the others."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Mapping
from typing import Any

from attune.gateway.library.ports import DocKind, LogKind, StoredMedia

SCHEMA = """
CREATE TABLE IF NOT EXISTS content_versions (
    tenant TEXT NOT NULL, course_id TEXT NOT NULL, digest TEXT NOT NULL, document TEXT NOT NULL,
    PRIMARY KEY (tenant, course_id, digest)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS content_media (
    tenant TEXT NOT NULL, sha256 TEXT NOT NULL, media_type TEXT NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (tenant, sha256)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS content_documents (
    tenant TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, document TEXT NOT NULL,
    PRIMARY KEY (tenant, kind, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS content_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL, course_id TEXT NOT NULL, kind TEXT NOT NULL, record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS content_log_by_course ON content_log (tenant, course_id, kind, id);
"""


class SqliteContent:
    """:class:`~attune.gateway.library.ports.ContentStore` over a SqliteFile's connection
    (mixed into the gateway's SQLite store, which runs :data:`SCHEMA`)."""

    _db: sqlite3.Connection
    _lock: threading.Lock

    def put_content(self, tenant: str, course_id: str, digest: str, document: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO content_versions VALUES (?, ?, ?, ?)",
                (tenant, course_id, digest, document),
            )

    def get_content(self, tenant: str, course_id: str, digest: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT document FROM content_versions"
                " WHERE tenant = ? AND course_id = ? AND digest = ?",
                (tenant, course_id, digest),
            ).fetchone()
        return None if row is None else str(row[0])

    def put_media(self, tenant: str, sha256: str, media_type: str, data: bytes) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO content_media VALUES (?, ?, ?, ?)",
                (tenant, sha256, media_type, data),
            )

    def get_media(self, tenant: str, sha256: str) -> StoredMedia | None:
        with self._lock:
            row = self._db.execute(
                "SELECT media_type, data FROM content_media WHERE tenant = ? AND sha256 = ?",
                (tenant, sha256),
            ).fetchone()
        return None if row is None else StoredMedia(str(row[0]), bytes(row[1]))

    def put_document(self, tenant: str, kind: DocKind, key: str, document: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO content_documents VALUES (?, ?, ?, ?)",
                (tenant, kind, key, document),
            )

    def get_document(self, tenant: str, kind: DocKind, key: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT document FROM content_documents WHERE tenant = ? AND kind = ? AND key = ?",
                (tenant, kind, key),
            ).fetchone()
        return None if row is None else str(row[0])

    def list_documents(self, tenant: str, kind: DocKind) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT document FROM content_documents WHERE tenant = ? AND kind = ? ORDER BY key",
                (tenant, kind),
            ).fetchall()
        return [str(r[0]) for r in rows]

    def log_content(
        self, tenant: str, course_id: str, kind: LogKind, record: Mapping[str, Any]
    ) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO content_log (tenant, course_id, kind, record) VALUES (?, ?, ?, ?)",
                (tenant, course_id, kind, json.dumps(dict(record))),
            )

    def read_content_log(
        self, tenant: str, course_id: str, kind: LogKind, limit: int = 50
    ) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT record FROM content_log WHERE tenant = ? AND course_id = ? AND kind = ?"
                " ORDER BY id DESC LIMIT ?",
                (tenant, course_id, kind, limit),
            ).fetchall()
        return [json.loads(r[0]) for r in rows]
