"""Attune's own statements are valid xAPI, and stay valid under changes the specification
allows (issue 19): every statement ``build_xapi`` makes, for any event and both versions,
passes the validator; so does any mix of spec-preserving mutations of it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from attune.gateway.ingest.xapi_spec import validate
from attune.gateway.statements.xapi import build_xapi
from tests.unit.statement_samples import events, profile

Mutation = Callable[[dict[str, Any]], None]


def _upper_id(s: dict[str, Any]) -> None:
    s["id"] = s["id"].upper()  # UUIDs are case-insensitive (Data §4.4)


def _drop(name: str) -> Mutation:
    return lambda s: s.pop(name, None)  # optional properties (Data §2.4)


def _display(tag: str) -> Mutation:
    def change(s: dict[str, Any]) -> None:
        s["verb"].setdefault("display", {})[tag] = "done"  # any RFC 5646 tag (§4.2)

    return change


def _extension(iri: str, value: Any) -> Mutation:
    def change(s: dict[str, Any]) -> None:
        s.setdefault("context", {}).setdefault("extensions", {})[iri] = value  # §4.1

    return change


def _reorder(s: dict[str, Any]) -> None:
    items = list(s.items())
    s.clear()
    s.update(reversed(items))  # property order carries no meaning (§2.2.s2.b4)


def _single_parent(s: dict[str, Any]) -> None:
    listed = s.get("context", {}).get("contextActivities", {}).get("parent")
    if isinstance(listed, list) and len(listed) == 1:
        s["context"]["contextActivities"]["parent"] = listed[0]  # one Activity = a list (§2.4.6.2)


def _actor_name(s: dict[str, Any]) -> None:
    if s["actor"].get("objectType", "Agent") == "Agent":
        s["actor"]["name"] = "Ada"


def _version(s: dict[str, Any]) -> None:
    s["version"] = "1.0.0"  # a 1.0.x version is valid under both (§2.4.10)


def _authority(s: dict[str, Any]) -> None:
    s["authority"] = {  # three-legged OAuth: an anonymous Group of two Agents (§2.4.9)
        "objectType": "Group",
        "member": [
            {"account": {"homePage": "https://lms.example.edu", "name": "consumer"}},
            {"mbox": "mailto:user@example.edu"},
        ],
    }


MUTATIONS: list[Mutation] = [
    _upper_id,
    _drop("timestamp"),
    _drop("result"),
    _drop("context"),
    _display("fr-CA"),
    _display("zh-Hant-TW"),
    _display("sgn-BE-FR"),
    _extension("https://example.org/xapi/ext/null", None),
    _extension("urn:example:nested", {"a": [1, None, {"b": True}]}),
    _reorder,
    _single_parent,
    _actor_name,
    _version,
    _authority,
]


@settings(max_examples=200, deadline=None)
@given(events(), st.sampled_from(["1.0.3", "2.0.0"]), st.booleans())
def test_every_statement_attune_builds_validates(event: Any, version: str, share: bool) -> None:
    statement = build_xapi(event, profile(version, share_identity=share))
    assert validate(statement, version) == [], statement  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(
    events(),
    st.sampled_from(["1.0.3", "2.0.0"]),
    st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=5),
)
def test_spec_preserving_mutations_still_validate(
    event: Any, version: str, mutations: list[Mutation]
) -> None:
    statement = copy.deepcopy(build_xapi(event, profile(version)))
    for mutate in mutations:
        mutate(statement)
    problems = validate(statement, version)  # type: ignore[arg-type]
    assert problems == [], [str(p) for p in problems]
