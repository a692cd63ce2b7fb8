"""Times the statement builders cannot write (issue 11 item 2): a clear ValueError naming the
time, never an OverflowError, whatever the engine's log holds."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attune.engine.v1 import events_pb2
from attune.gateway.statements import (
    LearningEvent,
    TenantProfile,
    build_caliper,
    build_xapi,
    from_logged,
)
from attune.gateway.statements.timefmt import FIRST_MS, LAST_MS, epoch_millis, iso_timestamp

PROFILE = TenantProfile(
    tenant="t", home_page="https://lms.example", activity_base="https://attune.example/xapi"
)
MOON = -14_182_980.0  # 1969-07-20T20:17:00Z, the xAPI timestamp
FIRST = -62_135_596_800  # 0001-01-01T00:00:00Z
LAST = 253_402_300_799.999  # 9999-12-31T23:59:59.999Z

UNWRITABLE = [
    math.nan,
    math.inf,
    -math.inf,
    1e308,
    -1e308,
    2**63 - 1,
    -(2**63),
    10**400,  # larger than any float: math.isfinite() itself would overflow
    FIRST - 0.001,
    253_402_300_800,  # 10000-01-01T00:00:00Z
    253_402_300_799.9996,  # rounds up into year 10000
]


def _answered(occurred_at: float, **extra: object) -> LearningEvent:
    return LearningEvent(
        kind="answered",
        event_id="e-1",
        tenant="t",
        learner_id="l-1",
        course_id="c",
        occurred_at=occurred_at,
        item_id="i",
        **extra,  # type: ignore[arg-type]
    )


def test_the_ends_of_the_four_digit_years_are_written() -> None:
    assert iso_timestamp(FIRST) == "0001-01-01T00:00:00.000Z"
    assert iso_timestamp(LAST) == "9999-12-31T23:59:59.999Z"
    assert iso_timestamp(MOON) == "1969-07-20T20:17:00.000Z"
    # Years below 1000 keep four digits (strftime's %Y does not pad them on glibc).
    year_999 = (
        datetime(999, 3, 4, 5, 6, 7, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    ).total_seconds()
    assert iso_timestamp(year_999) == "0999-03-04T05:06:07.000Z"


@pytest.mark.parametrize("epoch", UNWRITABLE, ids=repr)
def test_an_unwritable_time_is_a_value_error_naming_it(epoch: float) -> None:
    with pytest.raises(ValueError, match="timestamp") as caught:
        iso_timestamp(epoch)
    message = str(caught.value)
    assert "finite" in message or "0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z" in message
    assert len(message) < 300  # a huge value is cut, not echoed whole


@given(st.one_of(st.floats(), st.integers(min_value=-(2**70), max_value=2**70)))
def test_any_number_is_a_timestamp_that_reads_back_or_a_value_error(epoch: float) -> None:
    try:
        text = iso_timestamp(epoch)
    except ValueError:
        if math.isfinite(epoch) and abs(epoch) < 1e15:
            assert not FIRST_MS <= round(epoch * 1000) <= LAST_MS
        return
    moment = datetime.fromisoformat(text)
    expected = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=epoch_millis(epoch))
    assert moment == expected and len(text) == 24 and text.endswith("Z")


@pytest.mark.parametrize("epoch", [MOON, -0.001, *UNWRITABLE], ids=repr)
def test_an_event_before_1970_or_after_9999_is_refused_naming_occurred_at(epoch: float) -> None:
    with pytest.raises(ValueError, match="occurred_at must be epoch seconds from 1970"):
        _answered(epoch)


def test_the_refusal_of_a_1969_event_says_when_it_was() -> None:
    with pytest.raises(ValueError, match=r"1969-07-20T20:17:00\.000Z"):
        _answered(MOON)


def test_a_start_time_before_year_1_is_a_value_error_not_an_overflow() -> None:
    # The Caliper attempt starts response_time_ms before it ends: 2**62 ms is 146 million
    # years before 2027, a start no timestamp can write. xAPI sends only the duration.
    event = _answered(1.8e9, response_time_ms=2**62)
    with pytest.raises(ValueError, match="timestamp must be a moment from 0001"):
        build_caliper(event, PROFILE)
    assert build_xapi(event, PROFILE)["result"]["duration"].startswith("PT")


def _logged(seconds: int, nanos: int = 0) -> events_pb2.LoggedResponse:
    logged = events_pb2.LoggedResponse(log_id=7)
    r = logged.response
    r.event_id, r.learner_id, r.course_id, r.item_id = "e-7", "l-7", "c", "i"
    r.score, r.response_time_ms = 1.0, 3000
    r.occurred_at.seconds, r.occurred_at.nanos = seconds, nanos
    logged.recorded_at.seconds = 1_800_000_000
    return logged


@pytest.mark.parametrize("seconds", [-14_182_980, 2**63 - 1, -(2**63), 253_402_300_800])
def test_a_logged_entry_with_an_unwritable_time_is_a_value_error(seconds: int) -> None:
    with pytest.raises(ValueError, match="occurred_at"):
        from_logged("t", _logged(seconds), "")


def test_an_entry_read_back_clamped_to_9999_is_parked_not_delivered() -> None:
    # The engine clamps a pre-check 2**63 time to the last Timestamp second on output.
    with pytest.raises(ValueError, match="after the entry was recorded"):
        from_logged("t", _logged(253_402_300_799), "")


def test_a_logged_entry_at_a_good_time_still_builds() -> None:
    [event] = from_logged("t", _logged(1_800_000_000, 250_000_000), "Course")
    assert iso_timestamp(event.occurred_at) == "2027-01-15T08:00:00.250Z"
    assert build_xapi(event, PROFILE)["timestamp"] == "2027-01-15T08:00:00.250Z"
