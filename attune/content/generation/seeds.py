"""The variation seed of one learner's attempt at one item: which variant of a template (or
which generation) that learner sees.

A keyed BLAKE2b hash of (tenant, learner, session, item, attempt): stable across processes
and machines (unlike ``hash()``, which is salted per process), so a page can re-render the
question it showed; different for each learner, so two learners side by side see different
numbers; and, with the deployment's secret ``key``, not computable by a learner who wants to
prepare answers in advance. Fields are length-prefixed, so ``("ab", "c")`` and ``("a", "bc")``
never collide by concatenation.
"""

from __future__ import annotations

import hashlib

SEED_BITS = 63
"""Seeds are non-negative and fit a signed 64-bit integer (the engine's and JSON's range)."""

_PERSON = b"attune-variation"  # BLAKE2b personalisation: these seeds hash nothing else


def _field(value: str | int) -> bytes:
    raw = str(value).encode()
    return len(raw).to_bytes(4, "big") + raw


def variation_seed(
    tenant: str,
    learner_id: str,
    session_id: str,
    item_id: str,
    attempt: int,
    *,
    key: bytes = b"",
) -> int:
    """The seed, in [0, 2**63), for this attempt; ``key`` is the deployment's secret (at most
    64 bytes, BLAKE2b's key size; empty gives unkeyed but still stable seeds)."""
    if attempt < 0:
        raise ValueError("attempt must be >= 0")
    digest = hashlib.blake2b(
        b"".join(_field(v) for v in (tenant, learner_id, session_id, item_id, attempt)),
        digest_size=8,
        key=key,
        person=_PERSON,
    ).digest()
    return int.from_bytes(digest, "big") >> (64 - SEED_BITS)
