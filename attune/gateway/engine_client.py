"""The gateway's way to the engine (:class:`gateway.engine_port.EngineClient`) over the public
gRPC contract: one channel, the tenant's credential on every call (the engine takes the tenant
from it, never from the body). The credential is a minted access token or a static token
(:mod:`gateway.engine_auth`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TypeVar

import grpc

from attune.engine.v1 import (
    analytics_pb2,
    analytics_pb2_grpc,
    course_pb2,
    course_pb2_grpc,
    erasures_pb2,
    erasures_pb2_grpc,
    events_pb2,
    events_pb2_grpc,
    experiments_pb2,
    experiments_pb2_grpc,
    interventions_pb2,
    interventions_pb2_grpc,
    learner_pb2,
    learner_pb2_grpc,
    tenants_pb2,
    tenants_pb2_grpc,
)
from attune.gateway.engine_auth import EngineCredentials, StaticEngineTokens
from attune.gateway.engine_local import LocalChannel, UnaryCaller
from attune.gateway.engine_tls import EngineTlsSettings, open_channel
from attune.gateway.errors import EngineCallError, retry_hint
from attune.infra.tracing import trace_metadata

TIMEOUT_S = 10.0
TENANT_TIMEOUT_S = 600.0  # a whole tenant's export or delete
_Request = TypeVar("_Request")
_Reply = TypeVar("_Reply")


class GrpcEngineClient:
    """:class:`EngineClient` over synchronous stubs (the gateway's WSGI threads block on
    them)."""

    def __init__(
        self,
        target: str,
        tokens: Mapping[str, str] | EngineCredentials,
        tls: EngineTlsSettings | None = None,
        local: UnaryCaller | None = None,
    ) -> None:
        """``tokens``: the credentials, or a static token per tenant. ``local``: the engine
        in this process (``attune serve``), which then takes the unary calls without the
        network (engine_local.py)."""
        channel = open_channel(target, tls)  # TLS/mTLS when ``tls`` names a CA
        self._channel = channel if local is None else LocalChannel(local, channel)
        self._courses = course_pb2_grpc.CourseServiceStub(self._channel)
        self._learners = learner_pb2_grpc.LearnerServiceStub(self._channel)
        self._events = events_pb2_grpc.EventServiceStub(self._channel)
        self._analytics = analytics_pb2_grpc.AnalyticsServiceStub(self._channel)
        self._interventions = interventions_pb2_grpc.InterventionServiceStub(self._channel)
        self._experiments = experiments_pb2_grpc.ExperimentServiceStub(self._channel)
        self._erasures = erasures_pb2_grpc.ErasureServiceStub(self._channel)
        self._tenants = tenants_pb2_grpc.TenantServiceStub(self._channel)
        self._credentials: EngineCredentials = (
            StaticEngineTokens(tokens) if isinstance(tokens, Mapping) else tokens
        )

    def close(self) -> None:
        self._channel.close()

    def _meta(self, tenant: str) -> tuple[tuple[str, str], ...]:
        token = self._credentials.bearer(tenant)  # UnknownTenantError for another tenant
        return (("authorization", f"Bearer {token}"), *trace_metadata())  # W3C traceparent

    def _call(
        self,
        tenant: str,
        method: grpc.UnaryUnaryMultiCallable[_Request, _Reply],
        request: _Request,
    ) -> _Reply:
        try:
            return method(request, metadata=self._meta(tenant), timeout=TIMEOUT_S)
        except grpc.RpcError as exc:
            raise engine_error(exc) from exc

    def get_course(self, tenant: str, course_id: str) -> course_pb2.Course:
        """The course, or :class:`EngineCallError` NOT_FOUND."""
        reply = self._call(
            tenant, self._courses.GetCourse, course_pb2.GetCourseRequest(course_id=course_id)
        )
        return reply.course

    def put_course(self, tenant: str, course: course_pb2.Course) -> course_pb2.Course:
        """PutCourse: the stored course, or :class:`EngineCallError` (INVALID_ARGUMENT)."""
        reply = self._call(
            tenant, self._courses.PutCourse, course_pb2.PutCourseRequest(course=course)
        )
        return reply.course

    def intervene(
        self, tenant: str, request: interventions_pb2.InterveneRequest
    ) -> interventions_pb2.InterveneResponse:
        """Intervene."""
        return self._call(tenant, self._interventions.Intervene, request)

    def list_interventions(
        self, tenant: str, course_id: str, learner_id: str = ""
    ) -> interventions_pb2.ListInterventionsResponse:
        """ListInterventions, first page (the 200 newest)."""
        request = interventions_pb2.ListInterventionsRequest(
            course_id=course_id, learner_id=learner_id, page_size=200
        )
        return self._call(tenant, self._interventions.ListInterventions, request)

    def class_report(
        self, tenant: str, course_id: str, learner_ids: tuple[str, ...] = ()
    ) -> analytics_pb2.GetClassReportResponse:
        """GetClassReport."""
        return self._call(
            tenant,
            self._analytics.GetClassReport,
            analytics_pb2.GetClassReportRequest(course_id=course_id, learner_ids=learner_ids),
        )

    def experiment_report(
        self, tenant: str, course_id: str
    ) -> experiments_pb2.GetExperimentReportResponse:
        """GetExperimentReport."""
        return self._call(
            tenant,
            self._experiments.GetExperimentReport,
            experiments_pb2.GetExperimentReportRequest(course_id=course_id),
        )

    def learner_timeline(
        self, tenant: str, course_id: str, learner_id: str
    ) -> analytics_pb2.GetLearnerTimelineResponse:
        """GetLearnerTimeline."""
        return self._call(
            tenant,
            self._analytics.GetLearnerTimeline,
            analytics_pb2.GetLearnerTimelineRequest(course_id=course_id, learner_id=learner_id),
        )

    def list_courses(self, tenant: str) -> list[course_pb2.Course]:
        """Every course of the tenant (paging through ListCourses)."""
        courses: list[course_pb2.Course] = []
        token = ""
        while True:
            reply = self._call(
                tenant,
                self._courses.ListCourses,
                course_pb2.ListCoursesRequest(page_size=100, page_token=token),
            )
            courses.extend(reply.courses)
            token = reply.next_page_token
            if not token:
                return courses

    def record(
        self, tenant: str, request: learner_pb2.RecordResponseRequest
    ) -> learner_pb2.RecordResponseResponse:
        """RecordResponse; a retry with the same event id gets the original reply."""
        return self._call(tenant, self._learners.RecordResponse, request)

    def recommend(
        self, tenant: str, learner_id: str, course_id: str, max_items: int = 3
    ) -> learner_pb2.RecommendResponse:
        request = learner_pb2.RecommendRequest(
            learner_id=learner_id, course_id=course_id, max_items=max_items
        )
        return self._call(tenant, self._learners.Recommend, request)

    def state(
        self, tenant: str, learner_id: str, course_id: str
    ) -> learner_pb2.GetLearnerStateResponse:
        request = learner_pb2.GetLearnerStateRequest(learner_id=learner_id, course_id=course_id)
        return self._call(tenant, self._learners.GetLearnerState, request)

    def list_events(
        self, tenant: str, after_log_id: int, page_size: int = 100
    ) -> events_pb2.ListEventsResponse:
        """One page of the tenant's event log after the cursor."""
        request = events_pb2.ListEventsRequest(after_log_id=after_log_id, page_size=page_size)
        return self._call(tenant, self._events.ListEvents, request)

    def void_event(
        self, tenant: str, learner_id: str, course_id: str, event_id: str, actor: str
    ) -> None:
        """VoidEvent: the learner rebuilt without the response (issue 19)."""
        request = interventions_pb2.VoidEventRequest(
            course_id=course_id,
            learner_id=learner_id,
            event_id=event_id,
            actor=actor,
            reason="voided by an xAPI voiding statement",
        )
        self._call(tenant, self._interventions.VoidEvent, request)

    def delete_learner(self, tenant: str, learner_id: str) -> tuple[int, int]:
        """DeleteLearner: (courses, events) erased."""
        request = learner_pb2.DeleteLearnerRequest(learner_id=learner_id)
        reply = self._call(tenant, self._learners.DeleteLearner, request)
        return reply.courses, reply.events

    def pending_erasures(
        self, tenant: str, learner_id: str = "", page_size: int = 100
    ) -> list[erasures_pb2.PendingErasure]:
        """ListPendingErasures: the tenant's unacknowledged erasures, oldest first."""
        request = erasures_pb2.ListPendingErasuresRequest(
            page_size=page_size, learner_id=learner_id
        )
        return list(self._call(tenant, self._erasures.ListPendingErasures, request).erasures)

    def acknowledge_erasure(self, tenant: str, learner_id: str, erasure_id: str) -> bool:
        """AcknowledgeErasure: whether the engine dropped the pending erasure."""
        request = erasures_pb2.AcknowledgeErasureRequest(
            learner_id=learner_id, erasure_id=erasure_id
        )
        return self._call(tenant, self._erasures.AcknowledgeErasure, request).acknowledged

    def export_tenant(self, tenant: str) -> Iterator[tuple[str, bytes]]:
        """ExportTenant, chunk by chunk."""
        request = tenants_pb2.ExportTenantRequest()
        try:
            for chunk in self._tenants.ExportTenant(
                request, metadata=self._meta(tenant), timeout=TENANT_TIMEOUT_S
            ):
                yield chunk.path, chunk.data
        except grpc.RpcError as exc:
            raise engine_error(exc) from exc

    def delete_tenant(self, tenant: str) -> dict[str, int]:
        """DeleteTenant (confirming the tenant of the credential)."""
        request = tenants_pb2.DeleteTenantRequest(confirm_tenant=tenant)
        try:
            reply = self._tenants.DeleteTenant(
                request, metadata=self._meta(tenant), timeout=TENANT_TIMEOUT_S
            )
        except grpc.RpcError as exc:
            raise engine_error(exc) from exc
        return dict(reply.deleted)


def engine_error(exc: grpc.RpcError) -> EngineCallError:
    """The gateway's error for a failed engine call, with the engine's retry hint."""
    trailing = getattr(exc, "trailing_metadata", None)  # every call's error has it
    hint = retry_hint(trailing()) if callable(trailing) else None
    return EngineCallError(exc.code().name, exc.details() or "", hint)
