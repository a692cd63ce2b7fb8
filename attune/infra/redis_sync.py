"""A synchronous redis-py client for a store URL (see :mod:`attune.infra.redis`): the gateway's
stores (it runs on threads) and whole-tenant sweeps use it, in either deployable."""

from __future__ import annotations

from typing import Any

from attune.infra.redis import CONNECT_TIMEOUT_S, SOCKET_TIMEOUT_S, RedisTarget


def sync_client(target: RedisTarget, *, ping: bool = True) -> Any:
    """A client of ``target`` answering strings (``decode_responses``), checked with a PING
    (which raises ``redis.RedisError`` when the server does not answer) unless ``ping`` is
    False (the audit trail connects on first use)."""
    import redis
    from redis.cluster import ClusterNode, RedisCluster

    common: dict[str, Any] = {
        "decode_responses": True,
        "socket_timeout": SOCKET_TIMEOUT_S,
        "socket_connect_timeout": CONNECT_TIMEOUT_S,
    }
    client: Any
    if target.cluster:
        client = RedisCluster(
            startup_nodes=[ClusterNode(h, p) for h, p in target.nodes],
            username=target.username,
            password=target.password,
            ssl=target.tls,
            **common,
        )
    else:
        client = redis.Redis.from_url(target.url, **common)
    if ping:
        client.ping()
    return client
