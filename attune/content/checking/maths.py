"""Maths items: the learner's expression against the item's :class:`MathAnswer`, through a
:class:`MathChecker` (a worker pool with a time limit: :mod:`.maths_pool`).

The text is screened here, in the caller (length, characters, names), so that refusals cost
no worker round trip; an over-long answer is wrong with the reason, not an error.
"""

from __future__ import annotations

import atexit
import threading
from typing import Protocol

from attune.content.checking.maths_input import screen
from attune.content.checking.maths_pool import MathPool, MathVerdict
from attune.content.checking.result import CheckResult, graded, wrong
from attune.content.model import MathAnswer


class MathChecker(Protocol):
    """Compares two expressions, raising on a time limit or a checker failure."""

    def compare(self, expected: str, given: str) -> MathVerdict:
        """The verdict on ``given`` against ``expected``."""
        ...


_default: MathPool | None = None
_default_lock = threading.Lock()


def default_math_checker() -> MathPool:
    """The process-wide pool (2 workers, 2 s per check), started on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = MathPool()
            atexit.register(_default.close)
        return _default


def check_math(answer: MathAnswer | None, given: str, checker: MathChecker) -> CheckResult:
    """Full score when ``given`` is algebraically equal to the answer's expression."""
    if answer is None:
        raise ValueError("the item has no maths answer")
    screened = screen(given)
    if screened.refusal:
        return wrong(screened.refusal, "<p>That expression could not be read.</p>")
    outcome = checker.compare(answer.expression, screened.text)
    if outcome.verdict == "unreadable":
        return wrong(outcome.detail, "<p>That expression could not be read.</p>")
    return graded(1.0 if outcome.verdict == "equal" else 0.0, "", outcome.detail)
