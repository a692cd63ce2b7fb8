"""Documented size limits for everything a client sends the engine.

Every identifier and text field is bounded, so no request can make a cache, a log line or a
reply grow without bound. A value over its limit is refused with ``InvalidInputError`` naming the
field, before anything is stored. The figures are part of the API (see the README).
"""

from __future__ import annotations

from attune.engine.domain.errors import InvalidInputError

MAX_ID_CHARS = 256  # learner, course, skill, item and event ids
MAX_NAME_CHARS = 512  # course titles and skill names
MAX_CONTENT_CHARS = 64 * 1024  # an item's content reference or body
MAX_SKILLS_PER_COURSE = 2_000
MAX_ITEMS_PER_COURSE = 20_000
MAX_PREREQUISITES_PER_SKILL = 64
MAX_SKILLS_PER_ITEM = 32
# A whole course, counted as an upper bound of its size as a GetCourse reply (see
# engine.domain.course.course_size): PutCourse's echo and GetCourse always fit gRPC's default
# 4 MiB message, and ListCourses pages by size so that no page is larger than MAX_REPLY_BYTES.
MAX_COURSE_BYTES = 3 * 1024 * 1024
MAX_REPLY_BYTES = 4 * 1024 * 1024 - 64 * 1024  # a reply, with room for its envelope
ECHO_CHARS = 64  # at most this much of a refused value is repeated in an error
MAX_MESSAGE_CHARS = 1024  # a whole error message sent back or logged (a safety net over echo)

# occurred_at is accepted from EARLIEST_OCCURRED_AT (2000-01-01T00:00:00Z) up to the engine's
# clock plus MAX_FUTURE_SKEW_S; anything else is refused before it is stored.
EARLIEST_OCCURRED_AT = 946_684_800.0
MAX_FUTURE_SKEW_S = 300.0


def echo(value: str, limit: int = ECHO_CHARS) -> str:
    """``value`` shortened for an error message or a log line: never more than ``limit``
    characters of it (ECHO_CHARS by default), with its full length when it was cut."""
    if len(value) <= limit:
        return value
    return f"{value[:limit]}… ({len(value)} chars)"


def check_text(field: str, value: str, limit: int) -> str:
    """Refuse ``value`` when it is longer than ``limit`` characters; return it otherwise."""
    if len(value) > limit:
        raise InvalidInputError(field, f"is {len(value)} characters long; the limit is {limit}")
    return value


def check_id(field: str, value: str) -> str:
    """An identifier: at most MAX_ID_CHARS characters."""
    return check_text(field, value, MAX_ID_CHARS)


def check_occurred_at(field: str, epoch: float, now: float) -> float:
    """An event time inside the accepted window [2000-01-01, now + MAX_FUTURE_SKEW_S]."""
    if not EARLIEST_OCCURRED_AT <= epoch <= now + MAX_FUTURE_SKEW_S:
        raise InvalidInputError(
            field,
            "must lie between 2000-01-01T00:00:00Z and "
            f"{int(MAX_FUTURE_SKEW_S)} s after the engine's clock",
        )
    return epoch
