"""Fuzzing statement ingestion over real HTTP: xAPI POST and PUT, Caliper envelopes.
Statements are valid but for a part or two (a wrong type, an extreme timestamp, deep
nesting); headers and credentials vary. Properties: never a 5xx; a refusal applies nothing."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attune.engine.demo.course import demo_course
from tests.fuzz import strategies as s
from tests.fuzz.http_stack import INGEST_TOKEN, FuzzStack, exercise
from tests.fuzz.json_strategies import dumps, perturbed
from tests.fuzz.profiles import fuzz_settings

pytestmark = [pytest.mark.fuzz, pytest.mark.integration]

ITEMS = sorted(demo_course().items)
CALIPER = "http://purl.imsglobal.org/ctx/caliper/v1p2"
BASE = "http://fuzz.invalid"  # replaced by the stack's URL: our own actors and item IRIs


def _statement(item: str, learner: str) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "account": {"homePage": BASE, "name": learner}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "x"}},
        "object": {
            "id": f"{BASE}/xapi/courses/demo/items/{quote(item, safe='')}",
            "definition": {"interactionType": "fill-in"},
        },
        "result": {"success": True, "score": {"scaled": 0.5}, "duration": "PT6S"},
        "timestamp": "2024-03-01T10:00:00.000Z",
    }


def _event(item: str, learner: str) -> dict[str, Any]:
    return {
        "@context": CALIPER,
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": "GradeEvent",
        "actor": {"id": f"{BASE}/autograder", "type": "SoftwareApplication"},
        "action": "Graded",
        "object": {
            "id": f"{BASE}/attempts/{learner}",
            "type": "Attempt",
            "assignee": {"id": f"{BASE}/users/{learner}", "type": "Person"},
            "assignable": {
                "id": f"{BASE}/xapi/courses/demo/items/{quote(item, safe='')}",
                "type": "AssessmentItem",
            },
            "duration": "PT10S",
        },
        "generated": {"id": f"{BASE}/scores/1", "type": "Score", "scoreGiven": 3, "maxScore": 4},
        "eventTime": "2024-03-01T10:00:00.000Z",
    }


learners = st.sampled_from(["fz-1", "fz-2", "fz-3"])
statements = st.builds(_statement, st.sampled_from(ITEMS), learners).flatmap(perturbed)
events = st.builds(_event, st.sampled_from(ITEMS), learners).flatmap(perturbed)
credentials = s.mostly(
    st.just(f"Bearer {INGEST_TOKEN}"),
    st.sampled_from(
        ["", "Bearer ", "Bearer nope", "Basic !!", "Basic OmRldi1pbmdlc3QtdG9rZW4=", INGEST_TOKEN]
    ),
)
versions = s.mostly(
    st.just("1.0.3"), st.sampled_from(["", "2.0.0", "1.0", "0.9", "1.0.99999999999", "\x00"])
)
content_types = s.mostly(
    st.just("application/json"),
    st.sampled_from(["text/plain", "application/json; charset=latin-1", "multipart/mixed", ""]),
)


def _body(fs: FuzzStack, document: Any) -> str:
    return dumps(document).replace(BASE, fs.url)


def _headers(auth: str, version: str, content_type: str) -> dict[str, str]:
    return {
        "Authorization": auth,
        "X-Experience-API-Version": version,
        "Content-Type": content_type,
    }


@fuzz_settings(120)
@given(
    batch=st.one_of(statements, st.lists(statements, max_size=3)),
    auth=credentials,
    version=versions,
    content_type=content_types,
)
def test_xapi_post(
    stack: FuzzStack, batch: Any, auth: str, version: str, content_type: str
) -> None:
    body = _body(stack, batch)
    exercise(
        stack,
        "POST /xapi/statements",
        "POST",
        "/xapi/statements",
        (batch, auth, version, content_type),
        data=body.encode(),
        headers=_headers(auth, version, content_type),
    )


@fuzz_settings(75)
@given(
    statement=statements,
    statement_id=s.mostly(st.uuids().map(str), s.text),
    auth=credentials,
    version=versions,
)
def test_xapi_put(
    stack: FuzzStack, statement: Any, statement_id: str, auth: str, version: str
) -> None:
    if isinstance(statement, dict) and "id" in statement and isinstance(statement["id"], str):
        statement["id"] = statement_id
    exercise(
        stack,
        "PUT /xapi/statements",
        "PUT",
        "/xapi/statements",
        (statement, statement_id),
        params={"statementId": statement_id},
        data=_body(stack, statement).encode(),
        headers=_headers(auth, version, "application/json"),
    )


@st.composite
def envelopes(draw: st.DrawFn) -> Any:
    data = draw(st.lists(events, max_size=3))
    envelope = {
        "sensor": f"{BASE}/sensor",
        "sendTime": "2024-03-01T10:00:01.000Z",
        "dataVersion": CALIPER,
        "data": data,
    }
    return draw(perturbed(envelope, max_changes=1))


@fuzz_settings(120)
@given(envelope=envelopes(), auth=credentials, content_type=content_types)
def test_caliper(stack: FuzzStack, envelope: Any, auth: str, content_type: str) -> None:
    exercise(
        stack,
        "POST /caliper",
        "POST",
        "/caliper",
        (envelope, auth),
        data=_body(stack, envelope).encode(),
        headers={"Authorization": auth, "Content-Type": content_type},
    )


@fuzz_settings(45)
@given(raw=s.raw_bytes, path=st.sampled_from(["/xapi/statements", "/caliper"]))
def test_raw_bodies(stack: FuzzStack, raw: bytes, path: str) -> None:
    """Bytes that are not JSON (or not UTF-8) with a JSON content type."""
    exercise(
        stack,
        f"POST {path} (raw bytes)",
        "POST",
        path,
        raw,
        data=raw,
        headers=_headers(f"Bearer {INGEST_TOKEN}", "1.0.3", "application/json"),
    )
