"""Keeps a tenant's calls out while the tenant is exported (on a store without read
transactions) or deleted (issue 16).

Every call of a tenant holds :meth:`TenantGate.call` while it runs. :meth:`TenantGate.closed`
first refuses the tenant's new calls (UNAVAILABLE: retry later), then waits for the calls
already running to finish, so that nothing written by them lands after the delete. It waits
at most ``drain_s`` seconds (a long response stream can hold a call open); past that the
operation is refused, and nothing was done. The gate is this process's: engines sharing one
Redis each have their own (see the README).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog

from attune.engine.domain.errors import UnavailableError

log = structlog.get_logger("attune.engine.tenants")
DRAIN_S = 10.0


class TenantGate:
    """Calls in flight per tenant, and the tenants closed to new calls."""

    def __init__(self, drain_s: float = DRAIN_S) -> None:
        self.drain_s = drain_s
        self._running: dict[str, int] = {}
        self._closed: dict[str, str] = {}  # tenant -> what is being done
        self._idle: dict[str, asyncio.Event] = {}

    def check(self, tenant: str) -> None:
        """Refuse (UnavailableError) while the tenant is closed."""
        doing = self._closed.get(tenant)
        if doing is not None:
            raise UnavailableError(f"the tenant is being {doing}; retry in a few seconds")

    @asynccontextmanager
    async def call(self, tenant: str) -> AsyncIterator[None]:
        """Hold for one call of ``tenant``; refused while the tenant is closed."""
        self.check(tenant)
        self._running[tenant] = self._running.get(tenant, 0) + 1
        try:
            yield
        finally:
            left = self._running[tenant] - 1
            if left:
                self._running[tenant] = left
            else:
                del self._running[tenant]
                idle = self._idle.get(tenant)
                if idle is not None:
                    idle.set()

    @asynccontextmanager
    async def closed(self, tenant: str, doing: str) -> AsyncIterator[None]:
        """Refuse the tenant's new calls and wait for its running ones; reopen after."""
        self.check(tenant)  # one export or delete of a tenant at a time
        self._closed[tenant] = doing
        try:
            if self._running.get(tenant):
                idle = self._idle[tenant] = asyncio.Event()
                try:
                    await asyncio.wait_for(idle.wait(), self.drain_s)
                except TimeoutError:
                    log.warning("tenant.busy", tenant=tenant, doing=doing)
                    raise UnavailableError(
                        f"the tenant's calls did not finish within {self.drain_s:g} s; "
                        "nothing was done, retry"
                    ) from None
                finally:
                    self._idle.pop(tenant, None)
            yield
        finally:
            del self._closed[tenant]
