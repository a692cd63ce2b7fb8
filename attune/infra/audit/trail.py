"""The trail as the deployables use it: a store, a clock and a retention period."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from attune.infra.audit.ports import AuditLog
from attune.infra.audit.record import AuditEntry, AuditRecord

DAY = 86400.0
DEFAULT_RETENTION_DAYS = 2557  # seven years, as the design notes require


@dataclass
class AuditTrail:
    """Appends with the injected clock's time; prunes what is past retention."""

    log: AuditLog
    retention_days: float = DEFAULT_RETENTION_DAYS
    clock: Callable[[], float] = field(default=time.time)

    def record(self, **fields: Any) -> AuditRecord:
        """Append an :class:`AuditEntry` built from ``fields``, stamped now."""
        return self.log.append(AuditEntry(at=self.clock(), **fields))

    def erase_learner(self, tenant: str, learner_id: str) -> int:
        """Blank the learner's plain id in the tenant's trail (their pseudonym stays)."""
        return self.log.erase_learner(tenant, learner_id)

    def prune(self) -> dict[str, int]:
        """Drop every tenant's records older than the retention period; how many per
        tenant (tenants with nothing to drop are left out)."""
        before = self.clock() - self.retention_days * DAY
        dropped = {t: self.log.prune(t, before) for t in self.log.tenants()}
        return {t: n for t, n in dropped.items() if n}


def open_audit_log(url: str, data_dir: Path) -> AuditLog:
    """The SQLite file ``audit.db`` under ``data_dir`` when ``url`` is empty (or
    ``sqlite:///<path>``), else Redis at ``url`` (``redis://``, ``redis+cluster://`` ...)."""
    from attune.infra.audit.sqlite import SqliteAuditLog

    if not url:
        return SqliteAuditLog(data_dir / "audit.db")
    if url.startswith("sqlite:///"):
        return SqliteAuditLog(Path(url.removeprefix("sqlite:///")))
    return _redis_log(url)


def _redis_log(url: str) -> AuditLog:
    from attune.infra.audit.redis import RedisAuditLog
    from attune.infra.redis import parse_url
    from attune.infra.redis_sync import sync_client

    return RedisAuditLog(sync_client(parse_url(url), ping=False))
