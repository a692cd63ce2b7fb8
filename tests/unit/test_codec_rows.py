"""The learner-state encoding with cached skill rows writes exactly the bytes of the plain
``json.dumps`` of the state's body, whatever is cached (issue 17: only the rows of the skills a
response touched are encoded again)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attune.engine.adapters import codec
from attune.engine.adapters.codec import decode_state, encode_state, state_body
from attune.engine.domain.learner import DiagnosticAnswer, DktState, LearnerState, SkillState

ids = st.text(min_size=1, max_size=6)  # unicode included: JSON escapes must match
numbers = st.floats(allow_nan=False, allow_infinity=False, width=64)
skills = st.builds(
    SkillState,
    p_known=numbers,
    attempts=st.integers(0, 10**6),
    correct_streak=st.integers(0, 50),
    mastered=st.booleans(),
    last_practiced=st.none() | numbers,
    wrong_streak=st.integers(0, 50),
    recent_fails=st.lists(ids, max_size=3).map(tuple),
    half_life=numbers,
    p_types=st.lists(numbers, max_size=3).map(tuple),
    retained=numbers,
)
states = st.builds(
    LearnerState,
    learner_id=ids,
    course_id=ids,
    skills=st.dictionaries(ids, skills, max_size=6),
    recent_items=st.lists(ids, max_size=3).map(tuple),
    responses=st.integers(0, 10**6),
    diagnostic=st.lists(st.builds(DiagnosticAnswer, ids, numbers, numbers), max_size=2).map(tuple),
    dkt=st.none() | st.just(DktState("m@1", (0.5, -1.25), (0.0, 2.0), (0.25,), 3)),
    pinned=st.lists(ids, max_size=2).map(tuple),
    exempt=st.booleans(),
)


def _plain(state: LearnerState) -> str:
    return json.dumps(state_body(state), separators=(",", ":"))


@given(states)
def test_encoding_equals_plain_json_twice(state: LearnerState) -> None:
    first = encode_state(state)  # rows encoded now
    assert first == _plain(state)
    assert encode_state(state) == first  # rows from the cache
    assert decode_state(first) == state


def test_a_changed_skill_is_encoded_again() -> None:
    state = LearnerState("l", "c", skills={"a": SkillState(0.25), "b": SkillState(0.5)})
    encode_state(state)
    moved = replace(state, skills={**state.skills, "b": replace(state.skills["b"], p_known=0.75)})
    assert json.loads(encode_state(moved))["s"]["b"][0] == 0.75
    assert encode_state(moved) == _plain(moved)


def test_the_row_cache_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codec, "ROW_CACHE", 4)
    monkeypatch.setattr(codec, "_ROWS", {})
    state = LearnerState("l", "c", skills={f"s{i}": SkillState(i / 10) for i in range(9)})
    assert encode_state(state) == _plain(state)
    assert len(codec._ROWS) == 4
    assert encode_state(state) == _plain(state)
