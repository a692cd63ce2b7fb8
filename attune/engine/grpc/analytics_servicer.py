"""attune.engine.v1.AnalyticsService: the class report and one learner's timeline, for
dashboards and partner UIs."""

from __future__ import annotations

from grpc import aio

from attune.engine.grpc.analytics_convert import class_report_to_pb
from attune.engine.grpc.auth import current_tenant
from attune.engine.grpc.requests import check_ids
from attune.engine.grpc.timeline_convert import timeline_to_pb
from attune.engine.service.engine import Engine
from attune.engine.service.timeline import LearnerTimelines
from attune.engine.v1 import analytics_pb2, analytics_pb2_grpc


class AnalyticsServicer(analytics_pb2_grpc.AnalyticsServiceServicer):
    """attune.engine.v1.AnalyticsService."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._timelines = LearnerTimelines(engine.store, engine)

    async def GetClassReport(
        self, request: analytics_pb2.GetClassReportRequest, context: aio.ServicerContext
    ) -> analytics_pb2.GetClassReportResponse:
        course, report, last = await self._engine.class_report(
            current_tenant(), request.course_id, tuple(request.learner_ids)
        )
        return class_report_to_pb(course, report, last, self._engine.now())

    async def GetLearnerTimeline(
        self, request: analytics_pb2.GetLearnerTimelineRequest, context: aio.ServicerContext
    ) -> analytics_pb2.GetLearnerTimelineResponse:
        check_ids(request, "course_id", "learner_id")
        timeline = await self._timelines.timeline(
            current_tenant(), request.course_id, request.learner_id
        )
        now = self._engine.now()
        # Thousands of entries take a hundred milliseconds or more to convert: off the loop.
        return await self._engine.off_loop(lambda: timeline_to_pb(timeline, now))
