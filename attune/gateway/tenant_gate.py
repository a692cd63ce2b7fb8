"""Keeps a tenant's requests out of this gateway process while the tenant is deleted (or
exported from a Redis store), so that nothing they write lands after the sweep (issue 16).

Every request whose tenant is known before it runs (the route's ``<tenant>``, or the caller
the RBAC hook resolved: a launch session, an ingest token, a staff session) holds the gate
until it ends. :meth:`TenantGate.closed` refuses the tenant's new requests (409, retry) and
waits for the running ones. The gate is per process: see the README for several gateways.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, g, request

from attune.gateway.errors import GatewayError

DRAIN_S = 10.0
OWN_BLUEPRINT = "tenant_admin"  # the export and delete routes themselves close the gate


class TenantBusyError(GatewayError):
    """The tenant is being deleted or exported; nothing was done."""

    status = 409
    error = "tenant_busy"


class TenantGate:
    """Requests in flight per tenant, and the tenants closed to new ones. Thread-safe."""

    def __init__(self, drain_s: float = DRAIN_S) -> None:
        self.drain_s = drain_s
        self._cond = threading.Condition()
        self._running: dict[str, int] = {}
        self._closed: dict[str, str] = {}

    def check(self, tenant: str) -> None:
        """Refuse (:class:`TenantBusyError`) while ``tenant`` is closed."""
        with self._cond:
            self._refuse_closed(tenant)

    def enter(self, tenant: str) -> None:
        """Count one request of ``tenant``; refused while it is closed."""
        with self._cond:
            self._refuse_closed(tenant)
            self._running[tenant] = self._running.get(tenant, 0) + 1

    def _refuse_closed(self, tenant: str) -> None:
        doing = self._closed.get(tenant)
        if doing is not None:
            raise TenantBusyError(f"tenant {tenant!r} is being {doing}; retry later")

    def leave(self, tenant: str) -> None:
        """The request of :meth:`enter` ended."""
        with self._cond:
            left = self._running.get(tenant, 1) - 1
            if left > 0:
                self._running[tenant] = left
            else:
                self._running.pop(tenant, None)
                self._cond.notify_all()

    @contextmanager
    def closed(self, tenant: str, doing: str) -> Iterator[None]:
        """Refuse the tenant's new requests and wait for its running ones; reopen after."""
        with self._cond:
            if tenant in self._closed:
                raise TenantBusyError(f"tenant {tenant!r} is being {self._closed[tenant]}")
            self._closed[tenant] = doing
            idle = self._cond.wait_for(lambda: not self._running.get(tenant), self.drain_s)
            if not idle:
                del self._closed[tenant]
                raise TenantBusyError(
                    f"tenant {tenant!r}'s requests did not finish within {self.drain_s:g} s; "
                    "nothing was done, retry"
                )
        try:
            yield
        finally:
            with self._cond:
                del self._closed[tenant]


def hold_tenant(gate: TenantGate, tenant: str) -> None:
    """Hold the request in ``tenant``'s gate from now on, for a view that learns its tenant
    only while it runs (an LTI launch, from its registration); released when it ends."""
    if g.get("tenant_gate_held") is None:
        gate.enter(tenant)
        g.tenant_gate_held = tenant


def install_tenant_gate(app: Flask, gate: TenantGate) -> None:
    """Hold every request of a known tenant in ``gate`` (after the RBAC hook: its caller)."""

    def enter() -> None:
        if request.blueprint == OWN_BLUEPRINT:
            return
        tenant = str((request.view_args or {}).get("tenant", ""))
        actor = g.get("rbac_actor")
        if not tenant and actor is not None and actor.tenant:
            tenant = str(actor.tenant)
        if tenant:
            hold_tenant(gate, tenant)

    def leave(_exc: BaseException | None) -> None:
        tenant = g.pop("tenant_gate_held", None)
        if tenant is not None:
            gate.leave(tenant)

    app.before_request(enter)
    app.teardown_request(leave)
