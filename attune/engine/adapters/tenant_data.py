"""The engine store's :class:`~attune.engine.ports.TenantData`: a whole tenant's records read
or dropped with the shared sweeps (:mod:`attune.infra.tenancy`), which the ``attune tenant``
command uses too; the export's files are written to a temporary directory and streamed from
there. The sweeps are blocking: they run in a worker thread, off the event loop.

- **Embedded (SQLite).** The sweep reads the file on a connection of its own in one read
  transaction (a consistent view while the engine keeps writing), and deletes in one write
  transaction; then the store's caches of the tenant are dropped.
- **Redis.** Reading keys is not one view: the service keeps the tenant's calls out
  meanwhile. A delete drops every key of the tenant, then announces each of its courses on
  the invalidation channel, so every engine process sharing the Redis drops its cached copy.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from attune.engine.adapters.redis_keys import COURSE_CHANNEL, TenantKeys
from attune.engine.adapters.redis_store import RedisStore
from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.ports import TenantData
from attune.infra.redis_sync import sync_client
from attune.infra.tenancy.files import (
    chunks,
    delete_redis,
    delete_sqlite,
    export_redis,
    export_sqlite,
)
from attune.infra.tenancy.redis_sweep import ENGINE

NAME = "engine"  # the engine's folder in an export


async def _streamed(write: Callable[[Path], object]) -> AsyncIterator[tuple[str, bytes]]:
    with tempfile.TemporaryDirectory(prefix="attune-export-") as tmp:
        await asyncio.to_thread(write, Path(tmp))
        for path, data in chunks(Path(tmp)):
            yield path, data


class SqliteTenantData:
    """Whole tenants in the embedded store's file."""

    consistent_reads = True

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    def export(self, tenant: str) -> AsyncIterator[tuple[str, bytes]]:
        return _streamed(lambda out: export_sqlite(self._store.path, NAME, tenant, out))

    async def delete(self, tenant: str) -> dict[str, int]:
        counts = await asyncio.to_thread(delete_sqlite, self._store.path, NAME, tenant)
        self._store.forget_tenant(tenant)
        return counts


class RedisTenantData:
    """Whole tenants in the engine's Redis (standalone or cluster)."""

    consistent_reads = False

    def __init__(self, store: RedisStore) -> None:
        self._store = store

    def _run(self, work: Callable[[Any], Any]) -> Any:
        client = sync_client(self._store.target)
        try:
            return work(client)
        finally:
            client.close()

    def export(self, tenant: str) -> AsyncIterator[tuple[str, bytes]]:
        return _streamed(
            lambda out: self._run(lambda r: export_redis(r, NAME, tenant, out, ENGINE))
        )

    async def delete(self, tenant: str) -> dict[str, int]:
        def work(client: Any) -> dict[str, int]:
            courses = client.zrange(TenantKeys(tenant).course_ids, 0, -1)
            counts = delete_redis(client, NAME, tenant, ENGINE)
            for course_id in courses:  # every process drops its cached copy
                client.publish(COURSE_CHANNEL, json.dumps({"t": tenant, "c": course_id}))
            return counts

        counts: dict[str, int] = await asyncio.to_thread(self._run, work)
        self._store.courses.cache.forget_tenant(tenant)
        return {k: n for k, n in counts.items() if n}


def open_tenant_data(store: Any) -> TenantData | None:
    """The :class:`TenantData` of ``store`` (its ``inner`` store when wrapped for metrics);
    None for a store without one (the in-memory store of some tools and tests)."""
    inner = getattr(store, "inner", store)
    if isinstance(inner, SqliteStore):
        return SqliteTenantData(inner)
    if isinstance(inner, RedisStore):
        return RedisTenantData(inner)
    return None
