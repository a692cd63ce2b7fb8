"""Typed text answers: exact or case-insensitive, after a configurable normalisation.

Per accepted answer (:class:`~attune.content.model.TextAnswer`) the content chooses case
sensitivity and whitespace collapsing; per checker (:class:`TextRules`) Unicode NFKC and
ignoring trailing punctuation. The best-scoring accepted answer that matches wins, so a
package can also list a common *wrong* answer with score 0 and its own feedback (as Moodle's
short-answer questions do).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from attune.content.checking.result import CheckResult, graded, wrong
from attune.content.model import TextAnswer

_WHITESPACE = re.compile(r"\s+")
# Sentence punctuation a learner adds without meaning anything by it ("Paris.").
_TRAILING_PUNCTUATION = ".,;:!?\u3002\uff0e\uff01\uff1f"  # with the CJK full stops and marks


@dataclass(frozen=True)
class TextRules:
    """Normalisation applied to both sides of every comparison, on top of each answer's flags.

    ``nfkc``: Unicode compatibility normalisation (full-width letters, ligatures, the micro
    sign, non-breaking spaces). ``ignore_trailing_punctuation``: "Paris." matches "Paris".
    """

    nfkc: bool = True
    ignore_trailing_punctuation: bool = True


DEFAULT_TEXT_RULES = TextRules()


def normalise_text(
    text: str, *, case_sensitive: bool, collapse_whitespace: bool, rules: TextRules
) -> str:
    """The comparable form of ``text``. Leading and trailing whitespace never counts."""
    if rules.nfkc:
        text = unicodedata.normalize("NFKC", text)
    if collapse_whitespace:
        text = _WHITESPACE.sub(" ", text)
    text = text.strip()
    if rules.ignore_trailing_punctuation:
        stripped = text.rstrip(_TRAILING_PUNCTUATION).rstrip()
        text = stripped or text  # an answer made only of punctuation keeps it
    if not case_sensitive:
        text = text.casefold()
    return text


def matches(answer: TextAnswer, given: str, rules: TextRules = DEFAULT_TEXT_RULES) -> bool:
    """True when ``given`` equals the accepted ``answer`` under its normalisation."""

    def norm(text: str) -> str:
        return normalise_text(
            text,
            case_sensitive=answer.case_sensitive,
            collapse_whitespace=answer.normalise_whitespace,
            rules=rules,
        )

    return norm(given) == norm(answer.value)


def check_text(
    answers: Sequence[TextAnswer], given: str, rules: TextRules = DEFAULT_TEXT_RULES
) -> CheckResult:
    """The best-scoring matching answer's score and feedback; 0 when none matches."""
    if not given.strip():
        return wrong("no answer")
    if not answers:
        raise ValueError("the item has no accepted text answer")
    hits = [answer for answer in answers if matches(answer, given, rules)]
    if not hits:
        return wrong("no accepted answer matches")
    best = max(hits, key=lambda answer: answer.score)
    return graded(best.score, best.feedback_html, "matches an accepted answer")
