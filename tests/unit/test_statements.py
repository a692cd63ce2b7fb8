"""xAPI statements: validated by Ralph's xAPI models (an independent validator), plus the
rules Ralph does not check: deterministic ids, no PII by default, timestamps, versions."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import rfc3987
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter
from ralph.models.xapi.base.statements import BaseXapiStatement

from attune.gateway.statements import (
    Grade,
    LearningEvent,
    Person,
    TenantProfile,
    build_xapi,
    caliper_event_id,
    xapi_statement_id,
)
from attune.gateway.statements.events import EVENT_KINDS
from attune.gateway.statements.ids import statement_uuid
from attune.gateway.statements.timefmt import iso_duration, iso_timestamp
from tests.unit.statement_samples import PERSON, all_kinds, event, events, profile

XAPI2_ONLY = ("contextAgents", "contextGroups")
# RFC 3339 §5.6 date-time, upper case only (xAPI 2.0 refuses the lower-case t and z).
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def ralph_valid(statement: dict[str, Any]) -> BaseXapiStatement:
    """Validate with Ralph's pydantic model of an xAPI 1.0.x statement (raises if invalid)."""
    return BaseXapiStatement.model_validate(statement)


def keys_anywhere(node: Any) -> Iterator[str]:
    """Every key of every object in a JSON document."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from keys_anywhere(value)
    elif isinstance(node, list):
        for value in node:
            yield from keys_anywhere(value)


def strip_xapi2(statement: dict[str, Any]) -> dict[str, Any]:
    """The statement without its xAPI 2.0-only context properties."""
    copy: dict[str, Any] = json.loads(json.dumps(statement))
    for key in XAPI2_ONLY:
        copy["context"].pop(key, None)
    return copy


def iris_of(statement: dict[str, Any]) -> list[str]:
    """Every value the xAPI data model types as an IRI (or IRL), and every extension key."""
    found = [statement["verb"]["id"], statement["object"]["id"]]
    found.append(statement["object"]["definition"]["type"])
    found.append(statement["actor"]["account"]["homePage"])
    context = statement["context"]
    for activities in context.get("contextActivities", {}).values():
        found += [a["id"] for a in activities] + [a["definition"]["type"] for a in activities]
    found += list(context.get("extensions", {}))
    for extension in context.get("extensions", {}).values():
        if isinstance(extension, list):
            found += [v for v in extension if isinstance(v, str) and "://" in v]
    for ctx_agent in context.get("contextAgents", []) + context.get("contextGroups", []):
        found += ctx_agent["relevantTypes"]
    return found


# --- validity under xAPI 1.0.3 (Ralph) --------------------------------------------------


@pytest.mark.parametrize("share_identity", [False, True])
@pytest.mark.parametrize("registration", [None, "6b1c0e4e-6f7b-4d2a-9e2b-0c7a1d2e3f40"])
@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_every_kind_is_a_valid_xapi_1_0_3_statement(
    kind: str, registration: str | None, share_identity: bool
) -> None:
    statement = build_xapi(
        event(kind, registration=registration), profile(share_identity=share_identity)
    )
    parsed = ralph_valid(statement)
    assert str(parsed.id) == statement["id"]
    assert parsed.timestamp is not None
    assert "version" not in statement  # xAPI 1.0.3 Data §2.4.10: providers SHOULD NOT set it


@given(events())
@settings(max_examples=60)
def test_any_event_builds_a_valid_statement(ev: LearningEvent) -> None:
    for version in ("1.0.3", "2.0.0"):
        statement = build_xapi(ev, profile(version))
        ralph_valid(strip_xapi2(statement))
        for iri in iris_of(statement):
            rfc3987.parse(iri, rule="absolute_IRI")  # raises ValueError if not absolute


def test_ralph_is_a_real_check() -> None:
    """The validator refuses what xAPI 1.0.3 refuses, so its approval means something."""
    good = build_xapi(event("answered"), profile())
    for broken in (
        {**good, "timestamp": "yesterday"},
        {**good, "verb": {"id": "answered"}},  # not an IRI
        {**good, "result": {**good["result"], "score": {"scaled": 1.5}}},
        {**good, "context": {**good["context"], "registration": "not-a-uuid"}},
    ):
        with pytest.raises(ValueError):
            ralph_valid(broken)


# --- xAPI 2.0 ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_1_0_3_output_never_carries_2_0_properties(kind: str) -> None:
    statement = build_xapi(event(kind), profile("1.0.3"))
    assert not set(keys_anywhere(statement)) & set(XAPI2_ONLY)


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_2_0_output_is_the_1_0_3_statement_plus_context_agents_and_groups(kind: str) -> None:
    ev = event(kind)
    v1, v2 = build_xapi(ev, profile("1.0.3")), build_xapi(ev, profile("2.0.0"))
    assert strip_xapi2(v2) == v1
    assert "contextGroups" in v2["context"]
    # A launch is the learner's alone; everywhere else the engine judged something.
    assert ("contextAgents" in v2["context"]) == (kind != "launched")
    # Ralph's models are xAPI 1.0.x: they refuse the 2.0 properties, which is why a 1.0.3
    # tenant must never get them.
    with pytest.raises(ValueError):
        ralph_valid(v2)


def test_context_agents_and_groups_have_the_2_0_shape() -> None:
    """IEEE 9274.1.1: contextAgent {objectType, agent, relevantTypes}; contextGroup
    {objectType, group, relevantTypes}; agents and identified groups carry one IFI."""
    context = build_xapi(event("answered"), profile("2.0.0"))["context"]
    ifis = {"mbox", "mbox_sha1sum", "openid", "account"}
    for entry, member, object_type in [
        *((a, "agent", "contextAgent") for a in context["contextAgents"]),
        *((g, "group", "contextGroup") for g in context["contextGroups"]),
    ]:
        assert set(entry) == {"objectType", member, "relevantTypes"}
        assert entry["objectType"] == object_type
        assert entry["relevantTypes"], "relevantTypes, when present, is a non-empty array"
        assert len(ifis & set(entry[member])) == 1
        assert entry[member]["objectType"] == member.capitalize()


# --- content -----------------------------------------------------------------------------


def test_answered_statement_content() -> None:
    statement = build_xapi(event("answered"), profile())
    assert statement["verb"]["id"] == "http://adlnet.gov/expapi/verbs/answered"
    assert statement["object"]["id"] == (
        "https://attune.uni.example.edu/t/acme/courses/algebra-1/items/q-17"
    )
    assert statement["object"]["definition"]["type"] == (
        "http://adlnet.gov/expapi/activities/cmi.interaction"
    )
    assert statement["result"] == {"success": True, "score": {"scaled": 1.0}, "duration": "PT4.2S"}
    context = statement["context"]
    assert context["registration"] == "6b1c0e4e-6f7b-4d2a-9e2b-0c7a1d2e3f40"
    assert context["platform"] == "Attune"
    [parent] = context["contextActivities"]["parent"]
    assert parent["id"] == "https://attune.uni.example.edu/t/acme/courses/algebra-1"
    assert parent["definition"]["type"] == "http://adlnet.gov/expapi/activities/course"
    extensions = context["extensions"]
    assert extensions["https://w3id.org/attune/xapi/extensions/skills"] == ["fractions", "ratios"]
    assert extensions["https://w3id.org/attune/xapi/extensions/mastery"] == {
        "fractions": 0.42,
        "ratios": 0.9,
    }


def test_other_kinds_content() -> None:
    p = profile()
    mastered = build_xapi(event("mastered"), p)
    assert mastered["verb"]["id"] == "http://adlnet.gov/expapi/verbs/mastered"
    assert mastered["object"]["id"].endswith("/courses/algebra-1/skills/fractions")
    assert mastered["result"] == {"success": True}
    assert mastered["context"]["contextActivities"]["other"][0]["id"].endswith("/items/q-17")

    recommended = build_xapi(event("recommended"), p)
    assert recommended["object"]["id"].endswith("/items/q-18")
    key = "https://w3id.org/attune/xapi/extensions/recommended-items"
    assert [i.rsplit("/", 1)[1] for i in recommended["context"]["extensions"][key]] == [
        "q-18",
        "q-02",
        "q-40",
    ]

    launched = build_xapi(event("launched"), p)
    assert launched["verb"]["id"] == "http://adlnet.gov/expapi/verbs/launched"
    assert launched["object"]["definition"] == {
        "type": "http://adlnet.gov/expapi/activities/course",
        "name": {"en-US": "Algebra 1"},
    }
    assert "result" not in launched and "contextActivities" not in launched["context"]

    graded = build_xapi(event("grade_changed"), p)
    assert graded["result"] == {"score": {"scaled": 0.75, "raw": 7.5, "min": 0.0, "max": 10.0}}


def test_ids_are_percent_encoded_into_one_path_segment() -> None:
    awkward = "Q 7/b?x#y%z é"
    statement = build_xapi(event("answered", item_id=awkward, course_id="c/1"), profile())
    path = urlsplit(statement["object"]["id"]).path
    *_, course, items, item = path.split("/")
    assert (unquote(course), items, unquote(item)) == ("c/1", "items", awkward)
    rfc3987.parse(statement["object"]["id"], rule="absolute_IRI")


# --- identity and PII ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_no_name_or_email_leaves_without_share_identity(kind: str) -> None:
    text = json.dumps(build_xapi(event(kind, person=PERSON), profile(share_identity=False)))
    assert "Ada" not in text and "ada@" not in text and "mbox" not in text


def test_actor_is_a_pseudonymous_account_of_the_learner_id() -> None:
    actor = build_xapi(event("answered"), profile())["actor"]
    assert actor == {
        "objectType": "Agent",
        "account": {"homePage": "https://lms.uni.example.edu", "name": "lrn-7f3a"},
    }


def test_share_identity_adds_the_name_but_keeps_one_stable_identifier() -> None:
    with_person = build_xapi(event("launched", person=PERSON), profile(share_identity=True))
    without = build_xapi(event("answered", person=None), profile(share_identity=True))
    assert with_person["actor"]["name"] == "Ada Lovelace"
    # The account stays the only IFI, so statements with and without a person are one agent.
    assert with_person["actor"]["account"] == without["actor"]["account"]
    assert "mbox" not in with_person["actor"] and "ada@" not in json.dumps(with_person)


# --- ids -----------------------------------------------------------------------------------


def test_statement_ids_are_deterministic_uuid5() -> None:
    first, again = (
        build_xapi(event("answered"), profile()),
        build_xapi(event("answered"), profile()),
    )
    assert first["id"] == again["id"]
    parsed = uuid.UUID(first["id"])
    assert parsed.version == 5 and str(parsed) == first["id"]
    # The xAPI version does not change which statement this is.
    assert build_xapi(event("answered"), profile("2.0.0"))["id"] == first["id"]


def test_statement_ids_differ_across_events_kinds_tenants_and_formats() -> None:
    base = [*all_kinds()]
    variants = [
        *base,
        *all_kinds(event_id="evt-0002"),
        *all_kinds(tenant="other"),
        event("mastered", skill_ids=("ratios",), p_mastery={}),  # same response, other skill
    ]
    xapi_ids = {xapi_statement_id(v) for v in variants}
    caliper_ids = {caliper_event_id(v).removeprefix("urn:uuid:") for v in variants}
    assert len(xapi_ids) == len(caliper_ids) == len(variants)
    assert not xapi_ids & caliper_ids


def test_id_names_cannot_collide_by_concatenation() -> None:
    assert statement_uuid("a:b", "c", "answered", "xapi") != statement_uuid(
        "a", "b:c", "answered", "xapi"
    )
    assert statement_uuid("t", "e", "mastered", "xapi", "s,1") != statement_uuid(
        "t", "e,s", "mastered", "xapi", "1"
    )


@given(st.lists(st.tuples(st.text(min_size=1), st.text(min_size=1)), unique=True, max_size=30))
def test_distinct_tenant_event_pairs_get_distinct_ids(pairs: list[tuple[str, str]]) -> None:
    ids = {statement_uuid(t, e, "answered", "xapi") for t, e in pairs}
    assert len(ids) == len(pairs)


def test_a_profile_of_another_tenant_is_refused() -> None:
    with pytest.raises(ValueError, match="tenant"):
        build_xapi(event("answered", tenant="acme"), profile(tenant="other"))


# --- time ------------------------------------------------------------------------------------


@given(events())
@settings(max_examples=60)
def test_timestamp_is_always_set_and_rfc3339(ev: LearningEvent) -> None:
    for version in ("1.0.3", "2.0.0"):
        stamp = build_xapi(ev, profile(version))["timestamp"]
        assert RFC3339.match(stamp), stamp
        parsed = datetime.fromisoformat(stamp)
        assert parsed.utcoffset() == timedelta(0)
        assert abs(parsed.timestamp() - ev.occurred_at) <= 0.0005 + 1e-6


def test_timestamp_examples() -> None:
    assert iso_timestamp(0) == "1970-01-01T00:00:00.000Z"
    assert iso_timestamp(1_700_000_000.9996) == "2023-11-14T22:13:21.000Z"  # carries over
    assert datetime.fromisoformat(iso_timestamp(1.5)) == datetime(1970, 1, 1, 0, 0, 1, 500_000, UTC)


@pytest.mark.parametrize(
    ("ms", "text"),
    [(0, "PT0S"), (4200, "PT4.2S"), (9, "PT0S"), (60_000, "PT1M"), (3_723_050, "PT1H2M3.05S")],
)
def test_duration_examples(ms: int, text: str) -> None:
    assert iso_duration(ms) == text


@given(st.integers(min_value=0, max_value=10**10))
def test_duration_parses_as_iso8601_to_the_hundredth(ms: int) -> None:
    text = iso_duration(ms)
    assert re.fullmatch(r"PT(\d+H)?(\d+M)?(\d+(\.\d{1,2})?S)?", text) and text != "PT"
    # pydantic's ISO 8601 duration parser, an implementation that is not ours.
    assert TypeAdapter(timedelta).validate_python(text) == timedelta(milliseconds=ms // 10 * 10)


# --- input checks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"event_id": ""},
        {"learner_id": ""},
        {"score": 1.5},
        {"response_time_ms": -1},
        {"p_mastery": {"fractions": 1.2}},
        {"registration": "123"},
        {"registration": "{6b1c0e4e-6f7b-4d2a-9e2b-0c7a1d2e3f40}"},
        {"skill_ids": ("a", "a")},
        {"occurred_at": float("nan")},
        {"item_id": ""},  # an answer is to an item
    ],
)
def test_invalid_events_are_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        event("answered", **overrides)


def test_kind_specific_requirements() -> None:
    with pytest.raises(ValueError):
        replace(event("launched"), kind="clicked")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        event("mastered", skill_ids=("a", "b"))
    with pytest.raises(ValueError):
        event("recommended", recommended_item_ids=())
    with pytest.raises(ValueError):
        event("grade_changed", grade=None)
    with pytest.raises(ValueError):
        Grade(score_given=11, score_maximum=10)
    with pytest.raises(ValueError):
        Person(email="mailto:ada@example.edu")


def test_registration_is_normalised_and_p_mastery_frozen() -> None:
    source = {"fractions": 0.5}
    ev = event("answered", registration="6B1C0E4E-6F7B-4D2A-9E2B-0C7A1D2E3F40", p_mastery=source)
    source["fractions"] = 0.9
    assert ev.registration == "6b1c0e4e-6f7b-4d2a-9e2b-0c7a1d2e3f40"
    assert ev.p_mastery["fractions"] == 0.5
    with pytest.raises(TypeError):
        ev.p_mastery["fractions"] = 0.1  # type: ignore[index]


@pytest.mark.parametrize(
    "fields",
    [
        {"home_page": "lms.example.edu"},  # no scheme
        {"activity_base": "/relative"},
        {"activity_base": "https://a.example.edu/?q=1"},
        {"xapi_version": "1.0.2"},
        {"tenant": ""},
    ],
)
def test_invalid_profiles_are_refused(fields: dict[str, Any]) -> None:
    base: dict[str, Any] = {
        "tenant": "acme",
        "home_page": "https://lms.example.edu",
        "activity_base": "https://attune.example.edu",
    }
    with pytest.raises(ValueError):
        TenantProfile(**{**base, **fields})


def test_profile_defaults() -> None:
    p = profile()
    assert p.activity_base == "https://attune.uni.example.edu/t/acme"  # trailing slash gone
    assert p.caliper_sensor == "https://attune.uni.example.edu/t/acme/sensor"
    assert (p.xapi_version, p.share_identity, p.is_xapi2) == ("1.0.3", False, False)
    assert p.home_page == "https://lms.uni.example.edu"
