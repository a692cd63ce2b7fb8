"""Whole-tenant export and delete for an open store (engine/service/tenants.py)."""

from __future__ import annotations

from typing import Any

from attune.engine.service import Engine


def enable_tenant_admin(engine: Engine, store: Any) -> None:
    """Give ``engine`` its store's :class:`~attune.engine.ports.TenantData` (none on the
    in-memory store: TenantService then answers UNAVAILABLE)."""
    from attune.engine.adapters.tenant_data import open_tenant_data

    engine.tenant_data = open_tenant_data(store)
