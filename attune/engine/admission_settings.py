"""Load shedding (issue 17): how much work one engine process takes on at once, e.g.
``ATTUNE_ADMISSION__MAX_IN_FLIGHT=64``. A separate module so the settings import nothing of
grpc (engine/grpc/admission.py applies them)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AdmissionSettings(BaseModel):
    """Bounded in-flight work by priority class, in this process.

    - ``tutoring`` (RecordResponse, each StreamResponses message, Recommend, GetLearnerState,
      GetCourse, GetExperimentArm) may use every one of ``max_in_flight`` slots. When all
      are taken it waits at most ``max_queue_ms`` for one (at most ``max_queued`` calls
      wait), then is refused.
    - ``analytics`` (everything else: class reports, timelines, experiment reports, events,
      interventions, course writes and lists, erasure) never waits. It is refused as soon
      as ``analytics_yield_at`` of the slots are taken, a tutoring call waits, or
      ``analytics_max_in_flight`` analytics calls run.

    A call that waited more than ``max_delay_ms`` (tutoring) or ``analytics_max_delay_ms``
    between its dispatch and its start, because the event loop is behind, is refused too.

    A refusal is UNAVAILABLE with ``retry-after`` / ``retry-after-ms`` trailers (as the
    tenant limits give), and nothing is done for it.
    """

    enabled: bool = True
    max_in_flight: int = Field(default=64, ge=1)
    max_queue_ms: int = Field(default=100, ge=0)  # 0: a tutoring call never waits
    max_queued: int = Field(default=256, ge=0)
    # The longest a call may wait between gRPC dispatching it and its start (0: no bound).
    # Off by default: on a shared host a process that is briefly not scheduled would refuse
    # calls it could still answer in time; set them on a host of the engine's own.
    max_delay_ms: int = Field(default=0, ge=0)
    analytics_max_delay_ms: int = Field(default=0, ge=0)
    analytics_max_in_flight: int = Field(default=8, ge=1)
    analytics_yield_at: float = Field(default=0.5, gt=0, le=1)
    # gRPC's own bound on calls it accepts at once (streams included, idle or not), refused
    # RESOURCE_EXHAUSTED before any Python runs and without a retry hint; 0: none.
    max_rpcs: int = Field(default=0, ge=0)
    retry_after_ms: int = Field(default=200, ge=1)  # the hint of a refused tutoring call
    analytics_retry_after_ms: int = Field(default=2000, ge=1)  # ... of a refused analytics call
