"""The statement outbox's port: targets, cursors and queued statements (SQLite embedded,
or Redis for several gateways)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from gateway.lrs.targets import LrsTarget


@dataclass(frozen=True, slots=True)
class QueuedStatement:
    """One statement (or Caliper event) waiting for, or done with, one target."""

    row_id: int
    tenant: str
    target: str
    statement_id: str
    body: dict[str, Any]
    attempts: int = 0
    last_error: str = ""


class StatementOutbox(Protocol):
    """Targets, a cursor per target into its tenant's event log, and the statements queued
    for each target: once per (target, statement id)."""

    def put_target(self, target: LrsTarget) -> None: ...

    def targets(self, tenant: str | None = None) -> list[LrsTarget]: ...

    def delete_target(self, tenant: str, name: str) -> bool: ...

    def cursor(self, target: str) -> int: ...

    def enqueue(
        self,
        tenant: str,
        rows: Sequence[tuple[str, str, dict[str, Any]]],
        cursor: tuple[str, int] | None = None,
    ) -> int:
        """Queue new ``(target, statement_id, body)`` rows and move a cursor, atomically."""
        ...

    def due(self, target: LrsTarget, now: float, limit: int) -> list[QueuedStatement]: ...

    def delivered(self, tenant: str, row_ids: Sequence[int]) -> None: ...

    def retry(self, tenant: str, row_ids: Sequence[int], next_at: float, error: str) -> None: ...

    def dead(self, tenant: str, row_id: int, error: str) -> None: ...

    def list_statements(
        self, tenant: str, status: str, limit: int = 500
    ) -> list[QueuedStatement]: ...

    def replay(self, tenant: str, row_id: int, now: float) -> bool: ...

    def counts(self, tenant: str) -> dict[str, int]: ...

    def close(self) -> None: ...
