"""When an inbound event may have happened: the engine's ``occurred_at`` window, checked at the
gateway so that a statement outside it is refused with a 400 naming its field and never
reaches the engine (whose refusal would otherwise come back one statement at a time).

The two numbers copy the engine's limits (``engine.domain.limits.EARLIEST_OCCURRED_AT`` and
``MAX_FUTURE_SKEW_S``, documented in the README's limits): the gateway does not import the
engine, and a test keeps the copies equal.
"""

from __future__ import annotations

from datetime import datetime

from attune.gateway.ingest.problems import InvalidInputError

EARLIEST_OCCURRED_AT = 946_684_800.0  # 2000-01-01T00:00:00Z, as engine.domain.limits
MAX_FUTURE_SKEW_S = 300.0  # as engine.domain.limits: how far ahead of the clock an event may be


def occurred_at(moment: datetime, path: str, now: float) -> float:
    """``moment`` as epoch seconds, if it lies in [2000-01-01, now + MAX_FUTURE_SKEW_S]."""
    epoch = moment.timestamp()
    if not EARLIEST_OCCURRED_AT <= epoch <= now + MAX_FUTURE_SKEW_S:
        raise InvalidInputError(
            path,
            "must lie between 2000-01-01T00:00:00Z and "
            f"{int(MAX_FUTURE_SKEW_S)} s after the gateway's clock",
        )
    return epoch
