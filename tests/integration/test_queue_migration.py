"""A data dir or a Redis written by the gateway before issue 12 keeps its queued grades and
statements: the leased queue moves them on open, ids, payloads, cursors and dead letters
included, on SQLite, Redis and Redis Cluster; opening again moves nothing twice."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from attune.gateway.lrs.ports import NotReplayableError
from attune.gateway.lrs.targets import LrsTarget
from attune.gateway.redis_store import tenant_tag
from attune.gateway.stores import open_stores, redis_client

pytestmark = pytest.mark.integration

TARGET = LrsTarget(
    tenant="t",
    name="lrs",
    url="https://lrs.example/xapi",
    auth="none",
    home_page="https://lms.example",
    activity_base="https://attune.example/x",
)
SCORE = {"issuer": "i", "client_id": "c", "lineitem": "l", "score": {"scoreGiven": 1 / 3}}
BODY = {"id": "s-2", "result": {"score": {"scaled": 0.1 + 0.2}}}
UNBUILT = {"unbuilt": "the statements of this log entry could not be built", "log_id": 9}
# (id, status, key, payload, last_error) as the previous version stored them
GRADES = [
    (3, "superseded", "k1", {"n": 1}, ""),
    (4, "pending", "k1", SCORE, "503 down"),
    (7, "dead", "k2", {"n": 2}, "400 bad"),
]
STATEMENTS = [
    (1, "delivered", "s-1", {"id": "s-1"}, ""),
    (2, "pending", "s-2", BODY, ""),
    (5, "dead", "s-5", {"id": "s-5"}, "400: no actor"),
    (6, "dead", "unbuilt:e-9", UNBUILT, "ValueError: occurred_at must be ..."),
]

OLD_SQLITE = """
CREATE TABLE outbox (
    item_id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL, delivered_at REAL
);
CREATE INDEX outbox_due ON outbox (status, next_at);
CREATE TABLE lrs_targets (
    tenant TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (tenant, name)
) WITHOUT ROWID;
CREATE TABLE statement_cursor (
    target TEXT PRIMARY KEY, after_log_id INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE statements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL, target TEXT NOT NULL, statement_id TEXT NOT NULL, body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',
    UNIQUE (target, statement_id)
);
"""


def _old_sqlite(data_dir: Path) -> None:
    with sqlite3.connect(data_dir / "gateway.db") as db:
        db.executescript(OLD_SQLITE)
        for item_id, status, key, payload, error in GRADES:
            db.execute(
                "INSERT INTO outbox VALUES (?, 't', 'ags-score', ?, ?, ?, 1, 0, ?, 1.0, NULL)",
                (item_id, key, json.dumps(payload), status, error),
            )
        db.execute("UPDATE sqlite_sequence SET seq = 9 WHERE name = 'outbox'")  # 8, 9 gone
        for row_id, status, key, body, error in STATEMENTS:
            db.execute(
                "INSERT INTO statements VALUES (?, 't', ?, ?, ?, ?, 0, 0, ?)",
                (row_id, TARGET.key, key, json.dumps(body), status, error),
            )
        db.execute("INSERT INTO lrs_targets VALUES ('t', 'lrs', ?)", (json.dumps(asdict(TARGET)),))
        db.execute("INSERT INTO statement_cursor VALUES (?, 41)", (TARGET.key,))


def _old_redis(client: Any) -> None:
    tag = tenant_tag("t")
    for item_id, status, key, payload, error in GRADES:
        meta = {"tenant": "t", "kind": "ags-score", "key": key, "status": status,
                "attempts": 1, "next_at": 0, "last_error": error, "item_id": item_id}  # fmt: skip
        client.hset(f"{tag}:outbox:items", item_id, json.dumps(meta))
        client.hset(f"{tag}:outbox:payloads", item_id, json.dumps(payload))
        if status == "pending":
            client.zadd(f"{tag}:outbox:due", {str(item_id): 0})
        client.hset(f"{tag}:outbox:by-key", key, item_id)
    client.set(f"{tag}:outbox:seq", 9)
    client.sadd("attune:gw:{tenants}", "t")
    for row_id, status, key, body, error in STATEMENTS:
        row = {"tenant": "t", "target": TARGET.key, "statement_id": key, "status": status,
               "attempts": 0, "next_at": 0, "last_error": error, "row_id": row_id}  # fmt: skip
        client.hset(f"{tag}:st:items", row_id, json.dumps(row))
        client.hset(f"{tag}:st:bodies", row_id, json.dumps(body))
        if status == "pending":
            client.zadd(f"{tag}:st:due:{TARGET.key}", {str(row_id): 0})
        client.hset(f"{tag}:st:ids:{TARGET.key}", key, row_id)
    client.set(f"{tag}:st:seq", 6)
    client.hset(f"{tag}:st:cursors", TARGET.key, 41)
    client.hset("attune:gw:{lrs-targets}", TARGET.key, json.dumps(asdict(TARGET)))


def _assert_kept(url: str, data_dir: Path) -> None:
    store, outbox = open_stores(url, data_dir)
    try:
        # Grades: the pending score is due with its id and exact payload; the dead letter
        # and the superseded score are where they were; new ids go on after the old ones.
        [due] = store.due(1e12, 10)
        assert (due.item_id, due.payload, due.attempts, due.last_error) == (
            4, SCORE, 1, "503 down"
        )  # fmt: skip
        assert [i.item_id for i in store.list_items("t", "superseded")] == [3]
        [dead] = store.list_items("t", "dead")
        assert (dead.item_id, dead.key, dead.last_error) == (7, "k2", "400 bad")
        newer = store.enqueue("t", "ags-score", "k1", {"n": 3})
        assert newer > 9
        assert [i.item_id for i in store.list_items("t", "superseded")] == [3, 4]
        assert store.replay("t", 7, 0.0)
        # Statements: the cursor, the pending statement with its exact body, the dead letters;
        # a statement queued before is not queued again; the unbuilt entry is not replayable.
        assert outbox.targets("t") == [TARGET]
        assert outbox.cursor(TARGET.key) == 41
        [pending] = outbox.due(TARGET, 1e12, 10)
        assert (pending.row_id, pending.statement_id, pending.body) == (2, "s-2", BODY)
        assert outbox.counts("t") == {"delivered": 1, "pending": 1, "dead": 2}
        assert [q.row_id for q in outbox.list_statements("t", "dead")] == [5, 6]
        rows = [(TARGET.key, "s-1", {}), (TARGET.key, "s-7", {"id": "s-7"})]
        assert outbox.enqueue("t", rows, (TARGET.key, 42)) == 1
        assert outbox.cursor(TARGET.key) == 42
        with pytest.raises(NotReplayableError):
            outbox.replay("t", 6, 0.0)
        assert outbox.replay("t", 5, 0.0)
    finally:
        outbox.close()
        store.close()


def _assert_reopened(url: str, data_dir: Path) -> None:
    store, outbox = open_stores(url, data_dir)
    try:
        assert {i.item_id for i in store.due(1e12, 10)} == {7, 10}
        assert outbox.counts("t") == {"delivered": 1, "pending": 3, "dead": 1}
        assert outbox.cursor(TARGET.key) == 42
    finally:
        outbox.close()
        store.close()


def test_an_old_data_dir_keeps_its_queues(tmp_path: Path) -> None:
    _old_sqlite(tmp_path)
    _assert_kept("", tmp_path)
    _assert_reopened("", tmp_path)
    with sqlite3.connect(tmp_path / "gateway.db") as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert not tables & {"outbox", "statements", "statement_cursor"}


@pytest.mark.parametrize("backend", ["redis", "cluster"])
def test_an_old_redis_keeps_its_queues(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    server = request.getfixturevalue(
        "redis_standalone" if backend == "redis" else "redis_cluster_nodes"
    )
    server.flush()
    client = redis_client(server.url)
    try:
        _old_redis(client)
        _assert_kept(server.url, tmp_path)
        _assert_reopened(server.url, tmp_path)
        tag = tenant_tag("t")
        assert not client.exists(f"{tag}:outbox:items", f"{tag}:st:items", f"{tag}:st:bodies")
    finally:
        client.close()
