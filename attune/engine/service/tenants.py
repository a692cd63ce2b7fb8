"""A whole tenant exported or deleted while the engine serves (issue 16).

- **Export.** The store's files, streamed. On a store that reads in one transaction (the
  embedded SQLite) the tenant keeps being served meanwhile; otherwise (Redis) its calls are
  refused (UNAVAILABLE, retry) while its keys are read, so the files are one consistent view.
- **Delete.** The request must name the tenant again (``confirm_tenant``). The tenant's new
  calls are refused and its running calls finish first (:class:`TenantGate`); then the store
  drops the tenant with its caches, and the service drops its own (item statistics, class
  and experiment reports, class pins). A call after the delete finds nothing and starts
  afresh. A repeated delete drops nothing and answers empty counts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import structlog

from attune.engine.domain.errors import InvalidInputError, UnavailableError
from attune.engine.ports import TenantData
from attune.engine.service.tenant_gate import TenantGate

if TYPE_CHECKING:
    from attune.engine.service.engine import Engine

log = structlog.get_logger("attune.engine.tenants")


class TenantAdmin:
    """Export and delete of whole tenants over a store's :class:`TenantData`."""

    def __init__(self, engine: Engine, gate: TenantGate) -> None:
        self._engine = engine
        self.gate = gate

    def _data(self) -> TenantData:
        data = self._engine.tenant_data
        if data is None:
            raise UnavailableError("this engine's store cannot export or delete a tenant")
        return data

    async def export(self, tenant: str) -> AsyncIterator[tuple[str, bytes]]:
        """The tenant's engine files as (path, bytes) chunks."""
        data = self._data()
        files = 0
        if data.consistent_reads:
            self.gate.check(tenant)  # not while it is being deleted
            async for path, chunk in data.export(tenant):
                files += 1
                yield path, chunk
        else:
            async with self.gate.closed(tenant, "exported"):
                async for path, chunk in data.export(tenant):
                    files += 1
                    yield path, chunk
        log.info("tenant.exported", tenant=tenant, chunks=files)

    async def delete(self, tenant: str, confirm_tenant: str) -> dict[str, int]:
        """Drop the tenant from the store and every cache; counts per table."""
        if confirm_tenant != tenant:
            raise InvalidInputError(
                "confirm_tenant", "must name the tenant of the caller's credential"
            )
        data = self._data()
        async with self.gate.closed(tenant, "deleted"):
            counts = await data.delete(tenant)
            self._engine.forget_tenant(tenant)
        log.info("tenant.deleted", tenant=tenant, records=sum(counts.values()))
        return counts
