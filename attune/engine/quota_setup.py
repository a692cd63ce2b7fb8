"""The quotas of an open store (engine/service/quotas.py), with the counter its adapter keeps."""

from __future__ import annotations

from typing import Any

from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.limits_settings import TenantLimitSettings
from attune.engine.service.quotas import QuotaCounter, Quotas


async def open_quotas(store: Any, limits: TenantLimitSettings) -> Quotas | None:
    """Quotas over ``store`` (its ``inner`` store when it is wrapped for metrics); None for a
    store that keeps no counts (the in-memory store of some tools and tests)."""
    inner = getattr(store, "inner", store)
    counter: QuotaCounter
    if isinstance(inner, SqliteStore):
        from attune.engine.adapters.sqlite_quota import SqliteQuota

        counter = await SqliteQuota.open(inner)
    else:
        from attune.engine.adapters.redis_store import RedisStore

        if not isinstance(inner, RedisStore):
            return None
        from attune.engine.adapters.redis_quota import RedisQuota

        counter = RedisQuota(inner)
    return Quotas(counter, limits.max_courses, limits.max_learners)
