"""Run one fixed learner history through a real engine and print every reply's
recommendations as JSON lines (``REC <json>``; the engine's logs go to stdout too).
``tests/integration/test_selection_determinism.py`` runs this module under different
``PYTHONHASHSEED`` values and expects identical output (issue 20).

The history: a learner masters every skill of the wide graph (16 skills, identical BKT
parameters, so beliefs tie) with the same right answers on each, all at one instant, then asks for
recommendations with nothing due, then again days later when every skill is due at once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json

from attune.engine.adapters.memory_store import MemoryStore
from attune.engine.domain.learner import Response
from attune.engine.grpc.server import build_engine
from attune.models.simulation.graphs import wide_course

START = 1_800_000_000.0


class _Clock:
    def __init__(self) -> None:
        self.t = START

    def now(self) -> float:
        return self.t


async def _run() -> None:
    clock = _Clock()
    engine = build_engine(MemoryStore(), clock=clock)
    course = wide_course()
    course = dataclasses.replace(
        course, diagnostic=dataclasses.replace(course.diagnostic, enabled=False)
    )
    await engine.put_course("t", course)
    n = 0
    for sid in course.order:
        for level in (1, 2, 3, 1):
            n += 1
            # Every answer at the same instant (a batch import): practice times tie too.
            response = Response(
                f"e{n}", "l", course.course_id, f"{sid}/{level}", 1.0, 9000, clock.t
            )
            reply = await engine.record("t", response, max_recommendations=5)
            print(
                "REC",
                json.dumps(
                    [[r.item_id, [x.value for x in r.reasons]] for r in reply.recommendations]
                ),
            )
    for later in (60.0, 40 * 24 * 3600.0):
        clock.t = START + n + later
        recs, _ = await engine.recommend("t", "l", course.course_id, 5)
        print("REC", json.dumps([[r.item_id, [x.value for x in r.reasons]] for r in recs]))


if __name__ == "__main__":
    asyncio.run(_run())
