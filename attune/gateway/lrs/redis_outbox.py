"""The statement outbox on Redis, for several gateways sharing one queue: the leased queue's
``statements`` family under each tenant's hash tag, and the LRS targets in one hash."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from attune.gateway.lrs.outbox import QueuedStatementOutbox
from attune.gateway.lrs.targets import LrsTarget
from attune.gateway.outbox.redis import RedisLeasedQueue
from attune.gateway.outbox.redis_legacy import migrate_statements
from attune.gateway.redis_store import MIGRATED, ROOT, tenant_tag

TARGETS = f"{ROOT}:{{lrs-targets}}"
QUEUES = f"{ROOT}:{{statements-queues}}"


class RedisTargets:
    """:class:`~gateway.lrs.ports.LrsTargets` in one hash (read before a tenant is known)."""

    def __init__(self, client: Any) -> None:
        self._r = client

    def put_target(self, target: LrsTarget) -> None:
        self._r.hset(TARGETS, target.key, json.dumps(asdict(target)))

    def targets(self, tenant: str | None = None) -> list[LrsTarget]:
        found = [LrsTarget(**json.loads(raw)) for raw in self._r.hvals(TARGETS)]
        mine = [t for t in found if tenant is None or t.tenant == tenant]
        return sorted(mine, key=lambda t: (t.tenant, t.name))

    def delete_target(self, tenant: str, name: str) -> bool:
        return bool(self._r.hdel(TARGETS, f"{tenant}/{name}"))

    def close(self) -> None:
        self._r.close()


class RedisStatementOutbox(QueuedStatementOutbox):
    """The statement outbox on ``client`` (a sync ``Redis`` or ``RedisCluster``)."""

    def __init__(self, client: Any) -> None:
        queue = RedisLeasedQueue(client, "statements", tenant_tag, QUEUES)
        targets = RedisTargets(client)
        tenants = [t.tenant for t in targets.targets()]
        migrate_statements(client, queue, tenant_tag, tenants, MIGRATED)
        super().__init__(queue, targets)
