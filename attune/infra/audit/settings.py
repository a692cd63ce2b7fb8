"""The ``audit`` settings section, the same for both deployables
(``ATTUNE_GATEWAY__AUDIT__*`` for the gateway, ``ATTUNE_AUDIT__*`` for the engine)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from attune.infra.audit.trail import DEFAULT_RETENTION_DAYS


class AuditSettings(BaseModel):
    """The audit trail (issue 16 part 4) and the log pseudonyms (part 6).

    ``store_url`` empty keeps the trail beside the deployable's own store: ``audit.db`` in
    its data directory, or the Redis of its ``store_url``. Point the engine and the gateway
    at the same one (``attune serve`` does) and each tenant has a single chain."""

    enabled: bool = True
    store_url: str = ""
    retention_days: float = Field(default=DEFAULT_RETENTION_DAYS, gt=0)
