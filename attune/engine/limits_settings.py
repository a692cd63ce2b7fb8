"""Per-tenant request budgets of the engine's gRPC API (issue 16 part 6), e.g.
``ATTUNE_LIMITS__RESPONSES_PER_SECOND=50``. Generous by default: they stop one tenant's
runaway client from starving the others, not normal use. A separate module so the settings
import nothing of grpc."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator


class TenantLimitSettings(BaseModel):
    """Token buckets per tenant, in this engine process's memory (N engines: N times the
    rate). ``responses``: RecordResponse calls and each StreamResponses message; ``requests``:
    every authenticated call (a stream counts once, when it opens)."""

    enabled: bool = True
    responses_per_second: float = Field(default=5000.0, gt=0)
    responses_burst: int = Field(default=20000, ge=1)
    requests_per_second: float = Field(default=10000.0, gt=0)
    requests_burst: int = Field(default=40000, ge=1)
    max_tenants: int = Field(default=10_000, ge=1)  # buckets kept; least recently used dropped
    # Stored-size quotas per tenant (engine/service/quotas.py), enforced whatever ``enabled``
    # says; 0 = no limit.
    max_courses: int = Field(default=10_000, ge=0)
    max_learners: int = Field(default=1_000_000, ge=0)

    @model_validator(mode="after")
    def _burst_covers_one(self) -> TenantLimitSettings:
        if self.responses_burst < 1 or self.requests_burst < 1:
            raise ValueError("limits: a burst must allow at least one call")
        return self
