"""Connecting to Redis: clients, server checks, and Redis errors as domain errors. Store URLs
are parsed by :mod:`attune.infra.redis` (shared with the gateway).

The clients fail fast: no hidden retries with back-off inside a call. A call that cannot
reach Redis raises :class:`UnavailableError` at once (gRPC ``UNAVAILABLE``), and the caller
retries with the same event id, which is safe.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as aredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.exceptions import (
    ConnectionError as RedisConnectionError,
)
from redis.exceptions import (
    RedisClusterException,
    RedisError,
    ResponseError,
)
from redis.exceptions import (
    TimeoutError as RedisTimeoutError,
)

from attune.engine.domain.errors import UnavailableError
from attune.infra.redis import CONNECT_TIMEOUT_S, SOCKET_TIMEOUT_S, RedisTarget, RedisUrlError

# Replies that mean "Redis cannot serve this now", as opposed to a bug in a command.
_TRANSIENT = ("LOADING", "BUSY", "MISCONF", "OOM", "READONLY", "CLUSTERDOWN", "TRYAGAIN",
              "MASTERDOWN", "NOREPLICAS")  # fmt: skip
MIN_VERSION = (7, 0)  # script flags (allow-cross-slot-keys), XAUTOCLAIM, exclusive XRANGE


def _common(target: RedisTarget) -> dict[str, Any]:
    return {
        "username": target.username,
        "password": target.password,
        "socket_timeout": SOCKET_TIMEOUT_S,
        "socket_connect_timeout": CONNECT_TIMEOUT_S,
        "socket_keepalive": True,
        "ssl": target.tls,
        "decode_responses": True,
    }


def make_client(target: RedisTarget) -> Any:
    """The command client: a ``Redis`` for one server, a ``RedisCluster`` for a cluster."""
    if target.cluster:
        return RedisCluster(
            startup_nodes=[ClusterNode(h, p) for h, p in target.nodes],
            # A few quick retries let the client follow a failover or a resharding; a
            # slow back-off would only hold the caller's request.
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), 2),
            **_common(target),
        )
    # from_url takes the credentials, the database and TLS (rediss://) from the URL itself.
    kwargs = {k: v for k, v in _common(target).items() if k not in ("username", "password", "ssl")}
    return aredis.Redis.from_url(target.url, retry=Retry(NoBackoff(), 0), **kwargs)


def make_subscriber(target: RedisTarget, attempt: int) -> aredis.Redis:
    """A plain connection for pub/sub. In a cluster, PUBLISH reaches every node, so any
    node will do; successive attempts go round the nodes listed in the URL."""
    host, port = target.nodes[attempt % len(target.nodes)]
    kwargs = _common(target)
    kwargs["socket_timeout"] = None  # a subscriber waits for messages indefinitely
    return aredis.Redis(host=host, port=port, retry=Retry(NoBackoff(), 0), **kwargs)


async def check_server(client: Any, target: RedisTarget) -> dict[str, Any]:
    """Refuse a server this store cannot use; return what an operator wants in the log.

    Raises :class:`RedisUrlError` for a Redis older than 7.0, and for a cluster node named
    by a plain ``redis://`` URL (its keys would be refused with MOVED)."""
    try:
        server = await client.info("server")
        persistence = await client.info("persistence")
        cluster = {} if target.cluster else await client.info("cluster")
    except ResponseError:  # INFO disabled (some managed services): nothing to check
        return {}
    version = str(server.get("redis_version", "0.0"))
    if tuple(int(x) for x in version.split(".")[:2]) < MIN_VERSION:
        raise RedisUrlError(f"Redis {version} is too old: 7.0 or later is needed")
    if cluster.get("cluster_enabled"):
        raise RedisUrlError("the server is a Redis Cluster node: use redis+cluster://")
    return {"redis_version": version, "aof_enabled": bool(persistence.get("aof_enabled"))}


def is_transient(exc: BaseException) -> bool:
    """Whether a Redis error means "not now" (down, loading, failing over, full)."""
    if isinstance(exc, RedisConnectionError | RedisTimeoutError | RedisClusterException | OSError):
        return True
    if isinstance(exc, ResponseError):
        return str(exc).split(" ", 1)[0].upper() in _TRANSIENT
    return False


@asynccontextmanager
async def unavailable_on_failure(what: str) -> AsyncIterator[None]:
    """Turn a transient Redis failure inside the block into :class:`UnavailableError`."""
    try:
        yield
    except (RedisError, RedisClusterException, OSError) as exc:
        if is_transient(exc):
            raise UnavailableError(f"the store is unavailable ({what}): {exc}") from exc
        raise
