"""The state kept between an answer and the page that follows it: taken once, only while
young, and bounded."""

from __future__ import annotations

from attune.engine.v1 import learner_pb2
from attune.gateway.practice_recent import RecentStates


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _state(n: int) -> learner_pb2.GetLearnerStateResponse:
    return learner_pb2.GetLearnerStateResponse(learner_id="l", course_id="c", responses=n)


def test_a_kept_state_is_taken_once() -> None:
    kept = RecentStates(Clock())
    kept.put("t", _state(3))
    got = kept.pop("t")
    assert got is not None and got.responses == 3
    assert kept.pop("t") is None
    assert kept.pop("other") is None


def test_a_state_older_than_the_ttl_is_not_used() -> None:
    clock = Clock()
    kept = RecentStates(clock, ttl=30.0)
    kept.put("t", _state(1))
    clock.now += 30.5
    assert kept.pop("t") is None


def test_the_latest_state_of_a_session_wins_and_the_oldest_session_goes_first() -> None:
    kept = RecentStates(Clock(), max_entries=2)
    kept.put("a", _state(1))
    kept.put("b", _state(1))
    kept.put("a", _state(2))  # a is now the most recent
    kept.put("c", _state(1))  # b is dropped
    assert kept.pop("b") is None
    a = kept.pop("a")
    assert a is not None and a.responses == 2
    assert kept.pop("c") is not None
