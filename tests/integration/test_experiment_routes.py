"""The experiment report for administrators over HTTP (issue 15 part 5): the gateway's app
against a real engine (gRPC on port 0, served from its own event loop thread): 401 without
the admin credential, 404 for an unknown tenant, course or a course without an experiment,
the report as JSON and as CSV."""

from __future__ import annotations

import asyncio
import csv
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.grpc.auth import StaticTokenAuthenticator
from attune.engine.grpc.server import RunningServer, build_engine, start_server
from attune.engine.v1 import learner_pb2
from attune.gateway.app import build_gateway, create_app
from attune.gateway.engine_client import GrpcEngineClient
from attune.gateway.experiment_view import experiment_view
from attune.gateway.settings import GatewaySettings
from attune.gateway.stores import open_stores
from attune.integrations.edges import gateway_edges
from tests.integration.test_experiments_api import experiment_course, learners_by_arm
from tests.support.courses import chain_course
from tests.support.engine_server import TOKENS

pytestmark = pytest.mark.integration
ADMIN = {"Authorization": "Bearer admin-secret"}
BASE = "/admin/tenants/tenant-a/courses"


@dataclass
class _Engine:
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread
    running: RunningServer


def _start_engine(data_dir: Path) -> _Engine:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> RunningServer:
        engine = build_engine(SqliteStore.open(data_dir / "attune.db"))
        return await start_server(engine, StaticTokenAuthenticator(TOKENS), "127.0.0.1", 0)

    running = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
    return _Engine(loop, thread, running)


@pytest.fixture(scope="module")
def gateway(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[FlaskClient, GrpcEngineClient]]:
    root = tmp_path_factory.mktemp("experiment")
    engine = _start_engine(root)
    settings = GatewaySettings(
        admin_token="admin-secret",
        engine_tokens={"tenant-a": "token-a"},
    )
    store, statements = open_stores("", root)
    client = GrpcEngineClient(f"127.0.0.1:{engine.running.port}", settings.engine_tokens)
    app = create_app(
        build_gateway(settings, store, client, "http://gw.test", statements, gateway_edges())
    )
    course = experiment_course()
    client.put_course("tenant-a", course)
    client.put_course("tenant-a", chain_course("plain"))
    for learners in learners_by_arm(course, 3).values():
        for learner in learners:
            for k in range(9):
                client.record(
                    "tenant-a",
                    learner_pb2.RecordResponseRequest(
                        event_id=f"{learner}-{k}",
                        learner_id=learner,
                        course_id="chain",
                        item_id="a1",
                        correct=True,
                        response_time_ms=20_000,
                    ),
                )
    try:
        yield app.test_client(), client
    finally:
        client.close()
        store.close()
        statements.close()
        asyncio.run_coroutine_threadsafe(engine.running.stop(1.0), engine.loop).result(30)
        engine.loop.call_soon_threadsafe(engine.loop.stop)
        engine.thread.join(timeout=10)


def test_the_admin_gets_the_report_as_json(
    gateway: tuple[FlaskClient, GrpcEngineClient],
) -> None:
    http, _ = gateway
    reply = http.get(f"{BASE}/chain/experiment", headers=ADMIN)
    assert reply.status_code == 200, reply.text
    body = reply.get_json()
    assert body["experiment_id"] == "rule-8"
    arms = {a["arm_id"]: a for a in body["arms"]}
    assert arms["control"]["learners"] == 3 and arms["strict"]["learners"] == 3
    assert arms["strict"]["mastery"]["min_attempts"] == 8
    strict_a = {s["skill_id"]: s for s in arms["strict"]["skills"]}["a"]
    assert strict_a["mastered"] == 3 and strict_a["answers_to_mastery"]["mean"] >= 8
    assert body["comparisons"][0]["answers_to_skill_mastery_change"]["estimate"] > 0


def test_the_report_as_csv_one_row_per_arm(
    gateway: tuple[FlaskClient, GrpcEngineClient],
) -> None:
    http, _ = gateway
    reply = http.get(f"{BASE}/chain/experiment.csv", headers=ADMIN)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(reply.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["arm_id"] for r in rows] == ["control", "strict"]
    assert rows[0]["learners"] == "3" and rows[1]["mastery_rule"].startswith("P(L) ≥ 0.98")
    assert float(rows[0]["answers_to_skill_mastery_mean"]) < float(
        rows[1]["answers_to_skill_mastery_mean"]
    )


@pytest.mark.parametrize("suffix", ["experiment", "experiment.csv"])
def test_credentials_and_unknowns(
    gateway: tuple[FlaskClient, GrpcEngineClient], suffix: str
) -> None:
    http, _ = gateway
    assert http.get(f"{BASE}/chain/{suffix}").status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert http.get(f"{BASE}/chain/{suffix}", headers=wrong).status_code == 401
    assert http.get(f"{BASE}/nope/{suffix}", headers=ADMIN).status_code == 404
    plain = http.get(f"{BASE}/plain/{suffix}", headers=ADMIN)
    assert plain.status_code == 404 and "experiment" in plain.get_data(as_text=True)
    other = http.get(f"/admin/tenants/tenant-z/courses/chain/{suffix}", headers=ADMIN)
    assert other.status_code == 404


def test_the_dashboard_section_states_the_finding(
    gateway: tuple[FlaskClient, GrpcEngineClient],
) -> None:
    _, client = gateway
    view = experiment_view(client.experiment_report("tenant-a", "chain"))
    assert [row[0] for row in view.rows] == ["control", "strict"]
    (finding,) = view.findings
    assert finding.startswith("strict against control: too few learners have mastered")
