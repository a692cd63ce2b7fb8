"""The service side of pending erasures, over the memory store and a clock the test moves:
what a delete records, the backlog's age for alerting, the metrics, bad input."""

from __future__ import annotations

import pytest

from attune.engine.adapters.memory_store import MemoryStore
from attune.engine.domain.errors import InvalidInputError, NotFoundError
from attune.engine.domain.learner import Response
from attune.engine.grpc.convert import course_from_pb
from attune.engine.observability.metrics import EngineMetrics
from attune.engine.observability.wiring import EngineObservability
from attune.engine.service import Engine
from tests.support.courses import chain_course
from tests.support.engine_server import ManualClock

T = "t"


async def _engine() -> tuple[Engine, ManualClock, EngineMetrics]:
    clock = ManualClock(1_800_000_000.0)
    engine = Engine(MemoryStore(), clock=clock)
    metrics = EngineMetrics.build()
    EngineObservability(metrics, tracer=None).attach(engine)  # type: ignore[arg-type]
    await engine.put_course(T, course_from_pb(chain_course()))
    return engine, clock, metrics


async def _answer(engine: Engine, learner: str) -> None:
    await engine.record(
        T, Response(f"{learner}-1", learner, "chain", "a1", 1.0, 9000, engine.now())
    )


def _value(metrics: EngineMetrics, name: str) -> float:
    value = metrics.registry.get_sample_value(name)
    assert value is not None, name
    return value


async def test_a_delete_records_an_erasure_whose_age_shows_until_acknowledged() -> None:
    engine, clock, metrics = await _engine()
    await _answer(engine, "lea")
    assert _value(metrics, "attune_engine_pending_erasure_oldest_age_seconds") == 0.0
    await engine.delete_learner(T, "lea", "req-1")
    (pending,) = await engine.erasures.pending(T, "", 0)
    assert (pending.learner_id, pending.requested_at, pending.request_id) == (
        "lea",
        1_800_000_000.0,
        "req-1",
    )
    clock.t += 120
    assert _value(metrics, "attune_engine_pending_erasure_oldest_age_seconds") == 120.0
    assert _value(metrics, "attune_engine_erasures_recorded_total") == 1.0
    # A retry finds nothing to erase: NOT_FOUND, and no second erasure.
    with pytest.raises(NotFoundError):
        await engine.delete_learner(T, "lea", "req-2")
    assert _value(metrics, "attune_engine_erasures_recorded_total") == 1.0
    assert await engine.erasures.acknowledge(T, "lea", pending.erasure_id)
    assert not await engine.erasures.acknowledge(T, "lea", pending.erasure_id)
    assert _value(metrics, "attune_engine_erasures_acknowledged_total") == 1.0
    assert await engine.erasures.pending(T, "", 0) == []  # the list tells the process
    assert _value(metrics, "attune_engine_pending_erasure_oldest_age_seconds") == 0.0


async def test_bad_input_is_refused_naming_the_field() -> None:
    engine, _, _ = await _engine()
    for size in (-1, 1001):
        with pytest.raises(InvalidInputError, match="page_size"):
            await engine.erasures.pending(T, "", size)
    with pytest.raises(InvalidInputError, match="learner_id"):
        await engine.erasures.acknowledge(T, " ", "e")
    with pytest.raises(InvalidInputError, match="erasure_id"):
        await engine.erasures.acknowledge(T, "lea", "")
