"""Which OAuth scope each RPC needs: one table, read by the auth interceptor.

Scopes are granted to partner apps by the gateway's authorization server (issue 16 part 1,
gateway/oauth). A call whose credential lacks the method's scope is PERMISSION_DENIED naming
the scope. Health checking and reflection are public and need none (see interceptors.py).
Every RPC the server registers must have an entry: tests/unit/test_engine_scopes.py walks them.
"""

from __future__ import annotations

RESPONSES_WRITE = "responses:write"
LEARNERS_READ = "learners:read"
LEARNERS_DELETE = "learners:delete"
COURSES_READ = "courses:read"
COURSES_WRITE = "courses:write"
ANALYTICS_READ = "analytics:read"
EVENTS_READ = "events:read"
INTERVENTIONS_WRITE = "interventions:write"
# The gateway's own: listing and acknowledging pending erasures. Reserved: a partner app
# holding it could acknowledge erasures the gateway never applied.
ERASURES_SYNC = "erasures:sync"
# Exporting or deleting the whole tenant (TenantService). Reserved.
TENANTS_ADMIN = "tenants:admin"
# Reserved scopes: the gateway's authorization server never grants them to a partner app
# (they are not in SCOPES, the list the gateway grants from); the gateway's own credential
# for the tenant (its minted token, or an unscoped static one) may call them.
RESERVED_SCOPES = (ERASURES_SYNC, TENANTS_ADMIN)

SCOPES = (
    RESPONSES_WRITE,
    LEARNERS_READ,
    LEARNERS_DELETE,
    COURSES_READ,
    COURSES_WRITE,
    ANALYTICS_READ,
    EVENTS_READ,
    INTERVENTIONS_WRITE,
)

_PKG = "/attune.engine.v1."

METHOD_SCOPES: dict[str, str] = {
    f"{_PKG}CourseService/PutCourse": COURSES_WRITE,
    f"{_PKG}CourseService/GetCourse": COURSES_READ,
    f"{_PKG}CourseService/ListCourses": COURSES_READ,
    f"{_PKG}LearnerService/RecordResponse": RESPONSES_WRITE,
    f"{_PKG}LearnerService/StreamResponses": RESPONSES_WRITE,
    f"{_PKG}LearnerService/Recommend": LEARNERS_READ,
    f"{_PKG}LearnerService/GetLearnerState": LEARNERS_READ,
    f"{_PKG}LearnerService/DeleteLearner": LEARNERS_DELETE,
    f"{_PKG}EventService/ListEvents": EVENTS_READ,
    f"{_PKG}AnalyticsService/GetClassReport": ANALYTICS_READ,
    f"{_PKG}AnalyticsService/GetLearnerTimeline": ANALYTICS_READ,
    f"{_PKG}InterventionService/Intervene": INTERVENTIONS_WRITE,
    f"{_PKG}InterventionService/ListInterventions": LEARNERS_READ,
    f"{_PKG}InterventionService/VoidEvent": INTERVENTIONS_WRITE,
    f"{_PKG}ExperimentService/GetExperimentReport": ANALYTICS_READ,
    f"{_PKG}ExperimentService/GetExperimentArm": LEARNERS_READ,
    f"{_PKG}ErasureService/ListPendingErasures": ERASURES_SYNC,
    f"{_PKG}ErasureService/AcknowledgeErasure": ERASURES_SYNC,
    f"{_PKG}TenantService/ExportTenant": TENANTS_ADMIN,
    f"{_PKG}TenantService/DeleteTenant": TENANTS_ADMIN,
}


def required_scope(method: str) -> str | None:
    """The scope ``method`` (a full gRPC method name) needs, or ``None`` for a method the
    table does not know (which a scoped credential is then refused)."""
    return METHOD_SCOPES.get(method)
