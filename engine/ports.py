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

    async def prepare(
        self, tenant: str, learner_id: str, course_id: str, event_id: str
    ) -> tuple[LoggedEvent | None, Snapshot | None]:
        """The idempotency check and the state read of one response, together (one round
        trip on a networked store): the logged event with this id, and the snapshot."""
        ...

    async def commit(self, event: LoggedEvent, state: LearnerState, expected_version: int) -> int:
        """Append ``event`` and save ``state`` in one atomic step; return the new version.

        Raises :class:`DuplicateEventError` when the learner already logged
        ``event.event_id`` (the embedded store: the tenant) and
        :class:`~engine.domain.errors.ConflictError` when the stored version moved on.
        """
        ...

    async def delete_learner(self, tenant: str, learner_id: str) -> tuple[int, int]:
        """Erase the learner's states and events; return (courses, events) erased."""
        ...


class EventLog(Protocol):
    """The append-only log of responses, read by idempotency checks, outboxes and exports."""

    async def get_event(self, tenant: str, event_id: str, learner_id: str) -> LoggedEvent | None:
        """The learner's logged event with this id. Event ids are unique per learner: a retry
        always carries the same learner (the embedded store is stricter: per tenant)."""
        ...

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


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One delivery of a logged event to a consumer group; ack it by ``entry_id``."""

    entry_id: str
    event: LoggedEvent


class EventFeed(Protocol):
    """Consumer groups over a tenant's event log, for the outboxes (grade passback, xAPI).

    Delivery is at least once: an entry is delivered again until it is acknowledged, so a
    consumer must dedupe by ``event.event_id``.
    """

    async def ensure_group(self, tenant: str, group: str) -> None:
        """Create the group (at the start of the log) unless it exists."""
        ...

    async def read_group(
        self, tenant: str, group: str, consumer: str, count: int, block_ms: int = 0
    ) -> Sequence[FeedEntry]:
        """Up to ``count`` entries never delivered to the group (waiting up to ``block_ms``
        for one, when given)."""
        ...

    async def ack(self, tenant: str, group: str, entry_ids: Sequence[str]) -> int:
        """Mark entries done; the number acknowledged."""
        ...

    async def claim(
        self, tenant: str, group: str, consumer: str, min_idle_ms: int, count: int
    ) -> Sequence[FeedEntry]:
        """Take over entries delivered to any consumer but unacknowledged for
        ``min_idle_ms`` (a consumer died)."""
        ...


class DuplicateEventError(Exception):
    """The event id is already in the learner's log (a concurrent retry won the race)."""
