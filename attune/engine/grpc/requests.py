"""Bounds on what a request may carry, checked at the edge before anything is read or stored.

Every identifier and token of a learner, event or course read request is at most
``limits.MAX_ID_CHARS`` characters, and an ``occurred_at`` lies in the documented window
(see engine/domain/limits.py). A value outside is refused with INVALID_ARGUMENT naming the
field (issue 11 items 3 and 7). PutCourse's payload is checked by the course builder.
"""

from __future__ import annotations

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from attune.engine.domain import limits
from attune.engine.domain.errors import InvalidInputError

NANOS_PER_SECOND = 1_000_000_000


def check_ids(msg: Message, *fields: str) -> None:
    """Refuse any of the named string ``fields`` of ``msg`` longer than MAX_ID_CHARS."""
    for name in fields:
        limits.check_id(name, getattr(msg, name))


def occurred_at(msg: Message, field: str, now: float) -> float:
    """The epoch seconds of the Timestamp ``field`` of ``msg`` (``now`` when it is unset),
    refused unless its nanos are in range and it lies in the accepted window."""
    if not msg.HasField(field):
        return now
    stamp: Timestamp = getattr(msg, field)
    if not 0 <= stamp.nanos < NANOS_PER_SECOND:
        raise InvalidInputError(f"{field}.nanos", f"must be in [0, {NANOS_PER_SECOND - 1}]")
    return limits.check_occurred_at(field, stamp.seconds + stamp.nanos / 1e9, now)
