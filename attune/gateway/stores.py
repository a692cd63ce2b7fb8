"""Which store the gateway keeps its state in: the embedded SQLite file under the data
directory (the default), or Redis / Redis Cluster (``ATTUNE_GATEWAY__STORE_URL``), which lets
several gateway processes share launches, sessions and the outboxes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from attune.gateway.lrs.ports import StatementOutbox
from attune.gateway.ports import GatewayStore
from attune.infra.redis import CONNECT_TIMEOUT_S, SOCKET_TIMEOUT_S, parse_url


class GatewayStoreError(ValueError):
    """A store URL the gateway cannot use; the message names it (password masked)."""


def open_stores(url: str, data_dir: Path) -> tuple[GatewayStore, StatementOutbox]:
    """The gateway store and the statement outbox for ``url`` ("" = embedded)."""
    if not url:
        from attune.gateway.lrs.sqlite_outbox import SqliteStatementOutbox
        from attune.gateway.sqlite_store import SqliteGatewayStore

        path = data_dir / "gateway.db"
        return SqliteGatewayStore(path), SqliteStatementOutbox(path)
    from attune.gateway.lrs.redis_outbox import RedisStatementOutbox
    from attune.gateway.redis_store import RedisGatewayStore

    client = redis_client(url)
    return RedisGatewayStore(client), RedisStatementOutbox(client)


def redis_client(url: str) -> Any:
    """A synchronous client (the gateway runs on threads), checked with a PING."""
    import redis
    from redis.cluster import ClusterNode, RedisCluster

    try:
        target = parse_url(url)
    except ValueError as exc:
        raise GatewayStoreError(f"gateway store: {exc}") from exc
    common: dict[str, Any] = {
        "decode_responses": True,
        "socket_timeout": SOCKET_TIMEOUT_S,
        "socket_connect_timeout": CONNECT_TIMEOUT_S,
    }
    try:
        if target.cluster:
            client: Any = RedisCluster(
                startup_nodes=[ClusterNode(h, p) for h, p in target.nodes],
                username=target.username,
                password=target.password,
                ssl=target.tls,
                **common,
            )
        else:
            client = redis.Redis.from_url(target.url, **common)
        client.ping()
    except redis.RedisError as exc:
        raise GatewayStoreError(f"gateway store {target.display} is unusable: {exc}") from exc
    return client
