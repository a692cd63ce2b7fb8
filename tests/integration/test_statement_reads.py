"""The statements resource read back over real HTTP from a real ``attune serve`` (engine and
gateway, embedded store) (issue 19): GET by id and by voided id, every filter, paging with
``more`` to the end, ascending, the formats, HEAD, the consistency headers, tenants apart,
the credential; Caliper's 415, 422, envelope fields and configuration GET."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

import grpc
import pytest
import requests

from attune.engine.demo.course import demo_course
from attune.engine.v1 import learner_pb2, learner_pb2_grpc
from attune.gateway.ingest.xapi_multipart import parse_multipart
from tests.support.gateway_stack import Stack, running_stack
from tests.support.serve_proc import TOKEN_META
from tests.support.xapi_signed import attachment_of, multipart, sha256

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TOKEN = "dev-ingest-token"
OTHER = "other-ingest-token"
ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
CALIPER = "http://purl.imsglobal.org/ctx/caliper/v1p2"
ITEMS = list(demo_course().items)
REGISTRATION = str(uuid.uuid4())


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tokens = json.dumps({TOKEN: "default", OTHER: "other"})
    env = {
        "ATTUNE_GATEWAY__INGEST_TOKENS": tokens,
        "ATTUNE_AUTH__TOKENS": json.dumps({"dev-token": "default", "other-token": "other"}),
        "ATTUNE_GATEWAY__ENGINE_TOKENS": json.dumps(
            {"default": "dev-token", "other": "other-token"}
        ),
    }
    with running_stack(tmp_path_factory.mktemp("stack"), env) as s:
        yield s


def headers(token: str = TOKEN, version: str = "1.0.3", **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "X-Experience-API-Version": version, **extra}


def post(stack: Stack, body: Any, token: str = TOKEN) -> requests.Response:
    reply = requests.post(
        f"{stack.url}/xapi/statements", json=body, headers=headers(token), timeout=20
    )
    assert reply.status_code == 200, reply.text
    return reply


def get(stack: Stack, token: str = TOKEN, **params: str) -> requests.Response:
    return requests.get(
        f"{stack.url}/xapi/statements", params=params, headers=headers(token), timeout=20
    )


def statement(stack: Stack, learner: str, n: int, **overrides: Any) -> dict[str, Any]:
    item = ITEMS[n % len(ITEMS)]
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "account": {"homePage": stack.url, "name": learner}},
        "verb": {"id": ANSWERED, "display": {"en-US": "answered", "fr": "a répondu"}},
        "object": {
            "id": f"{stack.url}/xapi/courses/demo/items/{quote(item, safe='')}",
            "definition": {"name": {"en-US": f"item {n}", "fr": f"question {n}"}},
        },
        "result": {"success": n % 2 == 0, "duration": "PT6S"},
        "timestamp": "2024-03-01T10:00:00.000Z",
    }
    body.update(overrides)
    return body


@pytest.fixture(scope="module")
def sent(stack: Stack) -> list[dict[str, Any]]:
    """Eight statements by two learners, one request each (so their stored times differ);
    #5 is in a registration, #6 is an 'experienced' with a context parent activity."""
    bodies = [statement(stack, "reader-a" if n % 2 else "reader-b", n) for n in range(8)]
    bodies[5]["context"] = {"registration": REGISTRATION}
    bodies[6]["verb"] = {"id": EXPERIENCED}
    bodies[6]["context"] = {"contextActivities": {"parent": [{"id": "https://x.example/unit"}]}}
    del bodies[6]["result"]
    for body in bodies:
        post(stack, body)
    return bodies


def ids(reply: requests.Response) -> list[str]:
    assert reply.status_code == 200, reply.text
    return [s["id"] for s in reply.json()["statements"]]


def test_a_statement_comes_back_by_id_with_what_the_lrs_sets(
    stack: Stack, sent: list[dict[str, Any]]
) -> None:
    reply = get(stack, statementId=sent[0]["id"])
    assert reply.status_code == 200, reply.text
    found = reply.json()
    assert {k: found[k] for k in sent[0]} == sent[0]
    assert found["authority"]["objectType"] == "Agent"
    assert found["version"] == "1.0.0"
    stored = datetime.fromisoformat(found["stored"])
    assert reply.headers["Last-Modified"] == stored.strftime("%a, %d %b %Y %H:%M:%S GMT")
    through = datetime.fromisoformat(reply.headers["X-Experience-API-Consistent-Through"])
    assert through.tzinfo is not None
    assert reply.headers["X-Experience-API-Version"] == "1.0.3"
    unknown = get(stack, statementId=str(uuid.uuid4()))
    assert unknown.status_code == 404 and unknown.json()["reason"].startswith("statementId")
    assert "X-Experience-API-Consistent-Through" in unknown.headers


def test_head_answers_the_same_headers_without_a_body(
    stack: Stack, sent: list[dict[str, Any]]
) -> None:
    url = f"{stack.url}/xapi/statements"
    head = requests.head(url, params={"statementId": sent[1]["id"]}, headers=headers(), timeout=9)
    assert head.status_code == 200 and head.content == b""
    assert (
        head.headers["Last-Modified"]
        == get(stack, statementId=sent[1]["id"]).headers["Last-Modified"]
    )
    assert "X-Experience-API-Consistent-Through" in head.headers
    query = requests.head(url, headers=headers(), timeout=9)
    assert query.status_code == 200 and query.content == b""
    assert requests.head(url, timeout=9).status_code == 401


def test_every_filter_selects_what_it_says(stack: Stack, sent: list[dict[str, Any]]) -> None:
    mine = {s["id"] for s in sent}
    b = json.dumps({"account": {"homePage": stack.url, "name": "reader-b"}})
    by_b = [i for i in ids(get(stack, agent=b)) if i in mine]
    assert by_b == [sent[n]["id"] for n in (6, 4, 2, 0)]  # newest first
    assert ids(get(stack, verb=EXPERIENCED)) == [sent[6]["id"]]
    assert ids(get(stack, registration=REGISTRATION)) == [sent[5]["id"]]
    unit = "https://x.example/unit"
    assert ids(get(stack, activity=unit)) == []
    assert ids(get(stack, activity=unit, related_activities="true")) == [sent[6]["id"]]
    item = sent[3]["object"]["id"]
    assert set(ids(get(stack, activity=item))) >= {sent[3]["id"]}
    authority = get(stack, statementId=sent[0]["id"]).json()["authority"]
    assert mine - set(ids(get(stack, agent=json.dumps(authority)))) == mine
    related = ids(get(stack, agent=json.dumps(authority), related_agents="true"))
    assert mine <= set(related)
    stored = [get(stack, statementId=s["id"]).json()["stored"] for s in sent]
    window = ids(get(stack, since=stored[2], until=stored[5], ascending="true"))
    assert window == [sent[n]["id"] for n in (3, 4, 5)]


def test_more_pages_to_the_end_and_ascending_reverses(
    stack: Stack, sent: list[dict[str, Any]]
) -> None:
    a = json.dumps({"account": {"homePage": stack.url, "name": "reader-a"}})
    seen: list[str] = []
    reply = get(stack, agent=a, limit="1", ascending="true")
    pages = 0
    while True:
        seen += ids(reply)
        more = reply.json()["more"]
        pages += 1
        if not more:
            break
        assert more.startswith("/xapi/statements?more=")
        reply = requests.get(stack.url + more, headers=headers(), timeout=20)
    assert seen == [sent[n]["id"] for n in (1, 3, 5, 7)]
    assert pages >= 4
    # The cursor is the tenant's: another credential cannot follow it.
    first = get(stack, agent=a, limit="1").json()["more"]
    stolen = requests.get(stack.url + first, headers=headers(OTHER), timeout=20)
    assert stolen.status_code == 400 and stolen.json()["reason"].startswith("more:")
    forged = requests.get(stack.url + first[:-3] + "abc", headers=headers(), timeout=20)
    assert forged.status_code == 400


def test_formats_ids_and_canonical(stack: Stack, sent: list[dict[str, Any]]) -> None:
    compact = get(stack, statementId=sent[2]["id"], format="ids").json()
    assert compact["verb"] == {"id": ANSWERED}
    assert compact["object"] == {"objectType": "Activity", "id": sent[2]["object"]["id"]}
    assert compact["actor"] == {"objectType": "Agent", "account": sent[2]["actor"]["account"]}
    french = requests.get(
        f"{stack.url}/xapi/statements",
        params={"statementId": sent[2]["id"], "format": "canonical"},
        headers=headers(**{"Accept-Language": "fr-CA, en;q=0.5"}),
        timeout=20,
    ).json()
    assert french["verb"]["display"] == {"fr": "a répondu"}
    assert french["object"]["definition"]["name"] == {"fr": "question 2"}
    assert french["actor"] == sent[2]["actor"]


def test_bad_parameters_are_400_naming_them(stack: Stack, sent: list[dict[str, Any]]) -> None:
    cases = [
        ({"statementId": sent[0]["id"], "verb": ANSWERED}, "verb: cannot be combined"),
        ({"statementId": sent[0]["id"], "voidedStatementId": sent[1]["id"]}, "statementId:"),
        ({"agent": "{not json"}, "agent: must be a JSON"),
        ({"agent": json.dumps({"name": "no ifi"})}, "agent: must carry exactly one"),
        ({"limit": "-1"}, "limit:"),
        ({"format": "full"}, "format:"),
        ({"since": "yesterday"}, "since:"),
        ({"ascending": "yes"}, "ascending:"),
        ({"registration": "r1"}, "registration:"),
        ({"colour": "red"}, "colour: is not a parameter"),
        ({"attachments": "yes"}, "attachments:"),
    ]
    for params, reason in cases:
        reply = get(stack, **params)
        assert reply.status_code == 400, params
        assert reply.json()["reason"].startswith(reason), (params, reply.json())
    missing = requests.get(
        f"{stack.url}/xapi/statements", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=9
    )
    assert missing.status_code == 400
    v2 = get(stack, format="full")
    assert v2.headers["X-Experience-API-Version"] == "1.0.3"
    two = requests.get(
        f"{stack.url}/xapi/statements",
        params={"format": "full"},
        headers=headers(version="2.0.0"),
        timeout=9,
    )
    assert two.status_code == 400 and two.headers["X-Experience-API-Version"] == "2.0.0"


def test_tenants_are_apart_and_the_credential_is_required(
    stack: Stack, sent: list[dict[str, Any]]
) -> None:
    assert get(stack, OTHER, statementId=sent[0]["id"]).status_code == 404
    assert ids(get(stack, OTHER)) == []
    theirs = statement(stack, "other-learner", 1)
    post(stack, theirs, token=OTHER)
    assert ids(get(stack, OTHER)) == [theirs["id"]]
    assert get(stack, statementId=theirs["id"]).status_code == 404
    assert get(stack, "wrong", statementId=sent[0]["id"]).status_code == 401
    bare = requests.get(f"{stack.url}/xapi/statements", timeout=9)
    assert bare.status_code == 401


def test_voiding_hides_a_statement_except_by_voided_id(stack: Stack) -> None:
    target = statement(stack, "voider", 1)
    post(stack, target)
    voiding = {
        "id": str(uuid.uuid4()),
        "actor": target["actor"],
        "verb": {"id": VOIDED, "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": target["id"]},
    }
    post(stack, voiding)
    assert get(stack, statementId=target["id"]).status_code == 404
    assert get(stack, voidedStatementId=target["id"]).json()["id"] == target["id"]
    assert get(stack, statementId=voiding["id"]).status_code == 200
    assert get(stack, voidedStatementId=voiding["id"]).status_code == 404
    actor = json.dumps(target["actor"])
    assert ids(get(stack, agent=actor)) == [voiding["id"]]
    # A voiding statement cannot be voided; an unknown target is accepted, nothing changes.
    again = {**voiding, "id": str(uuid.uuid4()), "object": {"objectType": "StatementRef",
                                                             "id": voiding["id"]}}  # fmt: skip
    post(stack, again)
    assert get(stack, statementId=voiding["id"]).status_code == 200
    ghost = {**voiding, "id": str(uuid.uuid4()), "object": {"objectType": "StatementRef",
                                                             "id": str(uuid.uuid4())}}  # fmt: skip
    post(stack, ghost)


def test_caliper_discipline(stack: Stack) -> None:
    url = f"{stack.url}/caliper"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    config = requests.get(url, headers=auth, timeout=9)
    assert config.status_code == 200
    assert config.json()["dataVersion"] == [CALIPER]
    assert config.json()["envelope"]["required"] == ["sensor", "sendTime", "dataVersion", "data"]
    assert requests.get(url, timeout=9).status_code == 401
    envelope: dict[str, Any] = {
        "sensor": "https://quiz.example/sensor",
        "sendTime": "2024-03-01T10:00:01.000Z",
        "dataVersion": CALIPER,
        "data": [{"id": "https://quiz.example/x", "type": "Entity"}],
    }
    text = requests.post(url, data=json.dumps(envelope), headers=auth, timeout=9)
    assert text.status_code == 415
    old = {**envelope, "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v1p1"}
    reply = requests.post(url, json=old, headers=auth, timeout=9)
    assert reply.status_code == 422 and reply.json()["error"] == "unsupported_data_version"
    for name in ("sensor", "sendTime", "dataVersion", "data"):
        partial = {k: v for k, v in envelope.items() if k != name}
        reply = requests.post(url, json=partial, headers=auth, timeout=9)
        assert reply.status_code == 400 and reply.json()["reason"].startswith(name), name
    assert requests.post(url, json=envelope, headers=auth, timeout=9).status_code == 200


def test_a_voided_answer_is_taken_out_of_the_learner_model(stack: Stack) -> None:
    """The engine rebuilds the learner without the voided answer: the same state as a
    learner who never sent it."""
    x = [statement(stack, "void-x", n) for n in (0, 1, 2)]
    y = [statement(stack, "void-y", n) for n in (0, 2)]
    for body in x + y:
        post(stack, body)
    assert learner_state(stack, "void-x") != learner_state(stack, "void-y")
    voiding = {
        "actor": x[1]["actor"],
        "verb": {"id": VOIDED, "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": x[1]["id"]},
    }
    post(stack, voiding)
    rebuilt = learner_state(stack, "void-x")
    assert rebuilt == learner_state(stack, "void-y")
    assert rebuilt.responses == 2
    post(stack, {**voiding, "id": str(uuid.uuid4())})  # voiding it again changes nothing
    assert learner_state(stack, "void-x") == rebuilt


def learner_state(stack: Stack, learner: str) -> learner_pb2.GetLearnerStateResponse:
    with grpc.insecure_channel(stack.engine.target) as channel:
        stub = learner_pb2_grpc.LearnerServiceStub(channel)
        request = learner_pb2.GetLearnerStateRequest(learner_id=learner, course_id="demo")
        found = stub.GetLearnerState(request, metadata=TOKEN_META, timeout=10)
    found.learner_id = ""  # compared across learners
    return found


def test_attachments_come_back_as_multipart_when_asked(stack: Stack) -> None:
    essay = b"An essay on fractions.\x00\xff"
    body = {**statement(stack, "attacher", 3), "attachments": [attachment_of(essay)]}
    content_type, data = multipart([body], [("text/plain", essay)])
    sent = requests.post(
        f"{stack.url}/xapi/statements",
        data=data,
        headers=headers(**{"Content-Type": content_type}),
        timeout=20,
    )
    assert sent.status_code == 200, sent.text
    plain = get(stack, statementId=body["id"])
    assert plain.headers["Content-Type"].startswith("application/json")
    one = get(stack, statementId=body["id"], attachments="true")
    assert one.status_code == 200 and one.headers["Content-Type"].startswith("multipart/mixed")
    found = parse_multipart(one.headers["Content-Type"], one.content)
    assert found.statements["id"] == body["id"]
    assert [(p.sha2, p.data) for p in found.parts.values()] == [(sha256(essay), essay)]
    agent = json.dumps(body["actor"])
    page = get(stack, agent=agent, attachments="true")
    found = parse_multipart(page.headers["Content-Type"], page.content)
    assert [s["id"] for s in found.statements["statements"]] == [body["id"]]
    assert [p.data for p in found.parts.values()] == [essay]
    # Another tenant reads neither the statement nor its attachment.
    assert get(stack, OTHER, statementId=body["id"], attachments="true").status_code == 404


def test_a_substatements_attachment_comes_back_as_a_part(stack: Stack) -> None:
    note = b"A note inside a SubStatement."
    outer = statement(stack, "sub-attacher", 4)
    inner = {
        "objectType": "SubStatement",
        "actor": outer["actor"],
        "verb": outer["verb"],
        "object": outer["object"],
        "attachments": [attachment_of(note)],
    }
    body = {**outer, "verb": {"id": "http://adlnet.gov/expapi/verbs/commented"}, "object": inner}
    content_type, data = multipart([body], [("text/plain", note)])
    sent = requests.post(
        f"{stack.url}/xapi/statements",
        data=data,
        headers=headers(**{"Content-Type": content_type}),
        timeout=20,
    )
    assert sent.status_code == 200, sent.text
    one = get(stack, statementId=body["id"], attachments="true")
    assert one.status_code == 200 and one.headers["Content-Type"].startswith("multipart/mixed")
    found = parse_multipart(one.headers["Content-Type"], one.content)
    assert found.statements["object"]["attachments"][0]["sha2"] == sha256(note)
    assert [(p.sha2, p.data) for p in found.parts.values()] == [(sha256(note), note)]


def test_a_2_0_0_statement_without_a_version_is_stored_as_2_0_0(stack: Stack) -> None:
    body = statement(stack, "two-oh", 2, timestamp="2024-03-01T10:00:00.000Z")
    sent = requests.post(
        f"{stack.url}/xapi/statements", json=body, headers=headers(version="2.0.0"), timeout=20
    )
    assert sent.status_code == 200, sent.text
    found = requests.get(
        f"{stack.url}/xapi/statements",
        params={"statementId": body["id"]},
        headers=headers(version="2.0.0"),
        timeout=20,
    )
    assert found.json()["version"] == "2.0.0"
    assert found.headers["X-Experience-API-Version"] == "2.0.0"
