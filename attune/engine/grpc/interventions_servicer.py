"""attune.engine.v1.InterventionService: protobuf -> domain -> service -> protobuf."""

from __future__ import annotations

from grpc import aio

from attune.engine.domain.interventions import Scope
from attune.engine.grpc import convert
from attune.engine.grpc.auth import current_tenant
from attune.engine.grpc.interventions_convert import entry_to_pb, request_from_pb
from attune.engine.grpc.requests import check_ids
from attune.engine.service.engine import Engine
from attune.engine.v1 import interventions_pb2, interventions_pb2_grpc


class InterventionServicer(interventions_pb2_grpc.InterventionServiceServicer):
    """attune.engine.v1.InterventionService."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def Intervene(
        self, request: interventions_pb2.InterveneRequest, context: aio.ServicerContext
    ) -> interventions_pb2.InterveneResponse:
        tenant = current_tenant()
        applied = await self._engine.interventions.intervene(tenant, request_from_pb(request))
        reply = interventions_pb2.InterveneResponse(
            duplicate=applied.duplicate, class_pinned_skill_ids=applied.class_pins
        )
        entry_to_pb(applied.entry, reply.intervention)
        if applied.entry.scope is Scope.LEARNER:
            report = await self._engine.learner_report(
                tenant, applied.entry.learner_id, applied.entry.course_id
            )
            reply.learner.CopyFrom(convert.report_to_pb(report))
        return reply

    async def ListInterventions(
        self, request: interventions_pb2.ListInterventionsRequest, context: aio.ServicerContext
    ) -> interventions_pb2.ListInterventionsResponse:
        check_ids(request, "course_id", "learner_id", "page_token")
        page = await self._engine.interventions.trail(
            current_tenant(),
            request.course_id,
            request.learner_id,
            request.page_size,
            request.page_token,
        )
        reply = interventions_pb2.ListInterventionsResponse(
            next_page_token=page.next_page_token,
            class_pinned_skill_ids=page.class_pins,
            exempt_learner_ids=page.exempt,
        )
        for entry in page.entries:
            entry_to_pb(entry, reply.interventions.add())
        return reply

    async def VoidEvent(
        self, request: interventions_pb2.VoidEventRequest, context: aio.ServicerContext
    ) -> interventions_pb2.VoidEventResponse:
        check_ids(request, "course_id", "learner_id", "event_id")
        tenant = current_tenant()
        voided = await self._engine.voiding.void(
            tenant,
            request.course_id,
            request.learner_id,
            request.event_id,
            request.actor,
            request.reason,
        )
        reply = interventions_pb2.VoidEventResponse(
            duplicate=voided.duplicate, replayed_responses=voided.replayed
        )
        entry_to_pb(voided.entry, reply.intervention)
        report = await self._engine.learner_report(tenant, request.learner_id, request.course_id)
        reply.learner.CopyFrom(convert.report_to_pb(report))
        return reply
