"""Course size limits and linear validation (issue 11 items 6 and 7).

Linearity is asserted on operation counts, never on time: the Python lines executed while a
course is built (a trace function counts them). A quadratic step (a topological order that
rescans the remaining skills per layer, items indexed by scanning every item per skill)
executes a number of lines that grows with the square of the course.
"""

from __future__ import annotations

import json
import sys
from types import FrameType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attune.engine.adapters.course_codec import _decode, _encode
from attune.engine.domain import limits
from attune.engine.domain.course import Course, Item, MasteryPolicy, Skill, build_course
from attune.engine.domain.course_json import course_from_json, course_to_json
from attune.engine.domain.errors import InvalidInputError
from attune.engine.domain.graph import topological_order
from attune.engine.grpc.convert import course_to_pb
from attune.engine.v1 import course_pb2

TraceFunction = Any  # sys.settrace's callback type is private to typeshed


def _chain(n: int) -> tuple[list[Skill], list[Item]]:
    names = [f"s{k}" for k in range(n)]
    skills = [Skill(names[k], prerequisites=(names[k - 1],) if k else ()) for k in range(n)]
    items = [Item(f"i{k}", (names[k],)) for k in range(n)]
    return skills, items


def lines_to_build(n: int) -> int:
    """Python lines executed by build_course on an n-skill chain with one item per skill."""
    skills, items = _chain(n)
    lines = 0

    def trace(frame: FrameType, event: str, arg: object) -> TraceFunction:
        nonlocal lines
        lines += event == "line"
        return trace

    before = sys.gettrace()
    sys.settrace(trace)
    try:
        build_course("c", skills, items)
    finally:
        sys.settrace(before)
    return lines


def test_a_chain_at_the_limit_is_accepted_in_linear_work() -> None:
    n = limits.MAX_SKILLS_PER_COURSE
    skills, items = _chain(n)
    course = build_course("c", skills, items)
    assert course.order == tuple(f"s{k}" for k in range(n))
    assert course.items_for("s7") == (items[7],)
    half, full = lines_to_build(n // 2), lines_to_build(n)
    # Twice the course, about twice the work (the quadratic version: about four times).
    assert full <= 2.2 * half
    assert full <= 200 * n


def test_more_skills_or_items_than_the_limits_are_refused_naming_the_field() -> None:
    skills, items = _chain(limits.MAX_SKILLS_PER_COURSE + 1)
    with pytest.raises(InvalidInputError) as err:
        build_course("c", skills, items[:1])
    assert err.value.field == "course.skills"
    assert str(err.value) == (
        f"course.skills: {len(skills)} skills; the limit is {limits.MAX_SKILLS_PER_COURSE}"
    )
    many = [Item(f"i{k}", ("s0",)) for k in range(limits.MAX_ITEMS_PER_COURSE + 1)]
    with pytest.raises(InvalidInputError) as err:
        build_course("c", skills[:1], many)
    assert err.value.field == "course.items"


def test_a_cycle_in_a_long_chain_is_still_named() -> None:
    n = limits.MAX_SKILLS_PER_COURSE
    skills, items = _chain(n)
    skills[0] = Skill("s0", prerequisites=(f"s{n - 1}",))
    with pytest.raises(InvalidInputError) as err:
        build_course("c", skills, items)
    assert err.value.field == "course.skills.prerequisites"
    message = err.value.message
    assert message.startswith(f"cycle: s0 -> s{n - 1} -> s{n - 2} -> s{n - 3} -> ")
    assert message.endswith("-> s3 -> s2 -> s1 -> s0")
    assert f"({n} skills)" in message
    assert len(str(err.value)) <= limits.MAX_MESSAGE_CHARS


_LONG_ID = "x" * (limits.MAX_ID_CHARS + 1)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (dict(course_id=_LONG_ID), "course.course_id"),
        (dict(title="t" * (limits.MAX_NAME_CHARS + 1)), "course.title"),
        (dict(dkt_model=_LONG_ID), "course.dkt_model"),
        (dict(skill=Skill(_LONG_ID)), "course.skills[1].skill_id"),
        (dict(skill=Skill("b", name="n" * (limits.MAX_NAME_CHARS + 1))), "course.skills[1].name"),
        (
            dict(skill=Skill("b", prerequisites=("a", _LONG_ID))),
            "course.skills[1].prerequisites[1]",
        ),
        (
            dict(skill=Skill("b", prerequisites=("a",) * (limits.MAX_PREREQUISITES_PER_SKILL + 1))),
            "course.skills[1].prerequisites",
        ),
        (dict(item=Item(_LONG_ID, ("a",))), "course.items[1].item_id"),
        (dict(item=Item("j", ("a", _LONG_ID))), "course.items[1].skill_ids[1]"),
        (
            dict(item=Item("j", tuple(f"s{k}" for k in range(limits.MAX_SKILLS_PER_ITEM + 1)))),
            "course.items[1].skill_ids",
        ),
        (
            dict(item=Item("j", ("a",), content="c" * (limits.MAX_CONTENT_CHARS + 1))),
            "course.items[1].content",
        ),
        (dict(item=Item("j", ("a",), content="\ud800")), "course.items[1].content"),
    ],
)
def test_every_text_id_and_count_is_bounded(change: dict[str, object], field: str) -> None:
    skills = [Skill("a"), *(Skill(f"s{k}") for k in range(40))]
    items = [Item("i", ("a",))]
    if "skill" in change:
        skills[1] = change.pop("skill")  # type: ignore[assignment]
    if "item" in change:
        items.append(change.pop("item"))  # type: ignore[arg-type]
    args: dict[str, object] = {"course_id": "c", "title": "", "dkt_model": ""} | change
    with pytest.raises(InvalidInputError) as err:
        build_course(
            str(args["course_id"]),
            skills,
            items,
            title=str(args["title"]),
            dkt_model=str(args["dkt_model"]),
        )
    assert err.value.field == field
    assert len(str(err.value)) < 200  # the value itself is never repeated whole


def test_an_unknown_long_reference_is_not_repeated_whole() -> None:
    long_unknown = "u" * limits.MAX_ID_CHARS
    with pytest.raises(InvalidInputError) as err:
        build_course("c", [Skill("a", prerequisites=(long_unknown,))], [])
    assert err.value.field == "course.skills[0].prerequisites"
    assert long_unknown not in str(err.value) and "unknown skill" in str(err.value)


def _big_items(count: int, content: int, skill: str = "a") -> list[Item]:
    return [Item(f"i{k}", (skill,), content="c" * content) for k in range(count)]


def test_a_course_larger_than_a_reply_can_carry_is_refused() -> None:
    items = _big_items(60, limits.MAX_CONTENT_CHARS)  # each within its limit, 3.9 MB in all
    with pytest.raises(InvalidInputError) as err:
        build_course("c", [Skill("a")], items)
    assert err.value.field == "course"
    assert f"the limit is {limits.MAX_COURSE_BYTES}" in err.value.message
    fits = build_course("c", [Skill("a")], items[:40])
    assert fits.size <= limits.MAX_COURSE_BYTES


def _reply_bytes(course: Course) -> int:
    return course_pb2.GetCourseResponse(course=course_to_pb(course)).ByteSize()


_text = st.text(max_size=40)


@st.composite
def _courses(draw: st.DrawFn) -> Course:
    n = draw(st.integers(1, 6))
    ids = [f"s{k}" for k in range(n)]
    skills = [
        Skill(
            ids[k],
            name=draw(_text),
            prerequisites=tuple(draw(st.lists(st.sampled_from(ids[:k]), unique=True))) if k else (),
            mastery=draw(
                st.none()
                | st.builds(MasteryPolicy, st.floats(0.01, 1.0), st.integers(0, 2**31 - 1))
            ),
        )
        for k in range(n)
    ]
    items = [
        Item(
            f"{draw(_text)}#{k}",
            tuple(draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))),
            content=draw(_text),
        )
        for k in range(draw(st.integers(0, 6)))
    ]
    return build_course(draw(_text) + "c", skills, items, title=draw(_text), dkt_model="")


@given(_courses())
def test_a_courses_size_bounds_its_reply(course: Course) -> None:
    assert _reply_bytes(course) <= course.size


def test_the_size_bounds_the_reply_of_a_course_at_the_limit() -> None:
    skills, _ = _chain(limits.MAX_SKILLS_PER_COURSE)
    course = build_course("c", skills, _big_items(44, limits.MAX_CONTENT_CHARS, "s0"))
    assert limits.MAX_COURSE_BYTES - 100_000 < course.size <= limits.MAX_COURSE_BYTES
    assert _reply_bytes(course) <= course.size < 4 * 1024 * 1024


def _layers_reference(edges: dict[str, list[str]]) -> tuple[str, ...]:
    """The quadratic order the engine used before (ties keep the input order)."""
    remaining = {k: set(v) for k, v in edges.items()}
    order: list[str] = []
    while remaining:
        ready = [k for k, pre in remaining.items() if pre <= set(order)]
        order += ready
        for k in ready:
            del remaining[k]
    return tuple(order)


@st.composite
def _dags(draw: st.DrawFn) -> dict[str, list[str]]:
    n = draw(st.integers(0, 12))
    names = draw(st.permutations([f"n{k}" for k in range(n)]))
    edges = {
        names[k]: draw(st.lists(st.sampled_from(names[:k]), max_size=3)) if k else []
        for k in range(n)
    }
    shuffled = draw(st.permutations(list(edges)))
    return {k: edges[k] for k in shuffled}


@given(_dags())
def test_the_linear_order_is_the_order_it_replaces(edges: dict[str, list[str]]) -> None:
    assert topological_order(edges) == _layers_reference(edges)


def test_json_counts_are_checked_before_parsing_and_stored_courses_skip_limits() -> None:
    skills, items = _chain(limits.MAX_SKILLS_PER_COURSE + 1)
    legacy = build_course("c", skills, items, enforce_limits=False)  # stored by an older version
    data = course_to_json(legacy)
    data["skills"].append("not even a skill")
    with pytest.raises(InvalidInputError) as err:
        course_from_json(data)
    assert err.value.field == "course.skills"
    # What a store reads back opens whatever its size, old format or new.
    assert _decode(json.dumps(course_to_json(legacy))) == legacy
    assert _decode(_encode(legacy)) == legacy
