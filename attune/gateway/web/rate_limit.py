"""Request rates per client address, per tenant and, at the token endpoint, per OAuth client:
token buckets on an injected clock.

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
from typing import Literal

from attune.gateway.http_settings import Rate, RateLimits

Clock = Callable[[], float]
LimitClass = str  # "sessions", "ingest", "reads", "token", "admin"
Scope = Literal["client", "tenant", "client_id"]  # what a bucket is keyed by


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
    """Per-client, per-tenant and (token endpoint) per-OAuth-client buckets of each limit
    class."""

    def __init__(self, limits: RateLimits, clock: Clock) -> None:
        self.enabled = limits.enabled
        self._clock = clock
        self._lock = threading.Lock()
        rates: dict[tuple[LimitClass, Scope], Rate] = {
            ("sessions", "client"): limits.sessions_per_client,
            ("sessions", "tenant"): limits.sessions_per_tenant,
            ("ingest", "client"): limits.ingest_per_client,
            ("ingest", "tenant"): limits.ingest_per_tenant,
            ("reads", "client"): limits.reads_per_client,
            ("reads", "tenant"): limits.reads_per_tenant,
            ("token", "client"): limits.token_per_client,
            ("token", "tenant"): limits.token_per_tenant,
            ("token", "client_id"): limits.token_per_client_id,
            ("admin", "client"): limits.admin_per_client,
        }
        self._tables = {key: BucketTable(rate, limits.max_keys) for key, rate in rates.items()}

    def take(
        self, cls: LimitClass, client: str, tenant: str | None, client_id: str | None = None
    ) -> float:
        """Take one request of ``cls`` from each bucket it counts against (the client
        address's, the tenant's, the OAuth client's): 0 when all had room (all are charged),
        else the seconds to wait and none is charged."""
        return self.check(cls, client, tenant, client_id)[0]

    def check(
        self, cls: LimitClass, client: str, tenant: str | None, client_id: str | None = None
    ) -> tuple[float, Scope | None]:
        """:meth:`take`, with the scope of the bucket that refused (``None`` when none)."""
        if not self.enabled:
            return 0.0, None
        keys: list[tuple[Scope, str]] = [("client", client)]
        if tenant is not None:
            keys.append(("tenant", tenant))
        if client_id is not None:
            keys.append(("client_id", client_id))
        with self._lock:
            now = self._clock()
            found = [
                (scope, table, table.level(key, now))
                for scope, key in keys
                if (table := self._tables.get((cls, scope))) is not None
            ]
            waits = [(table.wait(bucket), scope) for scope, table, bucket in found]
            wait, scope = max(waits, default=(0.0, None), key=lambda w: w[0])
            if wait > 0:
                return wait, scope
            for _, _, bucket in found:
                bucket.tokens -= 1.0
            return 0.0, None


def retry_after(wait: float) -> str:
    """A ``Retry-After`` value (RFC 9110 §10.2.3: whole seconds) for a wait, at least 1."""
    return str(max(1, math.ceil(wait)))
