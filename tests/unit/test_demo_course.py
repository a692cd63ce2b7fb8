"""The demo course: size, graph shape, item parameters and the JSON round trip."""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attune.content.templates import parse_content, render
from attune.engine.demo.course import demo_course, demo_course_json
from attune.engine.domain.bkt import BktParams
from attune.engine.domain.course import Course, IrtParams, Item, MasteryPolicy, Skill, build_course
from attune.engine.domain.course_json import course_from_json, course_to_json
from attune.engine.domain.errors import InvalidInputError


def _longest_chain(course: Course) -> int:
    """Number of skills on the longest prerequisite chain, computed here from scratch."""

    @cache
    def chain(sid: str) -> int:
        return 1 + max((chain(p) for p in course.skills[sid].prerequisites), default=0)

    return max(chain(sid) for sid in course.skills)


def test_course_has_at_least_forty_skills_and_three_items_each() -> None:
    course = demo_course()
    assert course.course_id == "demo"
    assert course.title
    assert len(course.skills) >= 40
    for sid, skill in course.skills.items():
        assert skill.name
        own = [i.item_id for i in course.items_for(sid) if i.skill_ids[0] == sid]
        assert own == [f"{sid}/1", f"{sid}/2", f"{sid}/3"]


def test_graph_is_a_deep_dag_in_topological_order() -> None:
    course = demo_course()
    assert _longest_chain(course) >= 8
    position = {sid: n for n, sid in enumerate(course.order)}
    assert set(position) == set(course.skills)
    for sid, skill in course.skills.items():
        for pre in skill.prerequisites:
            assert position[pre] < position[sid]
    roots = [sid for sid, s in course.skills.items() if not s.prerequisites]
    assert roots == ["place-value"]
    # Every skill but the last is a prerequisite of something: no dead ends in the middle.
    leaves = {sid for sid in course.skills if not course.dependants(sid)}
    assert "systems" in leaves and len(leaves) < len(course.skills) // 4


def test_skill_bkt_parameters_are_sensible() -> None:
    for skill in demo_course().skills.values():
        bkt = skill.bkt
        assert 0.1 <= bkt.prior <= 0.3
        assert 0.1 <= bkt.learn <= 0.25
        assert 0.1 <= bkt.guess <= 0.25
        assert 0.05 <= bkt.slip <= 0.15
        assert bkt.forget == 0.0
        assert bkt.guess + bkt.slip < 1


def test_items_render_and_their_difficulty_follows_level_and_depth() -> None:
    course = demo_course()
    for item in course.items.values():
        template, level = parse_content(item.content)
        assert template == item.skill_ids[0]
        assert item.item_id == f"{template}/{level}"
        question = render(item.content, 0)
        assert question.check(question.answer)
        assert 0.8 <= item.irt.a <= 2.0
        assert -3.0 <= item.irt.b <= 3.0
        assert item.irt.c == (0.25 if question.kind == "comparison" else 0.0)
    for sid in course.skills:
        bs = [course.items[f"{sid}/{level}"].irt.b for level in (1, 2, 3)]
        assert bs == sorted(bs) and bs[0] < bs[2]
    assert course.items["place-value/1"].irt.b == pytest.approx(-2.5, abs=0.1)
    assert course.items["systems/3"].irt.b == pytest.approx(2.5, abs=0.1)
    for sid, skill in course.skills.items():
        for pre in skill.prerequisites:
            assert course.items[f"{pre}/2"].irt.b < course.items[f"{sid}/2"].irt.b


def test_a_few_items_exercise_two_skills() -> None:
    course = demo_course()
    shared = [i for i in course.items.values() if len(i.skill_ids) == 2]
    assert 4 <= len(shared) <= 6
    for item in shared:
        primary, second = item.skill_ids
        assert item in course.items_for(second)
        # The second skill is one the first builds on, so crediting it is fair.
        assert second in _ancestors(course, primary)


def _ancestors(course: Course, sid: str) -> set[str]:
    found: set[str] = set()
    stack = list(course.skills[sid].prerequisites)
    while stack:
        pre = stack.pop()
        if pre not in found:
            found.add(pre)
            stack.extend(course.skills[pre].prerequisites)
    return found


def test_mastery_policy() -> None:
    assert demo_course().mastery == MasteryPolicy(
        threshold=0.95, min_attempts=3, consecutive_correct=2
    )


def test_demo_json_round_trips_through_text() -> None:
    data = demo_course_json()
    parsed = course_from_json(json.loads(json.dumps(data)))
    assert parsed == demo_course()
    assert course_to_json(parsed) == data
    assert set(data) == {"course_id", "title", "mastery", "skills", "items"}
    assert set(data["skills"][0]) == {"skill_id", "name", "bkt", "prerequisites"}
    assert set(data["items"][0]) == {"item_id", "skill_ids", "irt", "content"}


def test_demo_json_is_a_fresh_copy() -> None:
    demo_course_json()["skills"].clear()
    assert len(demo_course_json()["skills"]) == len(demo_course().skills)


def _broken(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(demo_course_json())
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["skills"][0].pop("skill_id"), "course.skills[0].skill_id"),
        (lambda d: d["skills"][3]["bkt"].update(prior=1.5), "course.skills[3].bkt.prior"),
        (lambda d: d["skills"][3]["bkt"].update(slip="0.1"), "course.skills[3].bkt.slip"),
        (lambda d: d["skills"][3]["bkt"].update(guess=True), "course.skills[3].bkt.guess"),
        (lambda d: d["skills"][3]["bkt"].update(lern=0.2), "course.skills[3].bkt.lern"),
        (lambda d: d["skills"][0].update(prerequisites=["systems"]), "course.skills.prerequisites"),
        (
            lambda d: d["skills"][2].update(prerequisites="whole-add"),
            "course.skills[2].prerequisites",
        ),
        (lambda d: d["skills"][2].update(prerequisites=[1]), "course.skills[2].prerequisites[0]"),
        (lambda d: d["skills"][2].update(prerequisites=["nope"]), "course.skills[2].prerequisites"),
        (lambda d: d["skills"].append(d["skills"][0]), "course.skills[47].skill_id"),
        (lambda d: d.pop("course_id"), "course.course_id"),
        (lambda d: d.update(items={}), "course.items"),
        (lambda d: d["mastery"].update(min_attempts=2.5), "course.mastery.min_attempts"),
        (lambda d: d["mastery"].update(threshold=0), "course.mastery.threshold"),
        (lambda d: d["items"][5]["irt"].pop("a"), "course.items[5].irt.a"),
        (lambda d: d["items"][5]["irt"].update(c=1.0), "course.items[5].irt.c"),
        (lambda d: d["items"][5].update(skill_ids=["nope"]), "course.items[5].skill_ids"),
        (lambda d: d["items"].__setitem__(5, None), "course.items[5]"),
    ],
)
def test_bad_json_names_the_field(change: Any, field: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        course_from_json(_broken(change))
    assert info.value.field == field


def test_cycle_is_reported_as_a_cycle() -> None:
    with pytest.raises(InvalidInputError, match="cycle"):
        course_from_json(_broken(lambda d: d["skills"][0].update(prerequisites=["systems"])))


def test_non_object_course_is_rejected() -> None:
    with pytest.raises(InvalidInputError) as info:
        course_from_json([])
    assert info.value.field == "course"


probability = st.floats(0.0, 0.45, allow_nan=False)


@st.composite
def courses(draw: st.DrawFn) -> Course:
    """Small random valid courses, with per-skill mastery overrides now and then."""
    count = draw(st.integers(1, 6))
    skills = []
    for n in range(count):
        earlier = [f"s{k}" for k in range(n)]
        override = draw(
            st.none()
            | st.builds(
                MasteryPolicy,
                threshold=st.floats(0.5, 1.0),
                min_attempts=st.integers(0, 5),
                consecutive_correct=st.integers(0, 5),
            )
        )
        skills.append(
            Skill(
                skill_id=f"s{n}",
                name=draw(st.text(max_size=10)),
                bkt=BktParams(
                    prior=draw(probability),
                    learn=draw(probability),
                    guess=draw(probability),
                    slip=draw(probability),
                    forget=draw(probability),
                ),
                prerequisites=tuple(draw(st.lists(st.sampled_from(earlier), unique=True)))
                if earlier
                else (),
                mastery=override,
            )
        )
    items = [
        Item(
            item_id=f"i{n}",
            skill_ids=tuple(
                draw(
                    st.lists(
                        st.sampled_from([s.skill_id for s in skills]),
                        min_size=1,
                        max_size=2,
                        unique=True,
                    )
                )
            ),
            irt=IrtParams(a=draw(st.floats(0.1, 3.0)), b=draw(st.floats(-4, 4)), c=0.0),
            content=draw(st.text(max_size=10)),
        )
        for n in range(draw(st.integers(0, 5)))
    ]
    return build_course("c", skills, items, title=draw(st.text(max_size=10)))


@given(courses())
def test_any_course_round_trips(course: Course) -> None:
    data = course_to_json(course)
    assert course_from_json(json.loads(json.dumps(data))) == course
