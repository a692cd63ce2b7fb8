"""The statement outbox's ports: the outbox as the relay and the admin routes see it, and the
store of LRS targets. The outbox is one class over the leased queue
(:class:`gateway.lrs.outbox.QueuedStatementOutbox`), on SQLite or Redis alike."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from attune.gateway.errors import GatewayError
from attune.gateway.lrs.targets import LrsTarget

# The statement id of a log entry whose statements could not be built: a dead letter from
# the start, with the entry's identity as its body. Never sent, never replayed.
UNBUILT = "unbuilt:"


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


@dataclass(frozen=True, slots=True)
class UnbuiltEvent:
    """A log entry the feed could not turn into statements for one target: parked as a dead
    letter with its reason, so that the cursor can move past it (issue 11)."""

    target: str
    statement_id: str  # UNBUILT + a deterministic id: re-reading the entry parks it once
    body: dict[str, Any]  # what identifies the entry: log id, event id, learner, times
    reason: str


class NotReplayableError(GatewayError):
    """The dead letter is a log entry whose statements could not be built: replaying it
    would fail the same way, so it is refused and stays where it is."""

    status = 409
    error = "not_replayable"


def is_unbuilt(statement_id: str) -> bool:
    """True for the dead letter of a log entry that could not be built."""
    return statement_id.startswith(UNBUILT)


class LrsTargets(Protocol):
    """The LRS targets, per tenant."""

    def put_target(self, target: LrsTarget) -> None: ...

    def targets(self, tenant: str | None = None) -> list[LrsTarget]:
        """Every target (of ``tenant``), enabled or not, by tenant and name."""
        ...

    def delete_target(self, tenant: str, name: str) -> bool: ...

    def close(self) -> None: ...


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
        unbuilt: Sequence[UnbuiltEvent] = (),
    ) -> int:
        """Queue new ``(target, statement_id, body)`` rows, park the ``unbuilt`` entries as
        dead letters and move a cursor, atomically; how many rows were new."""
        ...

    def due(
        self, target: LrsTarget, now: float, limit: int, skip: Collection[int] = ()
    ) -> list[QueuedStatement]:
        """Up to ``limit`` due statements of ``target``, leased, none of ``skip`` (the row ids
        the caller is still sending)."""
        ...

    def delivered(
        self, tenant: str, row_ids: Sequence[int], now: float = 0.0, target: str = ""
    ) -> None:
        """The rows were delivered (all leased for ``target``, when given)."""
        ...

    def retry(self, tenant: str, row_ids: Sequence[int], next_at: float, error: str) -> None: ...

    def dead(self, tenant: str, row_id: int, error: str) -> None: ...

    def list_statements(
        self, tenant: str, status: str, limit: int = 500
    ) -> list[QueuedStatement]: ...

    def replay(self, tenant: str, row_id: int, now: float) -> bool:
        """Put a dead letter back in the queue; False if there is none with that id, and
        :class:`NotReplayableError` for an entry that could not be built."""
        ...

    def counts(self, tenant: str) -> dict[str, int]: ...

    def close(self) -> None: ...
