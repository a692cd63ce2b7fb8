"""The engine's retry hint on the gateway's EngineCallError (gateway/errors.py): read from a
call's trailing metadata, kept only on UNAVAILABLE and RESOURCE_EXHAUSTED, whole seconds."""

from __future__ import annotations

import pytest

from attune.gateway.errors import EngineCallError, retry_hint


def test_the_hint_is_read_from_the_trailing_metadata() -> None:
    trailing = (("retry-after", "3"), ("retry-after-ms", "2500"))
    assert retry_hint(trailing) == "3"
    assert retry_hint([("other", "x"), ("retry-after", "12")]) == "12"


@pytest.mark.parametrize(
    "trailing",
    [
        None,
        (),
        (("retry-after", "soon"),),
        (("retry-after", "-1"),),
        (("retry-after", "0"),),
        (("retry-after", "1.5"),),
        (("retry-after", "٣"),),
    ],
)
def test_no_hint_or_a_bad_one_is_none(trailing: object) -> None:
    assert retry_hint(trailing) is None


def test_a_very_long_hint_is_capped_at_an_hour() -> None:
    assert retry_hint((("retry-after", "999999"),)) == "3600"


def test_the_hint_stays_on_a_503_or_a_429_only() -> None:
    assert EngineCallError("UNAVAILABLE", "shed", "2").retry_after == "2"
    assert EngineCallError("UNAVAILABLE", "shed", "2").status == 503
    assert EngineCallError("RESOURCE_EXHAUSTED", "budget", "5").retry_after == "5"
    assert EngineCallError("RESOURCE_EXHAUSTED", "budget", "5").status == 429
    assert EngineCallError("INVALID_ARGUMENT", "bad", "5").retry_after is None
    assert EngineCallError("UNAVAILABLE", "down").retry_after is None


def test_busy_or_away_is_transient_and_the_rest_is_not() -> None:
    assert EngineCallError("UNAVAILABLE", "shed").transient
    assert EngineCallError("RESOURCE_EXHAUSTED", "budget").transient
    assert EngineCallError("DEADLINE_EXCEEDED", "slow").transient
    assert not EngineCallError("NOT_FOUND", "no course").transient
    assert not EngineCallError("INVALID_ARGUMENT", "bad").transient
