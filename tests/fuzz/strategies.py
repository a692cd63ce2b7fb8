"""Inputs that attackers and careless clients send: odd unicode, NUL, very long strings,
out-of-range numbers, extreme timestamps, random bytes."""

from __future__ import annotations

from typing import TypeVar

from hypothesis import strategies as st

T = TypeVar("T")

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)

# Valid UTF-8 only: protobuf refuses to encode lone surrogates on the client side already.
_chars = st.characters(exclude_categories=("Cs",))
LONG_UNITS = ("x", "é", "\x00", "😀", "a/b", "%2F", "<script>")
_long = st.builds(
    lambda unit, n: unit * n,
    st.sampled_from(LONG_UNITS),
    st.sampled_from([255, 256, 257, 513, 5_000, 70_000, 300_000]),
)
text = st.one_of(
    st.text(_chars, max_size=40),
    st.sampled_from(["", " ", "\x00", "..", "../../etc/passwd", "ü", "\u202e", "null", "0"]),
    _long,
)
int32 = st.one_of(st.integers(*INT32), st.sampled_from([0, -1, 1, 50, 51, 500, 501, 1000, 1001]))
int64 = st.one_of(st.integers(*INT64), st.sampled_from([0, -1, 2**63 - 1, -(2**63)]))
floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 1.0, -0.0, 0.5, 1.0000001, -1e-300, 5e-324]),
)
# Epoch seconds: before 1970, around year 1 and 9999, near INT64's ends, and sensible ones.
epoch_seconds = st.one_of(
    st.integers(*INT64),
    st.sampled_from(
        [
            -62_135_596_800,  # 0001-01-01
            -62_135_596_801,
            253_402_300_799,  # 9999-12-31T23:59:59
            253_402_300_800,
            -14_182_940,  # 1969-07-20
            0,
            946_684_799,
            946_684_800,
            2**63 - 1,
            -(2**63),
        ]
    ),
    st.integers(1_600_000_000, 1_900_000_000),
)
nanos = st.one_of(st.integers(0, 999_999_999), st.integers(*INT32))
raw_bytes = st.one_of(
    st.binary(max_size=200),
    st.sampled_from([b"\xff", b"\x0a\xff\xff\xff\xff\x0f", b"\x08" + b"\xff" * 10, b"\x12"]),
)


def mostly(valid: st.SearchStrategy[T], nasty: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """``valid`` three times in four, else ``nasty``: requests that are right but for one or
    two fields reach the code behind the validation."""
    return st.integers(0, 3).flatmap(lambda k: nasty if k == 0 else valid)


probability = st.floats(0.01, 0.49)
recent_seconds = st.integers(1_700_000_000, 1_760_000_000)
