"""With metrics and tracing off, the observability interceptor makes no span for a call that
carries no trace context (issue 17), and still continues one that does: its trace id reaches
the engine's log lines, as with tracing on."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from opentelemetry import trace
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs

from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.grpc.auth import StaticTokenAuthenticator
from attune.engine.grpc.server import build_engine, start_server
from attune.engine.observability.interceptor import ObservabilityInterceptor
from attune.engine.v1 import course_pb2, course_pb2_grpc
from attune.infra.tracing import add_trace_ids
from tests.support.courses import chain_course
from tests.support.engine_server import META_A, TOKENS

pytestmark = pytest.mark.integration
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = f"00-{TRACE}-00f067aa0ba902b7-01"


async def test_a_trace_is_continued_only_when_the_call_carries_one(tmp_path: Path) -> None:
    engine = build_engine(SqliteStore.open(tmp_path / "attune.db"))
    observe = ObservabilityInterceptor(None, trace.NoOpTracer())
    running = await start_server(
        engine, StaticTokenAuthenticator(TOKENS), "127.0.0.1", 0, observe=observe
    )
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            courses = course_pb2_grpc.CourseServiceStub(channel)
            request = course_pb2.PutCourseRequest(course=chain_course())
            with capture_logs(processors=[merge_contextvars, add_trace_ids]) as logs:
                await courses.PutCourse(request, metadata=(*META_A, ("traceparent", PARENT)))
                await courses.PutCourse(request, metadata=META_A)
    finally:
        await running.stop(1.0)
    traced, plain = [e for e in logs if e["event"] == "course.put"]
    assert traced["trace_id"] == TRACE
    assert "trace_id" not in plain
    assert plain["tenant"] == traced["tenant"] == "tenant-a"
