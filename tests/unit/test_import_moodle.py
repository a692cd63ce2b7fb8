"""The Moodle XML importer: each question type maps exactly, media, skipped types, hostile XML."""

from __future__ import annotations

import base64
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attune.content.importers.moodle_xml import import_moodle_xml
from attune.content.importers.result import ImportResult
from attune.content.model import (
    Choice,
    ContentItem,
    CoursePackage,
    Media,
    NumericAnswer,
    TextAnswer,
)
from attune.content.package.semantics import Placed, check_items, check_skills

QUIZ = Path(__file__).resolve().parents[1] / "data" / "moodle" / "quiz.xml"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg=="
)


def _import(data: bytes) -> ImportResult:
    return import_moodle_xml(data, course_id="moodle-1", title="Imported", file="quiz.xml")


@pytest.fixture(scope="module")
def result() -> ImportResult:
    return _import(QUIZ.read_bytes())


@pytest.fixture(scope="module")
def package(result: ImportResult) -> CoursePackage:
    assert result.package is not None
    return result.package


def _item(package: CoursePackage, prefix: str) -> ContentItem:
    (item,) = [item for item in package.items if item.item_id.startswith(prefix)]
    return item


def test_single_multichoice_maps_choices_feedback_hints_tags_and_media(
    package: CoursePackage,
) -> None:
    item = _item(package, "half-of-eight-")
    assert item.type == "choice" and not item.partial_credit
    assert item.choices == (
        Choice("a", "4", True, "Right: 8 / 2 = 4."),
        Choice("b", "4.0 (rounded)", False, "Close."),
        Choice("c", "16", False, "That doubles it."),
    )
    assert item.hints_html == ("Split 8 into two equal groups.", "Count one group.")
    assert item.general_feedback_html == "<p>Half means two equal parts.</p>"
    assert item.skill_ids == ("halves", "mental-arithmetic")
    assert 'src="media/red-square.png" alt="A small red square"' in item.stem_html
    assert item.media == (Media("media/red-square.png", "image/png", "A small red square"),)
    assert package.media == {"media/red-square.png": PNG}


def test_multiple_multichoice_scores_by_fraction_weights(package: CoursePackage) -> None:
    item = _item(package, "even-numbers-")
    assert item.type == "multiple_response" and item.partial_credit
    assert [(c.html, c.correct, c.weight, c.feedback_html) for c in item.choices] == [
        ("2", True, 0.5, "Yes."),
        ("10", True, 0.5, ""),
        ("7", False, -1.0, "7 is odd."),
    ]
    # plain_text is escaped; the category question gives the untagged question its skill.
    assert item.stem_html == "Which are even? Pick all that apply &amp; check twice."
    assert item.skill_ids == ("fractions-decimals",)


def test_truefalse_is_a_choice_between_true_and_false(package: CoursePackage) -> None:
    item = _item(package, "quarter-is-smaller-")
    assert item.type == "choice"
    assert item.choices == (
        Choice("true", "True", True, "Yes: 1/4 < 1/2."),
        Choice("false", "False", False, "Compare 1/4 with 2/4."),
    )


def test_shortanswer_keeps_case_scores_feedback_and_literal_stars(package: CoursePackage) -> None:
    item = _item(package, "capital-of-france-")
    assert item.type == "text_entry"
    assert item.text_answers == (
        TextAnswer("Paris", True, score=1.0, feedback_html="Correct."),
        TextAnswer("paris", True, score=0.5, feedback_html="Capital letters, please."),
        TextAnswer("Lyon", True, score=0.0, feedback_html="Lyon is the third largest city."),
        TextAnswer("P*ris", True, score=1.0),
    )
    assert item.skill_ids == ("geography",)


def test_numerical_maps_tolerance_units_and_scaled_units(package: CoursePackage) -> None:
    item = _item(package, "length-of-the-bench-")
    assert item.type == "numeric"
    assert item.numeric_answers == (
        NumericAnswer(1.5, 0.1, "absolute", ("m",), 1.0, "Good estimate."),
        NumericAnswer(150.0, 10.0, "absolute", ("cm",), 1.0, "Good estimate."),
        NumericAnswer(2.0, 0.0, "absolute", ("m",), 0.5, ""),
        NumericAnswer(200.0, 0.0, "absolute", ("cm",), 0.5, ""),
    )
    assert item.hints_html == ("A metre is 100 cm.",)
    assert item.general_feedback_html == "Measure from end to end."


def test_skills_are_one_per_distinct_tag_or_category(package: CoursePackage) -> None:
    assert {(s.skill_id, s.name, s.prerequisites) for s in package.skills} == {
        ("fractions-decimals", "Fractions/Decimals", ()),
        ("geography", "Geography", ()),
        ("halves", "Halves", ()),
        ("mental-arithmetic", "Mental arithmetic", ()),
    }


def test_unsupported_types_and_features_are_skipped_and_located(result: ImportResult) -> None:
    skipped = {(p.where, p.field) for p in result.skipped}
    assert skipped == {
        ("question 2 (Half of eight)", "answer[2]/@fraction"),
        ("question 5 (Capital of France)", "answer[4]/text"),
        ("question 6 (Length of the bench)", "answer[3]/text"),
        ("question 7 (Fill the gaps)", "@type"),
        ("question 8 (Explain fractions)", "@type"),
    }
    assert all(p.file == "quiz.xml" for p in result.skipped)
    assert "unsupported question type 'cloze'" in {p.message for p in result.skipped}


def test_a_malformed_question_is_a_located_problem_and_left_out(result: ImportResult) -> None:
    (problem,) = result.problems
    assert (problem.file, problem.where, problem.field) == (
        "quiz.xml",
        "question 9 (Broken fraction)",
        "answer[1]/@fraction",
    )
    assert result.package is not None and len(result.package.items) == 5


def test_the_package_passes_the_validators_semantic_checks(package: CoursePackage) -> None:
    skills = [Placed("course", s.skill_id, s) for s in package.skills]
    items = [Placed("items", i.item_id, i) for i in package.items]
    skill_ids = {s.skill_id for s in package.skills}
    assert list(check_skills(skills, ())) == []
    assert list(check_items(items, skill_ids, set(package.media))) == []
    assert len({i.item_id for i in package.items}) == len(package.items)


def test_item_ids_are_stable_and_unique_for_repeated_names() -> None:
    question = (
        '<question type="truefalse"><name><text>Same</text></name>'
        "<questiontext><text>Q?</text></questiontext>"
        '<answer fraction="100"><text>true</text></answer>'
        '<answer fraction="0"><text>false</text></answer></question>'
    )
    data = f"<quiz>{question}{question}</quiz>".encode()
    first, again = _import(data), _import(data)
    assert first.package is not None and again.package is not None
    ids = [item.item_id for item in first.package.items]
    assert ids == [item.item_id for item in again.package.items]
    assert len(set(ids)) == 2 and all(i.startswith("same-") for i in ids)
    assert first.package.skills[0].skill_id == "general"


@pytest.mark.parametrize(
    ("data", "where", "message"),
    [
        (b"<quiz><question></quiz>", "line 1, column 19", "not well-formed XML: mismatched tag"),
        (b"", "line 1, column 1", "not well-formed XML: no element found"),
        (b"<questions/>", "", "the root element is <questions>, not <quiz>"),
    ],
)
def test_malformed_xml_is_a_problem_not_an_exception(data: bytes, where: str, message: str) -> None:
    result = _import(data)
    assert result.package is None and result.skipped == ()
    assert [(p.file, p.where, p.message) for p in result.problems] == [("quiz.xml", where, message)]


def test_a_billion_laughs_payload_is_refused_unexpanded() -> None:
    lol = b"".join(
        b'<!ENTITY l%d "&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;">'
        % ((i,) + (i - 1,) * 10)
        for i in range(1, 10)
    )
    data = b'<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY l0 "lol">' + lol + b"]><quiz>&l9;</quiz>"
    result = _import(data)
    assert result.package is None
    (problem,) = result.problems
    assert "DTD" in problem.message


def test_an_external_entity_is_refused() -> None:
    data = b'<!DOCTYPE quiz [<!ENTITY x SYSTEM "file:///etc/passwd">]><quiz>&x;</quiz>'
    result = _import(data)
    assert result.package is None and len(result.problems) == 1


def test_a_missing_image_or_alt_text_leaves_the_question_out() -> None:
    png = base64.b64encode(PNG).decode()
    data = (
        '<quiz><question type="truefalse"><name><text>Pic</text></name>'
        '<questiontext format="html"><text><![CDATA[<img src="@@PLUGINFILE@@/a.png">'
        '<img src="@@PLUGINFILE@@/gone.png" alt="x">]]></text>'
        f'<file name="a.png" encoding="base64">{png}</file></questiontext>'
        '<answer fraction="100"><text>true</text></answer>'
        '<answer fraction="0"><text>false</text></answer></question></quiz>'
    ).encode()
    result = _import(data)
    assert result.package is None
    messages = {(p.where, p.field, p.message) for p in result.problems}
    assert (
        "question 1 (Pic)",
        "questiontext/text",
        "the image 'a.png' has no alt text",
    ) in messages
    assert (
        "question 1 (Pic)",
        "questiontext/text",
        "'gone.png' is linked but not embedded in the file",
    ) in messages


def test_a_bad_course_id_is_refused() -> None:
    result = import_moodle_xml(QUIZ.read_bytes(), course_id="a b", title=" ")
    assert result.package is None
    assert {p.field for p in result.problems} == {"course_id", "title"}


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(lambda t: f"<quiz>{t}</quiz>".encode()))
def test_any_bytes_give_a_result_never_an_exception(data: bytes) -> None:
    result = _import(data)
    assert isinstance(result, ImportResult)
    assert result.package is not None or result.problems


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.sampled_from(["html", "plain_text", "markdown", "other"]))
def test_any_question_text_gives_a_result_never_an_exception(text: str, kind: str) -> None:
    stem = escape("".join(c for c in text if c.isprintable()))
    data = (
        f'<quiz><question type="truefalse"><questiontext format="{kind}"><text>{stem}</text>'
        '</questiontext><answer fraction="100"><text>true</text></answer>'
        '<answer fraction="0"><text>false</text></answer></question></quiz>'
    ).encode()
    result = _import(data)
    assert (result.package is None) == bool(result.problems)
