"""A stored statement's actor (JSON) names the same learner as the ingest path's tincan
actor does: erasure finds the statements of a learner who came in by email or account."""

from __future__ import annotations

import json

import pytest
from tincan import Agent, Group

from attune.gateway.ingest.actors import xapi_learner, xapi_learner_of_json

HOME = ("https://gw.example.edu",)
ACTORS = [
    {"account": {"homePage": "https://gw.example.edu/", "name": "learner-7"}},
    {"account": {"homePage": "https://other.example.org", "name": "u-1"}},
    {"mbox": "mailto:Ada@Example.EDU"},
    {"mbox_sha1sum": "A9993E364706816ABA3E25717850C26C9CD0D89D"},
    {"openid": "https://id.example.org/ada"},
]


@pytest.mark.parametrize("actor", ACTORS)
def test_the_json_actor_is_the_same_learner_as_the_parsed_one(actor: dict[str, object]) -> None:
    parsed = Agent.from_json(json.dumps({"objectType": "Agent", **actor}))
    assert xapi_learner_of_json(actor, "t", HOME) == xapi_learner(parsed, "t", HOME)


def test_groups_and_anonymous_actors_name_nobody() -> None:
    group = {"objectType": "Group", "member": [ACTORS[2]]}
    assert xapi_learner(Group.from_json(json.dumps(group)), "t", HOME) is None
    assert xapi_learner_of_json(group, "t", HOME) is None
    assert xapi_learner_of_json({"name": "no identifier"}, "t", HOME) is None
    assert xapi_learner_of_json("not an object", "t", HOME) is None
