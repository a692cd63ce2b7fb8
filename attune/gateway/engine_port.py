"""The engine as the gateway sees it: exactly the calls the gateway makes, over the public
contract's messages. :class:`gateway.engine_client.GrpcEngineClient` is the real one (gRPC);
tests may give a small recording one. The tenant is named on every call: the implementation
presents that tenant's credential, and the engine takes the tenant from it, never from a body.

Errors: a refused or failed call raises :class:`gateway.errors.EngineCallError` with the
status name (``NOT_FOUND``, ``UNAVAILABLE`` ...); a tenant without an engine credential
raises :class:`gateway.errors.UnknownTenantError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from attune.engine.v1 import (
    analytics_pb2,
    course_pb2,
    erasures_pb2,
    events_pb2,
    experiments_pb2,
    interventions_pb2,
    learner_pb2,
)


class EngineClient(Protocol):
    """The engine's course, learner and event services, one tenant per call."""

    def get_course(self, tenant: str, course_id: str) -> course_pb2.Course:
        """The course, or EngineCallError NOT_FOUND."""
        ...

    def put_course(self, tenant: str, course: course_pb2.Course) -> course_pb2.Course:
        """Create or replace a course; the stored course (defaults filled in). A course the
        engine refuses raises EngineCallError INVALID_ARGUMENT naming the field."""
        ...

    def list_courses(self, tenant: str) -> list[course_pb2.Course]:
        """Every course of the tenant."""
        ...

    def intervene(
        self, tenant: str, request: interventions_pb2.InterveneRequest
    ) -> interventions_pb2.InterveneResponse:
        """Intervene: a recorded change to a learner's (or the class's) state."""
        ...

    def list_interventions(
        self, tenant: str, course_id: str, learner_id: str = ""
    ) -> interventions_pb2.ListInterventionsResponse:
        """The audit trail's first page, newest first, with the class pins and exemptions."""
        ...

    def class_report(
        self, tenant: str, course_id: str, learner_ids: tuple[str, ...] = ()
    ) -> analytics_pb2.GetClassReportResponse:
        """The course's class report, limited to ``learner_ids`` when given."""
        ...

    def experiment_report(
        self, tenant: str, course_id: str
    ) -> experiments_pb2.GetExperimentReportResponse:
        """The course's experiment report per arm, or EngineCallError NOT_FOUND (an unknown
        course, or one without an experiment)."""
        ...

    def learner_timeline(
        self, tenant: str, course_id: str, learner_id: str
    ) -> analytics_pb2.GetLearnerTimelineResponse:
        """One learner's timeline in the course, or EngineCallError NOT_FOUND (an unknown
        course, or a learner without events in it)."""
        ...

    def record(
        self, tenant: str, request: learner_pb2.RecordResponseRequest
    ) -> learner_pb2.RecordResponseResponse:
        """RecordResponse; a retry with the same event id gets the original reply."""
        ...

    def recommend(
        self, tenant: str, learner_id: str, course_id: str, max_items: int = 3
    ) -> learner_pb2.RecommendResponse:
        """The next items for the learner, with reasons."""
        ...

    def state(
        self, tenant: str, learner_id: str, course_id: str
    ) -> learner_pb2.GetLearnerStateResponse:
        """What the engine believes about the learner in the course."""
        ...

    def list_events(
        self, tenant: str, after_log_id: int, page_size: int = 100
    ) -> events_pb2.ListEventsResponse:
        """One page of the tenant's event log after the cursor."""
        ...

    def delete_learner(self, tenant: str, learner_id: str) -> tuple[int, int]:
        """DeleteLearner: (courses, events) erased, or EngineCallError NOT_FOUND when the
        engine holds nothing of the learner."""
        ...

    def pending_erasures(
        self, tenant: str, learner_id: str = "", page_size: int = 100
    ) -> list[erasures_pb2.PendingErasure]:
        """ListPendingErasures: learners the engine erased (a partner's DeleteLearner) that
        the gateway has not acknowledged, oldest first; only ``learner_id``'s when given."""
        ...

    def acknowledge_erasure(self, tenant: str, learner_id: str, erasure_id: str) -> bool:
        """AcknowledgeErasure: the engine drops the pending erasure (False: already gone)."""
        ...

    def export_tenant(self, tenant: str) -> Iterator[tuple[str, bytes]]:
        """ExportTenant: the tenant's engine files as (path, next bytes) chunks."""
        ...

    def delete_tenant(self, tenant: str) -> dict[str, int]:
        """DeleteTenant: every record of the tenant dropped in the engine, with its caches;
        the non-zero counts per table (empty when there was nothing)."""
        ...

    def close(self) -> None:
        """Release the connection; no call is made after this."""
        ...
