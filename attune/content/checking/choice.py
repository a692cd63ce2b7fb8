"""Choice items: single choice and inline choice (one option), multiple response (a set).

Multiple response is all-or-nothing (exactly the correct set) unless the item asks for
``partial_credit``: then the score is the sum of the chosen options' weights, clamped to
[0, 1]. An option without a weight counts ``+1/k`` when correct and ``-1/k`` when not (``k``
correct options), so choosing every option does not earn credit. Feedback is that of each
chosen option, in the item's order.
"""

from __future__ import annotations

from collections.abc import Sequence

from attune.content.checking.result import CheckResult, graded, wrong
from attune.content.model import Choice


def _chosen(choices: Sequence[Choice], ids: Sequence[str]) -> tuple[list[Choice], list[str]]:
    by_id = {choice.id: choice for choice in choices}
    unknown = [choice_id for choice_id in ids if choice_id not in by_id]
    wanted = set(ids)
    return [choice for choice in choices if choice.id in wanted], unknown


def _feedback(chosen: Sequence[Choice]) -> str:
    return "".join(choice.feedback_html for choice in chosen if choice.feedback_html)


def _require_options(choices: Sequence[Choice]) -> None:
    if not choices:
        raise ValueError("the item has no options")


def check_single(choices: Sequence[Choice], ids: Sequence[str]) -> CheckResult:
    """One option must be chosen; full score when it is a correct one."""
    _require_options(choices)
    chosen, unknown = _chosen(choices, ids)
    if unknown:
        return wrong(f"unknown option {unknown[0][:64]!r}")
    if not chosen:
        return wrong("no option chosen")
    if len(chosen) > 1:
        return wrong("one option expected", _feedback(chosen))
    (option,) = chosen
    return graded(1.0 if option.correct else 0.0, option.feedback_html, "option chosen")


def _weight(choice: Choice, correct_count: int) -> float:
    if choice.weight is not None:
        if not -1.0 <= choice.weight <= 1.0:
            raise ValueError(f"option {choice.id!r}: weight {choice.weight!r} outside [-1, 1]")
        return choice.weight
    return (1.0 if choice.correct else -1.0) / correct_count


def check_multiple(
    choices: Sequence[Choice], ids: Sequence[str], *, partial_credit: bool
) -> CheckResult:
    """All-or-nothing on the set of correct options, or by weights with partial credit."""
    _require_options(choices)
    chosen, unknown = _chosen(choices, ids)
    if unknown:
        return wrong(f"unknown option {unknown[0][:64]!r}")
    if not chosen:
        return wrong("no option chosen")
    feedback = _feedback(chosen)
    correct_ids = {choice.id for choice in choices if choice.correct}
    if not partial_credit:
        exact = {choice.id for choice in chosen} == correct_ids
        return graded(1.0 if exact else 0.0, feedback, "options chosen")
    count = max(1, len(correct_ids))
    # Rounded so that weights such as 1/3 + 1/3 + 1/3 reach a full score exactly.
    total = round(sum(_weight(choice, count) for choice in chosen), 9)
    return graded(total, feedback, "weighted")
