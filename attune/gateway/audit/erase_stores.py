"""Erasure adapters for the gateway's two stores. They read the stores' layout directly
(the key/value table or keys, and the leased queues' ``grades`` and ``statements``
families), on a connection of their own: erasure is rare, must see everything, and the
stores' ports have no reason to offer "find anything that names X". The erasure test scans
every store for the learner afterwards, so a change of layout that escaped this module fails
there."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any, Protocol

from attune.gateway.audit.erasure import QueuedErased, mentions
from attune.gateway.settings import GatewaySettings

SESSION = "session:"
SESSION_INDEX = "session-tenant:"  # sessions.py: token -> tenant, in the "" namespace
FAMILIES = ("grades", "statements")


class StoreEraser(Protocol):
    def erase_values(self, tenant: str, learner_id: str) -> int:
        """Drop the tenant's key/value entries that name the learner; how many."""
        ...

    def erase_queued(self, tenant: str, learner_id: str) -> QueuedErased:
        """Drop the learner's items from both outboxes."""
        ...

    def close(self) -> None: ...


def gateway_eraser(settings: GatewaySettings) -> StoreEraser:
    """The eraser of the store ``settings`` name."""
    if not settings.store_url:
        return SqliteEraser(sqlite3.connect(settings.data_dir / "gateway.db", timeout=10.0))
    from attune.gateway.stores import redis_client

    return RedisEraser(redis_client(settings.store_url))


def _decoded(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


class SqliteEraser:
    """Erasure in the embedded SQLite file, one transaction per step."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._db.isolation_level = None

    def close(self) -> None:
        self._db.close()

    def erase_values(self, tenant: str, learner_id: str) -> int:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            rows = db.execute("SELECT key, value FROM kv WHERE tenant = ?", (tenant,)).fetchall()
            doomed = [k for k, v in rows if mentions([k, _decoded(v)], learner_id)]
            for key in doomed:
                db.execute("DELETE FROM kv WHERE tenant = ? AND key = ?", (tenant, key))
                if key.startswith(SESSION):
                    token = key.removeprefix(SESSION)
                    db.execute(
                        "DELETE FROM kv WHERE tenant = '' AND key = ?", (SESSION_INDEX + token,)
                    )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return len(doomed)

    def erase_queued(self, tenant: str, learner_id: str) -> QueuedErased:
        found = QueuedErased()
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            for family in FAMILIES:
                table = f"queue_{family}"
                exists = db.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
                ).fetchone()
                if not exists:
                    continue
                rows = db.execute(
                    f"SELECT item_id, queue, key, payload, status FROM {table} WHERE tenant = ?",
                    (tenant,),
                ).fetchall()
                doomed = [r for r in rows if mentions([r[2], _decoded(r[3])], learner_id)]
                for item_id, queue, _key, _payload, status in doomed:
                    db.execute(f"DELETE FROM {table} WHERE item_id = ?", (item_id,))
                    if family == "statements" and status == "delivered":
                        found.delivered[queue] += 1
                setattr(found, family, len(doomed))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return found


class RedisEraser:
    """Erasure in the gateway's Redis (or Redis Cluster): the tenant's keys share one hash
    tag, so each deletion is within one slot."""

    def __init__(self, client: Any) -> None:
        self._r = client

    def close(self) -> None:
        self._r.close()

    def erase_values(self, tenant: str, learner_id: str) -> int:
        from attune.gateway.redis_store import tenant_tag

        prefix = f"{tenant_tag(tenant)}:kv:"
        erased = 0
        for key in self._scan(prefix + "*"):
            raw = self._r.get(key)
            name = key.removeprefix(prefix)
            if raw is None or not mentions([name, _decoded(raw)], learner_id):
                continue
            erased += int(self._r.delete(key))
            if name.startswith(SESSION):
                token = name.removeprefix(SESSION)
                self._r.delete(f"{tenant_tag('')}:kv:{SESSION_INDEX}{token}")
        return erased

    def _scan(self, pattern: str) -> list[str]:
        return sorted(set(self._r.scan_iter(match=pattern, count=500)))

    def erase_queued(self, tenant: str, learner_id: str) -> QueuedErased:
        from attune.gateway.redis_store import tenant_tag

        found = QueuedErased()
        for family in FAMILIES:
            key = _family_keys(tenant_tag(tenant), family)
            payloads = self._r.hgetall(key("payloads"))
            items = self._r.hgetall(key("items"))
            doomed = 0
            for item_id, raw in payloads.items():
                meta = json.loads(items.get(item_id, "{}"))
                if not mentions([meta.get("key", ""), _decoded(raw)], learner_id):
                    continue
                queue = meta.get("queue", "")
                pipe = self._r.pipeline(transaction=True)
                pipe.hdel(key("items"), item_id)
                pipe.hdel(key("payloads"), item_id)
                pipe.zrem(key(f"due:{queue}"), item_id)
                pipe.execute()
                ids = key(f"ids:{queue}")
                if self._r.hget(ids, meta.get("key", "")) == item_id:
                    self._r.hdel(ids, meta.get("key", ""))
                if family == "statements" and meta.get("status") == "delivered":
                    found.delivered[queue] += 1
                doomed += 1
            setattr(found, family, doomed)
        return found


def _family_keys(tag: str, family: str) -> Callable[[str], str]:
    """The keys of one leased-queue family of a tenant (``gateway.outbox.redis``)."""
    return lambda name: f"{tag}:{family}:{name}"
