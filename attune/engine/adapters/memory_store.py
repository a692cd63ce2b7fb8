"""An :class:`~engine.ports.EngineStore` in process memory, for tests and throwaway runs.

It keeps the store contract (tests/integration/test_store_contract.py) like the durable
stores do: a commit checks the event id and the version and then writes the state and the
event in one step (no ``await`` in between, so nothing interleaves), log ids run 1, 2, 3, ...
per tenant and are never handed out again. Nothing survives the process, and nothing is
bounded: it is not a production store.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import replace

from attune.engine.domain.course import Course
from attune.engine.domain.erasures import PendingErasure, oldest_first
from attune.engine.domain.errors import ConflictError
from attune.engine.domain.interventions import InterventionEntry
from attune.engine.domain.interventions_apply import ClassPins
from attune.engine.domain.learner import LearnerState
from attune.engine.domain.records import LoggedEvent
from attune.engine.ports import DuplicateEventError, DuplicateInterventionError, Snapshot

RequestKey = tuple[str, str, str, str]  # tenant, course, learner ("" for the class), request


class MemoryStore:
    """Courses, learner states and the event log in dicts."""

    def __init__(self) -> None:
        self._courses: dict[str, dict[str, Course]] = {}
        self._states: dict[tuple[str, str, str], Snapshot] = {}
        self._events: dict[tuple[str, str, str], LoggedEvent] = {}  # tenant, learner, event id
        self._logs: dict[str, list[LoggedEvent]] = {}  # per tenant, in log order
        self._last_log_id: dict[str, int] = {}
        self._requests: dict[RequestKey, InterventionEntry] = {}
        self._trails: dict[str, list[InterventionEntry]] = {}  # per tenant, oldest first
        self._last_intervention: dict[str, int] = {}
        self._class_pins: dict[tuple[str, str], ClassPins] = {}
        self._erasures: dict[tuple[str, str], PendingErasure] = {}  # tenant, learner

    async def close(self) -> None:
        """Nothing to flush."""

    # -- courses ---------------------------------------------------------------------------

    async def put_course(self, tenant: str, course: Course) -> None:
        """Create or replace a course."""
        self._courses.setdefault(tenant, {})[course.course_id] = course

    async def get_course(self, tenant: str, course_id: str) -> Course | None:
        """The course, or None."""
        return self._courses.get(tenant, {}).get(course_id)

    async def list_courses(self, tenant: str, after: str, limit: int) -> Sequence[Course]:
        """Courses with ``course_id > after``, ordered by id."""
        courses = self._courses.get(tenant, {})
        return [courses[k] for k in sorted(k for k in courses if k > after)[:limit]]

    # -- learners --------------------------------------------------------------------------

    async def load(self, tenant: str, learner_id: str, course_id: str) -> Snapshot | None:
        """The learner's state and version, or None for a new learner."""
        return self._states.get((tenant, learner_id, course_id))

    async def prepare(
        self, tenant: str, learner_id: str, course_id: str, event_id: str
    ) -> tuple[LoggedEvent | None, Snapshot | None]:
        """The logged event with this id and the learner's snapshot."""
        return (
            self._events.get((tenant, learner_id, event_id)),
            self._states.get((tenant, learner_id, course_id)),
        )

    async def commit(self, event: LoggedEvent, state: LearnerState, expected_version: int) -> int:
        """Append the event and save the state in one step (see the port)."""
        if (event.tenant, event.learner_id, event.event_id) in self._events:
            raise DuplicateEventError(event.event_id)
        key = (event.tenant, event.learner_id, event.course_id)
        current = self._states.get(key)
        if (current.version if current else 0) != expected_version:
            raise ConflictError(f"learner {event.learner_id!r} changed concurrently")
        log_id = self._last_log_id.get(event.tenant, 0) + 1
        self._last_log_id[event.tenant] = log_id
        logged = replace(event, log_id=log_id)
        self._events[(event.tenant, event.learner_id, event.event_id)] = logged
        self._logs.setdefault(event.tenant, []).append(logged)
        self._states[key] = Snapshot(state, expected_version + 1)
        return expected_version + 1

    async def delete_learner(
        self, tenant: str, learner_id: str, erasure: PendingErasure | None = None
    ) -> tuple[int, int]:
        """Erase the learner's states and events in the tenant; (courses, events) erased.
        The pending erasure is recorded in the same step when anything was erased."""
        states = [k for k in self._states if k[0] == tenant and k[1] == learner_id]
        for k in states:
            del self._states[k]
        events = [k for k in self._events if k[0] == tenant and k[1] == learner_id]
        for k in events:
            del self._events[k]
        if events:
            log = self._logs.get(tenant, [])
            self._logs[tenant] = [e for e in log if e.learner_id != learner_id]
        for r in [r for r in self._requests if r[0] == tenant and r[2] == learner_id]:
            del self._requests[r]
        trail = self._trails.get(tenant, [])
        self._trails[tenant] = [e for e in trail if e.learner_id != learner_id]
        if erasure is not None and (states or events):
            self._erasures[(tenant, learner_id)] = erasure
        return len(states), len(events)

    # -- pending erasures ------------------------------------------------------------------

    async def pending_erasures(
        self, tenant: str, learner_id: str, limit: int
    ) -> Sequence[PendingErasure]:
        """The tenant's pending erasures, oldest first."""
        mine = [e for (t, _), e in self._erasures.items() if t == tenant]
        return oldest_first(mine, learner_id, limit)

    async def acknowledge_erasure(self, tenant: str, learner_id: str, erasure_id: str) -> bool:
        """Drop the pending erasure if it is still ``erasure_id``."""
        found = self._erasures.get((tenant, learner_id))
        if found is None or found.erasure_id != erasure_id:
            return False
        del self._erasures[(tenant, learner_id)]
        return True

    # -- interventions ---------------------------------------------------------------------

    async def get_intervention(
        self, tenant: str, course_id: str, learner_id: str, request_id: str
    ) -> InterventionEntry | None:
        """The entry recorded under this request id, if any."""
        return self._requests.get((tenant, course_id, learner_id, request_id))

    def _record(self, entry: InterventionEntry) -> InterventionEntry:
        n = self._last_intervention.get(entry.tenant, 0) + 1
        self._last_intervention[entry.tenant] = n
        logged = replace(entry, intervention_id=n)
        key = (entry.tenant, entry.course_id, entry.learner_id, entry.request_id)
        self._requests[key] = logged
        self._trails.setdefault(entry.tenant, []).append(logged)
        return logged

    def _check_request(self, entry: InterventionEntry) -> None:
        key = (entry.tenant, entry.course_id, entry.learner_id, entry.request_id)
        if key in self._requests:
            raise DuplicateInterventionError(entry.request_id)

    async def commit_intervention(
        self, entry: InterventionEntry, state: LearnerState, expected_version: int
    ) -> InterventionEntry:
        """Record the entry and save the state in one step (see the port)."""
        self._check_request(entry)
        key = (entry.tenant, entry.learner_id, entry.course_id)
        current = self._states.get(key)
        if (current.version if current else 0) != expected_version:
            raise ConflictError(f"learner {entry.learner_id!r} changed concurrently")
        self._states[key] = Snapshot(state, expected_version + 1)
        return self._record(entry)

    async def class_pins(self, tenant: str, course_id: str) -> ClassPins:
        """The course's class pins."""
        return self._class_pins.get((tenant, course_id), ClassPins())

    async def commit_class_pins(
        self, entry: InterventionEntry, skills: tuple[str, ...], expected_version: int
    ) -> InterventionEntry:
        """Record the entry and set the class's pins in one step (see the port)."""
        self._check_request(entry)
        key = (entry.tenant, entry.course_id)
        if self._class_pins.get(key, ClassPins()).version != expected_version:
            raise ConflictError(f"the class pins of {entry.course_id!r} changed concurrently")
        self._class_pins[key] = ClassPins(skills, expected_version + 1)
        return self._record(entry)

    async def list_interventions(
        self, tenant: str, course_id: str, learner_id: str, before: int, limit: int
    ) -> Sequence[InterventionEntry]:
        """The course's entries older than ``before``, newest first."""
        found: list[InterventionEntry] = []
        for e in reversed(self._trails.get(tenant, [])):
            if len(found) == limit:
                break
            if before and e.intervention_id >= before:
                continue
            if e.course_id == course_id and (not learner_id or e.learner_id == learner_id):
                found.append(e)
        return found

    # -- event log -------------------------------------------------------------------------

    async def get_event(self, tenant: str, event_id: str, learner_id: str) -> LoggedEvent | None:
        """The learner's logged event with this id, if any."""
        return self._events.get((tenant, learner_id, event_id))

    async def read_events(self, tenant: str, after: int, limit: int) -> Sequence[LoggedEvent]:
        """The tenant's events with ``log_id > after``, in log order."""
        log = self._logs.get(tenant, [])
        start = bisect_right(log, after, key=lambda e: e.log_id)
        return log[start : start + limit]

    async def read_course_events(
        self, tenant: str, course_id: str, after: int, limit: int
    ) -> Sequence[LoggedEvent]:
        """One course's events with ``log_id > after``, in log order."""
        log = self._logs.get(tenant, [])
        start = bisect_right(log, after, key=lambda e: e.log_id)
        return [e for e in log[start:] if e.course_id == course_id][:limit]

    async def read_learner_events(
        self, tenant: str, learner_id: str, course_id: str
    ) -> Sequence[LoggedEvent]:
        """One learner's events in one course, in the order they were applied."""
        return [
            e
            for e in self._logs.get(tenant, [])
            if e.learner_id == learner_id and e.course_id == course_id
        ]

    async def latest_interventions(
        self, tenant: str, course_id: str
    ) -> Sequence[InterventionEntry]:
        """The newest entry of each learner in the course."""
        latest: dict[str, InterventionEntry] = {}
        for e in self._trails.get(tenant, []):
            if e.course_id == course_id and e.learner_id:
                latest[e.learner_id] = e
        return list(latest.values())
