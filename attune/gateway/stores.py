"""Which store the gateway keeps its state in: the embedded SQLite file under the data
directory (the default), or Redis / Redis Cluster (``ATTUNE_GATEWAY__STORE_URL``), which lets
several gateway processes share launches, sessions and the outboxes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from attune.gateway.lrs.ports import StatementOutbox
from attune.gateway.ports import GatewayStore
from attune.infra.redis import parse_url


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

    from attune.infra.redis_sync import sync_client

    try:
        target = parse_url(url)
    except ValueError as exc:
        raise GatewayStoreError(f"gateway store: {exc}") from exc
    try:
        return sync_client(target)
    except redis.RedisError as exc:
        raise GatewayStoreError(f"gateway store {target.display} is unusable: {exc}") from exc
