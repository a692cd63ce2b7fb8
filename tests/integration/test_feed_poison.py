"""A poison entry in the engine's log never stalls a statement feed (issue 11 item 2).

An engine of an earlier version accepted a response that occurred in 1969 (the issue's xAPI
``timestamp`` of ``1969-07-20T20:17:00Z``). The engine refuses such times now, so the test
writes the entry straight into the store, as the old engine did, before a real ``attune
serve`` starts over it: the embedded store, and the Redis store with the statement outbox on
Redis too. A statement relay with an injected clock then feeds a real Ralph LRS from the
engine's ListEvents: every later statement arrives, the poison entry is one dead letter
whose reason says which time was wrong, the cursor has moved past it, and further rounds
never read it again. Replaying it is refused: it would fail the same way.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from attune.engine.adapters.redis_store import RedisStore
from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.domain.records import MasteryEvent, RecordResult
from attune.engine.ports import EngineStore
from attune.engine.v1 import events_pb2
from attune.gateway.content import CourseCache
from attune.gateway.engine_client import GrpcEngineClient
from attune.gateway.lrs.ports import NotReplayableError, StatementOutbox
from attune.gateway.lrs.relay import StatementRelay
from attune.gateway.lrs.sqlite_outbox import SqliteStatementOutbox
from attune.gateway.lrs.targets import LrsTarget
from attune.gateway.lrs.unbuilt import unbuilt_event
from attune.gateway.statements import from_logged
from attune.gateway.stores import open_stores
from attune.gateway.worker import Backoff
from attune.integrations.lrs.http import HttpLrsClient
from tests.integration.test_gateway_stores import stores as stores  # the store fixture
from tests.integration.test_statement_outbox import _answer
from tests.integration.test_statement_outbox import ralph as ralph  # the module fixture
from tests.support.engine_server import ManualClock
from tests.support.gateway_stack import Stack, running_stack, wait_for
from tests.support.ralph_lrs import RalphLRS
from tests.support.stores import event, state

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TENANT = "default"  # the tenant of attune serve's development token
MOON = -14_182_980.0  # 1969-07-20T20:17:00Z
POISON_ID = "poison-1969"
POISON_LEARNER = "learner-poison"


@dataclass
class Feed:
    """A running engine whose log starts with the poison entry, and an outbox to feed."""

    kind: str
    stack: Stack
    outbox: StatementOutbox


async def _write_poison(store: EngineStore) -> None:
    """Commit the 1969 response (and the mastery it gave) as an older engine did."""
    reply = RecordResult(
        event_id=POISON_ID,
        skills=(),
        mastery_events=(MasteryEvent("whole-add", 0.97, 3, MOON, POISON_ID),),
        recommendations=(),
        sequence=1,
    )
    logged = replace(
        event(POISON_ID, POISON_LEARNER, tenant=TENANT, course="demo", item="whole-add/1"),
        occurred_at=MOON,
        recorded_at=MOON + 1,
        reply=reply,
    )
    try:
        await store.commit(logged, state(POISON_LEARNER, "demo"), 0)
        [stored] = await store.read_events(TENANT, 0, 10)
        assert stored.event_id == POISON_ID and stored.occurred_at == MOON
    finally:
        await store.close()


@pytest.fixture(params=["embedded", "redis"])
def feed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Feed]:
    kind = str(request.param)
    env: dict[str, str] = {}
    if kind == "embedded":
        asyncio.run(_write_poison(SqliteStore.open(tmp_path / "attune.db")))
        # The outbox is the test's own: a SQLite file beside the engine's.
        outbox: StatementOutbox = SqliteStatementOutbox(tmp_path / "feed.db")
        closers = [outbox.close]
    else:
        server = request.getfixturevalue("redis_standalone")
        server.flush()

        async def on_redis() -> None:
            await _write_poison(await RedisStore.open(server.url, sweep_seconds=0))

        asyncio.run(on_redis())
        env["ATTUNE_STORE_URL"] = server.url
        # The outbox on the same Redis, as several gateways would share it.
        store, outbox = open_stores(server.url, tmp_path)
        closers = [outbox.close, store.close]
    try:
        with running_stack(tmp_path, env) as stack:
            yield Feed(kind, stack, outbox)
    finally:
        for close in closers:
            close()


def _relay(feed: Feed, ralph: RalphLRS, clock: ManualClock) -> tuple[StatementRelay, LrsTarget]:
    engine = GrpcEngineClient(feed.stack.engine.target, {TENANT: "dev-token"})
    relay = StatementRelay(
        feed.outbox,
        engine,
        CourseCache(engine, clock=clock.now),
        HttpLrsClient(clock=clock.now),
        batch=50,
        backoff=Backoff(0.1, 0.5),
        poll_seconds=1.0,
        clock=clock.now,
    )
    target = LrsTarget(
        tenant=TENANT,
        name="ralph",
        url=ralph.url,
        username=ralph.username,
        password=ralph.password,
        home_page="https://lms.example",
        activity_base="https://attune.example/xapi",
    )
    feed.outbox.put_target(target)
    return relay, target


def _actor(statement: dict[str, Any]) -> str:
    return str(statement["actor"]["account"]["name"])


def test_a_poison_entry_is_parked_once_and_every_later_statement_arrives(
    feed: Feed,
    ralph: RalphLRS,
) -> None:
    learner = f"learner-after-{feed.kind}"  # Ralph is shared by both runs
    _answer(feed.stack, learner, 4, learner)
    clock = ManualClock()
    relay, target = _relay(feed, ralph, clock)
    with capture_logs() as logs:
        for _ in range(5):  # five polls, a second apart on the injected clock
            relay.run_once()
            clock.t += 1.0
        _answer(feed.stack, learner, 2, f"{learner}-later")
        for _ in range(3):
            relay.run_once()
            clock.t += 1.0
    outbox = feed.outbox

    # Every later statement reached the LRS; nothing waits.
    assert outbox.list_statements(TENANT, "pending") == []
    delivered = outbox.list_statements(TENANT, "delivered", 5000)
    answered = [
        q
        for q in delivered
        if q.body["verb"]["id"].endswith("/answered") and _actor(q.body) == learner
    ]
    assert len(answered) == 6
    for queued in delivered:
        assert ralph.get(queued.statement_id) is not None, queued.statement_id
    assert not [s for s in ralph.all_statements() if _actor(s) == POISON_LEARNER]

    # The poison entry is one dead letter, never sent, whose reason names the time.
    [parked] = outbox.list_statements(TENANT, "dead")
    assert parked.target == target.key and parked.statement_id.startswith("unbuilt:")
    assert parked.attempts == 0
    assert "occurred_at must be epoch seconds" in parked.last_error
    assert "1969-07-20T20:17:00.000Z" in parked.last_error
    assert parked.body["event_id"] == POISON_ID and parked.body["log_id"] >= 1
    assert parked.body["learner_id"] == POISON_LEARNER
    assert parked.body["occurred_at"] == {"seconds": int(MOON), "nanos": 0}
    assert outbox.cursor(target.key) > parked.body["log_id"]

    # Read once in eight rounds: logged once, with its tenant and event id; the feed never
    # failed (the old relay failed on it every round and delivered nothing after it).
    unbuilt = [e for e in logs if e["event"] == "statement.unbuilt"]
    assert len(unbuilt) == 1
    assert unbuilt[0]["tenant"] == TENANT and unbuilt[0]["event_id"] == POISON_ID
    assert unbuilt[0]["log_level"] == "warning"
    assert not [e for e in logs if e["event"] == "statement.feed_failed"]

    # Replay is refused (it would fail the same way) and the letter stays as it was.
    with pytest.raises(NotReplayableError, match="would fail the same way") as refused:
        outbox.replay(TENANT, parked.row_id, clock.t)
    assert refused.value.status == 409 and POISON_ID in refused.value.reason
    assert outbox.list_statements(TENANT, "dead") == [parked]
    assert outbox.counts(TENANT).get("pending", 0) == 0


def test_the_gateway_parks_the_entry_and_refuses_its_replay_over_the_admin_api(
    feed: Feed,
    ralph: RalphLRS,
) -> None:
    stack = feed.stack
    learner = f"learner-served-{feed.kind}"
    put = stack.admin(
        "PUT",
        f"/admin/tenants/{TENANT}/lrs/ralph",
        json={"url": ralph.url, "username": ralph.username, "password": ralph.password},
    )
    assert put.status_code == 200, put.text
    ids = _answer(stack, learner, 3, learner)

    def dead() -> list[dict[str, Any]]:
        listed = stack.admin("GET", f"/admin/tenants/{TENANT}/statements?status=dead")
        return list(listed.json()["statements"])

    def delivered_answers() -> int:
        listed = stack.admin("GET", f"/admin/tenants/{TENANT}/statements?status=delivered")
        return len(
            [
                s
                for s in listed.json()["statements"]
                if _actor(s["body"]) == learner and s["body"]["verb"]["id"].endswith("/answered")
            ]
        )

    # The served relay polls every 0.1 s: the answers after the poison entry arrive.
    wait_for(lambda: delivered_answers() == len(ids), timeout=30)
    [parked] = dead()
    assert parked["statement_id"].startswith("unbuilt:")
    assert "1969-07-20T20:17:00.000Z" in parked["last_error"]
    assert parked["body"]["event_id"] == POISON_ID

    refused = stack.admin("POST", f"/admin/tenants/{TENANT}/statements/{parked['id']}/replay")
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "not_replayable"
    assert "would fail the same way" in refused.json()["reason"]
    assert dead() == [parked]

    # More rounds later, the entry has still been read once (the log's JSON lines).
    more = _answer(stack, learner, 2, f"{learner}-more")
    wait_for(lambda: delivered_answers() == len(ids) + len(more), timeout=30)
    lines = [json.loads(x) for x in list(stack.engine.log_tail) if x.startswith("{")]
    unbuilt = [x for x in lines if x.get("event") == "statement.unbuilt"]
    assert len(unbuilt) == 1 and unbuilt[0]["tenant"] == TENANT
    assert not [x for x in lines if x.get("event") == "statement.feed_failed"]


# -- the dead letter of an unbuilt entry, on every outbox (SQLite, Redis, Redis Cluster) --------


def test_an_unbuilt_entry_is_parked_with_the_cursor_and_never_replayed(
    stores: tuple[Any, StatementOutbox],
) -> None:
    _, outbox = stores
    target = LrsTarget(
        tenant="t",
        name="lrs",
        url="https://lrs.example/xapi",
        auth="none",
        home_page="https://lms.example",
        activity_base="https://attune.example/x",
    )
    outbox.put_target(target)
    logged = events_pb2.LoggedResponse(log_id=5)
    r = logged.response
    r.event_id, r.learner_id, r.course_id, r.item_id = "e-5", "l-5", "c", "i"
    r.occurred_at.seconds = 2**63 - 1  # what issue 11 item 3 stored
    with pytest.raises(ValueError) as failed:
        from_logged("t", logged, "")
    parked = unbuilt_event(target, logged, failed.value)
    assert parked.reason.startswith("ValueError: occurred_at must be epoch seconds")
    good = [(target.key, "s-6", {"id": "s-6"})]
    assert outbox.enqueue("t", good, (target.key, 6), unbuilt=[parked]) == 1
    # A re-read of the page (another gateway, a crash before the reply) doubles nothing.
    assert outbox.enqueue("t", good, (target.key, 6), unbuilt=[parked]) == 0
    assert outbox.cursor(target.key) == 6
    assert outbox.counts("t") == {"pending": 1, "dead": 1}
    assert [q.statement_id for q in outbox.due(target, time.time(), 10)] == ["s-6"]
    [dead] = outbox.list_statements("t", "dead")
    assert (dead.statement_id, dead.body, dead.last_error) == (
        parked.statement_id,
        parked.body,
        parked.reason,
    )
    assert dead.body["occurred_at"] == {"seconds": 2**63 - 1, "nanos": 0}
    with pytest.raises(NotReplayableError, match=r"log entry 5 .*'e-5'"):
        outbox.replay("t", dead.row_id, time.time())
    assert outbox.list_statements("t", "dead") == [dead]
    assert not outbox.replay("t", 999_999, time.time())  # unknown: False, as before
