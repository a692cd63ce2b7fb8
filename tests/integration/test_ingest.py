"""Statement ingestion over real HTTP against a real ``attune serve`` (engine and gateway):
xAPI statements and Caliper envelopes update the learner in the engine, each id once; bad
batches change nothing; the version header, the credential and the activity map are
enforced (issue 7, part 3). The learner is read back from the engine over gRPC."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import grpc
import pytest
import requests

from attune.engine.demo.course import demo_course
from attune.engine.v1 import learner_pb2, learner_pb2_grpc
from attune.gateway.ingest.actors import pseudonym
from tests.support.gateway_stack import Stack, running_stack
from tests.support.serve_proc import TOKEN_META

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TOKEN = "dev-ingest-token"
ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
CALIPER = "http://purl.imsglobal.org/ctx/caliper/v1p2"
ITEMS = list(demo_course().items)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("stack")) as s:
        yield s


@pytest.fixture(scope="module")
def learners(stack: Stack) -> Iterator[learner_pb2_grpc.LearnerServiceStub]:
    with grpc.insecure_channel(stack.engine.target) as channel:
        yield learner_pb2_grpc.LearnerServiceStub(channel)


def responses(learners: learner_pb2_grpc.LearnerServiceStub, learner_id: str) -> int:
    """How many responses the engine holds for the learner in the demo course."""
    request = learner_pb2.GetLearnerStateRequest(learner_id=learner_id, course_id="demo")
    try:
        return int(learners.GetLearnerState(request, metadata=TOKEN_META, timeout=10).responses)
    except grpc.RpcError as exc:
        assert exc.code() == grpc.StatusCode.NOT_FOUND, exc
        return 0


def statement(stack: Stack, learner: str, item: str = ITEMS[0], **overrides: Any) -> dict[str, Any]:
    """``learner`` (an account on our home page) answered ``item`` of the demo course."""
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "account": {"homePage": stack.url, "name": learner}},
        "verb": {"id": ANSWERED, "display": {"en-US": "answered"}},
        "object": {"id": f"{stack.url}/xapi/courses/demo/items/{quote(item, safe='')}"},
        "result": {"success": True, "duration": "PT6S"},
        "timestamp": "2024-03-01T10:00:00.000Z",
    }
    body.update(overrides)
    return body


def xapi(
    stack: Stack,
    method: str,
    body: Any,
    *,
    version: str | None = "1.0.3",
    token: str = TOKEN,
    params: dict[str, str] | None = None,
) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    if version is not None:
        headers["X-Experience-API-Version"] = version
    return requests.request(
        method,
        f"{stack.url}/xapi/statements",
        json=body,
        headers=headers,
        params=params,
        timeout=20,
    )


def summary(reply: requests.Response) -> dict[str, Any]:
    return json.loads(reply.headers["X-Attune-Ingest"])  # type: ignore[no-any-return]


def test_a_statement_with_a_result_updates_the_learner_once(
    stack: Stack, learners: learner_pb2_grpc.LearnerServiceStub
) -> None:
    sent = statement(stack, "ingest-1")
    reply = xapi(stack, "POST", sent)
    assert reply.status_code == 200, reply.text
    assert reply.json() == [sent["id"]]
    assert reply.headers["X-Experience-API-Version"] == "1.0.3"
    assert summary(reply)["applied"] == 1
    assert responses(learners, "ingest-1") == 1
    again = xapi(stack, "POST", [sent])
    assert again.status_code == 200 and again.json() == [sent["id"]]
    assert summary(again) == {"applied": 0, "duplicate": 1, "not_applied": 0, "reasons": {}}
    assert responses(learners, "ingest-1") == 1


def test_post_assigns_ids_and_put_stores_under_the_given_one(
    stack: Stack, learners: learner_pb2_grpc.LearnerServiceStub
) -> None:
    anonymous = statement(stack, "ingest-2", ITEMS[1])
    del anonymous["id"]
    reply = xapi(stack, "POST", anonymous)
    assert reply.status_code == 200, reply.text
    [assigned] = reply.json()
    assert uuid.UUID(assigned)
    put = statement(stack, "ingest-2", ITEMS[2])
    statement_id = put.pop("id")
    for _ in range(2):  # the second PUT changes nothing and is no error
        reply = xapi(stack, "PUT", put, params={"statementId": statement_id})
        assert reply.status_code == 204, reply.text
    assert responses(learners, "ingest-2") == 2
    mismatch = {**put, "id": str(uuid.uuid4())}
    reply = xapi(stack, "PUT", mismatch, params={"statementId": statement_id})
    assert reply.status_code == 400
    assert reply.json()["reason"].startswith("statement.id: differs from statementId")


def test_a_batch_with_one_invalid_statement_applies_nothing(
    stack: Stack, learners: learner_pb2_grpc.LearnerServiceStub
) -> None:
    batch = [
        statement(stack, "ingest-3"),
        statement(stack, "ingest-3", ITEMS[1]),
        statement(stack, "ingest-3", ITEMS[2], result={"success": "yes"}),
    ]
    reply = xapi(stack, "POST", batch)
    assert reply.status_code == 400
    assert reply.json() == {
        "error": "invalid_request",
        "reason": "statements[2].result.success: must be true or false, got a string"
        " (xAPI 1.0.3 Data §2.2.s4.b1.b3)",
    }
    assert responses(learners, "ingest-3") == 0
    batch[2]["result"]["success"] = False
    assert xapi(stack, "POST", batch).status_code == 200
    assert responses(learners, "ingest-3") == 3


def test_the_same_id_with_other_content_is_a_conflict(
    stack: Stack, learners: learner_pb2_grpc.LearnerServiceStub
) -> None:
    first = statement(stack, "ingest-4")
    assert xapi(stack, "POST", first).status_code == 200
    changed = {**first, "result": {"success": False, "duration": "PT6S"}}
    fresh = statement(stack, "ingest-4", ITEMS[1])
    reply = xapi(stack, "POST", [fresh, changed])
    assert reply.status_code == 409
    assert reply.json()["error"] == "conflict"
    assert first["id"] in reply.json()["reason"]
    assert xapi(stack, "PUT", changed, params={"statementId": first["id"]}).status_code == 409
    assert responses(learners, "ingest-4") == 1  # not even the fresh one


def test_statements_without_a_response_are_accepted_and_not_applied(
    stack: Stack, learners: learner_pb2_grpc.LearnerServiceStub
) -> None:
    no_result = statement(stack, "ingest-5")
    del no_result["result"]
    elsewhere = statement(stack, "ingest-5", object={"id": "https://h5p.uni.example.edu/q/1"})
    reply = xapi(stack, "POST", [no_result, elsewhere])
    assert reply.status_code == 200, reply.text
    said = summary(reply)
    assert said["applied"] == 0 and said["not_applied"] == 2
    assert "no result" in said["reasons"][no_result["id"]]
    assert "maps to no course item" in said["reasons"][elsewhere["id"]]
    assert responses(learners, "ingest-5") == 0


def test_xapi_2_0_statements_are_taken_under_the_2_0_header(
    stack: Stack, learners: learner_pb2_grpc.LearnerServiceStub
) -> None:
    engine = {"objectType": "Agent", "account": {"homePage": stack.url, "name": "engine"}}
    context = {"contextAgents": [{"objectType": "contextAgent", "agent": engine}]}
    sent = statement(stack, "ingest-6", context=context)
    refused = xapi(stack, "POST", sent)
    assert refused.status_code == 400
    assert refused.json()["reason"].startswith("statement.context.contextAgents")
    reply = xapi(stack, "POST", sent, version="2.0.0")
    assert reply.status_code == 200, reply.text
    assert reply.headers["X-Experience-API-Version"] == "2.0.0"
    assert responses(learners, "ingest-6") == 1


def test_the_version_header_and_the_credential_are_required(
    stack: Stack, learners: learner_pb2_grpc.LearnerServiceStub
) -> None:
    sent = statement(stack, "ingest-7")
    missing = xapi(stack, "POST", sent, version=None)
    assert missing.status_code == 400
    assert missing.json()["reason"].startswith("X-Experience-API-Version: the header is required")
    assert xapi(stack, "POST", sent, version="0.95").status_code == 400
    bad_token = xapi(stack, "POST", sent, token="not-a-token")
    assert bad_token.status_code == 401 and bad_token.json()["error"] == "unauthorized"
    no_auth = requests.post(f"{stack.url}/xapi/statements", json=sent, timeout=10)
    assert no_auth.status_code == 401
    caliper = requests.post(
        f"{stack.url}/caliper",
        json=_envelope(),
        headers={"Authorization": "Bearer wrong"},
        timeout=10,
    )
    assert caliper.status_code == 401
    assert responses(learners, "ingest-7") == 0
    about = requests.get(f"{stack.url}/xapi/about", timeout=10)
    assert about.status_code == 200 and "1.0.3" in about.json()["version"]


def _graded(learner_iri: str, event_id: str) -> dict[str, Any]:
    return {
        "@context": CALIPER,
        "id": f"urn:uuid:{event_id}",
        "type": "GradeEvent",
        "profile": "GradingProfile",
        "actor": {"id": "https://quiz.uni.example.edu/autograder", "type": "SoftwareApplication"},
        "action": "Graded",
        "object": {
            "id": f"{learner_iri}/attempts/1",
            "type": "Attempt",
            "assignee": {"id": learner_iri, "type": "Person"},
            "assignable": {"id": "https://quiz.uni.example.edu/items/3", "type": "AssessmentItem"},
        },
        "generated": {
            "id": f"{learner_iri}/attempts/1/scores/1",
            "type": "Score",
            "scoreGiven": 4.0,
            "maxScore": 4.0,
        },
        "eventTime": "2024-03-01T10:00:00.000Z",
    }


def _envelope(*events: dict[str, Any]) -> dict[str, Any]:
    return {
        "sensor": "https://quiz.uni.example.edu/sensor",
        "sendTime": "2024-03-01T10:00:01.000Z",
        "dataVersion": CALIPER,
        "data": list(events) or [{"id": "https://quiz.uni.example.edu/x", "type": "Entity"}],
    }


def test_a_caliper_grade_event_applies_through_the_activity_map(
    stack: Stack, learners: learner_pb2_grpc.LearnerServiceStub
) -> None:
    mapped = {"https://quiz.uni.example.edu/items/3": {"course_id": "demo", "item_id": ITEMS[3]}}
    assert stack.admin("PUT", "/admin/tenants/default/activity-map", json=mapped).status_code == 200
    person = "https://quiz.uni.example.edu/users/554433"
    learner = pseudonym("caliper-", "default", "person", person)
    event = _graded(person, str(uuid.uuid4()))
    headers = {"Authorization": f"Bearer {TOKEN}"}
    url = f"{stack.url}/caliper"
    as_text = requests.post(url, data=json.dumps(_envelope(event)), headers=headers, timeout=10)
    assert as_text.status_code == 415  # not application/json
    reply = requests.post(url, json=_envelope(event), headers=headers, timeout=20)
    assert reply.status_code == 200, reply.text
    assert reply.json() == {
        "events": 1,
        "entities": 0,
        "applied": 1,
        "duplicates": 0,
        "not_applied": [],
    }
    assert responses(learners, learner) == 1
    again = requests.post(url, json=_envelope(event), headers=headers, timeout=20)
    assert again.json()["duplicates"] == 1
    broken = {**event, "id": f"urn:uuid:{uuid.uuid4()}", "eventTime": "soon"}
    refused = requests.post(url, json=_envelope(broken), headers=headers, timeout=10)
    assert refused.status_code == 400
    assert refused.json()["reason"].startswith("data[0].eventTime: must be an RFC 3339")
    assert responses(learners, learner) == 1


def test_the_activity_map_is_validated_and_read_back(stack: Stack) -> None:
    path = "/admin/tenants/default/activity-map"
    unauthorised = requests.get(stack.url + path, timeout=10)
    assert unauthorised.status_code == 401
    not_an_iri = stack.admin("PUT", path, json={"q7": {"course_id": "demo", "item_id": ITEMS[0]}})
    assert not_an_iri.status_code == 400
    assert not_an_iri.json()["reason"] == '["q7"]: must be an IRI'
    unknown = {"https://h5p.uni.example.edu/q/7": {"course_id": "demo", "item_id": "no-such-item"}}
    reply = stack.admin("PUT", path, json=unknown)
    assert reply.status_code == 400 and "has no item 'no-such-item'" in reply.json()["reason"]
    no_course = {"https://h5p.uni.example.edu/q/7": {"course_id": "nope", "item_id": "x"}}
    assert stack.admin("PUT", path, json=no_course).status_code == 400
    good = {"https://h5p.uni.example.edu/q/7": {"course_id": "demo", "item_id": ITEMS[4]}}
    assert stack.admin("PUT", path, json=good).json() == good
    assert stack.admin("GET", path).json() == good


def test_basic_auth_with_the_token_as_password_and_json_errors_from_flask(stack: Stack) -> None:
    import base64

    basic = "Basic " + base64.b64encode(b"any-key:dev-ingest-token").decode()
    about = requests.get(f"{stack.url}/xapi/about", timeout=10)
    assert about.status_code == 200
    wrong = requests.post(
        f"{stack.url}/xapi/statements",
        headers={
            "Authorization": "Basic " + base64.b64encode(b"k:nope").decode(),
            "X-Experience-API-Version": "1.0.3",
        },
        json=[],
        timeout=10,
    )
    assert wrong.status_code == 401
    method = requests.delete(
        f"{stack.url}/xapi/statements", headers={"Authorization": basic}, timeout=10
    )
    assert method.status_code == 405 and method.json()["error"] == "method_not_allowed"
