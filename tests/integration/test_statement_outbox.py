"""Statements from the engine's log to a real LRS (Ralph) and a Caliper endpoint, through the
gateway's durable outbox: read back by id and compared, exactly once across an LRS outage,
a poison statement parked as a dead letter without blocking the rest."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from attune.engine.demo.course import demo_course
from attune.engine.v1 import learner_pb2, learner_pb2_grpc
from attune.gateway.lrs.sqlite_outbox import SqliteStatementOutbox
from tests.support.gateway_stack import Stack, running_stack, wait_for
from tests.support.ralph_lrs import RalphLRS, require_ralph
from tests.support.serve_proc import TOKEN_META

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FAST_STATEMENTS = {
    "ATTUNE_GATEWAY__STATEMENT_POLL_SECONDS": "0.1",
    "ATTUNE_GATEWAY__STATEMENT_BASE_DELAY_SECONDS": "0.1",
    "ATTUNE_GATEWAY__STATEMENT_MAX_DELAY_SECONDS": "0.5",
}


@pytest.fixture(scope="module")
def ralph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RalphLRS]:
    require_ralph()
    with RalphLRS(tmp_path_factory.mktemp("ralph")) as lrs:
        yield lrs


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stack")


@pytest.fixture(scope="module")
def stack(ralph: RalphLRS, data_dir: Path) -> Iterator[Stack]:
    env = {
        **FAST_STATEMENTS,
        "ATTUNE_LRS_URL": ralph.url,
        "ATTUNE_LRS_USERNAME": ralph.username,
        "ATTUNE_LRS_PASSWORD": ralph.password,
    }
    with running_stack(data_dir, env) as s:
        yield s


def _answer(stack: Stack, learner: str, n: int, prefix: str) -> list[str]:
    """``n`` responses of ``learner`` on demo items, straight to the engine; their ids."""
    items = list(demo_course().items)
    ids = []
    with grpc.insecure_channel(stack.engine.target) as channel:
        learners = learner_pb2_grpc.LearnerServiceStub(channel)
        for k in range(n):
            event_id = f"{prefix}-{learner}-{k}"
            learners.RecordResponse(
                learner_pb2.RecordResponseRequest(
                    event_id=event_id,
                    learner_id=learner,
                    course_id="demo",
                    item_id=items[k % len(items)],
                    correct=k % 3 != 0,
                    response_time_ms=9000,
                ),
                metadata=TOKEN_META,
            )
            ids.append(event_id)
    return ids


def _answered(outbox: SqliteStatementOutbox) -> int:
    delivered = outbox.list_statements("default", "delivered")
    return sum(1 for q in delivered if q.body["verb"]["id"].endswith("/answered"))


def test_statements_arrive_and_read_back_equal(
    stack: Stack, ralph: RalphLRS, data_dir: Path
) -> None:
    _answer(stack, "learner-a", 6, "read")
    outbox = SqliteStatementOutbox(data_dir / "gateway.db")
    try:
        # Six answered statements: the first six delivered may include recommendations.
        wait_for(lambda: _answered(outbox) >= 6, timeout=30)
        delivered = outbox.list_statements("default", "delivered")
    finally:
        outbox.close()
    assert not [q for q in delivered if q.target != "default/default"]
    answered = [q for q in delivered if q.body["verb"]["id"].endswith("/answered")]
    assert len(answered) >= 6
    for queued in delivered:
        stored = ralph.get(queued.statement_id)
        assert stored is not None, queued.statement_id
        for key in ("id", "actor", "verb", "object", "timestamp"):
            assert stored[key] == queued.body[key], key
        if "result" in queued.body:
            assert stored["result"] == queued.body["result"]
    # Pseudonymous: the learner id is the account name under the tenant's home page.
    actor = answered[0].body["actor"]
    assert actor["account"]["name"] == "learner-a" and "mbox" not in actor


def test_exactly_once_across_an_lrs_outage(stack: Stack, ralph: RalphLRS, data_dir: Path) -> None:
    before = {s["id"] for s in ralph.all_statements()}
    _answer(stack, "learner-b", 4, "outage")
    ralph.kill()
    _answer(stack, "learner-b", 8, "outage-down")
    outbox = SqliteStatementOutbox(data_dir / "gateway.db")
    try:
        wait_for(
            lambda: any(q.attempts >= 2 for q in outbox.list_statements("default", "pending")),
            timeout=30,
        )
        ralph.restart()
        wait_for(lambda: not outbox.list_statements("default", "pending"), timeout=30)
        expected = {q.statement_id for q in outbox.list_statements("default", "delivered", 5000)}
    finally:
        outbox.close()
    stored = ralph.all_statements()
    ids = [s["id"] for s in stored]
    assert len(ids) == len(set(ids)), "a statement reached the LRS twice"
    assert expected <= set(ids), "a delivered statement is missing from the LRS"
    assert len(set(ids) - before) >= 12 * 2  # every answer and its recommendation, at least


def test_a_poison_statement_is_parked_and_does_not_block(
    stack: Stack, ralph: RalphLRS, data_dir: Path
) -> None:
    outbox = SqliteStatementOutbox(data_dir / "gateway.db")
    try:
        poison = {
            "id": "6f1d3f0e-3b7e-4c2a-9a57-0d5f3f0b1c01",
            # No inverse functional identifier: every LRS must refuse it (xAPI 1.0.3 §2.4.2).
            "actor": {"objectType": "Agent", "name": "nobody in particular"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
            "object": {"id": "https://x.example/activity"},
            "timestamp": "2026-11-28T05:00:00.000Z",
        }
        outbox.enqueue("default", [("default/default", poison["id"], poison)])
        ids = _answer(stack, "learner-c", 3, "poison")
        wait_for(lambda: bool(outbox.list_statements("default", "dead")), timeout=30)
        wait_for(lambda: not outbox.list_statements("default", "pending"), timeout=30)
    finally:
        outbox.close()
    dead = stack.admin("GET", "/admin/tenants/default/statements?status=dead").json()
    [parked] = [s for s in dead["statements"] if s["statement_id"] == poison["id"]]
    # Ralph answers FastAPI's 422 where the xAPI spec says 400; both are poison.
    assert parked["last_error"][:3] in ("400", "422")
    assert ralph.get(poison["id"]) is None
    # The statements queued after it were delivered all the same.
    assert len(ids) == 3
    replay = stack.admin("POST", f"/admin/tenants/default/statements/{parked['id']}/replay")
    assert replay.status_code == 200
    unknown = stack.admin("POST", "/admin/tenants/default/statements/999999/replay")
    assert unknown.status_code == 404


def test_lrs_targets_are_validated_and_masked(stack: Stack) -> None:
    bad = stack.admin("PUT", "/admin/tenants/default/lrs/other", json={"url": "ftp://x"})
    assert bad.status_code == 400 and "url" in bad.json()["reason"]
    missing = stack.admin(
        "PUT",
        "/admin/tenants/default/lrs/other",
        json={"url": "https://lrs.example", "auth": "basic"},
    )
    assert missing.status_code == 400 and "username" in missing.json()["reason"]
    listed = stack.admin("GET", "/admin/tenants/default/lrs").json()
    [default] = listed["targets"]
    assert default["password"] == "***" and default["url"].startswith("http://127.0.0.1")


# -- Caliper ---------------------------------------------------------------------------------


class CaliperEndpoint:
    """A Caliper 1.2 endpoint: checks the bearer token and each envelope against the IMS
    schemas (draft-04), records the events, answers 200 (or 400/401/415)."""

    def __init__(self) -> None:
        self.envelopes: list[dict[str, Any]] = []
        app = Flask("caliper-endpoint")

        @app.post("/caliper")
        def receive() -> Any:
            if request.headers.get("Authorization") != "Bearer caliper-key":
                return jsonify(error="unauthorized"), 401
            if request.mimetype != "application/json":
                return jsonify(error="unsupported media type"), 415
            body = request.get_json()
            for key in ("sensor", "sendTime", "dataVersion", "data"):
                if key not in body:
                    return jsonify(error=f"missing {key}"), 400
            self.envelopes.append(body)
            return jsonify(received=len(body["data"])), 200

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/caliper"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[dict[str, Any]]:
        return [e for env in self.envelopes for e in env["data"]]


def test_caliper_events_reach_a_caliper_endpoint(stack: Stack) -> None:
    endpoint = CaliperEndpoint()
    try:
        put = stack.admin(
            "PUT",
            "/admin/tenants/default/lrs/caliper",
            json={
                "url": endpoint.url,
                "kind": "caliper",
                "auth": "bearer",
                "token": "caliper-key",
            },
        )
        assert put.status_code == 200, put.text
        wait_for(lambda: len(endpoint.events()) >= 10, timeout=30)
        envelope = endpoint.envelopes[0]
        assert envelope["dataVersion"] == "http://purl.imsglobal.org/ctx/caliper/v1p2"
        events = endpoint.events()
        assert {e["type"] for e in events} >= {"AssessmentItemEvent"}
        ids = [e["id"] for e in events]
        assert len(ids) == len(set(ids)) and all(i.startswith("urn:uuid:") for i in ids)
        _validate_caliper(events)
    finally:
        stack.admin("DELETE", "/admin/tenants/default/lrs/caliper")
        endpoint.server.shutdown()


def _validate_caliper(events: list[dict[str, Any]]) -> None:
    """Each event against the IMS Caliper 1.2 schemas (the checker of the unit tests)."""
    from tests.unit.test_statements_caliper import schema_errors

    for event in events:
        assert schema_errors(event) == [], event["type"]


def test_export_writes_the_same_statements_as_jsonl(
    stack: Stack, data_dir: Path, tmp_path: Path
) -> None:
    import json
    import subprocess
    import sys
    import time

    begin = time.time() - 1
    _answer(stack, "learner-x", 3, "export")
    end = time.time() + 1
    out = tmp_path / "statements.jsonl"
    command = [
        sys.executable,
        "-m",
        "attune",
        "export",
        "xapi",
        "--engine",
        stack.engine.target,
        "--since",
        _iso(begin),
        "--until",
        _iso(end),
        "--out",
        str(out),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    mine = [s for s in lines if s["actor"]["account"]["name"] == "learner-x"]
    assert len([s for s in mine if s["verb"]["id"].endswith("/answered")]) == 3
    assert all("timestamp" in s and "id" in s for s in lines)
    outbox = SqliteStatementOutbox(data_dir / "gateway.db")
    try:
        wait_for(lambda: not outbox.list_statements("default", "pending"), timeout=30)
        sent = {q.statement_id for q in outbox.list_statements("default", "delivered", 5000)}
    finally:
        outbox.close()
    assert {s["id"] for s in mine} <= sent  # the same ids the LRS got
    bad = subprocess.run(
        [*command[:-6], "--since", "yesterday", "--until", _iso(end), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "--since" in bad.stderr


def _iso(epoch: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).isoformat()


def test_the_outbox_reads_the_log_of_an_engine_on_redis(
    ralph: RalphLRS, redis_standalone: Any, tmp_path: Path
) -> None:
    redis_standalone.flush()
    env = {
        **FAST_STATEMENTS,
        "ATTUNE_STORE_URL": redis_standalone.url,
        "ATTUNE_LRS_URL": ralph.url,
        "ATTUNE_LRS_USERNAME": ralph.username,
        "ATTUNE_LRS_PASSWORD": ralph.password,
    }
    with running_stack(tmp_path / "redis-stack", env) as stack:
        ids = _answer(stack, "learner-redis", 4, "redis")
        outbox = SqliteStatementOutbox(tmp_path / "redis-stack" / "gateway.db")
        try:
            wait_for(
                lambda: (
                    len(
                        [
                            q
                            for q in outbox.list_statements("default", "delivered")
                            if q.body["actor"]["account"]["name"] == "learner-redis"
                            and q.body["verb"]["id"].endswith("/answered")
                        ]
                    )
                    == len(ids)
                ),
                timeout=30,
            )
            mine = [
                q
                for q in outbox.list_statements("default", "delivered")
                if q.body["actor"]["account"]["name"] == "learner-redis"
            ]
        finally:
            outbox.close()
    for queued in mine:
        assert ralph.get(queued.statement_id) is not None
