"""The engine's ports: small Protocols that adapters implement and mypy checks.

The service depends on these, never on SQLite, Redis or ONNX Runtime directly. Stores take
and give domain objects; how they encode them is their business (engine/adapters/codec.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from attune.engine.domain.course import Course
from attune.engine.domain.erasures import PendingErasure
from attune.engine.domain.interventions import InterventionEntry
from attune.engine.domain.interventions_apply import ClassPins
from attune.engine.domain.learner import LearnerState
from attune.engine.domain.records import DktView, LoggedEvent


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

    async def delete_learner(
        self, tenant: str, learner_id: str, erasure: PendingErasure | None = None
    ) -> tuple[int, int]:
        """Erase the learner's states and events; return (courses, events) erased. When
        something was erased and ``erasure`` is given, record it as pending in the same step
        (:class:`ErasureStore`), replacing the learner's earlier pending one."""
        ...


class ErasureStore(Protocol):
    """Erasures waiting for the gateway (engine/domain/erasures.py)."""

    async def pending_erasures(
        self, tenant: str, learner_id: str, limit: int
    ) -> Sequence[PendingErasure]:
        """The tenant's pending erasures, oldest first (only the learner's when
        ``learner_id`` is not empty), at most ``limit``."""
        ...

    async def acknowledge_erasure(self, tenant: str, learner_id: str, erasure_id: str) -> bool:
        """Delete the learner's pending erasure if it is still ``erasure_id``; whether it
        was (False: unknown, already acknowledged, or replaced by a newer one)."""
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


class InterventionStore(Protocol):
    """The audit trail of interventions and the class's pins. A learner's intervention
    commits with their state in one atomic step, under the same version check as
    :meth:`LearnerStore.commit`; a class's, with its pins. Entries are per tenant, numbered
    by the tenant's own counter (``intervention_id``, increasing), and erased with their
    learner."""

    async def get_intervention(
        self, tenant: str, course_id: str, learner_id: str, request_id: str
    ) -> InterventionEntry | None:
        """The entry recorded under ``request_id`` for the learner ("" for the class)."""
        ...

    async def commit_intervention(
        self, entry: InterventionEntry, state: LearnerState, expected_version: int
    ) -> InterventionEntry:
        """Record ``entry`` and save ``state`` atomically; the entry with its id. Raises
        :class:`DuplicateInterventionError` when the request id is recorded already and
        :class:`~engine.domain.errors.ConflictError` when the version moved on."""
        ...

    async def class_pins(self, tenant: str, course_id: str) -> ClassPins:
        """The course's class pins (an empty version 0 when there never were any)."""
        ...

    async def commit_class_pins(
        self, entry: InterventionEntry, skills: tuple[str, ...], expected_version: int
    ) -> InterventionEntry:
        """Record ``entry`` and set the class's pins to ``skills`` atomically, like
        :meth:`commit_intervention`."""
        ...

    async def list_interventions(
        self, tenant: str, course_id: str, learner_id: str, before: int, limit: int
    ) -> Sequence[InterventionEntry]:
        """The course's entries with ``intervention_id < before`` (0: no bound), newest
        first; only the learner's when ``learner_id`` is not empty."""
        ...

    async def latest_interventions(
        self, tenant: str, course_id: str
    ) -> Sequence[InterventionEntry]:
        """The newest entry of each learner with entries in the course (which carries their
        flags after it: who is exempt), in no particular order."""
        ...


class EngineStore(CourseStore, LearnerStore, EventLog, InterventionStore, ErasureStore, Protocol):
    """Everything the engine persists. One adapter implements all of it so that the state
    and the log commit together."""

    async def close(self) -> None:
        """Flush pending writes and release resources."""
        ...


class TenantData(Protocol):
    """A whole tenant's records in the engine's store (issue 16): exported as files of JSON
    lines, or dropped, with the store's in-memory caches of the tenant."""

    @property
    def consistent_reads(self) -> bool:
        """Whether :meth:`export` reads one consistent view by itself (a read transaction);
        otherwise the caller keeps the tenant's writes out while it runs."""
        ...

    def export(self, tenant: str) -> AsyncIterator[tuple[str, bytes]]:
        """The export's files as (path, next bytes) chunks, each file's chunks in a row."""
        ...

    async def delete(self, tenant: str) -> dict[str, int]:
        """Drop every record of the tenant and the store's caches of it; non-zero counts
        per table (or Redis)."""
        ...


class Tracer(Protocol):
    """Deep knowledge tracing: advances a learner's DKT state by one answer and predicts
    P(correct) per skill. A course without a model, or an engine without DKT, gets BKT's
    predictions instead, with a note saying why when the course pins a model."""

    def why_not(self, course: Course) -> str:
        """Why the course's pinned model cannot serve it; "" when it can or none is pinned."""
        ...

    def view(self, course: Course, state: LearnerState) -> DktView:
        """Predictions from the stored state, without stepping (Recommend, state reads)."""
        ...

    async def advance(
        self,
        course: Course,
        state: LearnerState,
        item_skills: Sequence[str],
        score: float,
        credible: bool,
        history: Callable[[], Awaitable[Sequence[LoggedEvent]]],
    ) -> DktView:
        """Step the learner through one answer (a too-fast one, ``credible`` False, is not
        practice and is not fed). ``history`` reads the learner's earlier events in the
        course, for a tracer that must rebuild a state it cannot use."""
        ...


class BktOnlyTracer:
    """The :class:`Tracer` of an engine serving no DKT models: BKT predicts everything."""

    NOTE = "DKT serving is disabled"

    def why_not(self, course: Course) -> str:
        """A pinned model cannot serve here."""
        return self.NOTE if course.dkt_model else ""

    def view(self, course: Course, state: LearnerState) -> DktView:
        """No predictions."""
        return DktView(state.dkt, None, self.why_not(course))

    async def advance(
        self,
        course: Course,
        state: LearnerState,
        item_skills: Sequence[str],
        score: float,
        credible: bool,
        history: Callable[[], Awaitable[Sequence[LoggedEvent]]],
    ) -> DktView:
        """No step: the stored DKT state is kept as it is."""
        return self.view(course, state)


class DuplicateEventError(Exception):
    """The event id is already in the learner's log (a concurrent retry won the race)."""


class DuplicateInterventionError(Exception):
    """The request id is already recorded (a concurrent retry won the race)."""
