"""Load shedding (issue 17): admission control by priority class.

A saturated engine refuses work instead of queueing it without bound. Calls are either
``tutoring`` (a learner waits for the answer: responses, next items, learner state) or
``analytics`` (reports, events, exports, interventions, course writes). Tutoring may use
every in-flight slot and waits a bounded time for one; analytics never waits and yields
early, so that it is refused first. A refusal is UNAVAILABLE with the tenant limiter's retry
trailers (``retry-after``, ``retry-after-ms``), before anything is done for the call.

Calls also queue before any handler runs: gRPC dispatches a call, then the event loop must
get round to receiving its message. Under overload that wait, not the handlers, is most of
the latency, and the in-flight count does not see it. So each call's wait from dispatch to
start is measured too, and a call that waited longer than its class's ``max_delay_ms`` is
refused as ``late`` (the caller has been waiting anyway; answering it would only make the
next ones wait longer).

The gate lives on the server's event loop (grpc.aio runs every handler there), so its
counters need no lock: the fast path is a few integer operations. A StreamResponses stream
holds a slot per message, while that message is applied, never while it waits for the next.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from typing import Any, Protocol

import grpc
import structlog
from grpc import aio

from attune.engine.grpc.interceptors import (
    Behaviour,
    Continuation,
    Handler,
    _BehaviourInterceptor,
)
from attune.engine.grpc.tenant_limits import retry_metadata

log = structlog.get_logger("attune.admission")

# When grpc asked for the call's handler (its dispatch), on the admission clock. Set in
# intercept_service, read by the behaviour in the same task; the wrapped handlers themselves
# are built once per method (interceptors._BehaviourInterceptor).
_DISPATCHED: ContextVar[float | None] = ContextVar("attune_admission_dispatched", default=None)

TUTORING = "tutoring"
ANALYTICS = "analytics"
CLASSES = (TUTORING, ANALYTICS)
# Why a call was refused (the ``reason`` label of attune_engine_shed_total).
SATURATED = "saturated"  # analytics: the slots it may use are taken
QUEUE_FULL = "queue_full"  # tutoring: every slot taken and the wait queue full (or off)
QUEUE_TIMEOUT = "queue_timeout"  # tutoring: no slot came free within max_queue_ms
LATE = "late"  # the call waited longer than its class's max_delay_ms before it could start

_V1 = "/attune.engine.v1."
TUTORING_METHODS = frozenset(
    {
        f"{_V1}LearnerService/RecordResponse",
        f"{_V1}LearnerService/StreamResponses",
        f"{_V1}LearnerService/Recommend",
        f"{_V1}LearnerService/GetLearnerState",
        f"{_V1}CourseService/GetCourse",
        f"{_V1}ExperimentService/GetExperimentArm",
    }
)
_LOG_EVERY_S = 1.0  # refusals are logged at most once a second (a count), not one line each


def priority_class(method: str) -> str:
    """The class of a full gRPC method name: tutoring, or analytics for everything else."""
    return TUTORING if method in TUTORING_METHODS else ANALYTICS


class AdmissionLimits(Protocol):
    """What the gate applies (``engine/admission_settings.py`` is one)."""

    @property
    def max_in_flight(self) -> int: ...
    @property
    def max_queue_ms(self) -> int: ...
    @property
    def max_queued(self) -> int: ...
    @property
    def max_delay_ms(self) -> int: ...
    @property
    def analytics_max_delay_ms(self) -> int: ...
    @property
    def analytics_max_in_flight(self) -> int: ...
    @property
    def analytics_yield_at(self) -> float: ...
    @property
    def retry_after_ms(self) -> int: ...
    @property
    def analytics_retry_after_ms(self) -> int: ...


class AdmissionGate:
    """Counts the calls in flight per class and decides who enters. Loop-confined."""

    def __init__(
        self, limits: AdmissionLimits, on_shed: Callable[[str, str], None] | None = None
    ) -> None:
        self.limits = limits
        self.on_shed = on_shed  # (class, reason) per refusal: the metrics hook
        self._max = limits.max_in_flight
        self._analytics_at = max(1, int(limits.max_in_flight * limits.analytics_yield_at))
        self._analytics_max = limits.analytics_max_in_flight
        self._tutoring = 0
        self._analytics = 0
        self._waiters: deque[asyncio.Future[bool]] = deque()

    def in_flight(self, cls: str) -> int:
        """Calls of ``cls`` being handled now."""
        return self._tutoring if cls == TUTORING else self._analytics

    @property
    def queued(self) -> int:
        """Tutoring calls waiting for a slot."""
        return sum(1 for w in self._waiters if not w.done())

    def try_enter(self, cls: str) -> bool:
        """Take a slot at once if the class may: the fast path, no waiting."""
        total = self._tutoring + self._analytics
        if cls == TUTORING:
            if total < self._max and not self._waiters:
                self._tutoring += 1
                return True
            return False
        room = total < self._analytics_at and self._analytics < self._analytics_max
        if room and not self._waiters:
            self._analytics += 1
            return True
        return False

    async def enter(self, cls: str) -> str | None:
        """Take a slot, waiting (tutoring only) at most ``max_queue_ms``: None when
        admitted, else the reason of the refusal."""
        if self.try_enter(cls):
            return None
        if cls != TUTORING:
            return SATURATED
        limits = self.limits
        if limits.max_queue_ms <= 0 or len(self._waiters) >= limits.max_queued:
            return QUEUE_FULL
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        self._waiters.append(waiter)
        expiry = loop.call_later(limits.max_queue_ms / 1000, _expire, waiter)
        try:
            granted = await waiter
        except asyncio.CancelledError:  # the caller went away; a slot handed over is returned
            if waiter.done() and not waiter.cancelled() and waiter.result():
                self.leave(TUTORING)
            raise
        finally:
            expiry.cancel()
            self._drop_done()
        return None if granted else QUEUE_TIMEOUT

    def leave(self, cls: str) -> None:
        """Give the slot back; the longest-waiting tutoring call gets it first."""
        if cls == TUTORING:
            self._tutoring -= 1
        else:
            self._analytics -= 1
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._tutoring += 1  # handed over: no newcomer can take it in between
                waiter.set_result(True)
                return

    def _drop_done(self) -> None:
        while self._waiters and self._waiters[0].done():
            self._waiters.popleft()

    def max_delay_s(self, cls: str) -> float:
        """How long a call of ``cls`` may wait between its dispatch and its start (0: any)."""
        ms = self.limits.max_delay_ms if cls == TUTORING else self.limits.analytics_max_delay_ms
        return ms / 1000 if ms > 0 else float("inf")

    def retry_after_s(self, cls: str) -> float:
        """The hint a refused call of ``cls`` gets, in seconds."""
        ms = self.limits.retry_after_ms if cls == TUTORING else self.limits.analytics_retry_after_ms
        return ms / 1000


def _expire(waiter: asyncio.Future[bool]) -> None:
    if not waiter.done():
        waiter.set_result(False)


class AdmissionInterceptor(_BehaviourInterceptor):
    """Admits each authenticated call through the gate (a stream: each message); sits after
    authentication and before the tenant limits, so a shed call charges no budget."""

    def __init__(self, gate: AdmissionGate, clock: Callable[[], float] = time.perf_counter) -> None:
        super().__init__()
        self.gate = gate
        self._clock = clock
        self._shed_since_log = 0
        self._logged_at = float("-inf")

    async def _refuse(self, context: aio.ServicerContext, cls: str, reason: str) -> None:
        gate = self.gate
        if gate.on_shed is not None:
            gate.on_shed(cls, reason)
        self._shed_since_log += 1
        now = self._clock()
        if now - self._logged_at >= _LOG_EVERY_S:
            log.warning(
                "admission.shed",
                priority=cls,
                reason=reason,
                shed=self._shed_since_log,  # refusals since the last such line
                tutoring_in_flight=gate.in_flight(TUTORING),
                analytics_in_flight=gate.in_flight(ANALYTICS),
            )
            self._logged_at, self._shed_since_log = now, 0
        wait = gate.retry_after_s(cls)
        await context.abort(
            grpc.StatusCode.UNAVAILABLE,
            f"the engine is saturated ({cls} calls, {reason}); retry in {round(wait * 1000)} ms",
            trailing_metadata=retry_metadata(wait),
        )

    async def intercept_service(
        self, continuation: Continuation, details: grpc.HandlerCallDetails
    ) -> Handler | None:
        _DISPATCHED.set(self._clock())  # grpc asks for the handler when it dispatches the call
        return await super().intercept_service(continuation, details)

    def _late(self, cls: str) -> bool:
        """Whether the call waited longer than its class may between dispatch and start."""
        dispatched = _DISPATCHED.get()
        return dispatched is not None and self._clock() - dispatched > self.gate.max_delay_s(cls)

    def wrap_unary(self, behaviour: Behaviour, method: str) -> Behaviour:
        cls = priority_class(method)
        gate = self.gate

        async def unary(request: Any, context: aio.ServicerContext) -> Any:
            if self._late(cls):
                await self._refuse(context, cls, LATE)
            if not gate.try_enter(cls):
                reason = await gate.enter(cls)
                if reason is not None:
                    await self._refuse(context, cls, reason)
            try:
                return await behaviour(request, context)
            finally:
                gate.leave(cls)

        return unary

    def wrap_stream(self, behaviour: Behaviour, method: str) -> Behaviour:
        cls = priority_class(method)

        async def stream(request: Any, context: aio.ServicerContext) -> AsyncIterator[Any]:
            if self._late(cls):
                await self._refuse(context, cls, LATE)
            held = [False]
            try:
                async for reply in behaviour(self._metered(request, context, cls, held), context):
                    yield reply
            finally:
                if held[0]:
                    held[0] = False
                    self.gate.leave(cls)

        return stream

    async def _metered(
        self, requests: Any, context: aio.ServicerContext, cls: str, held: list[bool]
    ) -> AsyncIterator[Any]:
        """The stream's requests, each admitted while it is applied: the slot is given back
        when the servicer asks for the next message. A refused message ends the call
        UNAVAILABLE (the messages before it were applied)."""
        gate = self.gate
        async for item in requests:
            reason = await gate.enter(cls)
            if reason is not None:
                await self._refuse(context, cls, reason)
            held[0] = True
            yield item
            if held[0]:
                held[0] = False
                gate.leave(cls)
