"""The monthly prerequisite-drift check (issue 14): the drift report is live on the class
dashboard (on demand); this worker also checks every course of every tenant once per period
(30 days by default), keeps the result in the course's content log (``drift``) and logs each
flagged skill, so a missing prerequisite is noticed even when nobody opens the dashboard.

A course that cannot be checked (the engine down, the course gone) is logged and retried at
the next poll; it never stops the others.

Several gateways (``attune gateway --workers N``, or gateways on one Redis) run this watch:
a gateway claims a due course in the shared store (``add``, expiring after ``CLAIM_TTL_S``
should it die), looks again whether it is due, checks it, records the check, then releases
the claim; the others leave a claimed course, so each is checked and logged once a period.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import structlog

from attune.gateway.engine_port import EngineClient
from attune.gateway.errors import GatewayError
from attune.gateway.ports import GatewayStore
from attune.gateway.worker import PollingWorker

log = structlog.get_logger("attune.gateway.drift")
CHECKED_TTL = 400 * 86400.0
CLAIM_TTL_S = 600.0  # longer than a check takes


class DriftWatch(PollingWorker):
    """Checks each course's drift once per ``period_seconds``."""

    name = "drift-watch"

    def __init__(
        self,
        engine: EngineClient,
        store: GatewayStore,
        tenants: Iterable[str],
        period_seconds: float,
        poll_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(poll_seconds)
        self._engine = engine
        self._store = store
        self._tenants = tuple(tenants)
        self._period = period_seconds
        self._clock = clock

    def run_once(self) -> int:
        checked = 0
        for tenant in self._tenants:
            try:
                courses = self._engine.list_courses(tenant)
            except GatewayError as exc:
                log.warning("drift.unavailable", tenant=tenant, error=exc.reason)
                continue
            for course in courses:
                if self.stopping:
                    return checked
                checked += self._check(tenant, course.course_id)
        return checked

    def _due(self, tenant: str, course_id: str, now: float) -> bool:
        last = self._store.get(tenant, f"drift-checked:{course_id}")
        return not (isinstance(last, (int, float)) and now - last < self._period)

    def _check(self, tenant: str, course_id: str) -> int:
        now = self._clock()
        if not self._due(tenant, course_id, now):
            return 0
        claim = f"drift-claim:{course_id}"
        if not self._store.add(tenant, claim, now, CLAIM_TTL_S):
            return 0  # another gateway is checking it
        try:
            # Looked at again under the claim: a gateway that checked it released its claim
            # only after recording the check.
            return (
                self._check_claimed(tenant, course_id, now)
                if self._due(tenant, course_id, now)
                else 0
            )
        finally:
            self._store.take(tenant, claim)

    def _check_claimed(self, tenant: str, course_id: str, now: float) -> int:
        try:
            report = self._engine.class_report(tenant, course_id)
        except GatewayError as exc:
            log.warning("drift.check_failed", tenant=tenant, course_id=course_id, error=exc.reason)
            return 0
        flagged = [d for d in report.drift if d.flagged]
        record = {
            "at": now,
            "skills_checked": len(report.drift),
            "flagged": [
                {
                    "skill_id": d.skill_id,
                    "failure_rate": d.rate,
                    "low": d.low,
                    "high": d.high,
                    "answers": d.answers,
                    "candidates": [c.skill_id for c in d.candidates],
                }
                for d in flagged
            ],
            "last_log_id": report.last_log_id,
        }
        self._store.log_content(tenant, course_id, "drift", record)
        self._store.put(tenant, f"drift-checked:{course_id}", now, CHECKED_TTL)
        for d in flagged:
            log.warning(
                "drift.flagged",
                tenant=tenant,
                course_id=course_id,
                skill_id=d.skill_id,
                failure_rate=round(d.rate, 3),
                candidates=[c.skill_id for c in d.candidates][:5],
            )
        log.info("drift.checked", tenant=tenant, course_id=course_id, flagged=len(flagged))
        return 1
