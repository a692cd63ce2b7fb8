"""The GIFT importer (issue 13): each question type maps exactly, escapes, categories as
skills, skipped types and malformed questions located, and no text makes it raise."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attune.content.importers.gift import import_gift
from attune.content.importers.result import ImportResult
from attune.content.model import Choice, ContentItem, NumericAnswer, TextAnswer
from attune.content.package.problems import Problem
from attune.content.package.semantics import Placed, check_items, check_skills

SAMPLE = Path(__file__).resolve().parents[2] / "tests" / "data" / "gift" / "quiz.gift"


def _one(text: str) -> ContentItem:
    result = import_gift(text, course_id="c", title="T")
    assert result.problems == () and result.skipped == ()
    assert result.package is not None and len(result.package.items) == 1
    return result.package.items[0]


def _problems(text: str) -> list[tuple[str, str, str]]:
    result = import_gift(text, course_id="c", title="T")
    return [(p.where, p.field, p.message) for p in result.problems]


@pytest.fixture(scope="module")
def sample() -> ImportResult:
    return import_gift(SAMPLE.read_text(encoding="utf-8"), course_id="gift-1", title="Sample")


def test_sample_imports_every_supported_question(sample: ImportResult) -> None:
    assert sample.package is not None
    assert (sample.package.course_id, sample.package.title) == ("gift-1", "Sample")
    assert [(i.item_id, i.type) for i in sample.package.items] == [
        ("half-plus-quarter", "choice"),
        ("equivalent-halves", "multiple_response"),
        ("bigger-half", "choice"),
        ("unit-fraction", "choice"),
        ("pi", "numeric"),
        ("between", "numeric"),
        ("grant", "numeric"),
        ("word", "text_entry"),
        ("escapes", "text_entry"),
        ("markdown", "choice"),
        ("after-broken", "choice"),
    ]


def test_sample_package_passes_the_package_validator(sample: ImportResult) -> None:
    package = sample.package
    assert package is not None
    items = [Placed("quiz.gift", i.item_id, i) for i in package.items]
    skills = [Placed("quiz.gift", s.skill_id, s) for s in package.skills]
    assert list(check_items(items, {s.skill_id for s in package.skills}, ())) == []
    assert list(check_skills(skills, ())) == []


def test_sample_skipped_and_malformed_are_located(sample: ImportResult) -> None:
    assert [(p.file, p.where, p.field) for p in sample.skipped] == [
        ("quiz.gift", "question 11 (Matching) at line 38", ""),
        ("quiz.gift", "question 12 (Missing word) at line 40", ""),
        ("quiz.gift", "question 13 (Essay) at line 42", ""),
        ("quiz.gift", "question 14 (Description) at line 44", ""),
    ]
    assert [p.message.split(":")[0] for p in sample.skipped] == [
        "a matching question",
        "a missing-word question (text after the answers)",
        "an essay question",
        "a description (no answers)",
    ]
    assert sample.problems == (
        Problem(
            "quiz.gift",
            "question 15 (Broken) at line 46",
            "answers",
            "the '{' on line 46 is never closed",
        ),
    )


def test_multiple_choice_with_feedback_and_general_feedback() -> None:
    item = _one("::Q:: Pick {=right #Yes. ~wrong #No. ~other ####Think.}")
    assert item == ContentItem(
        "q",
        "choice",
        "Pick",
        ("general",),
        choices=(
            Choice("a", "right", True, "Yes."),
            Choice("b", "wrong", False, "No."),
            Choice("c", "other", False, ""),
        ),
        general_feedback_html="Think.",
    )


def test_several_positive_weights_make_multiple_response_with_partial_credit() -> None:
    item = _one("Pick the evens {~%50%2 ~%50%4 ~%-100%3 ~5}")
    assert item.type == "multiple_response" and item.partial_credit
    assert item.choices == (
        Choice("a", "2", True, "", 0.5),
        Choice("b", "4", True, "", 0.5),
        Choice("c", "3", False, "", -1.0),
        Choice("d", "5", False, "", 0.0),
    )


def test_one_right_answer_with_a_negative_wrong_one_stays_single_choice() -> None:
    item = _one("Pick {=a ~%-50%b}")
    assert item.type == "choice" and not item.partial_credit
    assert [(c.correct, c.weight) for c in item.choices] == [(True, None), (False, None)]


@pytest.mark.parametrize(
    ("answers", "truth", "true_feedback", "false_feedback"),
    [
        ("{T}", True, "", ""),
        ("{TRUE#wrong fb#right fb}", True, "right fb", "wrong fb"),
        ("{F}", False, "", ""),
        ("{FALSE#wrong fb#right fb}", False, "wrong fb", "right fb"),
    ],
)
def test_true_false_with_feedback(
    answers: str, truth: bool, true_feedback: str, false_feedback: str
) -> None:
    item = _one(f"The sky is green. {answers}")
    assert item.type == "choice"
    assert item.choices == (
        Choice("true", "True", truth, true_feedback),
        Choice("false", "False", not truth, false_feedback),
    )


def test_short_answer_all_right_answers_become_text_answers() -> None:
    item = _one("Two plus two? {=four =4 =%50%for #Spelling.}")
    assert item.type == "text_entry"
    assert item.text_answers == (
        TextAnswer("four"),
        TextAnswer("4"),
        TextAnswer("for", score=0.5, feedback_html="Spelling."),
    )


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ("{#3.14:0.01}", (NumericAnswer(3.14, 0.01),)),
        ("{#3.14}", (NumericAnswer(3.14, 0.0),)),
        ("{#1..5}", (NumericAnswer(3.0, 2.0),)),
        ("{#-2..-1#Negative.}", (NumericAnswer(-1.5, 0.5, feedback_html="Negative."),)),
        (
            "{#=3.14:0.01 =%50%3:1 #Rough.}",
            (NumericAnswer(3.14, 0.01), NumericAnswer(3.0, 1.0, score=0.5, feedback_html="Rough.")),
        ),
    ],
)
def test_numerical_answers(answers: str, expected: tuple[NumericAnswer, ...]) -> None:
    item = _one(f"Pi? {answers}")
    assert item.type == "numeric"
    assert item.numeric_answers == expected


def test_escapes_are_literal_characters() -> None:
    item = _one(r"::A\:B:: Is 1 \= 1 \{ really \}? {=yes \# sure ~no \~ way #fb \: here}")
    assert item.item_id == "a-b"
    assert item.stem_html == "Is 1 = 1 { really }?"
    assert [(c.html, c.feedback_html) for c in item.choices] == [
        ("yes # sure", ""),
        ("no ~ way", "fb : here"),
    ]


def test_newline_escape_keeps_latex_commands() -> None:
    item = _one(r"Line one\nLine two \(a \neq b\) $$\nabla f$$ \nend {T}")
    assert item.stem_html == "Line one\nLine two \\(a \\neq b\\) $$\\nabla f$$ \nend"


def test_formats_plain_html_markdown() -> None:
    assert _one("[plain] a < b {T}").stem_html == "a &lt; b"
    assert _one("[html] <i>a</i> {T}").stem_html == "<i>a</i>"
    assert _one("[markdown] *a* {T}").stem_html == "<em>a</em>"


def test_categories_become_skills_from_the_last_segment() -> None:
    text = (
        "Before any category {T}\n\n"
        "$CATEGORY: $course$/top/Fractions/Adding Halves\n\n"
        "First {T}\n\n"
        "$CATEGORY: Decimals\n"
        "Second {F}\n\n"
        "Third {F}\n"
    )
    result = import_gift(text, course_id="c", title="T")
    assert result.package is not None
    assert [(s.skill_id, s.name) for s in result.package.skills] == [
        ("general", "General"),
        ("adding-halves", "Adding Halves"),
        ("decimals", "Decimals"),
    ]
    assert [i.skill_ids for i in result.package.items] == [
        ("general",),
        ("adding-halves",),
        ("decimals",),
        ("decimals",),
    ]
    assert [i.item_id for i in result.package.items] == ["q1", "q2", "q3", "q4"]


def test_comments_are_ignored_and_lines_counted() -> None:
    result = import_gift("// a comment\n\n// another\n::Bad:: Q {~a ~b}", course_id="c", title="T")
    assert [(p.where, p.field) for p in result.problems] == [
        ("question 1 (Bad) at line 4", "answers")
    ]
    assert "no answer is right" in result.problems[0].message


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("::Open title Q {T}", "title", "never closed"),
        ("{T}", "stem", "no question text"),
        ("Q {=a {b}", "answers", "unescaped '{'"),
        ("Q {=}", "answers[0]", "an empty answer"),
        ("Q {~%150%a =b}", "answers[0].weight", "outside"),
        ("Q {#abc}", "answers[0]", "is not a number"),
        ("Q {#5..1}", "answers[0]", "runs backwards"),
        ("Q {#1:-1}", "answers[0]", "negative tolerance"),
        ("Q {#1e400}", "answers[0]", "too large"),
        ("Q {=%0%a}", "answers", "no answer earns credit"),
        ("Q {~a}", "answers", "at least two answers"),
        ("Q {maybe}", "answers", "not answers GIFT knows"),
    ],
)
def test_malformed_questions_are_located_problems(text: str, field: str, message: str) -> None:
    found = _problems(text)
    assert len(found) == 1
    where, got_field, got_message = found[0]
    assert where.startswith("question 1") and where.endswith("at line 1")
    assert got_field == field
    assert message in got_message


def test_duplicate_titles_get_distinct_ids() -> None:
    result = import_gift("::Same:: A {T}\n\n::Same:: B {F}", course_id="c", title="T")
    assert result.package is not None
    assert [i.item_id for i in result.package.items] == ["same", "same-q2-1"]


def test_no_questions_is_a_problem_and_no_package() -> None:
    result = import_gift("// only a comment\n\n", course_id="c", title="T")
    assert result.package is None
    assert result.problems == (Problem("quiz.gift", "", "", "no questions"),)


def test_only_skipped_questions_give_no_package() -> None:
    result = import_gift("Essay {}\n\nA description", course_id="c", title="T", file="x.gift")
    assert result.package is None and result.problems == ()
    assert [p.where for p in result.skipped] == [
        "question 1 at line 1",
        "question 2 at line 3",
    ]
    assert {p.file for p in result.skipped} == {"x.gift"}


GIFT_ALPHABET = st.sampled_from(
    [*"~=#{}:\\%$/ \n\tTFaz019.-[]>", "::", "//", "####", "\r\n", "\\n", "\\("]
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(), st.lists(GIFT_ALPHABET, max_size=60).map("".join)))
def test_any_text_gives_an_import_result(text: str) -> None:
    result = import_gift(text, course_id="c", title="T")
    assert isinstance(result, ImportResult)
    assert result.package is None or result.package.items
    for problem in (*result.problems, *result.skipped):
        assert problem.file == "quiz.gift"


def test_package_validator_problems_leave_the_item_out() -> None:
    text = '::Img::[html] Which? <img src="media/a.png" alt="A"> {T}\n\n::Ok:: Fine {T}'
    result = import_gift(text, course_id="c", title="T")
    assert [(p.where, p.field) for p in result.problems] == [("question 1 (Img) at line 1", "stem")]
    assert "'media/a.png' is not in the package" in result.problems[0].message
    assert result.package is not None
    assert [i.item_id for i in result.package.items] == ["ok"]
