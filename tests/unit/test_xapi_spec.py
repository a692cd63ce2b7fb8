"""The specification's statement cases (tests/support/xapi_cases.py) through the validator:
every valid case gives no problem, every invalid one its path and rule, under each version
it holds for; the validator never raises on any JSON (issue 19)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attune.gateway.ingest.xapi_spec import RULES, count, validate
from tests.support.xapi_cases import CASES, Case, per_version


@pytest.mark.parametrize(
    ("case", "version"), per_version(), ids=[f"{c.name}@{v}" for c, v in per_version()]
)
def test_each_case_is_decided_as_the_specification_says(case: Case, version: str) -> None:
    problems = validate(case.statement(), version)  # type: ignore[arg-type]
    if case.expected is None:
        assert problems == [], [str(p) for p in problems]
    else:
        path, rule = case.expected
        assert (problems[0].path, problems[0].rule) == (path, rule), [str(p) for p in problems]


def test_the_table_covers_every_rule_and_both_versions() -> None:
    used = {c.expected[1] for c in CASES if c.expected is not None}
    # Rules only reachable by a value no JSON object can hold are listed here.
    assert set(RULES) - used == set()
    valid = sum(c.expected is None for c in CASES)
    assert valid >= 50 and len(CASES) - valid >= 100
    assert count("1.0.3") == len(RULES) - 4 and count("2.0.0") == len(RULES)


def test_every_problem_cites_a_section_of_its_version() -> None:
    case = next(c for c in CASES if c.name == "contextAgents under 1.0.3")
    [problem] = validate(case.statement(), "1.0.3")
    assert problem.section == "xAPI 1.0.3 Data §2.2.s4.b8"
    [v2] = validate({**case.statement(), "timestamp": "2013-05-18"}, "2.0.0")
    assert v2.section.startswith("xAPI 2.0.0 Data §4.5")


def test_all_problems_are_reported_not_only_the_first() -> None:
    statement = {"actor": {"mbox": "x"}, "verb": {"id": "v"}, "object": {"id": "o"}, "more": 1}
    assert {p.path for p in validate(statement, "1.0.3")} == {
        "more",
        "actor.mbox",
        "verb.id",
        "object.id",
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "actor",
                    "verb",
                    "object",
                    "id",
                    "objectType",
                    "definition",
                    "interactionType",
                    "mbox",
                    "member",
                    "result",
                    "score",
                    "context",
                    "contextAgents",
                    "attachments",
                    "display",
                    "en",
                    "raw",
                    "SubStatement",
                    "Group",
                    "authority",
                    "choices",
                ]
            ),
            inner,
            max_size=6,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(json_values, st.sampled_from(["1.0.3", "2.0.0"]))
def test_the_validator_never_raises_on_any_json(value: Any, version: str) -> None:
    problems = validate(value, version)  # type: ignore[arg-type]
    assert isinstance(problems, list)
    json.dumps([str(p) for p in problems])  # every problem prints
