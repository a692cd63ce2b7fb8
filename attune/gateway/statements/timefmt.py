"""Time values as the two specifications want them: timestamps and durations.

Both builders get time as epoch seconds from their input and never read a clock.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# RFC 3339 §5.6 (``date-fullyear = 4DIGIT``) and ISO 8601 without expanded years both stop at
# 0001..9999: a moment outside has no timestamp that an LRS or a Caliper endpoint can read.
FIRST_MS = -62_135_596_800_000  # 0001-01-01T00:00:00.000Z
LAST_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
RANGE = "0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z"


def epoch_millis(epoch: float, name: str = "timestamp") -> int:
    """Epoch seconds rounded to whole milliseconds, or ValueError naming ``name`` when the
    value is not a moment an RFC 3339 timestamp can write (NaN, infinite, before year 1 or
    after year 9999). Never OverflowError, whatever the size of ``epoch``."""
    if isinstance(epoch, float) and not math.isfinite(epoch):
        raise ValueError(f"{name} must be a finite number of epoch seconds, got {epoch!r}")
    # Compared before scaling: a huge float times 1000 overflows to inf, and Python compares
    # ints and floats of any size exactly.
    if FIRST_MS // 1000 - 1 <= epoch <= LAST_MS // 1000 + 1:
        millis = round(epoch * 1000)
        if FIRST_MS <= millis <= LAST_MS:
            return millis
    raise ValueError(
        f"{name} must be a moment from {RANGE} (RFC 3339 and ISO 8601 have 4-digit years), "
        f"got {shown(epoch)} epoch seconds"
    )


def shown(value: object, limit: int = 40) -> str:
    """``repr(value)``, cut to ``limit`` characters: an error never echoes a huge input."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def iso_timestamp(epoch: float) -> str:
    """Epoch seconds as ``YYYY-MM-DDTHH:MM:SS.mmmZ``: UTC, millisecond precision.

    One format serves every target. It is an RFC 3339 ``date-time`` (required for xAPI
    2.0 timestamps), an ISO 8601 timestamp with a time zone (xAPI 1.0.3 Data §4.5), and
    the millisecond-precision UTC form of Caliper 1.2 (§2.1 eventTime, §5.2 sendTime).
    Upper-case ``T`` and ``Z`` only: RFC 3339 §5.6 also allows lower case, which issue 7
    rules out for xAPI 2.0 and which some parsers refuse. A moment outside years 1..9999
    (or NaN, or infinite) is a ValueError, see :func:`epoch_millis`.
    """
    # Round once to whole milliseconds, then split, so that 0.9996 s never prints as ".1000".
    # Calendar arithmetic, not the platform's gmtime: the same answer before 1970 everywhere.
    m = _EPOCH + timedelta(milliseconds=epoch_millis(epoch))
    # Fields by hand: strftime's %Y does not pad years below 1000 to four digits on glibc.
    return (
        f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}"
        f".{m.microsecond // 1000:03d}Z"
    )


def iso_duration(milliseconds: int) -> str:
    """A non-negative duration as an ISO 8601 duration, e.g. ``PT4.2S`` or ``PT1H2M3.05S``.

    Precision is cut to 0.01 s: xAPI 1.0.3 Data §4.6 says an LRS compares durations to
    0.01 s, so finer digits would make a retried statement look different to a signature
    check. Only the ``PT..H..M..S`` form is used (xAPI 2.0 forbids the alternative form),
    and hours are not folded into days, so a long duration stays exact.
    """
    if milliseconds < 0:
        raise ValueError(f"duration must be >= 0 ms, got {milliseconds}")
    centis = milliseconds // 10
    hours, centis = divmod(centis, 360_000)
    minutes, centis = divmod(centis, 6_000)
    seconds, hundredths = divmod(centis, 100)
    parts = ["PT"]
    if hours:
        parts.append(f"{hours}H")
    if minutes:
        parts.append(f"{minutes}M")
    if hundredths:
        parts.append(f"{seconds}.{hundredths:02d}".rstrip("0") + "S")
    elif seconds or len(parts) == 1:
        parts.append(f"{seconds}S")
    return "".join(parts)
