"""The four measured phases: what each sends and what counts as a success."""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc

from attune.engine.v1 import course_pb2, course_pb2_grpc, learner_pb2, learner_pb2_grpc
from bench.drivers import (
    CALL_TIMEOUT_S,
    DRAIN_TIMEOUT_S,
    MessageFactory,
    ReplyCheck,
    StreamPlan,
    run_streams,
    run_unary,
)
from bench.stats import PhaseResult, Sample

COURSE_ID = "demo"
# The development token of `attune serve`, which acts for the tenant holding the demo course.
METADATA = (("authorization", "Bearer dev-token"),)
# Each phase also stops after this many operations, however fast the server is.
MAX_OPS_PER_SECOND = 200_000

# Runs one phase's traffic: (label, seconds) -> observations. The label keeps event ids of
# the warm-up and of the measured run apart.
Runner = Callable[[str, float], Awaitable[Sample]]


class ServerDiedError(RuntimeError):
    """The server process ended during the benchmark."""


@dataclass
class Workload:
    """Everything the phases share: the channel, the learners and items, the knobs."""

    channel: aio.Channel
    items: list[str]
    learners: list[str]
    rng: random.Random
    run_tag: str
    concurrency: int
    streams: int
    window: int

    def record(self, event_id: str) -> learner_pb2.RecordResponseRequest:
        """A response of a random learner to a random demo item, right 60 % of the time."""
        return learner_pb2.RecordResponseRequest(
            event_id=event_id,
            learner_id=self.rng.choice(self.learners),
            course_id=COURSE_ID,
            item_id=self.rng.choice(self.items),
            correct=self.rng.random() < 0.6,
        )


async def demo_items(channel: aio.Channel) -> list[str]:
    """The item ids of the demo course, read over gRPC like any client would."""
    stub = course_pb2_grpc.CourseServiceStub(channel)
    reply = await stub.GetCourse(
        course_pb2.GetCourseRequest(course_id=COURSE_ID),
        metadata=METADATA,
        timeout=CALL_TIMEOUT_S,
    )
    return [item.item_id for item in reply.course.items]


def unary_ceiling(w: Workload) -> Runner:
    """grpc.health.v1.Health/Check: the cheapest unary call the same server answers."""
    stub = health_pb2_grpc.HealthStub(w.channel)
    request = health_pb2.HealthCheckRequest()

    async def run(label: str, seconds: float) -> Sample:
        async def call(i: int) -> object:
            # Same metadata as the engine calls, so that the bytes on the wire compare.
            # types-grpcio-health-checking's HealthStub declares no methods; grpc adds Check.
            return await stub.Check(  # type: ignore[attr-defined]
                request, metadata=METADATA, timeout=CALL_TIMEOUT_S
            )

        return await run_unary(call, w.concurrency, seconds, _cap(seconds))

    return run


def record_response(w: Workload) -> Runner:
    """LearnerService/RecordResponse: every call a new event of one of many learners."""
    stub = learner_pb2_grpc.LearnerServiceStub(w.channel)

    async def run(label: str, seconds: float) -> Sample:
        async def call(i: int) -> object:
            request = w.record(f"{w.run_tag}-unary-{label}-{i}")
            return await stub.RecordResponse(request, metadata=METADATA, timeout=CALL_TIMEOUT_S)

        return await run_unary(call, w.concurrency, seconds, _cap(seconds))

    return run


def _rejected_as_expected(reply: Any) -> str | None:
    if reply.WhichOneof("result") != "error":
        return "UNEXPECTED_SUCCESS"
    if reply.error.code != "INVALID_ARGUMENT" or reply.error.field != "event_id":
        return f"UNEXPECTED_{reply.error.code or 'ERROR'}"
    return None


def _applied(reply: Any) -> str | None:
    if reply.WhichOneof("result") == "reply":
        return None
    return str(reply.error.code or "EMPTY_REPLY")


def stream_ceiling(w: Workload) -> Runner:
    """StreamResponses with an EMPTY event_id in every message.

    The server has no empty streaming RPC, so the ceiling is a stream whose every message
    is refused at the first check (INVALID_ARGUMENT on event_id, before any store access):
    the cost of the stream machinery, framing and one reply per message, and no engine work.
    Those error replies are the expected outcome here and count as successes.
    """
    stub = learner_pb2_grpc.LearnerServiceStub(w.channel)

    def message(i: int) -> tuple[Any, str]:
        return learner_pb2.StreamResponsesRequest(record=w.record("")), ""

    async def run(label: str, seconds: float) -> Sample:
        messages = [message] * w.streams
        return await run_streams(_plans(w, stub, messages, _rejected_as_expected, seconds), seconds)

    return run


def stream_responses(w: Workload) -> Runner:
    """StreamResponses with valid, unique events: the bulk-ingestion path."""
    stub = learner_pb2_grpc.LearnerServiceStub(w.channel)

    def messages_of(label: str, k: int) -> MessageFactory:
        def message(i: int) -> tuple[Any, str]:
            event_id = f"{w.run_tag}-stream-{label}-{k}-{i}"
            return learner_pb2.StreamResponsesRequest(record=w.record(event_id)), event_id

        return message

    async def run(label: str, seconds: float) -> Sample:
        messages = [messages_of(label, k) for k in range(w.streams)]
        return await run_streams(_plans(w, stub, messages, _applied, seconds), seconds)

    return run


def _plans(
    w: Workload,
    stub: learner_pb2_grpc.LearnerServiceAsyncStub,
    messages: Sequence[MessageFactory],
    check: ReplyCheck,
    seconds: float,
) -> list[StreamPlan]:
    """One plan per message factory; the phase's operation cap is split between streams."""
    per_stream = max(1, _cap(seconds) // len(messages))
    return [
        StreamPlan(
            open_call=lambda: stub.StreamResponses(
                metadata=METADATA, timeout=seconds + DRAIN_TIMEOUT_S
            ),
            make_message=message,
            check_reply=check,
            window=w.window,
            max_messages=per_stream,
        )
        for message in messages
    ]


def _cap(seconds: float) -> int:
    return max(1, int(seconds * MAX_OPS_PER_SECOND))


async def measure(
    name: str,
    unit: str,
    runner: Runner,
    warmup_s: float,
    seconds: float,
    server_cpu: Callable[[], float | None],
    alive: Callable[[], bool],
    note: str = "",
) -> PhaseResult:
    """Warm up, then run one measured phase and summarise it with client and server CPU.

    Raises :class:`ServerDiedError` when the server is gone after the warm-up; a death
    during the measured run shows in the result's errors, and the caller checks after.
    """
    if warmup_s > 0:
        await runner("warm", warmup_s)
    if not alive():
        raise ServerDiedError(f"the server exited during the warm-up of {name}")
    cpu0, srv0 = time.process_time(), server_cpu()
    sample = await runner("run", seconds)
    cpu1, srv1 = time.process_time(), server_cpu()
    srv = None if srv0 is None or srv1 is None else srv1 - srv0
    return PhaseResult.from_sample(name, unit, sample, cpu1 - cpu0, srv, note)
