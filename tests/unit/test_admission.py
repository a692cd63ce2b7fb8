"""The admission gate of the load shedding (engine/grpc/admission.py), without a server: who
enters, who waits, who is refused, and the metrics it feeds."""

from __future__ import annotations

import asyncio

import pytest

from attune.engine.admission_settings import AdmissionSettings
from attune.engine.grpc.admission import (
    ANALYTICS,
    QUEUE_FULL,
    SATURATED,
    TUTORING,
    AdmissionGate,
    priority_class,
)
from attune.engine.grpc.scopes import METHOD_SCOPES
from attune.engine.observability.metrics import EngineMetrics
from attune.engine.observability.wiring import EngineObservability


def test_every_rpc_has_a_class_and_tutoring_is_the_learners_path() -> None:
    classes = {m.rsplit("/", 1)[1]: priority_class(m) for m in METHOD_SCOPES}
    assert {m for m, c in classes.items() if c == TUTORING} == {
        "RecordResponse",
        "StreamResponses",
        "Recommend",
        "GetLearnerState",
        "GetCourse",
        "GetExperimentArm",
    }
    assert classes["GetClassReport"] == classes["ListEvents"] == ANALYTICS
    assert priority_class("/unknown.Service/Method") == ANALYTICS


def test_analytics_yields_first_then_tutoring_fills_every_slot() -> None:
    gate = AdmissionGate(AdmissionSettings(max_in_flight=4, analytics_yield_at=0.5))
    assert gate.try_enter(ANALYTICS)
    assert gate.try_enter(TUTORING)
    assert not gate.try_enter(ANALYTICS)  # half the slots are taken
    assert gate.try_enter(TUTORING) and gate.try_enter(TUTORING)
    assert not gate.try_enter(TUTORING)  # all four taken
    gate.leave(ANALYTICS)
    assert gate.in_flight(ANALYTICS) == 0 and gate.in_flight(TUTORING) == 3
    assert not gate.try_enter(ANALYTICS)
    assert gate.try_enter(TUTORING)


def test_analytics_has_its_own_cap() -> None:
    gate = AdmissionGate(AdmissionSettings(max_in_flight=100, analytics_max_in_flight=2))
    assert gate.try_enter(ANALYTICS) and gate.try_enter(ANALYTICS)
    assert not gate.try_enter(ANALYTICS)
    assert gate.try_enter(TUTORING)


async def test_waiters_get_slots_in_order_and_analytics_waits_for_none() -> None:
    gate = AdmissionGate(AdmissionSettings(max_in_flight=1, max_queued=2, max_queue_ms=60_000))
    assert await gate.enter(TUTORING) is None
    first = asyncio.create_task(gate.enter(TUTORING))
    second = asyncio.create_task(gate.enter(TUTORING))
    await asyncio.sleep(0)
    assert gate.queued == 2
    assert await gate.enter(TUTORING) == QUEUE_FULL
    assert await gate.enter(ANALYTICS) == SATURATED
    gate.leave(TUTORING)
    assert await first is None and not second.done()
    assert gate.in_flight(TUTORING) == 1  # handed over, never free in between
    assert not gate.try_enter(TUTORING)  # a newcomer does not jump the queue
    gate.leave(TUTORING)
    assert await second is None
    gate.leave(TUTORING)
    assert gate.in_flight(TUTORING) == 0 and gate.queued == 0


async def test_a_cancelled_waiter_gives_its_slot_back() -> None:
    gate = AdmissionGate(AdmissionSettings(max_in_flight=1, max_queue_ms=60_000))
    assert gate.try_enter(TUTORING)
    waiter = asyncio.create_task(gate.enter(TUTORING))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    gate.leave(TUTORING)
    assert gate.in_flight(TUTORING) == 0 and gate.queued == 0
    assert gate.try_enter(TUTORING)


def test_the_metrics_count_refusals_and_read_in_flight_when_scraped() -> None:
    gate = AdmissionGate(AdmissionSettings())
    observability = EngineObservability(metrics=EngineMetrics.build(), tracer=None)  # type: ignore[arg-type]
    observability.watch_admission(gate)
    assert gate.on_shed is not None
    gate.on_shed(ANALYTICS, SATURATED)
    gate.try_enter(TUTORING)
    registry = observability.metrics.registry  # type: ignore[union-attr]
    shed = registry.get_sample_value(
        "attune_engine_shed_total", {"class": ANALYTICS, "reason": SATURATED}
    )
    assert shed == 1.0
    assert registry.get_sample_value("attune_engine_in_flight", {"class": TUTORING}) == 1.0
    assert registry.get_sample_value("attune_engine_in_flight", {"class": ANALYTICS}) == 0.0


def test_the_engine_sheds_by_default_and_the_setting_turns_it_off() -> None:
    from types import SimpleNamespace

    from attune.engine.main import _admission
    from attune.engine.settings import EngineSettings

    on = _admission(SimpleNamespace(settings=EngineSettings(), observability=None))  # type: ignore[arg-type]
    assert on is not None and on.gate.limits.max_in_flight == 64
    off = EngineSettings(admission={"enabled": False})
    assert _admission(SimpleNamespace(settings=off, observability=None)) is None  # type: ignore[arg-type]


def test_the_delay_bound_per_class_and_zero_for_none() -> None:
    gate = AdmissionGate(AdmissionSettings(max_delay_ms=500, analytics_max_delay_ms=0))
    assert gate.max_delay_s(TUTORING) == 0.5
    assert gate.max_delay_s(ANALYTICS) == float("inf")
