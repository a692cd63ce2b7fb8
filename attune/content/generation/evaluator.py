"""The evaluator every generated item passes before a learner may see it.

Fail closed: an item is accepted only when

1. it is well formed for its type, by the same semantic checks as an authored package item
   (answers present, at least one correct choice, one for single-answer types, no media), and
   its stem (and every option) sanitises to non-empty text;
2. the answer the generator *stated* is its key: typed into the item's own answer checking it
   is marked right (numeric, maths, text), or it names exactly the options keyed correct;
3. the key is *verified* by every piece of evidence the item carries (sympy through the maths
   pool's time limit, or the template rendered again; :mod:`.key_checks`), and at least one
   piece verified it. A choice item whose options are words (no number, no expression to
   check) is the one exception: the consistency of step 2 is all that can be checked.

Anything that cannot be decided (an unreadable expression, a time limit, an evaluator bug)
refuses the item with the reason. Terminology the course avoids (``Terminology.avoid``) is a
warning on the verdict, or a refusal with ``refuse_avoided_terms``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Protocol

import structlog

from attune.content.checking import MathChecker, Response, check, default_math_checker
from attune.content.checking.numbers import read_number
from attune.content.generation.key_checks import check_key, text_of
from attune.content.generation.records import GeneratedItem, Verdict
from attune.content.generation.terminology import TerminologyRegistry
from attune.content.generation.verify import VerificationError
from attune.content.model import CHOICE_TYPES, ContentItem
from attune.content.package.semantics import Placed, check_items
from attune.content.render.sanitise import sanitise

log = structlog.get_logger("attune.content.generation")


class ItemEvaluator(Protocol):
    """Decides whether a generated item may be shown."""

    def evaluate(self, generated: GeneratedItem) -> Verdict:
        """The verdict on ``generated``; never raises."""
        ...


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _well_formed(generated: GeneratedItem) -> Iterator[str]:
    item = generated.item
    placed = Placed("generated", f"item {item.item_id}", item)
    for problem in check_items([placed], {generated.skill_id}, files=()):
        yield f"{problem.field}: {problem.message}" if problem.field else problem.message
    if item.type == "extended_text":
        yield "extended text cannot be checked, so it is never generated"
    if item.skill_ids != (generated.skill_id,):
        yield f"skills: the item must practise exactly {generated.skill_id!r}"
    if not text_of(sanitise(item.stem_html)):
        yield "stem: no text once sanitised"
    texts = [_fold(text_of(sanitise(choice.html))) for choice in item.choices]
    for index, text in enumerate(texts):
        if not text:
            yield f"choices[{index}]: no text once sanitised"
        elif text in texts[:index]:
            yield f"choices[{index}]: the same text as an earlier option"
    if not generated.stated_answers:
        yield "answer: the generator stated no answer"


def _stated_is_key(generated: GeneratedItem, maths: MathChecker) -> Iterator[str]:
    item = generated.item
    if item.type in CHOICE_TYPES:
        keyed = {_fold(text_of(c.html)) for c in item.choices if c.correct}
        if {_fold(s) for s in generated.stated_answers} != keyed:
            yield "answer: the stated answer is not exactly the options keyed correct"
        return
    for stated in generated.stated_answers:
        result = check(item, Response(text=stated), maths=maths)
        if not result.correct:
            why = result.reason or "marked wrong"
            yield f"answer: the stated answer {stated!r} is not the item's key ({why})"


def _needs_evidence(item: ContentItem) -> bool:
    """Choice items with word options are the only ones consistency alone can accept."""
    if item.type not in CHOICE_TYPES:
        return True
    return any(read_number(text_of(choice.html)) is not None for choice in item.choices)


class Evaluator:
    """The :class:`ItemEvaluator`: ``maths`` is the worker pool (the process-wide one by
    default); ``terminology`` finds the course's terms to avoid."""

    def __init__(
        self,
        maths: MathChecker | None = None,
        *,
        terminology: TerminologyRegistry | None = None,
        refuse_avoided_terms: bool = False,
    ) -> None:
        self._maths = maths
        self._terminology = terminology
        self._refuse_avoided = refuse_avoided_terms

    def evaluate(self, generated: GeneratedItem) -> Verdict:
        """The verdict on ``generated``. Never raises: an evaluator failure refuses."""
        try:
            verdict = self._evaluate(generated)
        except Exception as exc:  # fail closed: an item nobody could check is never shown
            verdict = Verdict(False, (f"evaluator error: {type(exc).__name__}",))
        # Accepted items are the normal case (one per template question shown): debug only.
        (log.debug if verdict.accepted else log.warning)(
            "generated_item_evaluated",
            item_id=generated.item_id,
            generator=generated.provenance.generator,
            accepted=verdict.accepted,
            reason=verdict.reason,
        )
        return verdict

    def _evaluate(self, generated: GeneratedItem) -> Verdict:
        maths = self._maths if self._maths is not None else default_math_checker()
        reasons = list(_well_formed(generated))
        if reasons:  # a malformed key cannot be verified meaningfully
            return Verdict(False, tuple(reasons))
        reasons = list(_stated_is_key(generated, maths))
        verified: list[str] = []
        for evidence in generated.evidence:
            try:
                verified.append(check_key(maths, generated, evidence))
            except VerificationError as exc:
                reasons.append(str(exc))
        if not generated.evidence and _needs_evidence(generated.item):
            reasons.append(
                f"the key cannot be verified: a {generated.item.type} item needs a "
                "computation, a check expression or an equation"
            )
        if not generated.evidence and not reasons:
            verified.append("consistency: the stated answer names the options keyed correct")
        warnings = self._avoided(generated)
        if self._refuse_avoided:
            reasons.extend(warnings)
        return Verdict(not reasons, tuple(reasons), tuple(verified), tuple(warnings))

    def _avoided(self, generated: GeneratedItem) -> list[str]:
        if self._terminology is None:
            return []
        terminology = self._terminology.get(generated.tenant, generated.subject)
        if terminology is None:
            return []
        item = generated.item
        fragments = (
            item.stem_html,
            item.solution_html,
            item.general_feedback_html,
            *item.hints_html,
            *(c.html for c in item.choices),
            *(c.feedback_html for c in item.choices),
        )
        text = "\n".join(text_of(fragment) for fragment in fragments)
        return [
            f"terminology: says {synonym!r}; the course says {term!r}"
            for synonym, term in terminology.avoided_in(text)
        ]


def review(generated: GeneratedItem, evaluator: ItemEvaluator) -> GeneratedItem:
    """``generated`` with the evaluator's verdict in its provenance."""
    verdict = evaluator.evaluate(generated)
    return replace(generated, provenance=replace(generated.provenance, verdict=verdict))
