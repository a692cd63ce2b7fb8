"""The statement outbox on the gateway's SQLite file: the leased queue's ``statements``
family, and the LRS targets in their own table."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from attune.gateway.lrs.outbox import QueuedStatementOutbox
from attune.gateway.lrs.targets import LrsTarget
from attune.gateway.outbox.sqlite import SqliteLeasedQueue
from attune.gateway.sqlite_file import SqliteFile

SCHEMA = """
CREATE TABLE IF NOT EXISTS lrs_targets (
    tenant TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (tenant, name)
) WITHOUT ROWID;
"""


class SqliteTargets(SqliteFile):
    """:class:`~gateway.lrs.ports.LrsTargets` in the ``lrs_targets`` table."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, SCHEMA)

    def put_target(self, target: LrsTarget) -> None:
        self._run(
            "INSERT OR REPLACE INTO lrs_targets VALUES (?, ?, ?)",
            (target.tenant, target.name, json.dumps(asdict(target))),
        )

    def targets(self, tenant: str | None = None) -> list[LrsTarget]:
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


class SqliteStatementOutbox(QueuedStatementOutbox):
    """The statement outbox in the SQLite file at ``path``."""

    def __init__(self, path: Path) -> None:
        super().__init__(SqliteLeasedQueue(path, "statements"), SqliteTargets(path))
