"""Time values as the two specifications want them: timestamps and durations.

Both builders get time as epoch seconds from their input and never read a clock.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime


def iso_timestamp(epoch: float) -> str:
    """Epoch seconds as ``YYYY-MM-DDTHH:MM:SS.mmmZ``: UTC, millisecond precision.

    One format serves every target. It is an RFC 3339 ``date-time`` (required for xAPI
    2.0 timestamps), an ISO 8601 timestamp with a time zone (xAPI 1.0.3 Data §4.5), and
    the millisecond-precision UTC form of Caliper 1.2 (§2.1 eventTime, §5.2 sendTime).
    Upper-case ``T`` and ``Z`` only: RFC 3339 §5.6 also allows lower case, which issue 7
    rules out for xAPI 2.0 and which some parsers refuse.
    """
    if not math.isfinite(epoch):
        raise ValueError(f"timestamp must be finite, got {epoch!r}")
    # Round once to whole milliseconds, then split, so that 0.9996 s never prints as ".1000".
    seconds, millis = divmod(round(epoch * 1000), 1000)
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{millis:03d}Z"


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
