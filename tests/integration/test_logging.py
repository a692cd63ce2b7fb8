"""Every log line of a call carries the rpc, the request id and the tenant."""

from __future__ import annotations

import grpc
import pytest
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs

from attune.engine.v1 import course_pb2, learner_pb2
from tests.support.courses import chain_course
from tests.support.engine_server import META_A, Client

pytestmark = pytest.mark.integration


async def test_log_lines_carry_rpc_request_id_and_tenant(client: Client) -> None:
    with capture_logs(processors=[merge_contextvars]) as logs:
        await client.courses.PutCourse(
            course_pb2.PutCourseRequest(course=chain_course()), metadata=META_A
        )
        with pytest.raises(grpc.aio.AioRpcError):
            await client.learners.RecordResponse(
                learner_pb2.RecordResponseRequest(
                    event_id="", learner_id="l", course_id="chain", item_id="a1", correct=True
                ),
                metadata=(*META_A, ("x-request-id", "req-77")),
            )
    put = next(e for e in logs if e["event"] == "course.put")
    assert put["tenant"] == "tenant-a"
    assert put["rpc"] == "/attune.engine.v1.CourseService/PutCourse"
    assert put["request_id"]
    refused = next(e for e in logs if e["event"] == "rpc.refused")
    assert refused["request_id"] == "req-77"
    assert refused["tenant"] == "tenant-a"
    assert refused["code"] == "INVALID_ARGUMENT"
    assert "event_id" in refused["error"]


async def test_unexpected_errors_are_internal_with_a_generic_message(client: Client) -> None:
    async def boom(*_args: object) -> None:
        raise RuntimeError("secret detail")

    client.running.engine.store.get_course = boom  # type: ignore[method-assign]
    with (
        capture_logs(processors=[merge_contextvars]) as logs,
        pytest.raises(grpc.aio.AioRpcError) as err,
    ):
        await client.courses.GetCourse(course_pb2.GetCourseRequest(course_id="x"), metadata=META_A)
    assert err.value.code() == grpc.StatusCode.INTERNAL
    assert "secret" not in err.value.details()
    failed = next(e for e in logs if e["event"] == "rpc.failed")
    assert failed["tenant"] == "tenant-a"
