"""OAuth clients on the gateway's SQLite file: one table beside the others."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence

from attune.gateway.oauth.clients import OAuthClient, client_from_json, client_to_json

SCHEMA = """
CREATE TABLE IF NOT EXISTS oauth_clients (
    client_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, body TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS oauth_clients_by_tenant ON oauth_clients (tenant);
"""


class SqliteOAuthClients:
    """:class:`~gateway.oauth.ports.OAuthClientStore` over a SqliteFile's connection (mixed
    into the gateway's SQLite store, which runs :data:`SCHEMA`)."""

    _db: sqlite3.Connection
    _lock: threading.Lock

    def put_oauth_client(self, client: OAuthClient) -> None:
        body = json.dumps(client_to_json(client, include_hash=True))
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO oauth_clients VALUES (?, ?, ?)",
                (client.client_id, client.tenant, body),
            )

    def get_oauth_client(self, client_id: str) -> OAuthClient | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM oauth_clients WHERE client_id = ?", (client_id,)
            ).fetchone()
        return None if row is None else client_from_json(row[0])

    def list_oauth_clients(self, tenant: str) -> Sequence[OAuthClient]:
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM oauth_clients WHERE tenant = ?", (tenant,)
            ).fetchall()
        return sorted((client_from_json(r[0]) for r in rows), key=lambda c: c.created_at)

    def revoke_oauth_client(self, tenant: str, client_id: str, at: float) -> bool:
        with self._lock:  # read and write under the one connection's lock: atomic
            row = self._db.execute(
                "SELECT body FROM oauth_clients WHERE client_id = ? AND tenant = ?",
                (client_id, tenant),
            ).fetchone()
            if row is None:
                return False
            found = client_from_json(row[0])
            if not found.active:
                return False
            body = json.dumps(client_to_json(found.revoked(at), include_hash=True))
            self._db.execute(
                "UPDATE oauth_clients SET body = ? WHERE client_id = ?", (body, client_id)
            )
            return True
