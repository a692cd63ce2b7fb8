"""The Redis store's per-tenant counts for the quotas (engine/service/quotas.py).

Courses: the tenant's sorted set of course ids is already there (ZCARD, O(1)). Learners: a
set of the admitted learner ids per tenant, in the tenant's slot (SCARD, O(1)); one script
checks the quota and adds the learner atomically, so engine processes sharing the Redis
never admit more than the quota together. A learner who had state before quotas were
deployed is not in the set yet: their next first response in a course finds their state and
adds them whatever the quota (they are stored already); ``attune quota recount`` (see
:mod:`attune.engine.adapters.redis_recount`) counts them all at once. A new course is checked
against ZCARD and written in one script (``PUT_COURSE``), so engine processes sharing the
Redis never store more new courses than the quota between them.
"""

from __future__ import annotations

from typing import Any

from attune.engine.adapters.redis_conn import unavailable_on_failure
from attune.engine.adapters.redis_keys import PREFIX, LearnerKeys, TenantKeys
from attune.engine.adapters.redis_scripts import Script
from attune.engine.adapters.redis_store import RedisStore
from attune.engine.domain.course import Course

# KEYS: the tenant's learner set    ARGV: learner id, limit (0: none)    -> 1 admitted, 0 not
ADMIT = Script(
    """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
local limit = tonumber(ARGV[2])
if limit > 0 and redis.call('SCARD', KEYS[1]) >= limit then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
return 1
"""
)


def learners_key(tenant: str) -> str:
    """Set of the tenant's admitted learner ids."""
    return f"{PREFIX}:{TenantKeys(tenant).tag}:learners"


class RedisQuota:
    """:class:`~engine.service.quotas.QuotaCounter` on Redis (standalone or cluster)."""

    def __init__(self, store: RedisStore) -> None:
        self._store = store
        self._client: Any = store.client

    async def put_new_course(self, tenant: str, course: Course, limit: int) -> bool:
        """Check ZCARD and write the course in one script (exact across processes)."""
        return await self._store.courses.put_course(tenant, course, limit)

    async def course_count(self, tenant: str) -> int:
        """The tenant's courses."""
        async with unavailable_on_failure("course_count"):
            return int(await self._client.zcard(TenantKeys(tenant).course_ids))

    async def learner_count(self, tenant: str) -> int:
        """The tenant's admitted learners."""
        async with unavailable_on_failure("learner_count"):
            return int(await self._client.scard(learners_key(tenant)))

    async def admit_learner(self, tenant: str, learner_id: str, limit: int) -> bool:
        """See the port: one script; a refusal checks once for state stored before quotas."""
        key = learners_key(tenant)
        async with unavailable_on_failure("admit_learner"):
            if int(await ADMIT(self._client, [key], [learner_id, limit])):
                return True
            if not await self._client.exists(LearnerKeys(tenant, learner_id).meta):
                return False
            await self._client.sadd(key, learner_id)
            return True

    async def release_learner(self, tenant: str, learner_id: str) -> None:
        """Uncount the learner."""
        async with unavailable_on_failure("release_learner"):
            await self._client.srem(learners_key(tenant), learner_id)
