"""The engine's ports: small Protocols that adapters implement and mypy checks.

The service depends on these, never on SQLite or Redis directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from engine.domain.course import Course
from engine.domain.learner import LearnerState
from engine.domain.records import LoggedEvent


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A learner state as stored, with the version a compare-and-set commit expects."""

    state: LearnerState
    version: int


class Clock(Protocol):
    """Wall-clock time in epoch seconds."""

    def now(self) -> float: ...


class CourseStore(Protocol):
    """Durable course definitions, per tenant."""

    async def put_course(self, tenant: str, course: Course) -> None: ...

    async def get_course(self, tenant: str, course_id: str) -> Course | None: ...

    async def list_courses(self, tenant: str, after: str, limit: int) -> Sequence[Course]: ...


class LearnerStore(Protocol):
    """Learner states. ``commit`` appends the event and saves the state atomically."""

    async def load(self, tenant: str, learner_id: str, course_id: str) -> Snapshot | None: ...

    async def commit(self, event: LoggedEvent, state: LearnerState, expected_version: int) -> int:
        """Append ``event`` and save ``state`` in one atomic step; return the new version.

        Raises :class:`DuplicateEventError` when the tenant already logged ``event.event_id``
        and :class:`~engine.domain.errors.ConflictError` when the stored version moved on.
        """
        ...

    async def delete_learner(self, tenant: str, learner_id: str) -> tuple[int, int]:
        """Erase the learner's states and events; return (courses, events) erased."""
        ...


class EventLog(Protocol):
    """The append-only log of responses, read by idempotency checks, outboxes and exports."""

    async def get_event(self, tenant: str, event_id: str) -> LoggedEvent | None: ...

    async def read_events(self, tenant: str, after: int, limit: int) -> Sequence[LoggedEvent]: ...

    async def read_course_events(
        self, tenant: str, course_id: str, after: int, limit: int
    ) -> Sequence[LoggedEvent]: ...

    async def read_learner_events(
        self, tenant: str, learner_id: str, course_id: str
    ) -> Sequence[LoggedEvent]: ...


class EngineStore(CourseStore, LearnerStore, EventLog, Protocol):
    """Everything the engine persists. One adapter implements all of it so that the state
    and the log commit together."""

    async def close(self) -> None:
        """Flush pending writes and release resources."""
        ...


class DuplicateEventError(Exception):
    """The event id is already in the tenant's log (a concurrent retry won the race)."""
