"""The scopes a partner app can be granted. The engine maps each RPC to one of them or to a
reserved scope (``erasures:sync``, ``tenants:admin``: the gateway's own, never granted; see
engine/grpc/scopes.py); a test checks that the lists agree."""

from __future__ import annotations

SCOPES = (
    "responses:write",  # RecordResponse, StreamResponses
    "learners:read",  # Recommend, GetLearnerState, ListInterventions, GetExperimentArm
    "learners:delete",  # DeleteLearner
    "courses:read",  # GetCourse, ListCourses
    "courses:write",  # PutCourse
    "analytics:read",  # GetClassReport, GetLearnerTimeline, GetExperimentReport
    "events:read",  # ListEvents
    "interventions:write",  # Intervene
)


def parse_scopes(value: object, field: str = "scopes") -> tuple[str, ...]:
    """Scopes from a list or a space-separated string, each one known, in :data:`SCOPES`
    order; ValueError naming ``field`` otherwise."""
    if isinstance(value, str):
        given = value.split()
    elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        given = [str(v) for v in value]
    else:
        raise ValueError(f"{field}: a list of scopes or a space-separated string")
    unknown = sorted(set(given) - set(SCOPES))
    if unknown:
        raise ValueError(f"{field}: unknown scope(s) {unknown}; known: {list(SCOPES)}")
    if not given:
        raise ValueError(f"{field}: at least one scope")
    return tuple(s for s in SCOPES if s in given)
