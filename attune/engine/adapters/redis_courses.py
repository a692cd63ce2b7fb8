"""Courses in Redis, cached in each engine process and invalidated through pub/sub.

``put_course`` writes the course and publishes its id in one script, so no write goes
unannounced. Every process subscribes to the channel and drops the course it cached. While
its subscription is down, a process cannot hear invalidations, so it stops using its cache
(reads go to Redis) until it has subscribed again and emptied the cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Sequence
from typing import Any

import structlog

from attune.engine.adapters.course_codec import SingleFlight, decode_course, encode_course
from attune.engine.adapters.redis_conn import make_subscriber, unavailable_on_failure
from attune.engine.adapters.redis_keys import COURSE_CHANNEL, TenantKeys
from attune.engine.adapters.redis_scripts import PUT_COURSE
from attune.engine.domain.course import Course
from attune.engine.domain.lru import Lru
from attune.infra.redis import RedisTarget

log = structlog.get_logger("attune.store.redis")

_RESUBSCRIBE_S = (0.05, 0.1, 0.2, 0.5, 1.0)
_POLL_S = 1.0
_PING_S = 5.0
COURSE_CACHE = 256  # courses kept per process (a course at the size limits is megabytes)


class CourseCache:
    """Courses by (tenant, course id), trusted only while the subscription is live; the
    ``size`` most recently used are kept."""

    def __init__(self, target: RedisTarget, size: int = COURSE_CACHE) -> None:
        self._target = target
        self._courses: Lru[tuple[str, str], Course] = Lru(size)
        self._generation = 0  # bumped by every invalidation
        self._live = False
        self._subscribed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.invalidations = 0

    @property
    def live(self) -> bool:
        """Whether invalidations are being heard (and the cache is used)."""
        return self._live

    async def start(self, wait_s: float = 2.0) -> None:
        """Start listening; wait (briefly) for the first subscription."""
        self._task = asyncio.create_task(self._listen(), name="attune-course-invalidations")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), wait_s)

    async def close(self) -> None:
        """Stop listening."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._live = False

    def get(self, tenant: str, course_id: str) -> Course | None:
        """The cached course, if the cache can be trusted and holds it."""
        return self._courses.get((tenant, course_id)) if self._live else None

    @property
    def generation(self) -> int:
        """Take before reading a course from Redis; pass to :meth:`fill`."""
        return self._generation

    def fill(self, tenant: str, course_id: str, course: Course, generation: int) -> None:
        """Cache a course read from Redis, unless an invalidation arrived meanwhile."""
        if self._live and generation == self._generation:
            self._courses.put((tenant, course_id), course)

    def drop(self, tenant: str, course_id: str) -> None:
        """Forget one course (an invalidation)."""
        self._generation += 1
        self.invalidations += 1
        self._courses.pop((tenant, course_id))

    def forget_tenant(self, tenant: str) -> None:
        """Forget every course of a deleted tenant."""
        self._generation += 1
        self._courses.drop(lambda k: k[0] == tenant)

    def _reset(self, live: bool) -> None:
        self._generation += 1
        self._courses.clear()
        self._live = live

    async def _listen(self) -> None:
        attempt = 0
        while True:
            client = make_subscriber(self._target, attempt)
            pubsub: Any = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(COURSE_CHANNEL)
                # Whatever was published while we were not listening is lost: start empty.
                self._reset(live=True)
                self._subscribed.set()
                if attempt:
                    log.info("store.redis.resubscribed", channel=COURSE_CHANNEL)
                attempt = 0
                await self._receive(pubsub)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the connection dropped: stop trusting the cache
                self._reset(live=False)
                if attempt == 0:
                    log.warning("store.redis.unsubscribed", error=str(exc))
                await asyncio.sleep(_RESUBSCRIBE_S[min(attempt, len(_RESUBSCRIBE_S) - 1)])
                attempt += 1
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                with contextlib.suppress(Exception):
                    await client.aclose()

    async def _receive(self, pubsub: Any) -> None:
        """Handle invalidations until the connection fails. A silent connection (a network
        partition sends no reset) is caught by pings: no pong in time means it is dead."""
        loop = asyncio.get_running_loop()
        heard = pinged = loop.time()
        while True:
            message = await pubsub.get_message(timeout=_POLL_S)
            now = loop.time()
            if message is not None:
                heard = now
                if message.get("type") == "message":
                    self._on_message(message["data"])
            if now - heard > 3 * _PING_S:
                raise ConnectionError(f"no answer from Redis for {now - heard:.0f} s")
            if now - pinged > _PING_S:
                await pubsub.ping()
                pinged = now

    def _on_message(self, data: Any) -> None:
        try:
            body = json.loads(data)
            self.drop(body["t"], body["c"])
        except (ValueError, KeyError, TypeError):
            log.warning("store.redis.bad_invalidation", data=str(data)[:200])


class RedisCourses:
    """The CourseStore port on Redis, with a :class:`CourseCache` in front."""

    def __init__(self, client: Any, cache: CourseCache) -> None:
        self._client = client
        self.cache = cache
        self._loads: SingleFlight[Course | None] = SingleFlight()

    async def put_course(self, tenant: str, course: Course, limit: int = 0) -> bool:
        """Create or replace a course, and tell every process to drop its cached copy; with a
        ``limit``, a course new to the tenant is refused (False, nothing written) when the
        tenant stores ``limit`` courses already, checked in the same script as the write."""
        keys = TenantKeys(tenant)
        body = await encode_course(course)
        note = json.dumps({"t": tenant, "c": course.course_id})
        async with unavailable_on_failure("put_course"):
            stored = await PUT_COURSE(
                self._client,
                [keys.courses, keys.course_ids],
                [course.course_id, body, COURSE_CHANNEL, note, limit],
            )
        if not int(stored):
            return False
        self.cache.drop(tenant, course.course_id)
        return True

    async def get_course(self, tenant: str, course_id: str) -> Course | None:
        """A course, from the cache or from Redis (decoded off the event loop; concurrent
        first reads share one decoding)."""
        cached = self.cache.get(tenant, course_id)
        if cached is not None:
            return cached
        return await self._loads.run((tenant, course_id), lambda: self._load(tenant, course_id))

    async def _load(self, tenant: str, course_id: str) -> Course | None:
        generation = self.cache.generation
        async with unavailable_on_failure("get_course"):
            raw = await self._client.hget(TenantKeys(tenant).courses, course_id)
        if raw is None:
            return None
        course = await decode_course(raw)
        self.cache.fill(tenant, course_id, course, generation)
        return course

    async def list_courses(self, tenant: str, after: str, limit: int) -> Sequence[Course]:
        """Courses with ``course_id > after``, ordered by id."""
        keys = TenantKeys(tenant)
        start = f"({after}" if after else "-"
        generation = self.cache.generation
        async with unavailable_on_failure("list_courses"):
            ids = await self._client.zrangebylex(keys.course_ids, start, "+", 0, limit)
            missing = [i for i in ids if self.cache.get(tenant, i) is None]
            bodies = await self._client.hmget(keys.courses, missing) if missing else []
        fetched = dict(zip(missing, bodies, strict=True))
        courses: list[Course] = []
        for course_id in ids:
            course = self.cache.get(tenant, course_id)
            if course is None and fetched.get(course_id) is not None:
                course = await decode_course(fetched[course_id])
                self.cache.fill(tenant, course_id, course, generation)
            if course is not None:
                courses.append(course)
        return courses
