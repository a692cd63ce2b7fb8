"""Course validation: every bad course is refused with the field named."""

from __future__ import annotations

import pytest

from attune.engine.domain.bkt import BktParams
from attune.engine.domain.course import Item, MasteryPolicy, Skill, build_course
from attune.engine.domain.errors import InvalidInputError
from attune.engine.domain.graph import find_cycle, topological_order


def _skills(*edges: tuple[str, tuple[str, ...]]) -> list[Skill]:
    return [Skill(skill_id=s, prerequisites=pre) for s, pre in edges]


def test_cycle_is_refused_and_named() -> None:
    skills = _skills(("a", ()), ("b", ("a", "d")), ("c", ("b",)), ("d", ("c",)))
    with pytest.raises(InvalidInputError) as err:
        build_course("c1", skills, [Item("i", ("a",))])
    assert err.value.field == "course.skills.prerequisites"
    message = str(err.value)
    assert "cycle" in message
    for node in ("b", "c", "d"):
        assert node in message
    assert "a ->" not in message


def test_self_prerequisite_is_a_cycle() -> None:
    with pytest.raises(InvalidInputError, match="cycle: a -> a"):
        build_course("c1", _skills(("a", ("a",))), [])


def test_find_cycle_returns_a_closed_path() -> None:
    cycle = find_cycle({"x": ["y"], "y": ["z"], "z": ["x"]})
    assert cycle[0] == cycle[-1]
    assert set(cycle) == {"x", "y", "z"}
    assert find_cycle({"x": ["y"], "y": []}) == []


def test_topological_order_puts_prerequisites_first() -> None:
    order = topological_order({"c": ["b"], "b": ["a"], "a": [], "d": ["a", "c"]})
    assert order.index("a") < order.index("b") < order.index("c") < order.index("d")


@pytest.mark.parametrize(
    ("skills", "items", "mastery", "field"),
    [
        ([Skill("a", bkt=BktParams(prior=1.2))], [], None, "course.skills[0].bkt.prior"),
        ([Skill("a", bkt=BktParams(guess=0.5, slip=0.5))], [], None, "course.skills[0].bkt.guess"),
        ([Skill("a")], [Item("i", ())], None, "course.items[0].skill_ids"),
        ([Skill("a")], [Item("i", ("zz",))], None, "course.items[0].skill_ids"),
        ([Skill("a"), Skill("a")], [], None, "course.skills[1].skill_id"),
        ([Skill("")], [], None, "course.skills[0].skill_id"),
        ([Skill("a", prerequisites=("q",))], [], None, "course.skills[0].prerequisites"),
        ([Skill("a")], [], MasteryPolicy(threshold=1.5), "course.mastery.threshold"),
        ([Skill("a")], [Item("i", ("a",)), Item("i", ("a",))], None, "course.items[1].item_id"),
    ],
)
def test_bad_courses_name_the_field(
    skills: list[Skill], items: list[Item], mastery: MasteryPolicy | None, field: str
) -> None:
    with pytest.raises(InvalidInputError) as err:
        build_course("c1", skills, items, mastery)
    assert err.value.field == field


def test_valid_course_indexes_items_by_skill() -> None:
    course = build_course(
        "c1",
        _skills(("a", ()), ("b", ("a",))),
        [Item("i1", ("a",)), Item("i2", ("a", "b")), Item("i3", ("b",))],
    )
    assert [i.item_id for i in course.items_for("a")] == ["i1", "i2"]
    assert [i.item_id for i in course.items_for("b")] == ["i2", "i3"]
    assert course.order == ("a", "b")
    assert course.dependants("a") == ("b",)
