"""Size limits, the occurred_at window, truncated echoes and the reused event id rule."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import given
from hypothesis import strategies as st

from attune.engine.domain import limits
from attune.engine.domain.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
)
from attune.engine.domain.learner import Response
from attune.engine.domain.records import LoggedEvent
from attune.engine.domain.replay import REUSED_MESSAGE, check_replay, is_retry
from attune.engine.grpc.requests import check_ids, occurred_at
from attune.engine.grpc.status import field_of, status_for
from attune.engine.v1 import learner_pb2
from tests.support.stores import reply

NOW = 1_800_000_000.0


@given(st.text(max_size=5000))
def test_echo_never_repeats_more_than_the_limit(value: str) -> None:
    shown = limits.echo(value)
    if len(value) <= limits.ECHO_CHARS:
        assert shown == value
    else:
        assert shown == f"{value[: limits.ECHO_CHARS]}… ({len(value)} chars)"


def test_echo_names_the_full_length_when_it_cuts() -> None:
    assert limits.echo("x" * 1_000_000) == "x" * 64 + "… (1000000 chars)"
    assert limits.echo("abcdef", 3) == "abc… (6 chars)"


def test_not_found_repeats_only_the_head_of_the_id() -> None:
    err = NotFoundError("learner", "L" * 1_000_000)
    assert len(str(err)) < 120 and "1000000 chars" in str(err)
    assert str(NotFoundError("course", "c1")) == "course 'c1' not found"


@pytest.mark.parametrize(
    "exc",
    [
        InvalidInputError("event_id", "x" * 1_000_000),
        ConflictError("y" * 1_000_000),
        NotFoundError("item", "z" * 1_000_000),
    ],
)
def test_status_messages_are_capped(exc: Exception) -> None:
    _, message = status_for(exc)
    assert len(message) <= limits.MAX_MESSAGE_CHARS + 30


def test_already_exists_maps_to_its_code_and_names_the_field() -> None:
    exc = AlreadyExistsError("event_id", REUSED_MESSAGE)
    assert status_for(exc) == (
        grpc.StatusCode.ALREADY_EXISTS,
        "event_id: was already used for a different response",
    )
    assert field_of(exc) == "event_id" and field_of(ConflictError("x")) == ""


def test_ids_at_the_limit_pass_and_one_more_is_refused_naming_the_field() -> None:
    ok = learner_pb2.RecommendRequest(learner_id="l" * limits.MAX_ID_CHARS, course_id="c")
    check_ids(ok, "learner_id", "course_id")
    bad = learner_pb2.RecommendRequest(learner_id="l", course_id="c" * (limits.MAX_ID_CHARS + 1))
    with pytest.raises(InvalidInputError) as err:
        check_ids(bad, "learner_id", "course_id")
    assert err.value.field == "course_id" and "limit is 256" in str(err.value)


def _stamped(seconds: int, nanos: int = 0) -> learner_pb2.RecordResponseRequest:
    msg = learner_pb2.RecordResponseRequest()
    msg.occurred_at.CopyFrom(Timestamp(seconds=seconds, nanos=nanos))
    return msg


@pytest.mark.parametrize(
    ("seconds", "nanos", "field"),
    [
        (2**63 - 1, 0, "occurred_at"),
        (-(2**63), 0, "occurred_at"),
        (-1, 0, "occurred_at"),
        (-15_000_000, 0, "occurred_at"),  # 1969-07-11
        (253_402_300_800, 0, "occurred_at"),  # 10000-01-01
        (946_684_799, 0, "occurred_at"),  # one second before 2000
        (int(NOW) + 301, 0, "occurred_at"),  # beyond the clock skew
        (int(NOW), -1, "occurred_at.nanos"),
        (int(NOW), 1_000_000_000, "occurred_at.nanos"),
    ],
)
def test_occurred_at_outside_the_window_is_refused(seconds: int, nanos: int, field: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        occurred_at(_stamped(seconds, nanos), "occurred_at", NOW)
    assert err.value.field == field


def test_occurred_at_window_edges_and_default() -> None:
    assert occurred_at(_stamped(946_684_800), "occurred_at", NOW) == 946_684_800.0
    assert occurred_at(_stamped(int(NOW) + 300), "occurred_at", NOW) == NOW + 300
    assert occurred_at(_stamped(int(NOW), 500_000_000), "occurred_at", NOW) == NOW + 0.5
    assert occurred_at(learner_pb2.RecordResponseRequest(), "occurred_at", NOW) == NOW


def _logged(**kw: object) -> LoggedEvent:
    base: dict[str, object] = {
        "tenant": "t",
        "event_id": "e1",
        "learner_id": "l1",
        "course_id": "c1",
        "item_id": "i1",
        "score": 1.0,
        "response_time_ms": 9000,
        "occurred_at": NOW,
        "recorded_at": NOW,
        "sequence": 1,
        "reply": reply("e1"),
    }
    return LoggedEvent(**{**base, **kw})  # type: ignore[arg-type]


def _response(**kw: object) -> Response:
    base: dict[str, object] = {
        "event_id": "e1",
        "learner_id": "l1",
        "course_id": "c1",
        "item_id": "i1",
        "score": 1.0,
        "response_time_ms": 9000,
        "occurred_at": NOW,
    }
    return Response(**{**base, **kw})  # type: ignore[arg-type]


def test_a_retry_repeats_the_response_whatever_its_time() -> None:
    retry = _response(occurred_at=NOW + 60, response_time_ms=1)
    assert is_retry(_logged(), retry)
    check_replay(_logged(), retry)


@pytest.mark.parametrize(
    "changed",
    [{"learner_id": "someone-else"}, {"course_id": "c2"}, {"item_id": "i2"}, {"score": 0.0}],
)
def test_a_reused_id_gets_one_refusal_that_names_nobody(changed: dict[str, object]) -> None:
    with pytest.raises(AlreadyExistsError) as err:
        check_replay(_logged(), _response(**changed))
    assert str(err.value) == "event_id: was already used for a different response"
    assert "l1" not in str(err.value) and "someone-else" not in str(err.value)
