"""Store adapters for the tests, and small builders of what they store."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from engine.domain.learner import LearnerState, SkillState
from engine.domain.records import LoggedEvent


def event(
    event_id: str,
    learner: str = "l",
    seq: int = 1,
    tenant: str = "t",
    course: str = "c",
    item: str = "i",
) -> LoggedEvent:
    """A logged event with a small, valid JSON reply."""
    reply = f'{{"e":"{event_id}","q":{seq}}}'
    return LoggedEvent(
        tenant, event_id, learner, course, item, 1.0, 3000, 1.8e9 + seq, 1.8e9 + seq + 0.5,
        seq, reply, credibility=1.0, gain=0.01 * seq,
    )  # fmt: skip


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
