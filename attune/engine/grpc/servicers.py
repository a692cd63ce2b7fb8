"""The servicers: protobuf -> domain -> service -> domain -> protobuf. Nothing else: they
reach the engine only through the service (:class:`~engine.service.Engine`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import structlog
from grpc import aio

from attune.engine.domain.errors import DomainError, InvalidInputError
from attune.engine.domain.limits import MAX_ID_CHARS, echo
from attune.engine.grpc import convert
from attune.engine.grpc.auth import current_tenant
from attune.engine.grpc.malformed import MalformedMessage, malformed_error
from attune.engine.grpc.requests import check_ids
from attune.engine.grpc.status import field_of, status_for
from attune.engine.service import Engine
from attune.engine.v1 import (
    course_pb2,
    course_pb2_grpc,
    events_pb2,
    events_pb2_grpc,
    learner_pb2,
    learner_pb2_grpc,
)


class CourseServicer(course_pb2_grpc.CourseServiceServicer):
    """attune.engine.v1.CourseService."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def PutCourse(
        self, request: course_pb2.PutCourseRequest, context: aio.ServicerContext
    ) -> course_pb2.PutCourseResponse:
        if not request.HasField("course"):
            raise InvalidInputError("course", "is required")
        stored = await self._engine.put_course_from(  # validated off the event loop
            current_tenant(), lambda: convert.course_from_pb(request.course)
        )
        return await self._engine.off_loop(
            lambda: course_pb2.PutCourseResponse(course=convert.course_to_pb(stored))
        )

    async def GetCourse(
        self, request: course_pb2.GetCourseRequest, context: aio.ServicerContext
    ) -> course_pb2.GetCourseResponse:
        check_ids(request, "course_id")
        course = await self._engine.get_course(current_tenant(), request.course_id)
        return await self._engine.off_loop(
            lambda: course_pb2.GetCourseResponse(course=convert.course_to_pb(course))
        )

    async def ListCourses(
        self, request: course_pb2.ListCoursesRequest, context: aio.ServicerContext
    ) -> course_pb2.ListCoursesResponse:
        check_ids(request, "page_token")
        courses, token = await self._engine.list_courses(
            current_tenant(), request.page_size, request.page_token
        )
        return await self._engine.off_loop(
            lambda: course_pb2.ListCoursesResponse(
                courses=[convert.course_to_pb(c) for c in courses], next_page_token=token
            )
        )


class LearnerServicer(learner_pb2_grpc.LearnerServiceServicer):
    """attune.engine.v1.LearnerService."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def _record(
        self, request: learner_pb2.RecordResponseRequest
    ) -> learner_pb2.RecordResponseResponse:
        response = convert.response_from_pb(request, self._engine.now())
        result = await self._engine.record(current_tenant(), response, request.max_recommendations)
        return convert.result_to_pb(result)

    async def RecordResponse(
        self, request: learner_pb2.RecordResponseRequest, context: aio.ServicerContext
    ) -> learner_pb2.RecordResponseResponse:
        return await self._record(request)

    async def StreamResponses(
        self,
        request_iterator: AsyncIterator[learner_pb2.StreamResponsesRequest | MalformedMessage],
        context: aio.ServicerContext,
    ) -> AsyncIterator[learner_pb2.StreamResponsesResponse]:
        async for message in request_iterator:
            if isinstance(message, MalformedMessage):
                yield _inline_error("", malformed_error())
                continue
            record = message.record
            try:
                reply = await self._record(record)
            except DomainError as exc:
                # The event id is repeated so the client can match the error, and bounded
                # like every echo (it may be the very field that was refused).
                yield _inline_error(echo(record.event_id, MAX_ID_CHARS), exc)
            else:
                yield learner_pb2.StreamResponsesResponse(event_id=record.event_id, reply=reply)

    async def Recommend(
        self, request: learner_pb2.RecommendRequest, context: aio.ServicerContext
    ) -> learner_pb2.RecommendResponse:
        check_ids(request, "learner_id", "course_id")
        recs, diagnostic = await self._engine.recommend(
            current_tenant(), request.learner_id, request.course_id, request.max_items
        )
        reply = learner_pb2.RecommendResponse(phase=convert.phase_pb(diagnostic))
        convert.recommendations_to_pb(recs, reply.recommendations)
        return reply

    async def GetLearnerState(
        self, request: learner_pb2.GetLearnerStateRequest, context: aio.ServicerContext
    ) -> learner_pb2.GetLearnerStateResponse:
        check_ids(request, "learner_id", "course_id")
        report = await self._engine.learner_report(
            current_tenant(), request.learner_id, request.course_id
        )
        return convert.report_to_pb(report)

    async def DeleteLearner(
        self, request: learner_pb2.DeleteLearnerRequest, context: aio.ServicerContext
    ) -> learner_pb2.DeleteLearnerResponse:
        check_ids(request, "learner_id")
        request_id = str(structlog.contextvars.get_contextvars().get("request_id", ""))
        courses, events = await self._engine.delete_learner(
            current_tenant(), request.learner_id, request_id
        )
        return learner_pb2.DeleteLearnerResponse(courses=courses, events=events)


def _inline_error(event_id: str, exc: DomainError) -> learner_pb2.StreamResponsesResponse:
    """A stream's reply to one refused message; the stream goes on."""
    code, text = status_for(exc)
    return learner_pb2.StreamResponsesResponse(
        event_id=event_id,
        error=learner_pb2.StreamError(code=code.name, message=text, field=field_of(exc)),
    )


class EventServicer(events_pb2_grpc.EventServiceServicer):
    """attune.engine.v1.EventService."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def ListEvents(
        self, request: events_pb2.ListEventsRequest, context: aio.ServicerContext
    ) -> events_pb2.ListEventsResponse:
        page, last = await self._engine.list_events(
            current_tenant(), request.after_log_id, request.page_size
        )
        return events_pb2.ListEventsResponse(
            events=[convert.logged_to_pb(e) for e in page], last_log_id=last
        )
