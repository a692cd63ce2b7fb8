"""The quotas of an open store (engine/service/quotas.py), with the counter its adapter keeps."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog

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


log = structlog.get_logger("attune.engine.quotas")


def start_recount(store: Any) -> asyncio.Task[None] | None:
    """On a Redis store, count the learners stored before quotas existed, in the background,
    once per deployment (behind the marker ``attune:quota-recount`` ``done:*``, see
    :mod:`attune.engine.adapters.redis_recount`); None on other stores."""
    from attune.engine.adapters.redis_store import RedisStore

    inner = getattr(store, "inner", store)
    if not isinstance(inner, RedisStore):
        return None
    from attune.engine.adapters.redis_recount import recount_once

    async def run() -> None:
        try:
            await recount_once(inner.client)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a failure here must not stop serving; the next start retries
            log.warning("quota.recount_failed", tenant="*", error=type(exc).__name__)

    return asyncio.create_task(run(), name="attune-quota-recount")
