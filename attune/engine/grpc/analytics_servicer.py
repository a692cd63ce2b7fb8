"""attune.engine.v1.AnalyticsService: the class report, for dashboards and partner UIs."""

from __future__ import annotations

from grpc import aio

from attune.engine.grpc.analytics_convert import class_report_to_pb
from attune.engine.grpc.auth import current_tenant
from attune.engine.service.engine import Engine
from attune.engine.v1 import analytics_pb2, analytics_pb2_grpc


class AnalyticsServicer(analytics_pb2_grpc.AnalyticsServiceServicer):
    """attune.engine.v1.AnalyticsService."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def GetClassReport(
        self, request: analytics_pb2.GetClassReportRequest, context: aio.ServicerContext
    ) -> analytics_pb2.GetClassReportResponse:
        course, report, last = await self._engine.class_report(
            current_tenant(), request.course_id, tuple(request.learner_ids)
        )
        return class_report_to_pb(course, report, last, self._engine.now())
