"""Store adapters for the tests, and small builders of what they store."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from attune.engine.domain.learner import LearnerState, SkillOutcome, SkillState
from attune.engine.domain.policy import Reason, Recommendation
from attune.engine.domain.records import LoggedEvent, RecordResult


def event(
    event_id: str,
    learner: str = "l",
    seq: int = 1,
    tenant: str = "t",
    course: str = "c",
    item: str = "i",
) -> LoggedEvent:
    """A logged event with a small reply (floats that must survive exactly)."""
    return LoggedEvent(
        tenant, event_id, learner, course, item, 1.0, 3000, 1.8e9 + seq, 1.8e9 + seq + 0.5,
        seq, reply(event_id, seq), credibility=1.0, gain=0.01 * seq,
    )  # fmt: skip


def reply(event_id: str, seq: int = 1) -> RecordResult:
    """A reply with one skill and one recommendation."""
    return RecordResult(
        event_id=event_id,
        skills=(SkillOutcome("a", 0.2, 1 / 3, 0.6, seq, False, "ready"),),
        mastery_events=(),
        recommendations=(
            Recommendation("i2", "a", 0.5 + 1 / 7, (Reason.ZPD, Reason.NOVELTY), {"zpd": 1.0}),
        ),
        sequence=seq,
        theta=0.1,
        theta_se=0.9,
    )


def state(learner: str = "l", course: str = "c", responses: int = 1) -> LearnerState:
    """A learner state with a couple of skills (floats that must survive exactly)."""
    return LearnerState(
        learner,
        course,
        skills={"a": SkillState(0.1 + responses / 7, responses), "b": SkillState(1 / 3)},
        recent_items=("i1",),
        last_skill="a",
        responses=responses,
    )


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> bool:
    """Poll ``check`` until it holds or ``timeout`` s pass; its last answer."""
    deadline = time.monotonic() + timeout
    while True:
        if await check():
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
