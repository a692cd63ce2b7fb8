"""The gateway's embedded store: one SQLite file (WAL, ``synchronous=FULL``) beside the
engine's. Every write is durable before it returns, so an acknowledged launch, registration or
queued score survives a crash. The grade outbox is the leased queue's ``grades`` family in the
same file (:mod:`gateway.outbox.sqlite`)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from attune.gateway.grades.queue import GradeOutbox
from attune.gateway.library.sqlite import SCHEMA as CONTENT_SCHEMA
from attune.gateway.library.sqlite import SqliteContent
from attune.gateway.oauth.sqlite import SCHEMA as OAUTH_SCHEMA
from attune.gateway.oauth.sqlite import SqliteOAuthClients
from attune.gateway.outbox.sqlite import SqliteLeasedQueue
from attune.gateway.ports import Activity, Registration, ToolKey
from attune.gateway.sqlite_file import SqliteFile
from attune.gateway.xapi_store.sqlite import SCHEMA as STATEMENTS_SCHEMA
from attune.gateway.xapi_store.sqlite import SqliteStatements

SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (
    tenant TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, expires_at REAL NOT NULL,
    PRIMARY KEY (tenant, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS kv_expiry ON kv (expires_at);
CREATE TABLE IF NOT EXISTS registrations (
    issuer TEXT NOT NULL, client_id TEXT NOT NULL, tenant TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (issuer, client_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS registrations_by_tenant ON registrations (tenant);
CREATE TABLE IF NOT EXISTS activities (
    tenant TEXT NOT NULL, activity_id TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (tenant, activity_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tool_keys (
    kid TEXT PRIMARY KEY, private_pem TEXT NOT NULL, public_jwk TEXT NOT NULL,
    created_at REAL NOT NULL, retired_at REAL
);
"""


class SqliteGatewayStore(
    SqliteFile, GradeOutbox, SqliteContent, SqliteOAuthClients, SqliteStatements
):
    """:class:`~gateway.ports.GatewayStore` on one SQLite file, shared by the WSGI threads."""

    def __init__(self, path: Path) -> None:
        SqliteFile.__init__(self, path, SCHEMA + CONTENT_SCHEMA + OAUTH_SCHEMA + STATEMENTS_SCHEMA)
        self._queue = SqliteLeasedQueue(path, "grades")
        GradeOutbox.__init__(self, self._queue)

    def close(self) -> None:
        self._queue.close()
        super().close()

    # -- key/value ------------------------------------------------------------------------

    def put(self, tenant: str, key: str, value: Any, ttl: float) -> None:
        self._run(
            "INSERT OR REPLACE INTO kv VALUES (?, ?, ?, ?)",
            (tenant, key, json.dumps(value), time.time() + ttl),
        )

    def put_many(self, tenant: str, items: Sequence[tuple[str, Any, float]]) -> None:
        now = time.time()
        self._run_all(
            [
                (
                    "INSERT OR REPLACE INTO kv VALUES (?, ?, ?, ?)",
                    (tenant, k, json.dumps(v), now + t),
                )
                for k, v, t in items
            ]
        )

    def get(self, tenant: str, key: str) -> Any | None:
        rows = self._run(
            "SELECT value FROM kv WHERE tenant = ? AND key = ? AND expires_at > ?",
            (tenant, key, time.time()),
        )
        return json.loads(rows[0][0]) if rows else None

    def add(self, tenant: str, key: str, value: Any, ttl: float) -> bool:
        now = time.time()
        with self._transaction() as db:
            db.execute(
                "DELETE FROM kv WHERE tenant = ? AND key = ? AND expires_at <= ?",
                (tenant, key, now),
            )
            cursor = db.execute(
                "INSERT OR IGNORE INTO kv VALUES (?, ?, ?, ?)",
                (tenant, key, json.dumps(value), now + ttl),
            )
        return cursor.rowcount == 1

    def take(self, tenant: str, key: str) -> Any | None:
        rows = self._run(
            "DELETE FROM kv WHERE tenant = ? AND key = ? RETURNING value, expires_at",
            (tenant, key),
        )
        if not rows or rows[0][1] <= time.time():
            return None
        return json.loads(rows[0][0])

    def purge_expired(self) -> int:
        """Drop expired values; how many."""
        return self._count("DELETE FROM kv WHERE expires_at <= ?", (time.time(),))

    # -- registrations --------------------------------------------------------------------

    def put_registration(self, registration: Registration) -> None:
        body = {f: getattr(registration, f) for f in Registration.__slots__}
        self._run(
            "INSERT OR REPLACE INTO registrations VALUES (?, ?, ?, ?)",
            (registration.issuer, registration.client_id, registration.tenant, json.dumps(body)),
        )

    def find_registration(self, issuer: str, client_id: str | None) -> Registration | None:
        if client_id:
            rows = self._run(
                "SELECT body FROM registrations WHERE issuer = ? AND client_id = ?",
                (issuer, client_id),
            )
        else:
            rows = self._run("SELECT body FROM registrations WHERE issuer = ? LIMIT 2", (issuer,))
        return _registration(rows[0][0]) if len(rows) == 1 else None

    def list_registrations(self, tenant: str) -> Sequence[Registration]:
        rows = self._run(
            "SELECT body FROM registrations WHERE tenant = ? ORDER BY issuer, client_id", (tenant,)
        )
        return [_registration(r[0]) for r in rows]

    def delete_registration(self, tenant: str, issuer: str, client_id: str) -> bool:
        return (
            self._count(
                "DELETE FROM registrations WHERE tenant = ? AND issuer = ? AND client_id = ?",
                (tenant, issuer, client_id),
            )
            == 1
        )

    # -- activities -----------------------------------------------------------------------

    def put_activity(self, activity: Activity) -> None:
        body = {f: getattr(activity, f) for f in Activity.__slots__}
        self._run(
            "INSERT OR REPLACE INTO activities VALUES (?, ?, ?)",
            (activity.tenant, activity.activity_id, json.dumps(body)),
        )

    def get_activity(self, tenant: str, activity_id: str) -> Activity | None:
        rows = self._run(
            "SELECT body FROM activities WHERE tenant = ? AND activity_id = ?",
            (tenant, activity_id),
        )
        if not rows:
            return None
        body = json.loads(rows[0][0])
        return Activity(**{**body, "skill_ids": tuple(body["skill_ids"])})

    # -- tool keys ------------------------------------------------------------------------

    def tool_keys(self) -> Sequence[ToolKey]:
        rows = self._run(
            "SELECT kid, private_pem, public_jwk, created_at, retired_at FROM tool_keys "
            "ORDER BY created_at"
        )
        return [ToolKey(r[0], r[1], json.loads(r[2]), r[3], r[4]) for r in rows]

    def add_key(self, key: ToolKey) -> None:
        self._run(
            "INSERT INTO tool_keys VALUES (?, ?, ?, ?, ?)",
            (key.kid, key.private_pem, json.dumps(dict(key.public_jwk)), key.created_at, None),
        )

    def retire_key(self, kid: str, at: float) -> None:
        self._run(
            "UPDATE tool_keys SET retired_at = ? WHERE kid = ? AND retired_at IS NULL", (at, kid)
        )


def _registration(body: str) -> Registration:
    fields = json.loads(body)
    return Registration(**{**fields, "deployment_ids": tuple(fields["deployment_ids"])})
