"""Answer checking on the server, per item type (issue 13): :func:`check` an item's
:class:`Response` to get a :class:`CheckResult` (``score`` None = unscored, never the
learner's fault). Nothing is started at import: the maths worker pool starts on first use.
"""

from attune.content.checking.check import check
from attune.content.checking.maths import MathChecker, default_math_checker
from attune.content.checking.maths_pool import MathCheckError, MathPool, MathTimeoutError
from attune.content.checking.result import CheckResult, Response
from attune.content.checking.text import TextRules

__all__ = [
    "CheckResult",
    "MathCheckError",
    "MathChecker",
    "MathPool",
    "MathTimeoutError",
    "Response",
    "TextRules",
    "check",
    "default_math_checker",
]
