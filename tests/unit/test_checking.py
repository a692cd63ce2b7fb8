"""Answer checking on the server, per item type (issue 13): attune.content.checking."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from attune.content.checking import CheckResult, MathPool, Response, TextRules, check
from attune.content.checking.maths_input import MAX_MATHS_CHARS, screen
from attune.content.checking.numbers import read_number
from attune.content.model import (
    Choice,
    ContentItem,
    ItemType,
    MathAnswer,
    NumericAnswer,
    TextAnswer,
)


def item(kind: ItemType, **fields: object) -> ContentItem:
    return ContentItem(item_id="it-1", type=kind, stem_html="<p>?</p>", skill_ids=("s",), **fields)  # type: ignore[arg-type]


def text(value: str) -> Response:
    return Response(text=value)


def chose(*ids: str) -> Response:
    return Response(choice_ids=ids)


@pytest.fixture(scope="module")
def maths() -> Iterator[MathPool]:
    pool = MathPool(size=1, timeout_s=20.0)
    yield pool
    pool.close()


# --- text -----------------------------------------------------------------------------------

CAPITAL = item("text_entry", text_answers=(TextAnswer("Paris", feedback_html="<p>Yes.</p>"),))


@pytest.mark.parametrize("answer", ["Paris", "paris", "  PARIS ", "Paris.", "Ｐａｒｉｓ"])
def test_text_right_after_normalisation(answer: str) -> None:
    result = check(CAPITAL, text(answer))
    assert result == CheckResult(1.0, True, "<p>Yes.</p>", "matches an accepted answer")


@pytest.mark.parametrize("answer", ["Lyon", "Pariss", "", "   "])
def test_text_wrong(answer: str) -> None:
    result = check(CAPITAL, text(answer))
    assert (result.score, result.correct) == (0.0, False)


def test_text_case_sensitive_and_exact_whitespace() -> None:
    strict = item("text_entry", text_answers=(TextAnswer("NaCl", case_sensitive=True),))
    assert check(strict, text("NaCl")).correct
    assert not check(strict, text("nacl")).correct
    spaced = item("text_entry", text_answers=(TextAnswer("New York", normalise_whitespace=False),))
    assert check(spaced, text("new york")).correct
    assert not check(spaced, text("new   york")).correct
    collapsed = item("text_entry", text_answers=(TextAnswer("New York"),))
    assert check(collapsed, text("new \t  york")).correct


def test_text_rules_can_turn_off_nfkc_and_punctuation() -> None:
    rules = TextRules(nfkc=False, ignore_trailing_punctuation=False)
    assert not check(CAPITAL, text("Paris."), rules=rules).correct
    assert not check(CAPITAL, text("Ｐａｒｉｓ"), rules=rules).correct
    assert check(CAPITAL, text("paris"), rules=rules).correct


def test_text_best_scoring_match_and_its_feedback() -> None:
    graded = item(
        "text_entry",
        text_answers=(
            TextAnswer("colour", score=0.5, feedback_html="half"),
            TextAnswer("COLOUR", case_sensitive=True, score=1.0, feedback_html="full"),
            TextAnswer("color", score=0.0, feedback_html="<p>British spelling, please.</p>"),
        ),
    )
    assert check(graded, text("COLOUR")) == CheckResult(
        1.0, True, "full", "matches an accepted answer"
    )
    assert check(graded, text("colour")).score == 0.5
    wrong_with_feedback = check(graded, text("color"))
    assert (wrong_with_feedback.score, wrong_with_feedback.feedback_html) == (
        0.0,
        "<p>British spelling, please.</p>",
    )


# --- numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "value", "unit"),
    [
        ("1,000.5", 1000.5, ""),
        ("1e3", 1000.0, ""),
        ("\u22123", -3.0, ""),
        ("3/4", 0.75, ""),
        ("-1 1/2", -1.5, ""),
        ("1.000,5", 1000.5, ""),
        ("3,5", 3.5, ""),
        ("1,000", 1000.0, ""),
        (".5", 0.5, ""),
        ("3\u00d710^8 m/s", 3e8, "m/s"),
        ("9.81m/s^2", 9.81, "m/s^2"),
        ("2.5E-4 \u00b5F", 2.5e-4, "\u03bcF"),
        ("\uff14\uff12", 42.0, ""),
    ],
)
def test_numbers_read_whatever_the_locale(typed: str, value: float, unit: str) -> None:
    read = read_number(typed)
    assert read is not None
    assert (read.value, read.unit) == (pytest.approx(value), unit)


@pytest.mark.parametrize("typed", ["abc", "1/0", "1e99999", "12,34,5", "1..2", "", "nan", "inf"])
def test_unreadable_numbers(typed: str) -> None:
    assert read_number(typed) is None


# --- numeric --------------------------------------------------------------------------------


def numeric(*answers: NumericAnswer) -> ContentItem:
    return item("numeric", numeric_answers=answers)


@pytest.mark.parametrize(
    ("typed", "right"),
    [("10.5", True), ("9.5", True), ("10", True), ("10.5000001", False), ("9.4999999", False)],
)
def test_absolute_tolerance_edges(typed: str, right: bool) -> None:
    assert check(numeric(NumericAnswer(10.0, tolerance=0.5)), text(typed)).correct is right


@pytest.mark.parametrize(
    ("typed", "right"), [("101", True), ("99", True), ("101.01", False), ("98.99", False)]
)
def test_relative_tolerance_edges(typed: str, right: bool) -> None:
    answer = NumericAnswer(100.0, tolerance=0.01, tolerance_mode="relative")
    assert check(numeric(answer), text(typed)).correct is right


def test_zero_tolerance_allows_float_rounding_only() -> None:
    exact = numeric(NumericAnswer(0.3))
    assert check(exact, text("0.3")).correct
    assert check(exact, text("0.30000000000000004")).correct
    assert not check(exact, text("0.3001")).correct


def test_numeric_wrong_and_unreadable() -> None:
    answer = numeric(NumericAnswer(42.0))
    assert check(answer, text("41")).score == 0.0
    unreadable = check(answer, text("forty-two"))
    assert (unreadable.score, unreadable.reason) == (0.0, "not a number")


def test_units_required_accepted_and_refused() -> None:
    g = numeric(NumericAnswer(9.81, tolerance=0.01, units=("m/s^2", "m s^-2")))
    assert check(g, text("9.81 m/s^2")).correct
    assert check(g, text("9.81 m s^-2")).correct
    assert check(g, text("9.81m/s^2")).correct
    missing = check(g, text("9.81"))
    assert (missing.score, missing.correct, missing.reason) == (0.0, False, "a unit is expected")
    assert "A unit is expected" in missing.feedback_html
    assert "m/s^2" in missing.feedback_html
    wrong_unit = check(g, text("9.81 km"))
    assert (wrong_unit.score, wrong_unit.reason) == (0.0, "this unit is not accepted")


def test_a_unit_where_none_is_expected_is_wrong() -> None:
    result = check(numeric(NumericAnswer(3.0)), text("3 apples"))
    assert (result.score, result.reason) == (0.0, "no unit is expected")


def test_the_unit_feedback_is_escaped() -> None:
    hostile = numeric(NumericAnswer(1.0, units=("<b>m</b>",)))
    assert "<b>" not in check(hostile, text("1")).feedback_html


def test_several_numeric_answers_the_best_match_wins() -> None:
    answers = numeric(
        NumericAnswer(9.81, tolerance=0.1, score=1.0, feedback_html="full"),
        NumericAnswer(10.0, tolerance=0.5, score=0.5, feedback_html="rounded"),
    )
    assert check(answers, text("9.8")) == CheckResult(1.0, True, "full", "within tolerance")
    assert check(answers, text("10.3")) == CheckResult(0.5, False, "rounded", "within tolerance")
    assert check(answers, text("12")).score == 0.0


# --- choices --------------------------------------------------------------------------------

SINGLE = item(
    "choice",
    choices=(
        Choice("a", "2", feedback_html="<p>Too small.</p>"),
        Choice("b", "4", correct=True, feedback_html="<p>Right.</p>"),
        Choice("c", "5"),
    ),
)


def test_single_choice_right_and_wrong_with_feedback_per_option() -> None:
    assert check(SINGLE, chose("b")) == CheckResult(1.0, True, "<p>Right.</p>", "option chosen")
    assert check(SINGLE, chose("a")) == CheckResult(
        0.0, False, "<p>Too small.</p>", "option chosen"
    )
    assert check(SINGLE, chose("c")).score == 0.0


@pytest.mark.parametrize(
    ("ids", "reason"),
    [((), "no option chosen"), (("a", "b"), "one option expected"), (("z",), "unknown option 'z'")],
)
def test_single_choice_malformed_answers_are_wrong(ids: tuple[str, ...], reason: str) -> None:
    result = check(SINGLE, chose(*ids))
    assert (result.score, result.reason) == (0.0, reason)


def test_inline_choice_by_id_or_text() -> None:
    inline = item("inline_choice", choices=(Choice("is", "is", correct=True), Choice("are", "are")))
    assert check(inline, chose("is")).correct
    assert check(inline, text("is")).correct
    assert not check(inline, chose("are")).correct


MULTI_OPTIONS = (
    Choice("a", "2", correct=True, feedback_html="[a]"),
    Choice("b", "3", correct=True, feedback_html="[b]"),
    Choice("c", "4", feedback_html="[c]"),
    Choice("d", "9"),
)


def test_multiple_response_all_or_nothing() -> None:
    multi = item("multiple_response", choices=MULTI_OPTIONS)
    assert check(multi, chose("b", "a")) == CheckResult(1.0, True, "[a][b]", "options chosen")
    assert check(multi, chose("a")).score == 0.0
    assert check(multi, chose("a", "b", "c")).score == 0.0


@pytest.mark.parametrize(
    ("ids", "score"),
    [
        (("a",), 0.5),
        (("a", "b"), 1.0),
        (("a", "c"), 0.0),
        (("a", "b", "c"), 0.5),
        (("c", "d"), 0.0),
    ],
)
def test_multiple_response_partial_credit_default_weights(
    ids: tuple[str, ...], score: float
) -> None:
    multi = item("multiple_response", choices=MULTI_OPTIONS, partial_credit=True)
    assert check(multi, chose(*ids)).score == score


def test_multiple_response_partial_credit_by_weights_clamped() -> None:
    weighted = item(
        "multiple_response",
        partial_credit=True,
        choices=(
            Choice("a", "", correct=True, weight=1 / 3),
            Choice("b", "", correct=True, weight=1 / 3),
            Choice("c", "", correct=True, weight=1 / 3),
            Choice("d", "", weight=-1.0),
            Choice("e", "", correct=True, weight=1.0),
        ),
    )
    assert check(weighted, chose("a", "b", "c")) == CheckResult(1.0, True, "", "weighted")
    assert check(weighted, chose("a", "b", "c", "e")).score == 1.0  # clamped at 1
    assert check(weighted, chose("a", "d")).score == 0.0  # clamped at 0
    assert check(weighted, chose("a")).score == pytest.approx(1 / 3)


# --- maths ----------------------------------------------------------------------------------


def maths_item(expression: str) -> ContentItem:
    return item("math", math_answer=MathAnswer(expression))


@pytest.mark.parametrize(
    ("expected", "typed"),
    [
        ("2*x + 2", "2(x+1)"),
        ("1", "sin(x)^2+cos(x)^2"),
        ("x**2 + 2*x + 1", "(x+1)²"),
        ("x*y", "yx"),
        ("exp(x)", "e^x"),
        ("sqrt(8)", "2sqrt(2)"),
        ("x/2", "0.5x"),
        ("log(x)", "ln x"),
        ("-3*x", "\u22123x"),
    ],
)
def test_maths_equivalent_forms_are_right(maths: MathPool, expected: str, typed: str) -> None:
    result = check(maths_item(expected), text(typed), maths=maths)
    assert (result.score, result.correct) == (1.0, True), result.reason


@pytest.mark.parametrize("typed", ["2x+1", "x^2", "sin(x)", "2(x-1)"])
def test_maths_different_expressions_are_wrong(maths: MathPool, typed: str) -> None:
    result = check(maths_item("2*x + 2"), text(typed), maths=maths)
    assert (result.score, result.correct, result.reason) == (0.0, False, "not equivalent")


@pytest.mark.parametrize(
    "typed",
    [
        "__import__('os').system('true')",
        "x.__class__",
        "().__class__.__bases__",
        "lambda: 1",
        "Symbol('y')",
        "x = 2",
        "[x]",
        "2 +",
    ],
)
def test_maths_hostile_or_unreadable_input_is_wrong_not_run(maths: MathPool, typed: str) -> None:
    result = check(maths_item("x"), text(typed), maths=maths)
    assert (result.score, result.correct) == (0.0, False)
    assert result.reason


def test_maths_over_long_input_is_wrong_with_the_reason() -> None:
    result = check(maths_item("x"), text("x+" * MAX_MATHS_CHARS + "x"))  # never reaches a worker
    assert (result.score, result.correct) == (0.0, False)
    assert result.reason == f"answer too long (over {MAX_MATHS_CHARS} characters)"


def test_screening_rewrites_typed_symbols() -> None:
    assert screen("3\u00d7x\u00b2 \u2212 y\u00f72").text == "3*x^(2) - y/2"


@pytest.mark.parametrize("runaway", ["9^9^9", "factorial(10^9)"])
def test_a_runaway_check_hits_the_time_limit_and_is_unscored(runaway: str) -> None:
    pool = MathPool(size=1, timeout_s=1.0)
    try:
        with capture_logs() as logs:
            result = check(maths_item("x"), text(runaway), maths=pool)
        assert (result.score, result.correct) == (None, False)
        assert result.reason.startswith("checker error: MathTimeoutError: time limit")
        assert logs[0]["error"] == "MathTimeoutError"
        # the killed worker is replaced: the next check is scored
        assert check(maths_item("2*x"), text("x+x"), maths=pool).correct
    finally:
        pool.close()


def test_an_unreadable_answer_key_is_unscored(maths: MathPool) -> None:
    result = check(maths_item("2*x +"), text("2x"), maths=maths)
    assert result.score is None
    assert result.reason.startswith("checker error: MathCheckError: AnswerKeyError")


# --- errors are never the learner's fault ---------------------------------------------------


@pytest.mark.parametrize(
    "broken",
    [
        item("text_entry"),  # no accepted answer
        item("numeric", numeric_answers=(NumericAnswer(1.0, tolerance=-1.0),)),
        item("choice"),  # no options
        item("multiple_response", partial_credit=True, choices=(Choice("a", "", weight=7.0),)),
        item("math"),  # no maths answer
        item("numeric", numeric_answers=(NumericAnswer(1.0, score=float("nan")),)),
    ],
)
def test_a_checker_error_is_unscored_and_logged_without_the_whole_answer(
    broken: ContentItem,
) -> None:
    answer = "1" + "x" * 200 if broken.type != "numeric" else "1"
    response = Response(text=answer, choice_ids=("a",))
    with capture_logs() as logs:
        result = check(broken, response)
    assert (result.score, result.correct) == (None, False)
    assert result.reason.startswith("checker error: ")
    assert len(logs) == 1
    entry = logs[0]
    assert entry["event"] == "answer_check_failed"
    assert (entry["item_id"], entry["item_type"]) == ("it-1", broken.type)
    assert entry["error"] in {"ValueError", "TypeError"}
    assert entry["answer_prefix"] == answer[:64]


def test_extended_text_without_answers_is_unscored_without_an_error() -> None:
    with capture_logs() as logs:
        result = check(item("extended_text"), text("An essay."))
    assert result.score is None
    assert logs == []


# --- properties -----------------------------------------------------------------------------

OPTION_IDS = st.sampled_from(["a", "b", "c", "d", "zz"])
WEIGHTS = st.one_of(st.none(), st.floats(-1.0, 1.0))
CHOICES = st.lists(
    st.builds(
        Choice,
        id=st.sampled_from(["a", "b", "c", "d"]),
        html=st.just(""),
        correct=st.booleans(),
        weight=WEIGHTS,
    ),
    min_size=1,
    max_size=4,
    unique_by=lambda c: c.id,
)
ANY_ITEM = st.one_of(
    st.builds(
        item,
        st.sampled_from(["choice", "multiple_response", "inline_choice"]),
        choices=CHOICES.map(tuple),
        partial_credit=st.booleans(),
    ),
    st.builds(
        item,
        st.just("text_entry"),
        text_answers=st.lists(
            st.builds(
                TextAnswer,
                value=st.text(max_size=20),
                case_sensitive=st.booleans(),
                normalise_whitespace=st.booleans(),
                score=st.floats(-2, 2),
            ),
            min_size=1,
            max_size=3,
        ).map(tuple),
    ),
    st.builds(
        item,
        st.just("numeric"),
        numeric_answers=st.lists(
            st.builds(
                NumericAnswer,
                value=st.floats(-1e6, 1e6),
                tolerance=st.floats(0, 10),
                tolerance_mode=st.sampled_from(["absolute", "relative"]),
                units=st.sampled_from([(), ("m",), ("kg", "g")]),
                score=st.floats(0, 1),
            ),
            min_size=1,
            max_size=3,
        ).map(tuple),
    ),
)
RESPONSES = st.builds(
    Response, text=st.text(max_size=60), choice_ids=st.lists(OPTION_IDS, max_size=5).map(tuple)
)


@settings(max_examples=300)
@given(ANY_ITEM, RESPONSES)
def test_a_score_is_in_0_1_or_none_and_check_never_raises(
    content: ContentItem, response: Response
) -> None:
    result = check(content, response)
    assert result.score is None or 0.0 <= result.score <= 1.0
    assert result.correct == (result.score == 1.0)


@given(
    st.text(min_size=1, max_size=40).filter(str.strip),  # a blank key is invalid content
    st.booleans(),
    st.booleans(),
)
def test_an_accepted_answers_exact_text_scores_1(value: str, case: bool, spaces: bool) -> None:
    content = item(
        "text_entry",
        text_answers=(TextAnswer(value, case_sensitive=case, normalise_whitespace=spaces),),
    )
    assert check(content, text(value)).score == 1.0


@given(st.floats(-1e12, 1e12, allow_nan=False), st.sampled_from([(), ("m",)]))
def test_a_numeric_answers_own_value_scores_1(value: float, units: tuple[str, ...]) -> None:
    content = numeric(NumericAnswer(value, units=units))
    typed = repr(value) + (" m" if units else "")
    assert check(content, text(typed)).score == 1.0


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=40))
def test_maths_never_raises_on_any_string(maths: MathPool, typed: str) -> None:
    result = check(maths_item("x^2 + 1"), text(typed), maths=maths)
    assert result.score in (0.0, 1.0, None)


def test_importing_the_checkers_loads_no_sympy_and_starts_nothing() -> None:
    code = (
        "import sys, multiprocessing, attune.content.checking;"
        "print('sympy' in sys.modules, len(multiprocessing.active_children()))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "0"]
