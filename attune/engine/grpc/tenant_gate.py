"""Holds every authenticated call in its tenant's :class:`TenantGate` while it runs, so a
tenant delete can refuse the tenant's new calls (UNAVAILABLE) and wait for its running ones
(see engine/service/tenant_gate.py). It sits after the auth interceptor: the tenant comes
from the credential. The TenantService's own calls are not held (they close the gate)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from grpc import aio

from attune.engine.grpc.auth import current_tenant
from attune.engine.grpc.interceptors import Behaviour, _BehaviourInterceptor
from attune.engine.service.tenant_gate import TenantGate

TENANT_SERVICE = "/attune.engine.v1.TenantService/"


class TenantGateInterceptor(_BehaviourInterceptor):
    """Every call but the TenantService's, inside its tenant's gate."""

    def __init__(self, gate: TenantGate) -> None:
        super().__init__()
        self._gate = gate

    def wrap_unary(self, behaviour: Behaviour, method: str) -> Behaviour:
        if method.startswith(TENANT_SERVICE):
            return behaviour

        async def unary(request: Any, context: aio.ServicerContext) -> Any:
            async with self._gate.call(current_tenant()):
                return await behaviour(request, context)

        return unary

    def wrap_stream(self, behaviour: Behaviour, method: str) -> Behaviour:
        if method.startswith(TENANT_SERVICE):
            return behaviour

        async def stream(request: Any, context: aio.ServicerContext) -> AsyncIterator[Any]:
            async with self._gate.call(current_tenant()):
                async for reply in behaviour(request, context):
                    yield reply

        return stream
