"""Stores written by the previous version still open, and their readers lose nothing, now that
each tenant numbers its own log (issue 11 item 17).

The previous version numbered one log for every tenant (SQLite's row id) or by time (Redis
stream ids). Its events keep their numbers, so a saved cursor stays valid, and new events
continue above every number it handed out.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from attune.engine.adapters.codec import encode_event, encode_result
from attune.engine.adapters.redis_keys import TenantKeys
from attune.engine.adapters.redis_log import log_id_of
from attune.engine.adapters.redis_store import RedisStore
from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.domain.course_json import course_to_json
from attune.engine.grpc.convert import course_from_pb
from tests.support.courses import chain_course
from tests.support.redis_server import RedisServer
from tests.support.stores import event, state

pytestmark = pytest.mark.integration

# The schema of the previous version, as its data dirs hold it.
_V0_SCHEMA = """
CREATE TABLE courses (
    tenant TEXT NOT NULL, course_id TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (tenant, course_id)
) WITHOUT ROWID;
CREATE TABLE learner_state (
    tenant TEXT NOT NULL, learner_id TEXT NOT NULL, course_id TEXT NOT NULL,
    version INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (tenant, learner_id, course_id)
) WITHOUT ROWID;
CREATE TABLE events (
    log_id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL, event_id TEXT NOT NULL,
    learner_id TEXT NOT NULL, course_id TEXT NOT NULL, item_id TEXT NOT NULL,
    score REAL NOT NULL, response_time_ms INTEGER NOT NULL,
    occurred_at REAL NOT NULL, recorded_at REAL NOT NULL, sequence INTEGER NOT NULL,
    reply TEXT NOT NULL,
    credibility REAL NOT NULL DEFAULT 1.0, gain REAL NOT NULL DEFAULT 0.0,
    UNIQUE (tenant, event_id)
);
CREATE INDEX events_by_course ON events (tenant, course_id, log_id);
CREATE INDEX events_by_learner ON events (tenant, learner_id, course_id, sequence);
CREATE TRIGGER events_append_only BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
"""


def _v0_data_dir(path: Path) -> None:
    """Events 1..5 of two tenants interleaved, the newest erased; a course as one document."""
    conn = sqlite3.connect(path)
    conn.executescript(_V0_SCHEMA)
    for n, tenant in enumerate(["t1", "t2", "t1", "t2", "t1"], start=1):
        e = event(f"old{n}", learner=f"l{n}", tenant=tenant)
        conn.execute(
            "INSERT INTO events (tenant, event_id, learner_id, course_id, item_id, score, "
            "response_time_ms, occurred_at, recorded_at, sequence, reply, credibility, gain) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (e.tenant, e.event_id, e.learner_id, e.course_id, e.item_id, e.score,
             e.response_time_ms, e.occurred_at, e.recorded_at, e.sequence, encode_result(e.reply),
             e.credibility, e.gain),
        )  # fmt: skip
    conn.execute("DELETE FROM events WHERE log_id = 5")  # an erasure: 5 was handed out
    body = json.dumps(course_to_json(course_from_pb(chain_course("c"))))
    conn.execute("INSERT INTO courses VALUES ('t1', 'c', ?)", (body,))
    conn.commit()
    conn.close()


async def _ids(store: SqliteStore | RedisStore, tenant: str, after: int = 0) -> list[int]:
    return [e.log_id for e in await store.read_events(tenant, after, 100)]


async def test_a_data_dir_of_the_previous_version_opens_and_continues_its_logs(
    tmp_path: Path,
) -> None:
    path = tmp_path / "attune.db"
    _v0_data_dir(path)
    store = SqliteStore.open(path)
    try:
        assert await _ids(store, "t1") == [1, 3]  # old events keep their numbers
        assert await _ids(store, "t2") == [2, 4]
        course = await store.get_course("t1", "c")  # a course stored as one JSON document
        assert course == course_from_pb(chain_course("c"))
        for n in range(2):
            await store.commit(event(f"new{n}", learner=f"n{n}", tenant="t1"), state(f"n{n}"), 0)
        await store.commit(event("new", learner="n", tenant="t2"), state("n"), 0)
        # A reader of t1 that had seen event 5 before it was erased misses nothing.
        assert await _ids(store, "t1", after=5) == [6, 7]
        assert await _ids(store, "t2", after=4) == [6]
    finally:
        await store.close()
    again = SqliteStore.open(path)  # the migration ran once; a second open changes nothing
    try:
        await again.commit(event("newer", learner="m", tenant="t1"), state("m"), 0)
        assert await _ids(again, "t1") == [1, 3, 6, 7, 8]
    finally:
        await again.close()
    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE events SET score = 0")
    conn.close()


async def test_a_redis_stream_of_the_previous_version_continues_above_its_ids(
    redis_standalone: RedisServer,
) -> None:
    redis_standalone.flush()
    store = await RedisStore.open(redis_standalone.url, sweep_seconds=0)
    try:
        key = TenantKeys("t").log
        old_ids = []
        for n in range(2):  # as the previous relay wrote them: time-based ids
            old = event(f"old{n}", learner=f"o{n}")
            entry = await store.client.xadd(
                key,
                {"event_id": old.event_id, "learner_id": old.learner_id,
                 "course_id": old.course_id, "event": encode_event(old)},
            )  # fmt: skip
            old_ids.append(log_id_of(entry))
        cursor = old_ids[-1]  # a reader that had read everything
        for n in range(3):
            await store.commit(event(f"new{n}", learner=f"n{n}"), state(f"n{n}"), 0)
        assert await _ids(store, "t") == [*old_ids, cursor + 1, cursor + 2, cursor + 3]
        assert [e.event_id for e in await store.read_events("t", cursor, 100)] == [
            "new0",
            "new1",
            "new2",
        ]
    finally:
        await store.close()
