"""What a reused event id may reveal (issue 11 item 18).

An event id makes a response idempotent: sending it again returns the reply of the first
time. A retry repeats the same learner, course, item and outcome; anything else under a
known id is a client bug or a probe. Both get the same refusal, which names no learner, no
course and no stored value, so it says nothing that the caller did not send itself.
``occurred_at`` and ``response_time_ms`` are not compared: a client that leaves
``occurred_at`` out gets the engine's clock, which differs on every retry.
"""

from __future__ import annotations

from attune.engine.domain.errors import AlreadyExistsError
from attune.engine.domain.learner import Response
from attune.engine.domain.records import LoggedEvent

REUSED_MESSAGE = "was already used for a different response"


def is_retry(logged: LoggedEvent, response: Response) -> bool:
    """Whether ``response`` repeats the logged one (same learner, course, item, outcome)."""
    return (
        logged.learner_id == response.learner_id
        and logged.course_id == response.course_id
        and logged.item_id == response.item_id
        and logged.score == response.score
    )


def check_replay(logged: LoggedEvent, response: Response) -> None:
    """Raise :class:`AlreadyExistsError` unless ``response`` is a retry of ``logged``."""
    if not is_retry(logged, response):
        raise AlreadyExistsError("event_id", REUSED_MESSAGE)
