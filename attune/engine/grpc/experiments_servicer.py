"""attune.engine.v1.ExperimentService: a course's experiment report, and a learner's arm."""

from __future__ import annotations

from grpc import aio

from attune.engine.domain.errors import InvalidInputError, NotFoundError
from attune.engine.domain.experiments import arm_of
from attune.engine.grpc.auth import current_tenant
from attune.engine.grpc.experiments_convert import experiment_report_to_pb
from attune.engine.grpc.requests import check_ids
from attune.engine.service.engine import Engine
from attune.engine.v1 import experiments_pb2, experiments_pb2_grpc


class ExperimentServicer(experiments_pb2_grpc.ExperimentServiceServicer):
    """attune.engine.v1.ExperimentService."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def GetExperimentReport(
        self, request: experiments_pb2.GetExperimentReportRequest, context: aio.ServicerContext
    ) -> experiments_pb2.GetExperimentReportResponse:
        check_ids(request, "course_id")
        tenant = current_tenant()
        course = await self._engine.get_course(tenant, request.course_id)
        report, last = await self._engine.experiments.report(tenant, course)
        return experiment_report_to_pb(course.course_id, report, last)

    async def GetExperimentArm(
        self, request: experiments_pb2.GetExperimentArmRequest, context: aio.ServicerContext
    ) -> experiments_pb2.GetExperimentArmResponse:
        check_ids(request, "course_id", "learner_id")
        if not request.learner_id.strip():
            raise InvalidInputError("learner_id", "must not be empty")
        tenant = current_tenant()
        course = await self._engine.get_course(tenant, request.course_id)
        if course.experiment is None:
            raise NotFoundError("experiment of course", course.course_id)
        return experiments_pb2.GetExperimentArmResponse(
            experiment_id=course.experiment.experiment_id,
            arm_id=arm_of(course, tenant, request.learner_id),
        )
