"""Count, once, the learners a Redis store held before quotas existed (issue 16).

A learner with state from before quotas is not in their tenant's learner set
(``attune:{t=<tenant>}:learners``, see :mod:`attune.engine.adapters.redis_quota`) until their
next first response in a course. :func:`recount` adds them all at once: it SCANs the learners'
``meta`` keys (one per learner, ``attune:{t=<tenant>:l=<learner>}:meta``) and adds each
learner to their tenant's set.

- **Safe live.** ``SADD`` of a learner already counted changes nothing. A learner erased while
  the scan runs could be counted again after their erasure uncounted them: each learner newly
  added is checked again afterwards (their ``meta`` key still exists), and uncounted when gone.
- **Safe twice.** It only adds learners who have state and are not counted.
- **Resumable.** On one server, the SCAN cursor is kept in ``attune:quota-recount`` after each
  page (field ``cursor:<scope>``, scope ``*`` or the escaped tenant): a run stopped half-way
  resumes there. When a scan ends, ``done:<scope>`` holds the time it ended, and the engine's
  start-up pass (:func:`recount_once`) is skipped from then on. On a cluster, each run scans
  every node from the start (still safe).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import structlog

from attune.engine.adapters.redis_conn import unavailable_on_failure
from attune.engine.adapters.redis_keys import PREFIX
from attune.engine.adapters.redis_quota import learners_key
from attune.infra.redis import escape, unescape

log = structlog.get_logger("attune.engine.quotas")

PROGRESS = f"{PREFIX}:quota-recount"
ALL = "*"
PAGE = 500
_META = re.compile(r"^attune:\{t=([^:{}]*):l=([^:{}]*)\}:meta$")
_GLOB = re.compile(r"([*?\[\]\\])")


@dataclass(frozen=True)
class RecountResult:
    """What a run did: learners' meta keys seen, learners newly counted, and whether the scan
    resumed from a stored cursor."""

    seen: int
    added: int
    resumed: bool


def _pattern(tenant: str | None) -> str:
    if tenant is None:
        return f"{PREFIX}:{{t=*:l=*}}:meta"
    glob = _GLOB.sub(r"\\\1", escape(tenant))
    return f"{PREFIX}:{{t={glob}:l=*}}:meta"


def _scope(tenant: str | None) -> str:
    return ALL if tenant is None else escape(tenant)


def _is_cluster(client: Any) -> bool:
    return hasattr(client, "get_nodes")


async def _count_page(client: Any, keys: list[str]) -> int:
    added = 0
    for key in keys:
        found = _META.match(key)
        if found is None:
            continue
        tenant, learner = unescape(found.group(1)), unescape(found.group(2))
        counted = learners_key(tenant)
        if not int(await client.sadd(counted, learner)):
            continue
        if not int(await client.exists(key)):  # erased meanwhile: their erasure uncounted
            await client.srem(counted, learner)  # them before this SADD; undo it
            continue
        added += 1
    return added


async def recount(client: Any, tenant: str | None = None, page: int = PAGE) -> RecountResult:
    """Count every learner with state (of ``tenant``, or of every tenant) in their tenant's
    learner set; see the module docstring."""
    scope = _scope(tenant)
    pattern = _pattern(tenant)
    seen = added = 0
    async with unavailable_on_failure("quota_recount"):
        if _is_cluster(client):
            batch: list[str] = []
            async for key in client.scan_iter(match=pattern, count=page):
                batch.append(key)
                if len(batch) >= page:
                    seen, added = seen + len(batch), added + await _count_page(client, batch)
                    batch = []
            seen, added = seen + len(batch), added + await _count_page(client, batch)
            resumed = False
        else:
            stored = await client.hget(PROGRESS, f"cursor:{scope}")
            resumed = stored is not None
            cursor = int(stored or 0)
            while True:
                cursor, keys = await client.scan(cursor=cursor, match=pattern, count=page)
                seen += len(keys)
                added += await _count_page(client, list(keys))
                if int(cursor) == 0:
                    break
                await client.hset(PROGRESS, f"cursor:{scope}", int(cursor))
            await client.hdel(PROGRESS, f"cursor:{scope}")
        await client.hset(PROGRESS, f"done:{scope}", repr(time.time()))
    log.info("quota.recounted", tenant=tenant or ALL, seen=seen, added=added, resumed=resumed)
    return RecountResult(seen, added, resumed)


async def recount_once(client: Any) -> RecountResult | None:
    """:func:`recount` of every tenant unless a whole recount has finished before (at engine
    start); None when skipped."""
    async with unavailable_on_failure("quota_recount"):
        if await client.hexists(PROGRESS, f"done:{ALL}"):
            return None
    return await recount(client)
