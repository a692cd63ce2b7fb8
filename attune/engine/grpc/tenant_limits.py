"""Per-tenant rate limits on the engine's API (issue 16 part 6): token buckets keyed by the
authenticated tenant, on an injected clock. Over budget, a call is refused with
RESOURCE_EXHAUSTED and trailing metadata ``retry-after`` (whole seconds, at least 1, as HTTP's
Retry-After) and ``retry-after-ms``; nothing is done for it.

It sits after the auth interceptor (the tenant comes from the credential only). The state is
this process's memory, at most ``max_tenants`` buckets per table (least recently used dropped:
a dropped tenant starts again with a full bucket).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import grpc
import structlog
from grpc import aio

from attune.engine.grpc.auth import current_tenant
from attune.engine.grpc.interceptors import Behaviour, _BehaviourInterceptor

log = structlog.get_logger("attune.limits")
_V1 = "/attune.engine.v1.LearnerService/"
RESPONSE_METHODS = frozenset({f"{_V1}RecordResponse"})
STREAM_RESPONSE_METHODS = frozenset({f"{_V1}StreamResponses"})


@dataclass
class _Bucket:
    tokens: float
    at: float


class TenantBuckets:
    """Token buckets of one rate, one per tenant; bounded, LRU eviction. Thread-safe."""

    def __init__(
        self, per_second: float, burst: int, max_keys: int, clock: Callable[[], float]
    ) -> None:
        self.per_second = per_second
        self.burst = float(burst)
        self._max_keys = max_keys
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, tenant: str, cost: float = 1.0) -> float:
        """Charge ``cost`` to the tenant: 0.0 when it had room, else the seconds until it
        will (and nothing is charged)."""
        with self._lock:
            now = self._clock()
            bucket = self._buckets.get(tenant)
            if bucket is None:
                bucket = _Bucket(self.burst, now)
                self._buckets[tenant] = bucket
                while len(self._buckets) > self._max_keys:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(tenant)
                elapsed = max(0.0, now - bucket.at)
                bucket.tokens = min(self.burst, bucket.tokens + elapsed * self.per_second)
                bucket.at = now
            if bucket.tokens >= cost:
                bucket.tokens -= cost
                return 0.0
            return (cost - bucket.tokens) / self.per_second

    def __len__(self) -> int:
        return len(self._buckets)


def retry_metadata(wait: float) -> tuple[tuple[str, str], ...]:
    """The retry hint of a refusal: ``retry-after`` in whole seconds (at least 1) and
    ``retry-after-ms`` (at least 1)."""
    return (
        ("retry-after", str(max(1, math.ceil(wait)))),
        ("retry-after-ms", str(max(1, math.ceil(wait * 1000)))),
    )


class Budgets(Protocol):
    """The rates and bursts the interceptor applies (``engine/limits_settings.py`` is one)."""

    @property
    def requests_per_second(self) -> float: ...
    @property
    def requests_burst(self) -> int: ...
    @property
    def responses_per_second(self) -> float: ...
    @property
    def responses_burst(self) -> int: ...
    @property
    def max_tenants(self) -> int: ...


class TenantLimitInterceptor(_BehaviourInterceptor):
    """Charges every authenticated call to its tenant's request bucket, and each learner
    response (RecordResponse, each StreamResponses message) to its response bucket."""

    def __init__(self, settings: Budgets, clock: Callable[[], float]) -> None:
        super().__init__()
        self.requests = TenantBuckets(
            settings.requests_per_second, settings.requests_burst, settings.max_tenants, clock
        )
        self.responses = TenantBuckets(
            settings.responses_per_second, settings.responses_burst, settings.max_tenants, clock
        )

    async def _refuse(self, context: aio.ServicerContext, what: str, wait: float) -> None:
        tenant = current_tenant()
        log.warning("limits.exhausted", tenant=tenant, budget=what, wait_s=round(wait, 3))
        await context.abort(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            f"the tenant's {what} budget is spent; retry in {max(1, math.ceil(wait))} s",
            trailing_metadata=retry_metadata(wait),
        )

    async def admit(self, context: aio.ServicerContext, method: str) -> None:
        """Charge the call to its tenant's request bucket (and a RecordResponse to its
        response bucket), or abort it RESOURCE_EXHAUSTED."""
        tenant = current_tenant()
        wait = self.requests.take(tenant)
        if wait > 0:
            await self._refuse(context, "requests", wait)
        if method in RESPONSE_METHODS:
            wait = self.responses.take(tenant)
            if wait > 0:
                await self._refuse(context, "responses", wait)

    def wrap_unary(self, behaviour: Behaviour, method: str) -> Behaviour:
        async def unary(request: Any, context: aio.ServicerContext) -> Any:
            await self.admit(context, method)
            return await behaviour(request, context)

        return unary

    def wrap_stream(self, behaviour: Behaviour, method: str) -> Behaviour:
        counted = method in STREAM_RESPONSE_METHODS

        async def stream(request: Any, context: aio.ServicerContext) -> AsyncIterator[Any]:
            await self.admit(context, method)
            source = self.metered(request, context) if counted else request
            async for reply in behaviour(source, context):
                yield reply

        return stream

    def meters(self, method: str) -> bool:
        """Whether each request message of ``method`` is a response to charge."""
        return method in STREAM_RESPONSE_METHODS

    async def metered(self, requests: Any, context: aio.ServicerContext) -> AsyncIterator[Any]:
        """The stream's requests, each charged to the response bucket; the call ends
        RESOURCE_EXHAUSTED at the first one over budget (those before it were applied)."""
        tenant = current_tenant()
        async for item in requests:
            wait = self.responses.take(tenant)
            if wait > 0:
                await self._refuse(context, "responses", wait)
            yield item
