"""Inbound statements that used to be HTTP 500 are 400 naming the path, and events outside the
engine's occurred_at window never reach the engine (issue 11, item 9)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from attune.engine.domain import limits as engine_limits
from attune.gateway.ingest import window
from tests.unit import test_ingest
from tests.unit.test_ingest import FakeEngine, caliper_envelope, graded, statement

http = test_ingest.http  # the Flask app over real stores, with the fake engine behind it

XAPI = {"Authorization": "Bearer tok-a", "X-Experience-API-Version": "1.0.3"}
XAPI_2 = {"Authorization": "Bearer tok-a", "X-Experience-API-Version": "2.0.0"}
CALIPER = {"Authorization": "Bearer tok-a"}


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _refused(reply: Any, path: str) -> str:
    assert reply.status_code == 400, reply.text
    assert reply.json["error"] == "invalid_request"
    reason: str = reply.json["reason"]
    assert reason.startswith(f"{path}:"), reason
    return reason


def test_the_window_copies_the_engines() -> None:
    assert window.EARLIEST_OCCURRED_AT == engine_limits.EARLIEST_OCCURRED_AT
    assert window.MAX_FUTURE_SKEW_S == engine_limits.MAX_FUTURE_SKEW_S


@pytest.mark.parametrize(
    ("stamp", "headers"),
    [
        ("0001-01-01T00:00:00+01:00", XAPI),
        ("0001-01-01T00:00:00+01:00", XAPI_2),
        ("9999-12-31T23:59:59-01:00", XAPI_2),
    ],
)
def test_a_timestamp_whose_offset_overflows_is_400(
    http: tuple[FlaskClient, FakeEngine], stamp: str, headers: dict[str, str]
) -> None:
    client, engine = http
    reply = client.post("/xapi/statements", json=statement(timestamp=stamp), headers=headers)
    _refused(reply, "statement.timestamp")
    envelope = caliper_envelope(graded(eventTime=stamp))
    _refused(client.post("/caliper", json=envelope, headers=CALIPER), "data[0].eventTime")
    assert engine.applied == []


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_json_nested_deeply_is_400_naming_the_body(
    http: tuple[FlaskClient, FakeEngine], depth: int
) -> None:
    client, engine = http
    nested = "[" * depth + "]" * depth
    deep_result = json.dumps(statement())[:-1] + ', "context": {"extensions": ' + (
        '{"http://x.example/e": ' * depth + "1" + "}" * depth + "}}"
    )
    for body, path in ((nested, "/xapi/statements"), (deep_result, "/xapi/statements")):
        reply = client.post(path, data=body, content_type="application/json", headers=XAPI)
        assert "nested deeper than 64 levels" in _refused(reply, "body")
    reply = client.post("/caliper", data=nested, content_type="application/json", headers=CALIPER)
    _refused(reply, "body")
    admin = {"Authorization": "Bearer dev-admin-token"}
    reply = client.put(
        "/admin/tenants/default/activity-map",
        data=nested,
        content_type="application/json",
        headers=admin,
    )
    _refused(reply, "body")
    assert engine.applied == []


@pytest.mark.parametrize("kind", [{"a": 1}, ["choice"], 7, True])
def test_a_non_string_interaction_type_is_400_naming_it(
    http: tuple[FlaskClient, FakeEngine], kind: Any
) -> None:
    client, engine = http
    activity = {
        "objectType": "Activity",
        "id": "https://quiz.uni.edu/items/3",
        "definition": {"interactionType": kind},
    }
    reply = client.post("/xapi/statements", json=statement(object=activity), headers=XAPI)
    _refused(reply, "statement.object.definition.interactionType")
    assert engine.applied == []


@pytest.mark.parametrize(
    "offset",
    [
        window.EARLIEST_OCCURRED_AT - 1,  # 1999-12-31T23:59:59Z
        -14_182_940.0,  # 1969-07-20T20:17:40Z, before the epoch
        None,  # more than 300 s after the clock
    ],
)
def test_events_outside_the_engines_window_are_400_naming_the_field(
    http: tuple[FlaskClient, FakeEngine], offset: float | None
) -> None:
    client, engine = http
    epoch = time.time() + window.MAX_FUTURE_SKEW_S + 3600 if offset is None else offset
    stamp = _iso(epoch)
    reply = client.post("/xapi/statements", json=statement(timestamp=stamp), headers=XAPI)
    assert "must lie between 2000-01-01" in _refused(reply, "statement.timestamp")
    batch = [statement(), statement(id="8f1b7a4e-9f1c-4a4e-8d52-2b1f3a0c9d11", timestamp=stamp)]
    reply = client.post("/xapi/statements", json=batch, headers=XAPI)
    _refused(reply, "statements[1].timestamp")  # the whole batch is refused
    reply = client.put(
        "/xapi/statements",
        query_string={"statementId": "8f1b7a4e-9f1c-4a4e-8d52-2b1f3a0c9d11"},
        json=statement(id="8f1b7a4e-9f1c-4a4e-8d52-2b1f3a0c9d11", timestamp=stamp),
        headers=XAPI,
    )
    _refused(reply, "statement.timestamp")
    envelope = caliper_envelope(graded(eventTime=stamp))
    _refused(client.post("/caliper", json=envelope, headers=CALIPER), "data[0].eventTime")
    assert engine.applied == []


def test_events_inside_the_window_still_apply(http: tuple[FlaskClient, FakeEngine]) -> None:
    client, engine = http
    stamp = _iso(time.time() + window.MAX_FUTURE_SKEW_S - 60)  # ahead, within the skew
    reply = client.post("/xapi/statements", json=statement(timestamp=stamp), headers=XAPI)
    assert reply.status_code == 200, reply.text
    assert len(engine.applied) == 1
