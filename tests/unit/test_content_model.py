"""The shared item model (issue 13): frozen values, defaults as model.md states them."""

from __future__ import annotations

import dataclasses

import pytest

from attune.content.model import (
    CHOICE_TYPES,
    ITEM_TYPES,
    Choice,
    ContentItem,
    ContentSkill,
    CoursePackage,
    NumericAnswer,
)


def _package(media: dict[str, bytes]) -> CoursePackage:
    item = ContentItem(
        item_id="i1",
        type="choice",
        stem_html="<p>2+2?</p>",
        skill_ids=("add",),
        choices=(Choice("a", "4", correct=True), Choice("b", "5")),
    )
    skills = (ContentSkill("add", "Addition"),)
    return CoursePackage("c", "Course", "1", skills, (item,), media=media)


def test_item_types_are_the_seven_of_the_model() -> None:
    assert ITEM_TYPES == (
        "choice",
        "multiple_response",
        "text_entry",
        "numeric",
        "inline_choice",
        "math",
        "extended_text",
    )
    assert CHOICE_TYPES.issubset(ITEM_TYPES) and len(CHOICE_TYPES) == 3


def test_values_are_frozen() -> None:
    answer = NumericAnswer(3.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        answer.value = 4.0  # type: ignore[misc]
    assert (answer.tolerance, answer.tolerance_mode, answer.units, answer.score) == (
        0.0,
        "absolute",
        (),
        1.0,
    )


def test_media_bytes_take_no_part_in_equality_and_lookups_work() -> None:
    a, b = _package({"media/x.png": b"1"}), _package({})
    assert a == b and hash(a) == hash(b)
    assert a.skill("add") == ContentSkill("add", "Addition") and a.skill("nope") is None
    found = a.item("i1")
    assert found is not None and found.choices[0].correct and a.item("i2") is None
