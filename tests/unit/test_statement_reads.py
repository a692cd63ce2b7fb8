"""The pure parts of the statements resource's reads (issue 19): parameters and their 400s,
agent and activity matching, the formats, the ``more`` cursor (signed, tenant-bound,
expiring), and the Caliper envelope's 422 for another dataVersion."""

from __future__ import annotations

import json
from typing import Any

import pytest

from attune.gateway.ingest.caliper_check import UnsupportedDataVersionError, parse_envelope
from attune.gateway.xapi_store.formats import formatted, iso
from attune.gateway.xapi_store.ports import QueryError
from attune.gateway.xapi_store.query import MAX_LIMIT, matches, parse_query
from attune.gateway.xapi_store.reader import more_token, read_more

HOME = "https://lms.example"
KEY = b"k" * 32


def sub_statement() -> dict[str, Any]:
    return {
        "id": "00000000-0000-4000-8000-000000000001",
        "actor": {"objectType": "Group", "member": [{"mbox": "mailto:a@example.org"}]},
        "verb": {"id": "https://example.org/v", "display": {"en-US": "did", "de": "tat"}},
        "object": {
            "objectType": "SubStatement",
            "actor": {"account": {"homePage": HOME, "name": "sub"}},
            "verb": {"id": "https://example.org/w"},
            "object": {
                "id": "https://example.org/inner",
                "definition": {"name": {"de-DE": "innen", "en": "inner"}},
            },
            "context": {"contextActivities": {"category": [{"id": "https://example.org/c"}]}},
        },
        "authority": {"mbox": "mailto:lrs@example.org", "objectType": "Agent"},
        "context": {
            "instructor": {"mbox": "mailto:t@example.org", "name": "Teacher"},
            "contextActivities": {"parent": {"id": "https://example.org/p"}},
        },
    }


def never(_: str) -> None:
    return None


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ({"limit": "x"}, "limit:"),
        ({"agent": "[]"}, "agent: must be a JSON"),
        ({"agent": '{"objectType": "Activity", "mbox": "mailto:a@b"}'}, "agent.objectType"),
        ({"agent": '{"mbox": "a", "openid": "b"}'}, "agent: must carry exactly one"),
        ({"verb": "no-iri"}, "verb: must be an IRI"),
        ({"until": "2024-03-01T10:00:00"}, "until: must carry a time zone"),
        ({"related_agents": "1"}, "related_agents:"),
        ({"statementId": "x"}, "statementId: is not a parameter"),
    ],
)
def test_bad_parameters_name_themselves(args: dict[str, str], reason: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(args)
    assert caught.value.reason.startswith(reason)


def test_limits_and_defaults() -> None:
    assert parse_query({}).limit == MAX_LIMIT
    assert parse_query({"limit": "0"}).limit == MAX_LIMIT
    assert parse_query({"limit": "7"}).limit == 7
    assert parse_query({"limit": "100000"}).limit == MAX_LIMIT
    assert parse_query({}).format == "exact" and not parse_query({}).ascending


def test_related_agents_and_activities_reach_into_context_and_substatements() -> None:
    s = sub_statement()
    member = parse_query({"agent": json.dumps({"mbox": "mailto:a@example.org"})})
    assert not matches(s, member, never)  # a member is not the actor by the plain rule
    related = parse_query(
        {"agent": json.dumps({"mbox": "mailto:a@example.org"}), "related_agents": "true"}
    )
    assert matches(s, related, never)
    for ifi in (
        {"mbox": "mailto:t@example.org"},
        {"mbox": "mailto:lrs@example.org"},
        {"account": {"homePage": HOME, "name": "sub"}},
    ):
        args = {"agent": json.dumps(ifi)}
        assert not matches(s, parse_query(args), never)
        assert matches(s, parse_query({**args, "related_agents": "true"}), never)
    for iri in ("https://example.org/inner", "https://example.org/c", "https://example.org/p"):
        assert not matches(s, parse_query({"activity": iri}), never)
        assert matches(s, parse_query({"activity": iri, "related_activities": "true"}), never)


def test_statement_refs_match_through_their_targets_with_a_bounded_depth() -> None:
    chain = {
        f"{n}": {
            "verb": {"id": "https://v"},
            "object": {"objectType": "StatementRef", "id": f"{n + 1}"},
        }
        for n in range(20)
    }
    chain["3"] = {"verb": {"id": "https://target"}, "object": {"id": "https://a"}}
    q = parse_query({"verb": "https://target"})
    assert matches(chain["0"], q, chain.get)
    chain["3"] = chain["19"]  # a cycle: stops at the depth bound, no match
    chain["19"]["object"]["id"] = "0"
    assert not matches(chain["0"], q, chain.get)


def test_formats() -> None:
    s = sub_statement()
    ids = formatted(s, "ids", [])
    assert ids["verb"] == {"id": "https://example.org/v"}
    assert ids["actor"] == {"objectType": "Group", "member": [{"mbox": "mailto:a@example.org"}]}
    assert ids["context"]["instructor"] == {"mbox": "mailto:t@example.org"}
    assert ids["context"]["contextActivities"]["parent"] == [
        {"objectType": "Activity", "id": "https://example.org/p"}
    ]
    assert ids["object"]["object"] == {"objectType": "Activity", "id": "https://example.org/inner"}
    german = formatted(s, "canonical", ["de-AT", "en"])
    assert german["verb"]["display"] == {"de": "tat"}
    assert german["object"]["object"]["definition"]["name"] == {"de-DE": "innen"}
    assert formatted(s, "canonical", ["ja"])["verb"]["display"] == {"en-US": "did"}
    assert formatted(s, "exact", []) is s and s == sub_statement()  # copies, never edits
    assert iso(1_800_000_000.5) == "2027-01-15T08:00:00.500Z"
    assert iso(1_800_000_000.123) == "2027-01-15T08:00:00.123Z"


def test_the_more_cursor_is_signed_tenant_bound_and_expires() -> None:
    token = more_token(KEY, "t", {"verb": "https://v"}, 42, now=1000.0)
    assert read_more(KEY, "t", token, now=2000.0) == ({"verb": "https://v"}, 42)
    for tenant, key, at, text in (
        ("other", KEY, 2000.0, token),
        ("t", b"x" * 32, 2000.0, token),
        ("t", KEY, 1000.0 + 3601, token),
        ("t", KEY, 2000.0, token[:-1] + ("0" if token[-1] != "0" else "1")),
        ("t", KEY, 2000.0, "garbage"),
    ):
        with pytest.raises(QueryError) as caught:
            read_more(key, tenant, text, now=at)
        assert caught.value.reason.startswith("more:")


def test_another_caliper_version_is_unprocessable_not_malformed() -> None:
    envelope = {
        "sensor": "https://quiz.example/sensor",
        "sendTime": "2024-03-01T10:00:01.000Z",
        "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v1p1",
        "data": [{"id": "https://quiz.example/x", "type": "Entity"}],
    }
    with pytest.raises(UnsupportedDataVersionError) as caught:
        parse_envelope(envelope)
    assert caught.value.status == 422 and caught.value.reason.startswith("dataVersion:")
