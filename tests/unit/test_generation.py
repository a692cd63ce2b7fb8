"""Item generation, the pure parts (issue 13): the template generator, the evaluator refusing
unverifiable or wrong items, variation seeds, terminology, the bank, the strict reading of a
model's JSON item and the generator settings."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr, ValidationError

from attune.content.checking import MathPool, MathTimeoutError, Response, check
from attune.content.checking.maths_pool import MathVerdict
from attune.content.generation import (
    BankEntry,
    BankError,
    Computation,
    Equivalence,
    Evaluator,
    Evidence,
    GeneratedItem,
    GenerationError,
    GenerationRequest,
    GeneratorSettings,
    InMemoryGeneratedBank,
    InMemoryTerminologyRegistry,
    Provenance,
    RefusedItemError,
    Substitution,
    TemplateGenerator,
    TemplateSource,
    Terminology,
    UnknownItemError,
    Verdict,
    admit,
    entry_document,
    entry_from_document,
    load_terminology,
    review,
    transition,
    variation_seed,
)
from attune.content.generation.llm_item import parse_item
from attune.content.generation.llm_prompt import user_message
from attune.content.generation.records import sha256_hex
from attune.content.generation.template_evidence import prompt_evidence
from attune.content.model import (
    Choice,
    ContentItem,
    ContentSkill,
    ItemType,
    MathAnswer,
    NumericAnswer,
)
from attune.content.question import Question
from attune.content.templates import content_ref, render, template_names

NOW = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def maths() -> Iterator[MathPool]:
    pool = MathPool(size=1, timeout_s=20.0)
    yield pool
    pool.close()


def request(skill: str, seed: int = 1, level: int = 2, **kw: object) -> GenerationRequest:
    return GenerationRequest(
        "school-1",
        "maths-7",
        ContentSkill(skill, skill),
        "maths",
        seed,
        level,
        **kw,  # type: ignore[arg-type]
    )


def templated(skill: str, seed: int = 1, level: int = 2, **kw: object) -> GeneratedItem:
    return TemplateGenerator(clock=lambda: NOW).generate(request(skill, seed, level, **kw))


def made(
    kind: ItemType,
    stated: tuple[str, ...],
    evidence: tuple[Evidence, ...] = (),
    stem: str = "<p>What is it?</p>",
    **fields: object,
) -> GeneratedItem:
    item = ContentItem("gen-1", kind, stem, ("s",), **fields)  # type: ignore[arg-type]
    provenance = Provenance("test", "none", 0, sha256_hex("p"), NOW)
    return GeneratedItem(item, provenance, "school-1", "maths-7", "s", "maths", stated, evidence)


def numeric(
    value: float, computation: str, stated: str = "", tolerance: float = 0.0
) -> GeneratedItem:
    return made(
        "numeric",
        (stated or repr(value),),
        (Computation(computation),),
        numeric_answers=(NumericAnswer(value, tolerance),),
    )


def choices(*options: tuple[str, bool]) -> tuple[Choice, ...]:
    return tuple(Choice(chr(97 + i), text, correct) for i, (text, correct) in enumerate(options))


# --- the template generator -----------------------------------------------------------------


def test_template_items_are_deterministic_per_seed_with_provenance() -> None:
    first, again, other = (
        templated("frac-add-unlike", 5),
        templated("frac-add-unlike", 5),
        templated("frac-add-unlike", 6),
    )
    assert first == again
    assert first.item_id == again.item_id != other.item_id
    assert first.item.stem_html != other.item.stem_html
    question = render(content_ref("frac-add-unlike", 2), 5)
    assert first.provenance == Provenance(
        "template", "template:frac-add-unlike?level=2", 5, sha256_hex(question.prompt), NOW
    )
    assert first.evidence[0] == TemplateSource("template:frac-add-unlike?level=2", 5)
    assert first.stated_answers == (question.answer,)


@pytest.mark.parametrize(
    ("skill", "level", "kind"),
    [
        ("whole-add", 1, "numeric"),
        ("dec-mul", 2, "numeric"),
        ("percent-of", 3, "numeric"),
        ("frac-add-unlike", 2, "math"),
        ("mixed-numbers", 2, "numeric"),
        ("frac-simplify", 2, "text_entry"),
        ("like-terms", 3, "text_entry"),
        ("inequalities", 3, "text_entry"),
        ("systems", 2, "text_entry"),
        ("slope-intercept", 2, "text_entry"),
        ("frac-compare", 2, "inline_choice"),
    ],
)
def test_each_kind_becomes_an_item_that_accepts_the_template_answer(
    maths: MathPool, skill: str, level: int, kind: str
) -> None:
    generated = templated(skill, 3, level)
    item = generated.item
    assert item.type == kind and item.skill_ids == (skill,)
    question = render(content_ref(skill, level), 3)
    typed = Response(text=question.answer)
    if item.choices:
        typed = Response(choice_ids=tuple(c.id for c in item.choices if c.correct))
    assert check(item, typed, maths=maths).correct


def test_text_entry_accepts_equivalent_spellings_of_a_simplified_sum() -> None:
    item = templated("like-terms", 3, 3).item  # "9x - 14y - 2"-like answers
    question = render(content_ref("like-terms", 3), 3)
    values = [a.value for a in item.text_answers]
    assert question.answer in values and question.answer.replace(" ", "") in values
    assert len(values) == 12  # 3 terms in 6 orders, spaced and not
    assert all(question.check(v) for v in values)
    unsimplified = question.prompt.removeprefix("Simplify: ")
    assert not check(item, Response(text=unsimplified)).correct


def test_percent_answers_take_the_percent_sign_or_none() -> None:
    item = templated("percent-of", 2, 3).item
    answer = render(content_ref("percent-of", 3), 2).answer  # e.g. "40%"
    assert answer.endswith("%")
    for typed in (answer, answer.replace("%", " %"), answer.removesuffix("%")):
        assert check(item, Response(text=typed)).correct, typed
    assert not check(item, Response(text="1" + answer)).correct


def test_comparison_can_be_a_choice_item_and_its_stem_is_escaped() -> None:
    generated = templated("frac-compare", 1, 1, item_type="choice")
    assert generated.item.type == "choice"
    assert generated.item.stem_html.startswith("<p>Fill in &lt;, &gt; or =: ")
    assert [c.html for c in generated.item.choices] == ["&lt;", "&gt;", "="]
    assert sum(c.correct for c in generated.item.choices) == 1


def test_impossible_types_and_unknown_skills_are_generation_errors() -> None:
    with pytest.raises(GenerationError, match="a integer question cannot be a choice item"):
        templated("whole-add", item_type="choice")
    with pytest.raises(GenerationError, match="no template for skill 'adding'"):
        templated("adding")
    generator = TemplateGenerator({"adding": "whole-add"})
    assert generator.generate(request("adding")).item.type == "numeric"
    with pytest.raises(ValueError, match="unknown templates: nope"):
        TemplateGenerator({"adding": "nope"})


@pytest.mark.parametrize(
    ("prompt", "evidence"),
    [
        ("3/4 ÷ 1/2 = ?", Substitution("(3/4) / (1/2) = n", "n")),
        ("3 1/4 + 2 3/4 = ?", Substitution("(3+(1/4)) + (2+(3/4)) = n", "n")),
        ("56/? = 40/45", Substitution("56/n = (40/45)", "n")),
        ("√12 × √27 = ?", Substitution("sqrt(12) * sqrt(27) = n", "n")),
        ("|9| + |-6| = ?", Substitution("Abs(9) + Abs(-6) = n", "n")),
        ("10% of 150 = ?", Substitution("(10/100) * 150 = n", "n")),
        ("Solve for x: x/4 + 2/3 = 35/12", Substitution("x/4 + (2/3) = (35/12)", "x")),
        ("Evaluate x^2 + 4y when x = 4 and y = -5.", Computation("(4)^2 + 4(-5)")),
        ("Expand: 3(x + 6)", Equivalence("3(x + 6)")),
        ("Which digit is in the ones place of 803?", None),
        ("Fill in <, > or =: 3/8 __ 4/8", None),
    ],
)
def test_prompts_are_read_as_maths_sympy_can_check(prompt: str, evidence: Evidence | None) -> None:
    expected = () if evidence is None else (evidence,)
    assert prompt_evidence(Question(prompt, "1", "integer")) == expected


def test_every_template_item_passes_the_evaluator(maths: MathPool) -> None:
    evaluator = Evaluator(maths)
    by_sympy = 0
    for name in template_names():
        for level in (1, 2, 3):
            generated = templated(name, 11, level)
            verdict = evaluator.evaluate(generated)
            assert verdict.accepted, (name, level, verdict.reasons)
            by_sympy += any(v.startswith("sympy") for v in verdict.verified_by)
    assert by_sympy >= 90  # of 141: every arithmetic, equation and expression prompt


# --- the evaluator --------------------------------------------------------------------------


def test_a_wrong_numeric_key_is_refused_and_a_right_one_accepted(maths: MathPool) -> None:
    evaluator = Evaluator(maths)
    assert evaluator.evaluate(numeric(0.875, "3/4 + 1/8")).verified_by == (
        "sympy: the key equals 3/4 + 1/8",
    )
    verdict = evaluator.evaluate(numeric(0.75, "3/4 + 1/8"))
    assert not verdict.accepted and verdict.reasons == ("the key 0.75 is not 3/4 + 1/8",)


def test_tolerance_is_respected(maths: MathPool) -> None:
    evaluator = Evaluator(maths)
    assert evaluator.evaluate(numeric(1.41, "sqrt(2)", tolerance=0.01)).accepted
    assert not evaluator.evaluate(numeric(1.41, "sqrt(2)", tolerance=0.001)).accepted


def test_an_item_without_evidence_cannot_be_verified_and_is_refused(maths: MathPool) -> None:
    item = made("numeric", ("12",), numeric_answers=(NumericAnswer(12),))
    verdict = Evaluator(maths).evaluate(item)
    assert not verdict.accepted
    assert "the key cannot be verified: a numeric item needs a computation" in verdict.reason


def test_a_stated_answer_that_is_not_the_key_is_refused(maths: MathPool) -> None:
    verdict = Evaluator(maths).evaluate(numeric(12, "9 + 3", stated="13"))
    assert not verdict.accepted
    assert verdict.reasons[0].startswith("answer: the stated answer '13' is not the item's key")


def test_maths_keys_are_checked_against_the_check_expression(maths: MathPool) -> None:
    def expand(key: str) -> GeneratedItem:
        return made("math", (key,), (Equivalence("2(x + 3)"),), math_answer=MathAnswer(key))

    evaluator = Evaluator(maths)
    assert evaluator.evaluate(expand("2x + 6")).accepted
    assert evaluator.evaluate(expand("6 + 2*x")).accepted
    assert evaluator.evaluate(expand("2x + 5")).reasons == (
        "the key 2x + 5 is not equal to 2(x + 3)",
    )


def test_equations_are_checked_by_substitution(maths: MathPool) -> None:
    def solve(value: float) -> GeneratedItem:
        return made(
            "numeric",
            (f"{value:g}",),
            (Substitution("2x + 3 = 7", "x"),),
            numeric_answers=(NumericAnswer(value),),
        )

    evaluator = Evaluator(maths)
    assert evaluator.evaluate(solve(2)).accepted
    assert evaluator.evaluate(solve(3)).reasons == ("x = 3 does not solve 2x + 3 = 7",)


@pytest.mark.parametrize(
    ("options", "evidence", "reason"),
    [
        ((("12", True), ("13", False)), (), "needs a computation"),
        (
            (("12", True), ("12.0", False)),
            (Computation("9 + 3"),),
            "a distractor that is also right",
        ),
        (
            (("13", True), ("12", False)),
            (Computation("9 + 3"),),
            "keyed correct, but it is not 9 + 3",
        ),
        ((("12", True), ("12", False)), (Computation("9 + 3"),), "the same text as an earlier"),
        ((("12", False), ("13", False)), (Computation("9 + 3"),), "no choice is correct"),
        ((("12", True), ("13", True)), (Computation("9 + 3"),), "takes one correct choice"),
    ],
)
def test_choice_items_need_exactly_the_right_keys(
    maths: MathPool,
    options: tuple[tuple[str, bool], ...],
    evidence: tuple[Evidence, ...],
    reason: str,
) -> None:
    keyed = tuple(text for text, correct in options if correct)
    item = made("choice", keyed, evidence, choices=choices(*options))
    verdict = Evaluator(maths).evaluate(item)
    assert not verdict.accepted
    assert reason in verdict.reason


def test_word_choices_are_checked_for_consistency_only(maths: MathPool) -> None:
    options = choices(("numerator", True), ("denominator", False))
    assert Evaluator(maths).evaluate(
        made("choice", ("numerator",), choices=options)
    ).verified_by == ("consistency: the stated answer names the options keyed correct",)
    refused = Evaluator(maths).evaluate(made("choice", ("denominator",), choices=options))
    assert refused.reasons == (
        "answer: the stated answer is not exactly the options keyed correct",
    )


def test_a_stem_with_no_text_once_sanitised_is_refused(maths: MathPool) -> None:
    item = numeric(12, "9 + 3")
    item = replace(item, item=replace(item.item, stem_html="<script>alert(1)</script>"))
    assert "stem: no text once sanitised" in Evaluator(maths).evaluate(item).reasons


class _SlowMaths:
    def compare(self, expected: str, given: str) -> MathVerdict:
        raise MathTimeoutError("time limit (2 s) exceeded")


class _BrokenMaths:
    def compare(self, expected: str, given: str) -> MathVerdict:
        raise RuntimeError("bug")


@pytest.mark.parametrize(
    ("hostile", "reason"),
    [
        (
            "__import__('os').system('id')",
            'computation: character "\'" is not allowed in an expression',
        ),
        ("(1).__class__", "computation: not an expression"),
        ("9 + 3; x = 1", "computation: character ';' is not allowed in an expression"),
        ("9 + x", "computation: a computation has no variables (found 'x')"),
        ("Integer(12)", "computation: name 'Integer' is not allowed"),
    ],
)
def test_hostile_computations_are_refused_not_run(hostile: str, reason: str) -> None:
    verdict = Evaluator(_BrokenMaths()).evaluate(numeric(12, hostile))  # never reaches sympy
    assert verdict == Verdict(False, (reason,))


def test_a_runaway_computation_is_stopped_by_the_pool_time_limit() -> None:
    pool = MathPool(size=1, timeout_s=1.0)
    try:
        verdict = Evaluator(pool).evaluate(numeric(12, "9^9^9^9"))
    finally:
        pool.close()
    assert verdict.reasons == ("computation: MathTimeoutError: time limit (1 s) exceeded",)


def test_a_time_limit_or_an_evaluator_bug_refuses_the_item() -> None:
    slow = Evaluator(_SlowMaths()).evaluate(numeric(12, "9 + 3", stated="12"))
    assert not slow.accepted and "MathTimeoutError" in slow.reason
    broken = Evaluator(_BrokenMaths()).evaluate(numeric(12, "9 + 3"))
    assert broken == Verdict(False, ("evaluator error: RuntimeError",))


def test_a_tampered_template_item_is_refused(maths: MathPool) -> None:
    generated = templated("frac-compare", 4, 2)
    flipped = tuple(replace(c, correct=not c.correct) for c in generated.item.choices)
    tampered = replace(generated, item=replace(generated.item, choices=flipped))
    tampered = replace(tampered, stated_answers=tuple(c.html for c in flipped if c.correct))
    verdict = Evaluator(maths).evaluate(tampered)
    assert not verdict.accepted and "takes one correct choice" in verdict.reason


def test_terminology_to_avoid_is_a_warning_or_a_refusal(maths: MathPool) -> None:
    registry = InMemoryTerminologyRegistry()
    registry.put(
        "school-1", Terminology("Maths", {"numerator": "top"}, {"top number": "numerator"})
    )
    item = numeric(12, "9 + 3")
    item = replace(item, item=replace(item.item, hints_html=("<p>Look at the Top  Number.</p>",)))
    warned = Evaluator(maths, terminology=registry).evaluate(item)
    assert warned.accepted
    assert warned.warnings == ("terminology: says 'top number'; the course says 'numerator'",)
    refused = Evaluator(maths, terminology=registry, refuse_avoided_terms=True).evaluate(item)
    assert not refused.accepted and refused.reasons == warned.warnings


def test_review_puts_the_verdict_into_the_provenance(maths: MathPool) -> None:
    reviewed = review(numeric(12, "9 + 3"), Evaluator(maths))
    assert reviewed.accepted and reviewed.provenance.verdict is not None


# --- variation seeds ------------------------------------------------------------------------


def test_seeds_are_stable_across_processes() -> None:
    assert variation_seed("t1", "l1", "s1", "i1", 0) == 944965580429189551
    code = (
        "from attune.content.generation import variation_seed as v; print(v('t1','l1','s1','i1',0))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout) == 944965580429189551


def test_seeds_differ_per_field_and_key() -> None:
    base = variation_seed("t", "learner", "session", "item", 0)
    others = {
        variation_seed("u", "learner", "session", "item", 0),
        variation_seed("t", "learner2", "session", "item", 0),
        variation_seed("t", "learner", "session2", "item", 0),
        variation_seed("t", "learner", "session", "item2", 0),
        variation_seed("t", "learner", "session", "item", 1),
        variation_seed("t", "learner", "session", "item", 0, key=b"deployment-secret"),
    }
    assert base not in others and len(others) == 6
    assert variation_seed("ab", "c", "", "", 0) != variation_seed("a", "bc", "", "", 0)
    with pytest.raises(ValueError, match="attempt"):
        variation_seed("t", "l", "s", "i", -1)


@given(st.text(max_size=20), st.text(max_size=20), st.integers(0, 10**6))
def test_seeds_are_63_bit_non_negative(learner: str, item: str, attempt: int) -> None:
    assert 0 <= variation_seed("t", learner, "s", item, attempt) < 2**63


def test_a_thousand_learners_on_one_template_see_many_different_questions() -> None:
    generator = TemplateGenerator()
    seeds = [variation_seed("t1", f"learner-{n}", "session-1", "item-7", 0) for n in range(1000)]
    assert len(set(seeds)) == 1000
    stems = {generator.generate(request("eq-two-step", seed, 2)).item.stem_html for seed in seeds}
    assert len(stems) >= 900  # measured: 957 distinct questions for 1,000 learners
    facts = {generator.generate(request("whole-mul", seed, 1)).item.stem_html for seed in seeds}
    assert len(facts) == 64  # a small template: every one of its 8 x 8 facts appears


# --- terminology ----------------------------------------------------------------------------

GOOD_YAML = b"""\
subject: fractions
terms:
  numerator: the number above the fraction bar
  denominator: the number below the fraction bar
avoid:
  top number: Numerator
"""


def test_terminology_loads_from_yaml_and_json() -> None:
    terminology, problems = load_terminology("fractions.yaml", GOOD_YAML)
    assert problems == [] and terminology is not None
    assert terminology.avoid == {"top number": "numerator"}
    assert terminology.prompt_lines()[-1] == '- never say "top number"; say "numerator"'
    same, _ = load_terminology(
        "t.json", b'{"subject": "fractions", "terms": {"numerator": "above the bar"}}'
    )
    assert same is not None and same.terms == {"numerator": "above the bar"}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"terms: {a: b}\n", "t.yaml: subject: required, 1 to 200 characters"),
        (b"subject: s\n", "t.yaml: terms: required"),
        (b"subject: s\nterms: {a: b}\ncolour: red\n", "t.yaml: colour: unknown field"),
        (b"subject: s\nterms: [a]\n", "t.yaml: terms: must be a mapping of text to text"),
        (b"subject: s\nterms: {a: ''}\n", "t.yaml: terms 'a': needs text of 1 to 500 characters"),
        (b"subject: s\nterms: {a: b, A: c}\n", "t.yaml: terms 'A': listed twice"),
        (
            b"subject: s\nterms: {a: b}\navoid: {x: y}\n",
            "t.yaml: avoid 'x': names 'y', which is not a term",
        ),
        (
            b"subject: s\nterms: {a: b}\navoid: {a: a}\n",
            "t.yaml: avoid 'a': is itself a term to use",
        ),
        (
            b"subject: &s s\nterms: {a: *s}\n",
            "t.yaml: line 2: YAML aliases (*name) are not allowed",
        ),
        (b"subject: [\n", "t.yaml: line 2: not valid YAML"),
        (b"\xff\xfe", "t.yaml: not UTF-8 text (byte 0)"),
        (b"- a\n", "t.yaml: must be a mapping with subject and terms"),
    ],
)
def test_terminology_problems_are_located(data: bytes, expected: str) -> None:
    terminology, problems = load_terminology("t.yaml", data)
    assert terminology is None
    assert any(str(p).startswith(expected) for p in problems), problems


@given(st.binary(max_size=300))
def test_terminology_loading_never_raises(data: bytes) -> None:
    terminology, problems = load_terminology("t.yaml", data)
    assert (terminology is None) == bool(problems)


def test_terminology_registry_and_prompt() -> None:
    registry = InMemoryTerminologyRegistry()
    terms = Terminology("Fractions", {"numerator": "the top"}, {"top number": "numerator"})
    registry.put("school-1", terms)
    assert registry.get("school-1", "fractions") is terms
    assert registry.get("school-2", "fractions") is None
    assert terms.avoided_in("the TOP NUMBER is 3") == [("top number", "numerator")]
    assert terms.avoided_in("the topnumbers") == []
    message = user_message(request("whole-add", terminology=terms))
    assert "Use these terms:\n- numerator: the top" in message


# --- the bank -------------------------------------------------------------------------------


def accepted(item_id: str = "gen-1", skill: str = "s") -> GeneratedItem:
    base = numeric(12, "9 + 3")
    verdict = Verdict(True, verified_by=("sympy",))
    return replace(
        base,
        item=replace(base.item, item_id=item_id),
        skill_id=skill,
        provenance=replace(base.provenance, verdict=verdict),
    )


def test_only_accepted_items_are_admitted() -> None:
    with pytest.raises(RefusedItemError, match="never evaluated"):
        admit(numeric(12, "9 + 3"), at=NOW)
    refused = replace(
        accepted(), provenance=replace(accepted().provenance, verdict=Verdict(False, ("wrong",)))
    )
    with pytest.raises(RefusedItemError, match="was refused: wrong"):
        admit(refused, at=NOW)
    entry = admit(accepted(), at=NOW)
    assert entry.status == "active" and entry.shown
    assert [(c.status, c.by, c.at) for c in entry.history] == [("active", "evaluator", NOW)]


def test_the_bank_lists_retires_and_never_resurrects() -> None:
    bank = InMemoryGeneratedBank()
    for item_id, skill in (("gen-1", "s"), ("gen-2", "s"), ("gen-3", "t")):
        bank.put(admit(accepted(item_id, skill), at=NOW))
    later = NOW + timedelta(days=1)
    retired = bank.set_status(
        "school-1", "gen-2", "retired", by="teacher-9", at=later, reason="dull"
    )
    assert not retired.shown and retired.history[-1].by == "teacher-9"

    def ids(entries: list[BankEntry]) -> list[str]:
        return [e.item_id for e in entries]

    assert ids(bank.list("school-1", "maths-7")) == ["gen-1", "gen-2", "gen-3"]
    assert ids(bank.list("school-1", "maths-7", skill_id="s", status="active")) == ["gen-1"]
    assert ids(bank.list("school-1", "maths-7", status="retired")) == ["gen-2"]
    assert bank.list("school-2", "maths-7") == [] and bank.list("school-1", "other") == []
    with pytest.raises(BankError, match="cannot go from retired to active"):
        bank.set_status("school-1", "gen-2", "active", by="teacher-9", at=later)
    with pytest.raises(BankError, match="already in the bank"):
        bank.put(admit(accepted("gen-2"), at=later))
    with pytest.raises(UnknownItemError):
        bank.set_status("school-1", "gen-404", "retired", by="t", at=later)
    with pytest.raises(RefusedItemError):
        bank.put(retired)


def test_a_status_change_needs_who() -> None:
    with pytest.raises(BankError, match="needs who"):
        transition(admit(accepted(), at=NOW), "retired", by=" ", at=NOW)


@pytest.mark.parametrize("skill", ["like-terms", "percent-of", "frac-compare", "frac-add-unlike"])
def test_bank_entries_survive_a_json_round_trip(maths: MathPool, skill: str) -> None:
    generated = review(templated(skill, 8, 3), Evaluator(maths))
    entry = admit(generated, at=NOW)
    entry = transition(entry, "retired", by="teacher-9", at=NOW + timedelta(hours=1), reason="r")
    document = json.loads(json.dumps(entry_document(entry)))
    assert entry_from_document(document) == entry
    assert document["item"]["id"] == generated.item_id and document["status"] == "retired"


def test_a_damaged_bank_document_raises() -> None:
    document = entry_document(admit(accepted(), at=NOW))
    with pytest.raises(ValueError, match="unknown bank status 'shown'"):
        entry_from_document(document | {"status": "shown"})
    with pytest.raises(ValueError, match="unknown bank entry format 2"):
        entry_from_document(document | {"format": 2})


# --- a model's JSON item, read strictly -----------------------------------------------------

NUMERIC = (
    '{"type": "numeric", "stem": "What is 9 + 3?", "answer": 12, "computation": "9 + 3",'
    ' "hints": ["Count on."], "solution": "9 + 3 = 12", "terminology_used": ["sum"]}'
)


def test_a_numeric_reply_is_read_into_an_item_with_its_evidence() -> None:
    parsed = parse_item(NUMERIC, item_id="gen-9", skill_id="s")
    assert parsed.item == ContentItem(
        "gen-9",
        "numeric",
        "<p>What is 9 + 3?</p>",
        ("s",),
        numeric_answers=(NumericAnswer(12.0),),
        hints_html=("<p>Count on.</p>",),
        solution_html="<p>9 + 3 = 12</p>",
    )
    assert parsed.stated_answers == ("12",)
    assert parsed.evidence == (Computation("9 + 3"),)
    assert parsed.terminology_used == ("sum",)


def test_choices_are_escaped_and_keyed() -> None:
    reply = (
        '{"type": "multiple_response", "stem": "<b>Pick</b> the evens", "answer": ["2", "4"],'
        ' "choices": [{"text": "2", "correct": true, "feedback": ""},'
        ' {"text": "3 <script>", "correct": false, "feedback": "Odd."},'
        ' {"text": "4", "correct": true, "feedback": ""}],'
        ' "hints": [], "solution": "", "terminology_used": []}'
    )
    parsed = parse_item(reply, item_id="g", skill_id="s")
    assert parsed.item.stem_html == "<p>&lt;b&gt;Pick&lt;/b&gt; the evens</p>"
    assert [(c.id, c.html, c.correct) for c in parsed.item.choices] == [
        ("a", "2", True),
        ("b", "3 &lt;script&gt;", False),
        ("c", "4", True),
    ]
    assert parsed.item.choices[1].feedback_html == "<p>Odd.</p>"
    assert parsed.stated_answers == ("2", "4")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"confidence": 1}, "field 'confidence': unknown field"),
        ({"choices": []}, "field 'choices': not taken by a numeric item"),
        ({"stem": None}, "field 'stem': must be text"),
        ({"stem": " "}, "field 'stem': empty"),
        ({"stem": "x" * 2001}, "field 'stem': longer than 2000 characters"),
        ({"answer": "12"}, "field 'answer': must be a finite number"),
        ({"answer": 10**400}, "field 'answer': must be a finite number"),
        ({"answer": True}, "field 'answer': must be a finite number"),
        ({"tolerance": -1}, "field 'tolerance': must be >= 0"),
        ({"hints": ["a"] * 6}, "field 'hints': must be a list of at most 5 texts"),
        ({"hints": [3]}, "field 'hints[0]': must be text"),
        ({"type": "essay"}, "field 'type': must be one of"),
        ({"equation": "2x = 4"}, "field 'variable': missing"),
    ],
)
def test_bad_fields_are_named(change: dict[str, object], message: str) -> None:
    doc = json.loads(NUMERIC) | change
    with pytest.raises(GenerationError, match=re.escape(message)):
        parse_item(json.dumps(doc), item_id="g", skill_id="s")


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ("{", "the reply is not JSON"),
        ("[1]", "not a JSON object"),
        ('{"type": "numeric"}', "field 'stem': missing"),
        (NUMERIC.replace(', "computation": "9 + 3"', ""), "field 'computation': missing"),
        (
            '{"type": "choice", "stem": "s", "answer": "a", "hints": [], "solution": "",'
            ' "terminology_used": [], "choices": [{"text": "a", "correct": "yes", "feedback": ""},'
            ' {"text": "b", "correct": false, "feedback": ""}]}',
            "field 'choices[0].correct'",
        ),
        (
            '{"type": "math", "stem": "s", "answer": "x", "hints": [], "solution": "",'
            ' "terminology_used": []}',
            "field 'check_expression': missing",
        ),
    ],
)
def test_malformed_replies_are_generation_errors(reply: str, message: str) -> None:
    with pytest.raises(GenerationError, match=re.escape(message)):
        parse_item(reply, item_id="g", skill_id="s")


@given(st.text(max_size=200))
def test_any_reply_text_parses_or_is_a_generation_error(reply: str) -> None:
    with contextlib.suppress(GenerationError):
        parse_item(reply, item_id="g", skill_id="s")


# --- settings -------------------------------------------------------------------------------


def test_settings_are_off_by_default_and_hide_the_key() -> None:
    assert GeneratorSettings().enabled is False
    settings = GeneratorSettings(
        enabled=True,
        base_url="https://api.example.com/v1/",
        model="m",
        api_key=SecretStr("sk-secret"),
    )
    assert settings.base_url == "https://api.example.com/v1"
    assert "sk-secret" not in repr(settings) and "sk-secret" not in str(settings)
    assert "sk-secret" not in settings.model_dump_json()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"enabled": True}, "needs base_url and model"),
        ({"base_url": "http://models.example.com/v1"}, "must use https"),
        ({"base_url": "ftp://x"}, "must be an https URL"),
        ({"base_url": "https://user:pw@x.example/v1"}, "no credentials"),
        ({"timeout_s": 0}, "greater than 0"),
        ({"colour": "red"}, "Extra inputs are not permitted"),
    ],
)
def test_bad_settings_are_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        GeneratorSettings(**fields)  # type: ignore[arg-type]


def test_loopback_http_is_allowed() -> None:
    assert GeneratorSettings(base_url="http://127.0.0.1:8080/v1").base_url.endswith(":8080/v1")
