"""Hypothesis budgets for the fuzz tests.

CI runs the ``fuzz-ci`` profile: derandomized (the same examples every run), small and
without shrinking, so that the fuzz tests together stay within about a minute and a half.
``make fuzz`` sets ``ATTUNE_FUZZ=long``: the ``fuzz`` profile draws fresh random examples,
``ATTUNE_FUZZ_EXAMPLES`` per test (default 500), and shrinks a failure to a minimal
reproduction. The profiles are applied per test with :func:`fuzz_settings`, not loaded
globally, so the rest of the suite keeps its own.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

CI_PROFILE = "fuzz-ci"
LONG_PROFILE = "fuzz"

settings.register_profile(
    CI_PROFILE,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    # No shrinking in CI: a failure is reported as found (the tally prints it), and a known
    # bug cannot stretch the run by hundreds of shrink attempts. make fuzz shrinks.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    # The servers under test are started once per module and shared by the examples, on
    # purpose; and a network round trip per example is what this fuzzing is.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
)
settings.register_profile(
    LONG_PROFILE,
    settings.get_profile(CI_PROFILE),
    derandomize=False,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
)


def long_run() -> bool:
    """Whether this is ``make fuzz`` (``ATTUNE_FUZZ=long``)."""
    return os.environ.get("ATTUNE_FUZZ", "") == "long"


def fuzz_settings(ci_examples: int) -> settings:
    """The settings of one fuzz test: ``ci_examples`` in CI, the long budget under make fuzz."""
    if long_run():
        examples = int(os.environ.get("ATTUNE_FUZZ_EXAMPLES", "500"))
        return settings(settings.get_profile(LONG_PROFILE), max_examples=max(examples, ci_examples))
    return settings(settings.get_profile(CI_PROFILE), max_examples=ci_examples)
