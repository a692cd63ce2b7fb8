"""attune.engine.v1.TenantService: a whole tenant exported or deleted (issue 16). Converts
and delegates to :class:`~engine.service.tenants.TenantAdmin`; the tenant is the
credential's, and the scope ``tenants:admin`` is never granted to partner apps."""

from __future__ import annotations

from collections.abc import AsyncIterator

from grpc import aio

from attune.engine.grpc.auth import current_tenant
from attune.engine.grpc.requests import check_ids
from attune.engine.service import Engine
from attune.engine.v1 import tenants_pb2, tenants_pb2_grpc


class TenantServicer(tenants_pb2_grpc.TenantServiceServicer):
    """attune.engine.v1.TenantService."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def ExportTenant(  # an async generator, as grpc.aio allows
        self, request: tenants_pb2.ExportTenantRequest, context: aio.ServicerContext
    ) -> AsyncIterator[tenants_pb2.ExportTenantResponse]:
        async for path, data in self._engine.tenants.export(current_tenant()):
            yield tenants_pb2.ExportTenantResponse(path=path, data=data)

    async def DeleteTenant(
        self, request: tenants_pb2.DeleteTenantRequest, context: aio.ServicerContext
    ) -> tenants_pb2.DeleteTenantResponse:
        check_ids(request, "confirm_tenant")
        counts = await self._engine.tenants.delete(current_tenant(), request.confirm_tenant)
        return tenants_pb2.DeleteTenantResponse(deleted=counts)
