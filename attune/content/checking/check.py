"""Answer checking on the server, per item type: the one entry point, :func:`check`.

A checking error is never the learner's fault: any exception inside a checker (a content
error, a maths time limit, a bug) gives an *unscored* result, ``score=None``, and is logged
with the item id, its type and the error class; of the learner's answer, at most its first
64 characters are logged.
"""

from __future__ import annotations

import structlog

from attune.content.checking.choice import check_multiple, check_single
from attune.content.checking.maths import MathChecker, check_math, default_math_checker
from attune.content.checking.numeric import check_numeric
from attune.content.checking.result import CheckResult, Response, unscored, wrong
from attune.content.checking.text import DEFAULT_TEXT_RULES, TextRules, check_text
from attune.content.model import ContentItem

log = structlog.get_logger("attune.content.checking")

ANSWER_LOG_CHARS = 64


def _inline_ids(response: Response) -> tuple[str, ...]:
    # An inline choice may come back as the chosen option's id in the text field.
    if response.choice_ids:
        return response.choice_ids
    return (response.text.strip(),) if response.text.strip() else ()


def _dispatch(
    item: ContentItem, response: Response, rules: TextRules, maths: MathChecker | None
) -> CheckResult:
    match item.type:
        case "choice":
            return check_single(item.choices, response.choice_ids)
        case "inline_choice":
            return check_single(item.choices, _inline_ids(response))
        case "multiple_response":
            return check_multiple(
                item.choices, response.choice_ids, partial_credit=item.partial_credit
            )
        case "text_entry":
            return check_text(item.text_answers, response.text, rules)
        case "numeric":
            return check_numeric(item.numeric_answers, response.text)
        case "math":
            if not response.text.strip():
                return wrong("no answer")
            checker = maths if maths is not None else default_math_checker()
            return check_math(item.math_answer, response.text, checker)
        case "extended_text":
            if item.text_answers:
                return check_text(item.text_answers, response.text, rules)
            return unscored("extended text is not scored automatically")
    raise ValueError(f"unknown item type {item.type!r}")


def check(
    item: ContentItem,
    response: Response,
    *,
    rules: TextRules = DEFAULT_TEXT_RULES,
    maths: MathChecker | None = None,
) -> CheckResult:
    """Check ``response`` against ``item``. Never raises: a checker failure is unscored.

    ``maths`` defaults to the process-wide worker pool (started on the first maths check).
    """
    try:
        return _dispatch(item, response, rules, maths)
    except Exception as exc:  # the contract: never the learner's fault, never raised
        log.warning(
            "answer_check_failed",
            item_id=item.item_id,
            item_type=item.type,
            error=type(exc).__name__,
            answer_prefix=response.text[:ANSWER_LOG_CHARS],
        )
        return unscored(f"checker error: {type(exc).__name__}: {_detail(exc)}")


def _detail(exc: Exception) -> str:
    # Messages from our own checkers name the content, never the learner's answer.
    return str(exc)[:200]
