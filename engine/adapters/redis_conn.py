"""Connecting to Redis: store URLs, clients, and Redis errors as domain errors.

- ``redis://[user:password@]host:port/db`` and ``rediss://...`` (TLS): one server.
- ``redis+cluster://[user:password@]host:port[,host:port...]`` (and ``rediss+cluster://``):
  a Redis Cluster, discovered from any of the nodes listed.

The clients fail fast: no hidden retries with back-off inside a call. A call that cannot
reach Redis raises :class:`UnavailableError` at once (gRPC ``UNAVAILABLE``), and the caller
retries with the same event id, which is safe.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

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

from engine.domain.errors import UnavailableError

SOCKET_TIMEOUT_S = 5.0
CONNECT_TIMEOUT_S = 2.0
# Replies that mean "Redis cannot serve this now", as opposed to a bug in a command.
_TRANSIENT = ("LOADING", "BUSY", "MISCONF", "OOM", "READONLY", "CLUSTERDOWN", "TRYAGAIN",
              "MASTERDOWN", "NOREPLICAS")  # fmt: skip
MIN_VERSION = (7, 0)  # script flags (allow-cross-slot-keys), XAUTOCLAIM, exclusive XRANGE


class RedisUrlError(ValueError):
    """The URL does not name a Redis deployment."""


@dataclass(frozen=True)
class RedisTarget:
    """Where the store lives, parsed from its URL."""

    url: str
    cluster: bool
    nodes: tuple[tuple[str, int], ...]
    tls: bool
    username: str | None
    password: str | None

    @property
    def display(self) -> str:
        """The URL with any password masked, for messages and logs."""
        return redact(self.url)


def redact(url: str) -> str:
    """``url`` with the password (if any) replaced by ``***``."""
    return re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", url)


def parse_url(url: str) -> RedisTarget:
    """Parse a ``redis://``, ``rediss://`` or ``redis+cluster://`` store URL."""
    parts = urlsplit(url)
    scheme = parts.scheme
    if scheme not in ("redis", "rediss", "redis+cluster", "rediss+cluster"):
        raise RedisUrlError(f"not a Redis URL: {redact(url)!r}")
    cluster = scheme.endswith("+cluster")
    netloc = parts.netloc
    auth, _, hosts = netloc.rpartition("@")
    username, _, password = auth.partition(":") if auth else ("", "", "")
    nodes: list[tuple[str, int]] = []
    for hostport in hosts.split(","):
        host, _, port = hostport.strip().rpartition(":")
        if not host:
            host, port = hostport.strip(), "6379"
        try:
            nodes.append((host.strip("[]"), int(port)))
        except ValueError as exc:
            raise RedisUrlError(f"bad host:port {hostport!r} in {redact(url)!r}") from exc
    if not nodes or not nodes[0][0]:
        raise RedisUrlError(f"no host in {redact(url)!r}")
    if not cluster and len(nodes) > 1:
        raise RedisUrlError(f"several hosts need redis+cluster://, got {redact(url)!r}")
    return RedisTarget(
        url=url,
        cluster=cluster,
        nodes=tuple(nodes),
        tls=scheme.startswith("rediss"),
        username=unquote(username) or None,
        password=unquote(password) or None,
    )


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
