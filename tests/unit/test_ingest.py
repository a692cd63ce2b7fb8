"""Inbound statements: xAPI and Caliper validation naming the path of the first problem, the
comparison behind 409, the mapping to responses, and applying each id once (issue 7, part 3).
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import assume, given
from hypothesis import strategies as st
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs

from attune.engine.v1 import course_pb2, events_pb2, learner_pb2
from attune.gateway.app import build_gateway, create_app
from attune.gateway.errors import EngineCallError
from attune.gateway.ingest import (
    IdConflictError,
    Ingestor,
    InvalidInputError,
    ItemRef,
    TenantView,
    parse_activity_map,
    parse_envelope,
    parse_post,
    parse_put,
)
from attune.gateway.ingest.activity_map import own_item
from attune.gateway.ingest.actors import pseudonym
from attune.gateway.ingest.mapping import MappedResponse, NotApplied, map_caliper, map_statement
from attune.gateway.ingest.service import to_request
from attune.gateway.ingest.window import EARLIEST_OCCURRED_AT
from attune.gateway.ingest.xapi_compare import fingerprint
from attune.gateway.lrs.sqlite_outbox import SqliteStatementOutbox
from attune.gateway.settings import GatewaySettings
from attune.gateway.sqlite_store import SqliteGatewayStore
from attune.gateway.statements import LearningEvent, build_caliper, build_xapi, envelope, iris
from attune.integrations.edges import gateway_edges
from tests.support.shared_data import shared_root
from tests.unit.statement_samples import event, events, profile

HOME = "https://attune.uni.example.edu"
BASE = "https://attune.uni.example.edu/xapi"
ITEM = f"{BASE}/courses/demo/items/place-value%2F1"
ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
CALIPER = "http://purl.imsglobal.org/ctx/caliper/v1p2"
STATEMENT_ID = "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"


def statement(**overrides: Any) -> dict[str, Any]:
    """A learner of ours answered an item of ours, correctly, in 4.2 s."""
    body: dict[str, Any] = {
        "id": STATEMENT_ID,
        "actor": {"objectType": "Agent", "account": {"homePage": HOME, "name": "lrn-1"}},
        "verb": {"id": ANSWERED, "display": {"en-US": "answered"}},
        "object": {"objectType": "Activity", "id": ITEM},
        "result": {"success": True, "duration": "PT4.2S"},
        "timestamp": "2024-03-01T10:00:00.250Z",
    }
    body.update(overrides)
    return body


def view(activity_map: dict[str, ItemRef] | None = None) -> TenantView:
    return TenantView("default", (HOME,), (BASE,), activity_map or {})


def reason(call: Callable[[], Any]) -> str:
    with pytest.raises(InvalidInputError) as caught:
        call()
    return caught.value.reason


def one(body: dict[str, Any], family: str = "1.0") -> Any:
    [parsed] = parse_post(body, family)  # type: ignore[arg-type]
    return parsed


# -- xAPI validation ------------------------------------------------------------------------


def test_a_valid_statement_parses_under_both_versions() -> None:
    for family in ("1.0", "2.0"):
        parsed = one(statement(), family)
        assert parsed.statement_id == STATEMENT_ID
        assert parsed.occurred_at == pytest.approx(1709287200.25)
        assert parsed.typed.result.duration.total_seconds() == pytest.approx(4.2)


def test_the_reason_names_the_path_of_the_first_problem_in_a_batch() -> None:
    batch = [statement(), statement(verb={"id": "answered"}), statement(verb={"id": "answered"})]
    for n, s in enumerate(batch):
        s["id"] = f"00000000-0000-4000-8000-00000000000{n}"
    batch[1]["verb"]["id"] = ANSWERED
    assert reason(lambda: parse_post(batch, "1.0")).startswith(
        "statements[2].verb.id: must be an IRI (xAPI 1.0.3 Data §2.4.3)"
    )


def bad(path: str, problem: str, change: Callable[[dict[str, Any]], None]) -> Any:
    return pytest.param(change, f"statement.{path}: {problem}", id=path + ":" + problem[:24])


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(s: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = s
        for name in parents:
            node = node.setdefault(name, {})
        node[last] = value

    return change


def _drop(name: str) -> Callable[[dict[str, Any]], None]:
    return lambda s: s.pop(name)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        bad("actor", "is required", _drop("actor")),
        bad("verb", "is required", _drop("verb")),
        bad("object", "is required", _drop("object")),
        bad("id", "must be a UUID in standard form", _set("id", "not-a-uuid")),
        bad("verb.id", "must be an IRI", _set("verb.id", "answered")),
        bad("object.id", "must be an IRI (no spaces", _set("object.id", "http://x.edu/a b")),
        bad("object.id", "must be an IRI (an http(s)", _set("object.id", "http:/item")),
        bad(
            "result.score.scaled",
            "must be in [-1, 1], got 1.5",
            _set("result.score", {"scaled": 1.5}),
        ),
        bad(
            "result.score.scaled",
            "must be a number, got a string",
            _set("result.score", {"scaled": "0.5"}),
        ),
        bad(
            "result.score.raw",
            "must be at most max (10.0)",
            _set("result.score", {"raw": 11, "max": 10}),
        ),
        bad(
            "result.score.max",
            "must be greater than min",
            _set("result.score", {"min": 5, "max": 5}),
        ),
        bad(
            "result.success", "must be true or false, got a string", _set("result.success", "true")
        ),
        bad(
            "result.duration",
            "must be an ISO 8601 duration",
            _set("result.duration", "P0003-01-29T04:35:59"),
        ),
        bad("timestamp", "must be an ISO 8601 date-time", _set("timestamp", "yesterday")),
        bad("flavour", "is not a known property here", _set("flavour", "vanilla")),
        bad("result.foo", "is not a known property here", _set("result.foo", 1)),
        bad(
            "context.context_activities",
            "is not a known property",
            _set("context.context_activities", {}),
        ),
        bad("actor.mbox", "must be a mailto IRI", _set("actor", {"mbox": "notmail"})),
        bad(
            "actor",
            "has 2 identifiers",
            _set("actor", {"mbox": "mailto:a@b.edu", "openid": "http://o.edu/a"}),
        ),
        bad("actor", "needs one of mbox", _set("actor", {"name": "Ada"})),
        bad("actor.account.name", "must not be empty", _set("actor.account.name", " ")),
        bad("actor.member", "is required in a Group", _set("actor", {"objectType": "Group"})),
        bad(
            "actor.member[0].objectType",
            "must be Agent",
            _set(
                "actor", {"objectType": "Group", "member": [{"objectType": "Group", "member": []}]}
            ),
        ),
        bad("result.response", "must not be null", _set("result.response", None)),
        bad(
            "verb.display.en_US",
            "is not an RFC 5646 language tag",
            _set("verb.display", {"en_US": "answered"}),
        ),
        bad(
            "object.objectType",
            "must be StatementRef in a voiding",
            _set("verb.id", "http://adlnet.gov/expapi/verbs/voided"),
        ),
        bad(
            "context.platform",
            "is only allowed when the object is an Activity",
            lambda s: s.update(
                object={"objectType": "Agent", "mbox": "mailto:a@b.edu"},
                context={"platform": "LMS"},
            ),
        ),
        bad(
            "context.contextAgents",
            "is not a known property here",
            _set("context.contextAgents", []),
        ),
        bad(
            "object.definition.choices",
            "is only allowed with interactionType choice",
            _set("object.definition", {"interactionType": "numeric", "choices": []}),
        ),
        bad(
            "attachments[0].fileUrl",
            "is required here",
            _set(
                "attachments",
                [
                    {
                        "usageType": "http://x.edu/u",
                        "display": {"en": "a"},
                        "contentType": "text/plain",
                        "length": 1,
                        "sha2": "ab" * 32,
                    }
                ],
            ),
        ),
        bad("version", "must be 1.0.x", _set("version", "2.0.0")),
    ],
)
def test_an_invalid_statement_is_refused_with_its_path(
    change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    body = statement()
    change(body)
    assert reason(lambda: parse_post(body, "1.0")).startswith(expected)


def test_2_0_allows_context_agents_and_wants_rfc_3339_timestamps() -> None:
    engine = {"objectType": "Agent", "account": {"homePage": HOME, "name": "engine"}}
    context = {
        "contextAgents": [{"objectType": "contextAgent", "agent": engine}],
        "contextGroups": [
            {
                "objectType": "contextGroup",
                "group": {"objectType": "Group", "member": [engine]},
                "relevantTypes": ["https://w3id.org/attune/xapi/group-types/course-cohort"],
            }
        ],
    }
    one(statement(context=context), "2.0")
    no_zone = statement(timestamp="2024-03-01T10:00:00")
    assert one(no_zone, "1.0").occurred_at == pytest.approx(1709287200.0)  # read as UTC
    assert "RFC 3339" in reason(lambda: parse_post(no_zone, "2.0"))
    basic = statement(timestamp="20240301T100000Z")  # ISO 8601 basic: 1.0.3 only
    assert one(basic, "1.0").occurred_at == pytest.approx(1709287200.0)
    assert "RFC 3339" in reason(lambda: parse_post(basic, "2.0"))


def test_batch_ids_are_assigned_unique_and_put_must_match() -> None:
    anonymous = statement()
    anonymous.pop("id")
    first, second = parse_post([anonymous, copy.deepcopy(anonymous)], "1.0")
    assert first.statement_id != second.statement_id
    assert "id" not in anonymous  # the caller's statement is not changed
    twice = [statement(), statement(id=STATEMENT_ID.upper())]
    assert reason(lambda: parse_post(twice, "1.0")) == (
        "statements[1].id: repeats the id of statements[0]"
    )
    other = "00000000-0000-4000-8000-000000000000"
    assert reason(lambda: parse_put(statement(), other, "1.0")).startswith(
        "statement.id: differs from statementId"
    )
    assert parse_put(anonymous, other, "1.0").body["id"] == other
    assert reason(lambda: parse_put(anonymous, "nope", "1.0")).startswith("statementId:")


@given(events())
def test_every_statement_we_send_is_valid_inbound_and_maps_back(ev: LearningEvent) -> None:
    for version, family in (("1.0.3", "1.0"), ("2.0.0", "2.0")):
        p = profile(version)
        sent = build_xapi(ev, p)
        if not EARLIEST_OCCURRED_AT <= ev.occurred_at <= time.time():
            # Outside the engine's window: refused inbound, naming the field (issue 11).
            with pytest.raises(InvalidInputError, match=r"\.timestamp: must lie|must not be"):
                one(sent, family)
            continue
        parsed = one(sent, family)
        tenant_view = TenantView(ev.tenant, (p.home_page,), (p.activity_base,), {})
        if ev.kind != "answered" or (ev.success is None and ev.score is None):
            assert isinstance(map_statement(parsed, tenant_view), NotApplied)
            continue
        # Echoed back as is, it is recognised as ours and not applied again.
        assert "Attune statement" in map_statement(parsed, tenant_view).reason  # type: ignore[union-attr]
        del sent["context"]["extensions"]
        mapped = map_statement(one(sent, family), tenant_view)
        assert isinstance(mapped, MappedResponse)
        assert (mapped.course_id, mapped.item_id) == (ev.course_id, ev.item_id)
        assume(ev.learner_id.strip())
        assert mapped.learner_id == ev.learner_id
        if ev.score is not None:
            assert mapped.score == pytest.approx(ev.score) and mapped.correct is None
        else:
            assert mapped.correct is ev.success and mapped.score is None
        assert mapped.occurred_at == pytest.approx(ev.occurred_at, abs=1e-3)


# -- statement comparison (409) -----------------------------------------------------------------


def test_what_an_lrs_may_change_does_not_make_a_statement_different() -> None:
    base = fingerprint(statement(context={"registration": STATEMENT_ID}))
    same = statement(
        id=STATEMENT_ID.upper(),
        timestamp="2024-03-01T11:00:00.250+01:00",  # the same instant
        verb={"id": ANSWERED, "display": {"de-DE": "beantwortet"}},
        object={"id": ITEM, "definition": {"name": {"en": "Item 1"}}},
        context={"registration": STATEMENT_ID.upper()},
        stored="2024-03-02T00:00:00Z",
        version="1.0.3",
    )
    assert fingerprint(same) == base
    for change in (
        {"result": {"success": False, "duration": "PT4.2S"}},
        {"result": {"success": True, "duration": "PT4.20S"}},  # a duration is a string
        {"timestamp": "2024-03-01T10:00:00.251Z"},
        {"actor": {"account": {"homePage": HOME, "name": "lrn-2"}}},
    ):
        assert fingerprint(statement(**change)) != base, change


def test_group_member_order_and_email_domain_case_do_not_count() -> None:
    ada, bob = {"mbox": "mailto:ada@Uni.EDU"}, {"mbox": "mailto:bob@uni.edu"}
    one_way = statement(actor={"objectType": "Group", "member": [ada, bob]})
    other_way = statement(
        actor={"objectType": "Group", "member": [bob, {"mbox": "mailto:ada@uni.edu"}]}
    )
    assert fingerprint(one_way) == fingerprint(other_way)


# -- mapping ------------------------------------------------------------------------------------


def test_our_learner_on_our_item_maps_to_a_response() -> None:
    mapped = map_statement(one(statement()), view())
    assert mapped == MappedResponse(
        event_id=STATEMENT_ID,
        learner_id="lrn-1",
        course_id="demo",
        item_id="place-value/1",
        correct=True,
        response_time_ms=4200,
        occurred_at=pytest.approx(1709287200.25),
    )
    request = to_request(mapped)  # type: ignore[arg-type]
    assert request.WhichOneof("outcome") == "correct" and request.correct
    assert request.occurred_at.ToMilliseconds() == 1709287200250


def test_other_actors_get_a_stable_pseudonym_per_tenant() -> None:
    by_mail = map_statement(one(statement(actor={"mbox": "mailto:Ada@Uni.EDU"})), view())
    digest = hashlib.sha1(b"mailto:Ada@uni.edu").hexdigest()
    by_hash = map_statement(one(statement(actor={"mbox_sha1sum": digest.upper()})), view())
    assert isinstance(by_mail, MappedResponse) and isinstance(by_hash, MappedResponse)
    assert (
        by_mail.learner_id
        == by_hash.learner_id
        == pseudonym("xapi-", "default", "mbox_sha1sum", digest)
    )
    assert len(by_mail.learner_id) == len("xapi-") + 32
    lms = statement(actor={"account": {"homePage": "https://lms.uni.edu", "name": "lrn-1"}})
    foreign = map_statement(one(lms), view())
    assert isinstance(foreign, MappedResponse) and foreign.learner_id.startswith("xapi-")
    elsewhere = map_statement(one(lms), TenantView("acme", (HOME,), (BASE,), {}))
    assert isinstance(elsewhere, MappedResponse)
    assert elsewhere.learner_id != foreign.learner_id  # unlinkable across tenants


@pytest.mark.parametrize(
    ("result", "correct", "score"),
    [
        ({"success": False}, False, None),
        ({"success": True, "score": {"scaled": 0.6}}, None, 0.6),  # the score wins
        ({"score": {"scaled": -0.5}}, None, 0.0),  # clamped to [0, 1]
        ({"score": {"raw": 7, "min": 2, "max": 12}}, None, 0.5),
        ({"score": {"raw": 3, "max": 4}}, None, 0.75),  # min defaults to 0
        ({"completion": True, "score": {"raw": 3}, "success": True}, True, None),
    ],
)
def test_the_outcome_comes_from_the_score_else_success(
    result: dict[str, Any], correct: bool | None, score: float | None
) -> None:
    mapped = map_statement(one(statement(result=result)), view())
    assert isinstance(mapped, MappedResponse)
    assert mapped.correct is correct
    assert mapped.score == (pytest.approx(score) if score is not None else None)


@given(st.floats(-1, 1))
def test_any_scaled_score_becomes_a_score_in_0_1(scaled: float) -> None:
    mapped = map_statement(one(statement(result={"score": {"scaled": scaled}})), view())
    assert isinstance(mapped, MappedResponse) and mapped.score is not None
    assert 0.0 <= mapped.score <= 1.0
    assert mapped.score == pytest.approx(max(0.0, scaled))


@pytest.mark.parametrize(
    ("overrides", "why"),
    [
        (
            {"verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"}},
            "is not answered or completed",
        ),
        ({"result": {"completion": True}}, "no result.score or result.success"),
        (
            {"object": {"objectType": "Activity", "id": "https://h5p.uni.edu/q/7"}},
            "maps to no course item",
        ),
        ({"actor": {"objectType": "Group", "member": [{"mbox": "mailto:a@b.edu"}]}}, "is a Group"),
        ({"object": {"objectType": "Agent", "mbox": "mailto:a@b.edu"}}, "is not an Activity"),
    ],
)
def test_statements_without_a_response_are_not_applied(overrides: dict[str, Any], why: str) -> None:
    mapped = map_statement(one(statement(**overrides)), view())
    assert isinstance(mapped, NotApplied) and why in mapped.reason


def test_the_activity_map_names_items_and_is_checked() -> None:
    h5p = "https://h5p.uni.edu/q/7"
    mapping = parse_activity_map({h5p: {"course_id": "demo", "item_id": "whole-add/1"}})
    mapped = map_statement(one(statement(object={"id": h5p})), view(mapping))
    assert isinstance(mapped, MappedResponse) and mapped.item_id == "whole-add/1"
    assert reason(lambda: parse_activity_map([])).startswith("body: must be a JSON object")
    assert reason(lambda: parse_activity_map({"q7": {"course_id": "demo", "item_id": "x"}})) == (
        '["q7"]: must be an IRI'
    )
    assert reason(lambda: parse_activity_map({h5p: {"course_id": "demo"}})) == (
        f'["{h5p}"].item_id: is required'
    )
    assert reason(
        lambda: parse_activity_map({h5p: {"course_id": "d", "item_id": "x", "skill": "y"}})
    ) == (f'["{h5p}"].skill: is not a known property here')


@given(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_our_item_iris_map_back_whatever_the_ids(course_id: str, item_id: str) -> None:
    p = profile()
    iri = iris.item_iri(p, course_id, item_id)
    assert own_item(iri, [p.activity_base]) == ItemRef(course_id, item_id)
    assert own_item(iri, ["https://elsewhere.example.edu"]) is None
    assert own_item(iris.course_iri(p, course_id), [p.activity_base]) is None


# -- Caliper ------------------------------------------------------------------------------------


def caliper_envelope(*events: dict[str, Any]) -> dict[str, Any]:
    return {
        "sensor": "https://quiz.uni.edu/sensor",
        "sendTime": "2024-03-01T10:00:01.000Z",
        "dataVersion": CALIPER,
        "data": list(events),
    }


def graded(**overrides: Any) -> dict[str, Any]:
    """A GradeEvent in the shape of the spec's example: an autograder scores an item."""
    body: dict[str, Any] = {
        "@context": CALIPER,
        "id": "urn:uuid:12c05c4e-253f-4073-9f29-5786f3ff3f36",
        "type": "GradeEvent",
        "actor": {"id": "https://quiz.uni.edu/autograder", "type": "SoftwareApplication"},
        "action": "Graded",
        "object": {
            "id": "https://quiz.uni.edu/items/3/users/554433/attempts/1",
            "type": "Attempt",
            "assignee": {"id": "https://quiz.uni.edu/users/554433", "type": "Person"},
            "assignable": {"id": "https://quiz.uni.edu/items/3", "type": "AssessmentItem"},
            "duration": "PT10S",
        },
        "generated": {
            "id": "https://quiz.uni.edu/items/3/users/554433/attempts/1/scores/1",
            "type": "Score",
            "scoreGiven": 3.0,
            "maxScore": 4.0,
        },
        "eventTime": "2024-03-01T10:00:00.000Z",
    }
    body.update(overrides)
    return body


def test_the_specification_examples_are_valid_envelopes() -> None:
    examples = shared_root() / "caliper" / "v1p2"
    if not examples.is_dir():
        pytest.skip(f"Caliper examples not found at {examples}")
    envelopes = sorted(examples.glob("caliperEnvelope*.json"))
    single = sorted(examples.glob("caliperEvent*.json"))
    assert envelopes and single
    for path in envelopes:
        parse_envelope(json.loads(path.read_text()))
    for path in single:
        parsed = parse_envelope(caliper_envelope(json.loads(path.read_text())))
        assert len(parsed.events) == 1, path.name


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # Another version's dataVersion is 422, not a malformed envelope:
        # tests/unit/test_statement_reads.py.
        (lambda e: e.update(dataVersion=11), "dataVersion: must be a string"),
        (lambda e: e.update(data=[]), "data: must not be empty"),
        (lambda e: e.update(extra=1), "extra: is not a known property here"),
        (lambda e: e.update(sendTime="2024-03-01 10:00"), "sendTime: must be an RFC 3339"),
        (lambda e: e["data"][0].pop("actor"), "data[0].actor: is required"),
        (
            lambda e: e["data"][0].update(id="12c05c4e-253f-4073-9f29-5786f3ff3f36"),
            "data[0].id: must be urn:uuid:",
        ),
        (
            lambda e: e["data"][0].update(action="Scored"),
            "data[0].action: is not a Caliper 1.2 action",
        ),
        (
            lambda e: e["data"][0].update(
                {"@context": "http://purl.imsglobal.org/ctx/caliper/v1p1"}
            ),
            "data[0].@context",
        ),
        (
            lambda e: e["data"][0]["generated"].update(scoreGiven="3"),
            "data[0].generated.scoreGiven: must be a number",
        ),
        (
            lambda e: e["data"][0]["object"].update(assignee={"type": "Person"}),
            "data[0].object.assignee.id: is required",
        ),
        (lambda e: e["data"][0].update(eventTime="yesterday"), "data[0].eventTime"),
        (lambda e: e["data"].append(graded()), "data[1].id: repeats the id of data[0]"),
    ],
)
def test_an_invalid_envelope_is_refused_with_its_path(
    change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    body = caliper_envelope(graded())
    change(body)
    assert reason(lambda: parse_envelope(body)).startswith(expected)


def test_a_grade_event_maps_through_the_activity_map() -> None:
    [parsed] = parse_envelope(caliper_envelope(graded())).events
    assert isinstance(map_caliper(parsed, view()), NotApplied)
    mapping = {"https://quiz.uni.edu/items/3": ItemRef("demo", "whole-add/2")}
    mapped = map_caliper(parsed, view(mapping))
    assert mapped == MappedResponse(
        event_id="caliper:urn:uuid:12c05c4e-253f-4073-9f29-5786f3ff3f36",
        learner_id=pseudonym("caliper-", "default", "person", "https://quiz.uni.edu/users/554433"),
        course_id="demo",
        item_id="whole-add/2",
        score=0.75,
        response_time_ms=10_000,
        occurred_at=pytest.approx(1709287200.0),
    )


def test_our_own_assessment_item_events_map_back() -> None:
    p = profile()
    sent = build_caliper(event("answered", success=False, score=None), p)
    [echoed] = parse_envelope(envelope([sent], p.caliper_sensor, 1.7e9)).events
    ours = TenantView("acme", (p.home_page,), (p.activity_base,), {})
    assert "Attune event" in map_caliper(echoed, ours).reason  # type: ignore[union-attr]
    del sent["edApp"]
    [parsed] = parse_envelope(envelope([sent], p.caliper_sensor, 1.7e9)).events
    mapped = map_caliper(parsed, ours)
    assert isinstance(mapped, MappedResponse)
    assert (mapped.learner_id, mapped.course_id, mapped.item_id) == (
        "lrn-7f3a",
        "algebra-1",
        "q-17",
    )
    assert mapped.correct is False and mapped.response_time_ms == 4200


def test_a_completed_item_without_a_score_is_not_applied() -> None:
    completed = graded(
        type="AssessmentItemEvent",
        action="Completed",
        object={"id": ITEM, "type": "AssessmentItem"},
        actor={"id": "https://quiz.uni.edu/users/1", "type": "Person"},
        generated={
            "id": "https://quiz.uni.edu/r/1",
            "type": "FillinBlankResponse",
            "values": ["x"],
        },
    )
    [parsed] = parse_envelope(caliper_envelope(completed)).events
    assert "no score" in map_caliper(parsed, view()).reason  # type: ignore[union-attr]
    completed["generated"]["score"] = {"scoreGiven": 1, "maxScore": 2}
    [parsed] = parse_envelope(caliper_envelope(completed)).events
    mapped = map_caliper(parsed, view())
    assert isinstance(mapped, MappedResponse) and mapped.score == 0.5


# -- applying: each id once ---------------------------------------------------------------------


def _course(course_id: str) -> course_pb2.Course:
    """The one course the fakes know ("demo", two items); NOT_FOUND for any other."""
    if course_id != "demo":
        raise EngineCallError("NOT_FOUND", f"course {course_id}")
    items = [course_pb2.Item(item_id=i) for i in ("place-value/1", "whole-add/1")]
    return course_pb2.Course(course_id="demo", items=items)


class FakeEngine:
    """A recording :class:`gateway.engine_port.EngineClient`: RecordResponse with the
    engine's idempotency by event id, and one course. Ingest makes no other call."""

    def __init__(self) -> None:
        self.applied: list[learner_pb2.RecordResponseRequest] = []
        self.tenants: list[str] = []
        self.fail_next = False

    def record(
        self, tenant: str, request: learner_pb2.RecordResponseRequest
    ) -> learner_pb2.RecordResponseResponse:
        if self.fail_next:
            self.fail_next = False
            raise EngineCallError("UNAVAILABLE", "store down")
        duplicate = any(r.event_id == request.event_id for r in self.applied)
        if not duplicate:
            self.applied.append(request)
            self.tenants.append(tenant)
        return learner_pb2.RecordResponseResponse(event_id=request.event_id, duplicate=duplicate)

    def get_course(self, tenant: str, course_id: str) -> course_pb2.Course:
        return _course(course_id)

    def list_courses(self, tenant: str) -> list[course_pb2.Course]:
        return [_course("demo")]

    def recommend(
        self, tenant: str, learner_id: str, course_id: str, max_items: int = 3
    ) -> learner_pb2.RecommendResponse:
        raise AssertionError("ingest never asks for recommendations")

    def state(
        self, tenant: str, learner_id: str, course_id: str
    ) -> learner_pb2.GetLearnerStateResponse:
        raise AssertionError("ingest never reads a learner's state")

    def list_events(
        self, tenant: str, after_log_id: int, page_size: int = 100
    ) -> events_pb2.ListEventsResponse:
        raise AssertionError("ingest never reads the event log")

    def close(self) -> None:
        """Nothing to release."""


class FakeCourses:
    def get(self, tenant: str, course_id: str) -> course_pb2.Course:
        return _course(course_id)


@pytest.fixture
def ingestor(tmp_path: Path) -> tuple[Ingestor, FakeEngine]:
    engine = FakeEngine()
    return Ingestor(SqliteGatewayStore(tmp_path / "g.db"), engine, FakeCourses()), engine


def test_a_statement_is_applied_once_and_a_changed_one_conflicts(
    ingestor: tuple[Ingestor, FakeEngine],
) -> None:
    service, engine = ingestor
    first = service.apply_xapi(view(), parse_post(statement(), "1.0"))
    assert [o.status for o in first] == ["applied"]
    again = service.apply_xapi(
        view(), parse_post(statement(timestamp="2024-03-01T10:00:00.250+00:00"), "1.0")
    )
    assert [o.status for o in again] == ["duplicate"]
    assert len(engine.applied) == 1
    new_id = "00000000-0000-4000-8000-000000000001"
    batch = [statement(id=new_id), statement(result={"success": False})]
    with pytest.raises(IdConflictError) as caught:
        service.apply_xapi(view(), parse_post(batch, "1.0"))
    assert caught.value.path == "statements[1]"
    assert len(engine.applied) == 1  # nothing of the refused batch


def test_statements_that_are_not_responses_are_remembered_but_not_applied(
    ingestor: tuple[Ingestor, FakeEngine],
) -> None:
    service, engine = ingestor
    unknown_item = statement(object={"id": f"{BASE}/courses/demo/items/nope"})
    outcomes = service.apply_xapi(view(), parse_post(unknown_item, "1.0"))
    assert outcomes[0].status == "not_applied" and "has no item 'nope'" in outcomes[0].reason
    assert service.apply_xapi(view(), parse_post(unknown_item, "1.0"))[0].status == "duplicate"
    with pytest.raises(IdConflictError):
        service.apply_xapi(view(), parse_post(statement(), "1.0"))
    assert engine.applied == []


def test_a_request_interrupted_by_the_engine_is_completed_by_its_retry(
    ingestor: tuple[Ingestor, FakeEngine],
) -> None:
    service, engine = ingestor
    ids = [f"00000000-0000-4000-8000-00000000000{n}" for n in range(3)]
    batch = parse_post([statement(id=i) for i in ids], "1.0")
    engine.fail_next = True
    with pytest.raises(EngineCallError):
        service.apply_xapi(view(), batch)
    outcomes = service.apply_xapi(view(), batch)
    assert [o.status for o in outcomes] == ["applied"] * 3
    assert [r.event_id for r in engine.applied] == ids


def test_caliper_events_are_applied_once_and_a_changed_one_is_reported(
    ingestor: tuple[Ingestor, FakeEngine],
) -> None:
    service, engine = ingestor
    mapping = {"https://quiz.uni.edu/items/3": ItemRef("demo", "whole-add/1")}
    events_ = parse_envelope(caliper_envelope(graded())).events
    assert [o.status for o in service.apply_caliper(view(mapping), events_)] == ["applied"]
    assert [o.status for o in service.apply_caliper(view(mapping), events_)] == ["duplicate"]
    changed = graded(eventTime="2024-03-01T10:05:00.000Z")
    [outcome] = service.apply_caliper(
        view(mapping), parse_envelope(caliper_envelope(changed)).events
    )
    assert outcome.status == "not_applied" and "different content" in outcome.reason
    assert [r.event_id for r in engine.applied] == [
        "caliper:urn:uuid:12c05c4e-253f-4073-9f29-5786f3ff3f36"
    ]
    assert engine.applied[0].score == 0.75


# -- the HTTP layer, in process -----------------------------------------------------------------


@pytest.fixture
def http(tmp_path: Path) -> Iterator[tuple[FlaskClient, FakeEngine]]:
    """The gateway's Flask app over real stores, with the fake engine behind it."""
    settings = GatewaySettings(ingest_tokens={"tok-a": "default", "tok-b": "other"})
    engine = FakeEngine()
    gateway = build_gateway(
        settings,
        SqliteGatewayStore(tmp_path / "g.db"),
        engine,
        HOME,
        SqliteStatementOutbox(tmp_path / "s.db"),
        gateway_edges(),
    )
    yield create_app(gateway).test_client(), engine
    gateway.store.close()
    gateway.statements.close()


def test_log_lines_carry_the_tenant_of_the_token(http: tuple[FlaskClient, FakeEngine]) -> None:
    client, engine = http
    headers = {"Authorization": "Bearer tok-a", "X-Experience-API-Version": "1.0.3"}
    with capture_logs(processors=[merge_contextvars]) as logs:
        reply = client.post("/xapi/statements", json=statement(), headers=headers)
        client.post("/xapi/statements", json=statement(verb={"id": "x"}), headers=headers)
    assert reply.status_code == 200 and reply.json == [STATEMENT_ID]
    assert len(engine.applied) == 1
    assert logs and all(entry["tenant"] == "default" for entry in logs)
    assert {"ingest.received", "http.refused"} <= {entry["event"] for entry in logs}


def test_the_token_decides_the_tenant(http: tuple[FlaskClient, FakeEngine]) -> None:
    client, engine = http
    headers = {"Authorization": "Bearer tok-b", "X-Experience-API-Version": "1.0.3"}
    reply = client.post("/xapi/statements", json=statement(), headers=headers)
    assert reply.status_code == 200
    assert json.loads(reply.headers["X-Attune-Ingest"])["applied"] == 1
    assert engine.tenants == ["other"]
    for auth in ("Bearer tok-c", "Basic dG9rLWE6", "tok-a", ""):
        refused = client.post(
            "/xapi/statements",
            json=statement(),
            headers={"Authorization": auth, "X-Experience-API-Version": "1.0.3"},
        )
        assert refused.status_code == 401, auth
        assert refused.json is not None and refused.json["error"] == "unauthorized"


def test_bodies_must_be_json(http: tuple[FlaskClient, FakeEngine]) -> None:
    client, _ = http
    headers = {"Authorization": "Bearer tok-a", "X-Experience-API-Version": "1.0.3"}
    as_text = client.post("/xapi/statements", data="{}", headers=headers, content_type="text/plain")
    assert as_text.status_code == 415
    not_json = client.post("/caliper", data="{", headers=headers, content_type="application/json")
    assert not_json.status_code == 400 and not_json.json["reason"].startswith("body: not JSON")
    nan = client.post(
        "/xapi/statements", data='{"a": NaN}', headers=headers, content_type="application/json"
    )
    assert nan.status_code == 400
    array_put = client.put(
        f"/xapi/statements?statementId={STATEMENT_ID}", json=[statement()], headers=headers
    )
    assert array_put.status_code == 400
    no_id = client.put("/xapi/statements", json=statement(), headers=headers)
    assert no_id.status_code == 400 and no_id.json["reason"].startswith("statementId:")
