"""The relay sends several batches of one target at once (issue 17): every statement still
reaches the LRS exactly once, on the embedded store and on Redis.

A relay with an injected clock, ``batch`` 5 and three POSTs in flight, queues statements as
the gateway's own events are queued (:meth:`StatementRelay.emit`) and sends them to a real
Ralph across an outage; to an LRS (a real HTTP server) that fails one of the batches in
flight with 503 and refuses a poison statement in another, so that each batch is settled by
its own answer; and, on Redis, from two relays at once, as two gateways would.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from attune.gateway.lrs.ports import StatementOutbox
from attune.gateway.lrs.relay import StatementRelay
from attune.gateway.lrs.sqlite_outbox import SqliteStatementOutbox
from attune.gateway.lrs.targets import LrsTarget
from attune.gateway.statements import LearningEvent
from attune.gateway.stores import open_stores
from attune.gateway.worker import Backoff
from attune.integrations.lrs.http import HttpLrsClient
from tests.support.engine_server import ManualClock
from tests.support.ralph_lrs import RalphLRS, require_ralph

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TENANT = "default"
BATCH, IN_FLIGHT = 5, 3


@pytest.fixture(scope="module")
def ralph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RalphLRS]:
    require_ralph()
    with RalphLRS(tmp_path_factory.mktemp("ralph")) as lrs:
        yield lrs


@pytest.fixture(params=["embedded", "redis"])
def outbox(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StatementOutbox]:
    if request.param == "embedded":
        box: StatementOutbox = SqliteStatementOutbox(tmp_path / "gateway.db")
        closers = [box.close]
    else:
        server = request.getfixturevalue("redis_standalone")
        server.flush()
        store, box = open_stores(server.url, tmp_path)
        closers = [box.close, store.close]
    yield box
    for close in closers:
        close()


def _relay(outbox: StatementOutbox, clock: ManualClock) -> StatementRelay:
    # Only the send side runs here: the relay is never fed from an engine's log.
    return StatementRelay(
        outbox,
        cast(Any, None),
        cast(Any, None),
        HttpLrsClient(clock=clock.now),
        batch=BATCH,
        backoff=Backoff(1.0, 2.0),
        poll_seconds=1.0,
        clock=clock.now,
        in_flight=IN_FLIGHT,
    )


def _target(url: str, name: str, **auth: Any) -> LrsTarget:
    return LrsTarget(
        tenant=TENANT,
        name=name,
        url=url,
        home_page="https://lms.example",
        activity_base="https://attune.example/xapi",
        **auth,
    )


def _emit(relay: StatementRelay, count: int, prefix: str) -> None:
    for n in range(count):
        event = LearningEvent(
            kind="answered",
            event_id=f"{prefix}-{n}",
            tenant=TENANT,
            learner_id=f"learner-{n % 4}",
            course_id="demo",
            occurred_at=1_800_000_000.0 + n,
            item_id=f"item-{n % 6}",
            success=n % 2 == 0,
            score=1.0 if n % 2 == 0 else 0.0,
        )
        assert relay.emit(event) == 1


def _drain(
    relay: StatementRelay, outbox: StatementOutbox, target: LrsTarget, clock: ManualClock
) -> int:
    delivered = 0
    for _ in range(50):
        clock.t += 5.0  # every retry is due
        delivered += relay.send(target)
        if not outbox.counts(TENANT).get("pending"):
            return delivered
    raise AssertionError("the outbox never emptied")


def _queued_ids(outbox: StatementOutbox, status: str) -> list[str]:
    return [q.statement_id for q in outbox.list_statements(TENANT, status, 5000)]


def test_every_statement_once_across_an_outage(outbox: StatementOutbox, ralph: RalphLRS) -> None:
    clock = ManualClock()
    relay = _relay(outbox, clock)
    name = f"ralph-{uuid.uuid4().hex[:8]}"
    target = _target(ralph.url, name, username=ralph.username, password=ralph.password)
    outbox.put_target(target)
    before = {s["id"] for s in ralph.all_statements()}
    _emit(relay, 8, f"up-{uuid.uuid4()}")
    assert relay.send(target) == 8
    ralph.kill()
    _emit(relay, 33, f"down-{uuid.uuid4()}")
    assert relay.send(target) == 0  # the first round of three batches fails
    failed = outbox.list_statements(TENANT, "pending", 5000)
    assert len(failed) == 33
    assert sum(1 for q in failed if q.attempts == 1) == BATCH * IN_FLIGHT
    ralph.restart()
    assert _drain(relay, outbox, target, clock) == 33
    stored = [s["id"] for s in ralph.all_statements() if s["id"] not in before]
    assert len(stored) == len(set(stored)), "a statement reached the LRS twice"
    assert set(stored) == set(_queued_ids(outbox, "delivered"))
    assert len(stored) == 41
    assert relay.stats.delivered == 41
    # 8 in two batches, one failed round of three, then 33 in seven batches.
    assert relay.stats.batches == 2 + 3 + 7
    relay.stop()


class FlakyLrs:
    """An xAPI endpoint over real HTTP: stores what it accepts, refuses any POST holding the
    ``poison`` statement with 400, and answers 503 to the first other POST of a batch."""

    def __init__(self) -> None:
        self.stored: list[str] = []
        self.poison = ""
        self.refused: list[str] = []  # the batch answered 503
        self._lock = threading.Lock()
        app = Flask("flaky-lrs")

        @app.post("/xapi/statements")
        def receive() -> Any:
            ids = [s["id"] for s in request.get_json()]
            with self._lock:
                if self.poison in ids:
                    return jsonify(error="no actor ifi"), 400
                if len(ids) > 1 and not self.refused:
                    self.refused = ids
                    return jsonify(error="busy"), 503
                self.stored += ids
            return jsonify(ids), 200

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/xapi"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def flaky() -> Iterator[FlakyLrs]:
    lrs = FlakyLrs()
    yield lrs
    lrs.server.shutdown()


def test_a_failed_batch_does_not_hold_the_others_in_flight(
    outbox: StatementOutbox, flaky: FlakyLrs
) -> None:
    clock = ManualClock()
    relay = _relay(outbox, clock)
    target = _target(flaky.url, "flaky", auth="none")
    outbox.put_target(target)
    _emit(relay, 15, f"round-{uuid.uuid4()}")
    queued = set(_queued_ids(outbox, "pending"))
    # Three batches of five go out at once: one holds the poison statement (400, then each
    # of its statements alone), one is refused with 503, the third is stored.
    flaky.poison = sorted(queued)[7]
    assert relay.send(target) == 9
    refused = set(flaky.refused)
    assert len(refused) == 5 and flaky.poison not in refused
    assert set(flaky.stored) == queued - refused - {flaky.poison}
    assert _queued_ids(outbox, "dead") == [flaky.poison]
    retried = outbox.list_statements(TENANT, "pending")
    assert {q.statement_id for q in retried} == refused
    assert all(q.attempts == 1 and q.last_error.startswith("503") for q in retried)
    assert relay.send(target) == 0  # not due before its backoff
    assert _drain(relay, outbox, target, clock) == 5
    assert sorted(flaky.stored) == sorted(queued - {flaky.poison})
    assert relay.stats.delivered == 14
    relay.stop()


def test_two_relays_on_one_redis_queue_send_each_statement_once(
    redis_standalone: Any, tmp_path: Path, ralph: RalphLRS
) -> None:
    redis_standalone.flush()
    stores = [open_stores(redis_standalone.url, tmp_path / str(n)) for n in range(2)]
    try:
        clock = ManualClock()
        relays = [_relay(box, clock) for _, box in stores]
        name = f"shared-{uuid.uuid4().hex[:8]}"
        target = _target(ralph.url, name, username=ralph.username, password=ralph.password)
        stores[0][1].put_target(target)
        before = {s["id"] for s in ralph.all_statements()}
        _emit(relays[0], 60, f"shared-{uuid.uuid4()}")
        counts = [0, 0]

        def run(n: int) -> None:
            counts[n] = relays[n].send(target)

        threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sum(counts) == 60
        stored = [s["id"] for s in ralph.all_statements() if s["id"] not in before]
        assert len(stored) == 60 and len(set(stored)) == 60
        assert set(stored) == set(_queued_ids(stores[0][1], "delivered"))
        for relay in relays:
            relay.stop()
    finally:
        for store, box in stores:
            box.close()
            store.close()
