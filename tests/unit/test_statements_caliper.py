"""Caliper 1.2 events and envelopes, checked against the IMS JSON Schemas (draft-04) and
compared in shape with the specification's own examples (../shared/data/caliper)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from functools import cache
from typing import Any

import pytest
import rfc3987
from hypothesis import given, settings
from jsonschema import Draft4Validator, FormatChecker
from pydantic import TypeAdapter
from referencing import Registry
from referencing.jsonschema import DRAFT4

from attune.gateway.statements import LearningEvent, build_caliper, envelope
from attune.gateway.statements.caliper import CALIPER_CONTEXT
from attune.gateway.statements.events import EVENT_KINDS
from tests.support.shared_data import shared_root
from tests.unit.statement_samples import PERSON, all_kinds, event, events, profile

DATA = shared_root() / "caliper"
SCHEMAS = DATA / "schema_1_2"
EXAMPLES = DATA / "v1p2"

# Caliper 1.2: date-times are ISO 8601 with millisecond precision; we always send UTC.
MILLIS_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")

# The spec example each of our event kinds corresponds to.
EXAMPLE_OF = {
    "answered": "caliperEventAssessmentItemCompleted.json",
    "mastered": "caliperEventGradeGraded.json",
    "grade_changed": "caliperEventGradeGraded.json",
    "launched": "caliperEventNavigationNavigatedToWebPage.json",
    "recommended": "caliperEventViewViewedDocument.json",
}


@cache
def schemas() -> dict[str, dict[str, Any]]:
    """Every Caliper 1.2 schema by its ``id`` (e.g. ``CaliperTypeDefinitions``)."""
    loaded = (json.loads(p.read_text()) for p in SCHEMAS.glob("*.json"))
    return {schema["id"]: schema for schema in loaded}


@cache
def registry() -> Registry[Any]:
    """The schemas reference each other by bare id (``$ref: "Person"``): resolve over all."""
    return Registry().with_resources(
        (name, DRAFT4.create_resource(schema)) for name, schema in schemas().items()
    )


def format_checker() -> FormatChecker:
    """draft-04 formats the schemas use, checked strictly (jsonschema skips ``date-time``
    without an optional package and knows no ``duration``)."""
    checker = FormatChecker()

    def date_time(value: object) -> bool:
        return not isinstance(value, str) or bool(MILLIS_UTC.match(value))

    def duration(value: object) -> bool:
        if not isinstance(value, str):
            return True
        return TypeAdapter(timedelta).validate_python(value) >= timedelta(0)

    checker.checks("date-time")(date_time)
    checker.checks("duration", raises=ValueError)(duration)
    return checker


def validator(type_name: str) -> Draft4Validator:
    return Draft4Validator(
        schemas()[type_name], registry=registry(), format_checker=format_checker()
    )


def typed_nodes(
    node: Any, path: tuple[Any, ...] = ()
) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Every object with a ``type`` outside ``extensions``, with its path."""
    if isinstance(node, dict):
        if isinstance(node.get("type"), str):
            yield path, node
        for key, value in node.items():
            if key != "extensions":
                yield from typed_nodes(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from typed_nodes(value, (*path, index))


def schema_errors(document: dict[str, Any]) -> list[str]:
    """Errors of ``document`` and of every typed entity inside it, each against the schema
    of its own ``type``. The event schemas alone accept almost any object where an entity
    goes (``anyOf`` with ``string`` and loosely typed agents), so nested entities are
    checked one by one too; an unknown type is an error."""
    errors = []
    for path, node in typed_nodes(document):
        if node["type"] not in schemas():
            errors.append(f"{path}: unknown Caliper type {node['type']!r}")
            continue
        errors += [f"{path}: {e.message}" for e in validator(node["type"]).iter_errors(node)]
    return errors


def example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EXAMPLES / name).read_text())
    return loaded


def ids_anywhere(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "id" and isinstance(value, str):
                yield value
            elif key != "extensions":
                yield from ids_anywhere(value)
    elif isinstance(node, list):
        for value in node:
            yield from ids_anywhere(value)


# --- the checker itself --------------------------------------------------------------------


def test_the_checker_passes_the_spec_examples_we_follow() -> None:
    for name in {*EXAMPLE_OF.values(), "caliperEventGradeGradedItem.json"}:
        assert schema_errors(example(name)) == [], name


def test_the_checker_catches_broken_events() -> None:
    good = build_caliper(event("answered"), profile())
    assert schema_errors(good) == []
    broken = [
        {**good, "profile": "TutoringProfile"},  # not a Caliper 1.2 profile
        {**good, "action": "Answered"},  # not a Caliper action
        {**good, "eventTime": "2023-11-14T22:13:20Z"},  # no milliseconds
        {**good, "@context": "http://purl.imsglobal.org/ctx/caliper/v1p1"},
        {**good, "actor": {"id": good["actor"]["id"], "type": "Learner"}},
        {**good, "generated": {**good["generated"], "duration": "4.2 seconds"}},
    ]
    for document in broken:
        assert schema_errors(document), document
    missing = dict(good)
    del missing["eventTime"]
    assert schema_errors(missing)


# --- our events -----------------------------------------------------------------------------


@pytest.mark.parametrize("share_identity", [False, True])
@pytest.mark.parametrize("registration", [None, "6b1c0e4e-6f7b-4d2a-9e2b-0c7a1d2e3f40"])
@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_every_kind_validates_against_the_caliper_1_2_schemas(
    kind: str, registration: str | None, share_identity: bool
) -> None:
    caliper = build_caliper(
        event(kind, registration=registration), profile(share_identity=share_identity)
    )
    assert schema_errors(caliper) == []
    # CaliperData: an event id is urn:uuid:<RFC 4122 UUID>.
    assert list(validator("CaliperData").iter_errors({"id": caliper["id"]})) == []


@given(events())
@settings(max_examples=50)
def test_any_event_validates_and_names_entities_with_absolute_iris(ev: LearningEvent) -> None:
    caliper = build_caliper(ev, profile())
    assert schema_errors(caliper) == []
    for iri in ids_anywhere(caliper):
        rfc3987.parse(iri, rule="absolute_IRI")


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_shape_matches_the_spec_example(kind: str) -> None:
    ours = build_caliper(event(kind), profile())
    theirs = example(EXAMPLE_OF[kind])
    assert (ours["type"], ours["profile"], ours["action"]) == (
        theirs["type"],
        theirs["profile"],
        theirs["action"],
    )
    # Nothing the example does not have, except our extensions and the launch session.
    assert set(ours) - set(theirs) <= {"extensions", "session"}
    core = {"@context", "id", "type", "profile", "actor", "action", "object", "eventTime"}
    assert core | ({"generated"} & set(theirs)) <= set(ours)
    assert ours["object"]["type"] == theirs["object"]["type"] or kind in (
        "launched",
        "recommended",  # WebPage / AssessmentItem where the example shows a Document
    )
    if "generated" in theirs:
        ours_gen, theirs_gen = ours["generated"], theirs["generated"]
        assert set(ours_gen) <= set(theirs_gen) | {"duration"}
        # The example's Response is a FillinBlankResponse; ours is the generic Response.
        assert ours_gen["type"] == theirs_gen["type"] or ours_gen["type"] == "Response"


def test_answered_content() -> None:
    caliper = build_caliper(event("answered"), profile())
    base = "https://attune.uni.example.edu/t/acme"
    assert caliper["actor"] == {"id": f"{base}/learners/lrn-7f3a", "type": "Person"}
    assert caliper["object"]["id"] == f"{base}/courses/algebra-1/items/q-17"
    assert caliper["group"] == {
        "id": f"{base}/courses/algebra-1",
        "type": "CourseSection",
        "name": "Algebra 1",
    }
    assert caliper["edApp"]["id"] == base
    assert caliper["eventTime"] == "2023-11-14T22:13:20.250Z"
    response = caliper["generated"]
    assert (response["startedAtTime"], response["endedAtTime"], response["duration"]) == (
        "2023-11-14T22:13:16.050Z",
        "2023-11-14T22:13:20.250Z",
        "PT4.2S",
    )
    assert response["attempt"]["assignee"] == caliper["actor"]["id"]
    ext = caliper["extensions"]
    assert ext["https://w3id.org/attune/xapi/extensions/success"] is True
    assert ext["https://w3id.org/attune/xapi/extensions/score-scaled"] == 1.0
    assert ext["https://w3id.org/attune/xapi/extensions/mastery"] == {
        "fractions": 0.42,
        "ratios": 0.9,
    }
    assert caliper["session"]["id"] == "urn:uuid:6b1c0e4e-6f7b-4d2a-9e2b-0c7a1d2e3f40"


def test_grade_events_score_the_learners_attempt() -> None:
    graded = build_caliper(event("grade_changed"), profile())
    assert graded["actor"]["type"] == "SoftwareApplication"  # the engine grades
    assert graded["object"]["assignee"]["id"].endswith("/learners/lrn-7f3a")
    score = graded["generated"]
    assert (score["scoreGiven"], score["maxScore"]) == (7.5, 10.0)
    assert score["attempt"] == graded["object"]["id"]

    mastered = build_caliper(event("mastered"), profile())
    assert mastered["generated"]["scoreGiven"] == 0.96  # P(L) at which mastery was declared
    [objective] = mastered["object"]["assignable"]["learningObjectives"]
    assert objective["id"].endswith("/courses/algebra-1/skills/fractions")


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_no_name_or_email_without_share_identity(kind: str) -> None:
    text = json.dumps(build_caliper(event(kind, person=PERSON), profile(share_identity=False)))
    assert "Ada" not in text and "ada@" not in text


def test_share_identity_names_the_person_but_never_sends_the_email() -> None:
    caliper = build_caliper(event("launched", person=PERSON), profile(share_identity=True))
    assert caliper["actor"]["name"] == "Ada Lovelace"
    assert "ada@" not in json.dumps(caliper)


def test_event_ids_are_deterministic() -> None:
    assert (
        build_caliper(event("answered"), profile())["id"]
        == build_caliper(event("answered"), profile())["id"]
    )


# --- envelopes ------------------------------------------------------------------------------


def test_the_published_envelope_schema_rejects_arrays_in_data() -> None:
    """Why envelopes are checked in two parts: the 1.2 Envelope schema types ``data`` as a
    single item, so even the spec's own batch example fails it, at ``data`` and nowhere else
    (Caliper 1.2 §5.2 makes ``data`` an array)."""
    batch = example("caliperEnvelopeEventBatch.json")
    errors = list(validator("Envelope").iter_errors(batch))
    assert errors and {tuple(e.absolute_path) for e in errors} == {("data",)}


def envelope_errors(document: dict[str, Any]) -> list[str]:
    """The envelope without ``data`` against the Envelope schema, then each event."""
    head = {key: value for key, value in document.items() if key != "data"}
    errors = [e.message for e in validator("Envelope").iter_errors(head)]
    if not isinstance(document.get("data"), list) or not document["data"]:
        errors.append("data must be a non-empty array")
    else:
        for item in document["data"]:
            errors += schema_errors(item)
    return errors


def test_the_envelope_check_passes_the_spec_example_and_catches_errors() -> None:
    batch = example("caliperEnvelopeEventBatch.json")
    assert envelope_errors(batch) == []
    assert envelope_errors({**batch, "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v1p1"})
    assert envelope_errors({**batch, "sendTime": "2016-11-15 11:05"})
    assert envelope_errors({**batch, "data": []})


def test_envelope_of_every_kind() -> None:
    p = profile()
    data = [build_caliper(e, p) for e in all_kinds()]
    sent = envelope(data, p.caliper_sensor, send_time=1_700_000_123.5)
    assert envelope_errors(sent) == []
    assert set(sent) == set(example("caliperEnvelopeEventBatch.json"))
    assert sent["sensor"] == "https://attune.uni.example.edu/t/acme/sensor"
    assert sent["sendTime"] == "2023-11-14T22:15:23.500Z"
    assert sent["dataVersion"] == CALIPER_CONTEXT == "http://purl.imsglobal.org/ctx/caliper/v1p2"
    assert sent["data"] == data and sent["data"] is not data
    assert len({event["id"] for event in sent["data"]}) == len(data)


def test_an_empty_envelope_is_refused() -> None:
    with pytest.raises(ValueError):
        envelope([], "https://attune.example.edu/sensor", 0.0)


def test_a_profile_of_another_tenant_is_refused() -> None:
    with pytest.raises(ValueError, match="tenant"):
        build_caliper(event("answered", tenant="acme"), profile(tenant="other"))
