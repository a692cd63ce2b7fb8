"""The ``audit`` settings section, the same for both deployables
(``ATTUNE_GATEWAY__AUDIT__*`` for the gateway, ``ATTUNE_AUDIT__*`` for the engine)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr

from attune.infra.audit.trail import DEFAULT_RETENTION_DAYS


class AuditSettings(BaseModel):
    """The audit trail (issue 16 part 4) and the log pseudonyms (part 6).

    ``store_url`` empty keeps the trail beside the deployable's own store: ``audit.db`` in
    its data directory, or the Redis of its ``store_url``. Point the engine and the gateway
    at the same one (``attune serve`` does) and each tenant has a single chain.
    ``log_key``: the key of the learner pseudonyms in log lines; set the same value on every
    process to correlate their lines (empty: a random key per process)."""

    enabled: bool = True
    store_url: str = ""
    retention_days: float = Field(default=DEFAULT_RETENTION_DAYS, gt=0)
    # The gateway prunes past retention this often (0: only `attune audit prune`).
    prune_hours: float = Field(default=24.0, ge=0)
    log_key: SecretStr = SecretStr("")
