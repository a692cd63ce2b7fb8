"""Request rates per client address and per tenant: token buckets on an injected clock.

The state is this process's memory, at most ``max_keys`` buckets per table (the least recently
used is dropped first, so a dropped key starts again with a full bucket). Several gateways
sharing one store each allow the full rate.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from attune.gateway.http_settings import Rate, RateLimits

Clock = Callable[[], float]
LimitClass = str  # "sessions", "ingest", "admin"


@dataclass
class _Bucket:
    tokens: float
    at: float


class BucketTable:
    """Token buckets of one rate, keyed by client or tenant; bounded, LRU eviction."""

    def __init__(self, rate: Rate, max_keys: int) -> None:
        self.rate = rate
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def level(self, key: str, now: float) -> _Bucket:
        """The bucket of ``key`` refilled up to ``now`` (created full)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(float(self.rate.burst), now)
            self._buckets[key] = bucket
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            elapsed = max(0.0, now - bucket.at)
            bucket.tokens = min(
                float(self.rate.burst), bucket.tokens + elapsed * self.rate.per_second
            )
            bucket.at = now
        return bucket

    def wait(self, bucket: _Bucket) -> float:
        """Seconds until ``bucket`` holds a whole token (0 when it does)."""
        return max(0.0, (1.0 - bucket.tokens) / self.rate.per_second)

    def __len__(self) -> int:
        return len(self._buckets)


class RateLimiter:
    """Per-client and per-tenant buckets of each limit class."""

    def __init__(self, limits: RateLimits, clock: Clock) -> None:
        self.enabled = limits.enabled
        self._clock = clock
        self._lock = threading.Lock()
        self._tables: dict[tuple[LimitClass, str], BucketTable] = {
            (cls, scope): BucketTable(rate, limits.max_keys)
            for (cls, scope), rate in {
                ("sessions", "client"): limits.sessions_per_client,
                ("sessions", "tenant"): limits.sessions_per_tenant,
                ("ingest", "client"): limits.ingest_per_client,
                ("ingest", "tenant"): limits.ingest_per_tenant,
                ("admin", "client"): limits.admin_per_client,
            }.items()
        }

    def take(self, cls: LimitClass, client: str, tenant: str | None) -> float:
        """Take one request of ``cls`` from the client's and the tenant's bucket: 0 when both
        had room (both are charged), else the seconds to wait and neither is charged."""
        if not self.enabled:
            return 0.0
        keys = [("client", client)] + ([("tenant", tenant)] if tenant is not None else [])
        with self._lock:
            now = self._clock()
            found = [
                (table, table.level(key, now))
                for scope, key in keys
                if (table := self._tables.get((cls, scope))) is not None
            ]
            wait = max((table.wait(bucket) for table, bucket in found), default=0.0)
            if wait > 0:
                return wait
            for _, bucket in found:
                bucket.tokens -= 1.0
            return 0.0


def retry_after(wait: float) -> str:
    """A ``Retry-After`` value (RFC 9110 §10.2.3: whole seconds) for a wait, at least 1."""
    return str(max(1, math.ceil(wait)))
