"""The maths pool decides two plain integers itself (maths_pool.integer_verdict): the verdict
and detail are exactly what the sympy worker (maths_eval.compare) gives, and anything that is
not a plain small integer still goes to the worker."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from attune.content.checking import maths_eval
from attune.content.checking.maths_pool import MathVerdict, integer_verdict

SMALL = st.integers(min_value=-(10**8) + 1, max_value=10**8 - 1)


@settings(max_examples=300, deadline=None)
@given(SMALL, SMALL)
def test_two_integers_get_the_workers_verdict(a: int, b: int) -> None:
    quick = integer_verdict(str(a), str(b))
    assert quick == MathVerdict(*maths_eval.compare(str(a), str(b)))


@settings(max_examples=100, deadline=None)
@given(SMALL)
def test_an_integer_against_itself_is_equal(a: int) -> None:
    assert integer_verdict(str(a), str(a)) == MathVerdict(*maths_eval.compare(str(a), str(a)))


def test_near_integers_at_the_bound_are_still_different() -> None:
    # Just under 10^8, a difference of 1 is far above the sampled check's tolerance.
    assert integer_verdict("99999999", "99999998") == MathVerdict(
        *maths_eval.compare("99999999", "99999998")
    )


def test_anything_else_goes_to_the_worker() -> None:
    for expected, typed in [
        ("12", "012"),  # a leading zero: sympy's reading, not ours
        ("12", "+12"),
        ("12", "12.0"),
        ("1/2", "0.5"),
        ("x+1", "1+x"),
        ("100000000", "100000000"),  # 10^8: past the bound
        ("12", " 12"),
        ("12", "١٢"),  # other digits
    ]:
        assert integer_verdict(expected, typed) is None
