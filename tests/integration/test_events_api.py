"""EventService.ListEvents: the tenant's log in order, each event with its reply, paged by a
cursor that sees every event exactly once."""

from __future__ import annotations

import grpc
import pytest

from attune.engine.v1 import course_pb2, events_pb2, events_pb2_grpc, learner_pb2
from tests.support.courses import chain_course
from tests.support.engine_server import META_A, META_B, Client

pytestmark = pytest.mark.integration


def _resp(event_id: str, learner: str, correct: bool) -> learner_pb2.RecordResponseRequest:
    return learner_pb2.RecordResponseRequest(
        event_id=event_id, learner_id=learner, course_id="chain", item_id="a1", correct=correct
    )


async def test_list_events_pages_the_log_with_replies(client: Client) -> None:
    await client.courses.PutCourse(
        course_pb2.PutCourseRequest(course=chain_course()), metadata=META_A
    )
    replies = {}
    for n in range(7):
        req = _resp(f"e{n}", f"l{n % 2}", correct=n % 3 != 0)
        replies[req.event_id] = await client.learners.RecordResponse(req, metadata=META_A)
    await client.learners.RecordResponse(_resp("e1", "l1", True), metadata=META_A)  # a retry
    events = events_pb2_grpc.EventServiceStub(client.channel)
    seen: list[events_pb2.LoggedResponse] = []
    cursor = 0
    while True:
        page = await events.ListEvents(
            events_pb2.ListEventsRequest(after_log_id=cursor, page_size=3), metadata=META_A
        )
        assert len(page.events) <= 3
        if not page.events:
            assert page.last_log_id == cursor
            break
        seen.extend(page.events)
        cursor = page.last_log_id
    assert [e.response.event_id for e in seen] == [f"e{n}" for n in range(7)]
    assert [e.log_id for e in seen] == sorted({e.log_id for e in seen})
    for e in seen:
        original = replies[e.response.event_id]
        assert e.reply.skills == original.skills
        assert e.reply.recommendations == original.recommendations
        assert e.response.score == (0.0 if int(e.response.event_id[1:]) % 3 == 0 else 1.0)
        assert e.response.occurred_at.seconds > 0 and e.recorded_at.seconds > 0
    # Another tenant's log is its own.
    other = await events.ListEvents(events_pb2.ListEventsRequest(), metadata=META_B)
    assert list(other.events) == []


async def test_a_bad_cursor_is_refused(client: Client) -> None:
    events = events_pb2_grpc.EventServiceStub(client.channel)
    for request, field in (
        (events_pb2.ListEventsRequest(after_log_id=-1), "after_log_id"),
        (events_pb2.ListEventsRequest(page_size=5000), "page_size"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await events.ListEvents(request, metadata=META_A)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert field in err.value.details()
