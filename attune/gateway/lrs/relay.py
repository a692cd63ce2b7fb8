"""The statement outbox: the engine's event log in, xAPI statements and Caliper events out.

**Feed.** For each enabled target, read the tenant's log after the target's cursor
(``EventService.ListEvents``, the same on the embedded store and on Redis), build one
statement per learning event (answered, mastered, recommended) with the target's profile, and
queue them with the new cursor in one transaction. A log entry whose statements cannot be
built (any error of the pure builders, such as a time no timestamp can write) is parked in
that transaction as a dead letter with the reason, and never read again: it cannot stall
the feed (see :mod:`gateway.lrs.unbuilt`). The gateway adds its own events (launched, grade
changed) with :meth:`StatementRelay.emit`.

**Send.** Per target, the oldest due statements are leased ``batch`` at a time and POSTed,
with up to ``in_flight`` batches on the wire at once (over the target's keep-alive session):
as soon as one is answered and settled, the next is leased and sent, so the LRS always has
the next batch waiting while the relay settles the last. A batch still on the wire is never
leased again (``skip``). Each POST's answer decides for its batch:
- 2xx: delivered.
- 400 (or 409, 415, 422) for a batch: each statement is sent alone, so one poison statement
  cannot block the rest. Alone, a 409 from an xAPI LRS means it already holds that id (a
  retry after a lost reply, say): when a GET finds it, it counts as delivered, since ids are
  deterministic; anything else rejected alone goes to the dead-letter list.
- no answer, 401, 403, 404, 429 or 5xx: the batch is retried after an exponential backoff
  with jitter, and no further batch is sent until the next poll. The batches already on the
  wire keep their own answers, so statements may reach the LRS out of their queue order, as
  they may with several gateways sending; each carries its own ``timestamp``.

So the LRS receives every statement once: never lost (queued durably before the cursor moves,
retried until delivered or dead-lettered) and never doubled (one row per target and id, and
the LRS refuses a second copy of an id).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

import structlog

from attune.gateway.content import CourseCache
from attune.gateway.engine_port import EngineClient
from attune.gateway.lrs.client import LrsClient, SendResult
from attune.gateway.lrs.ports import QueuedStatement, StatementOutbox, UnbuiltEvent
from attune.gateway.lrs.targets import LrsTarget
from attune.gateway.lrs.unbuilt import unbuilt_event
from attune.gateway.statements import LearningEvent, build_caliper, build_xapi, from_logged
from attune.gateway.tenant_gate import TenantBusyError, TenantGate
from attune.gateway.worker import Backoff, PollingWorker

POISON = (400, 409, 415, 422)
PAGE = 200
log = structlog.get_logger("attune.gateway.statements")
_BUILDERS = {"xapi": build_xapi, "caliper": build_caliper}


def statement_for(target: LrsTarget, event: LearningEvent) -> dict[str, Any]:
    """The target's form of one event: an xAPI statement or a Caliper event."""
    return _BUILDERS[target.kind](event, target.profile())


class StatementRelay(PollingWorker):
    """Feeds and sends; :meth:`run_once` for tests, :meth:`start` for the server."""

    name = "statement-outbox"

    def __init__(
        self,
        outbox: StatementOutbox,
        engine: EngineClient,
        courses: CourseCache,
        client: LrsClient,
        batch: int,
        backoff: Backoff,
        poll_seconds: float,
        clock: Callable[[], float] = time.time,
        gate: TenantGate | None = None,
        in_flight: int = 1,
    ) -> None:
        if in_flight < 1:
            raise ValueError(f"in_flight must be >= 1, got {in_flight}")
        super().__init__(poll_seconds)
        self._gate = gate  # a tenant being deleted is skipped (gateway/tenant_gate.py)
        self._outbox = outbox
        self._engine = engine
        self._courses = courses
        self._client = client
        self._batch = batch
        self._backoff = backoff
        self._clock = clock
        self._in_flight = in_flight
        self._pool: ThreadPoolExecutor | None = None  # started by the first round that needs it
        self.stats = DeliveryStats()

    # -- feed -----------------------------------------------------------------------------

    def feed(self, target: LrsTarget) -> int:
        """Queue the target's statements for new log entries; how many were queued.

        An entry whose statements cannot be built is parked as a dead letter with the
        builder's reason, in the same transaction as the others and the cursor, so one bad
        entry never stalls the feed, and it is read once (issue 11).
        """
        # A bad target (profile, kind) fails the whole feed and moves nothing: it is not
        # the entries' fault, and parking them all would empty the feed into dead letters.
        profile = target.profile()
        build = _BUILDERS[target.kind]
        cursor = self._outbox.cursor(target.key)
        page = self._engine.list_events(target.tenant, cursor, PAGE)
        rows: list[tuple[str, str, dict[str, Any]]] = []
        unbuilt: list[UnbuiltEvent] = []
        for logged in page.events:
            title = self._title(target.tenant, logged.response.course_id)
            try:
                events = from_logged(target.tenant, logged, title)
                bodies = [build(event, profile) for event in events]
                built = [(target.key, str(body["id"]), body) for body in bodies]
            except Exception as exc:  # whatever the pure builders raise: this entry only
                parked = unbuilt_event(target, logged, exc)
                unbuilt.append(parked)
                log.warning(
                    "statement.unbuilt",
                    tenant=target.tenant,
                    target=target.name,
                    log_id=logged.log_id,
                    event_id=parked.body["event_id"],
                    reason=parked.reason,
                )
                continue
            rows.extend(built)
        if page.last_log_id == cursor:
            return 0
        return self._outbox.enqueue(
            target.tenant, rows, (target.key, page.last_log_id), unbuilt=unbuilt
        )

    def _title(self, tenant: str, course_id: str) -> str:
        try:
            return str(self._courses.get(tenant, course_id).title)
        except Exception:  # a title is nice to have; the statement goes out without one
            return ""

    def emit(self, event: LearningEvent) -> int:
        """Queue a gateway event (launched, grade changed) for the tenant's targets."""
        rows = []
        for target in self._outbox.targets(event.tenant):
            if target.enabled:
                body = statement_for(target, event)
                rows.append((target.key, str(body["id"]), body))
        return self._outbox.enqueue(event.tenant, rows) if rows else 0

    # -- send -----------------------------------------------------------------------------

    def send(self, target: LrsTarget) -> int:
        """Send the target's due statements, keeping up to ``in_flight`` batches on the wire;
        how many were delivered. A batch to retry ends the call once the rest are settled."""
        delivered = 0
        sending: dict[Future[SendResult], list[QueuedStatement]] = {}
        more = True
        while True:
            while more and len(sending) < self._in_flight and not self.stopping:
                held = {q.row_id for batch in sending.values() for q in batch}
                batch = self._outbox.due(target, self._clock(), self._batch, held)
                if batch:
                    sending[self._post(target, batch)] = batch
                more = bool(batch)
            if not sending:
                return delivered
            done, _ = wait(sending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: sending[f][0].row_id):
                batch = sending.pop(future)
                result = future.result()
                self.stats.count(len(batch), len(batch) if result.ok else 0)
                if result.ok:  # acknowledged by the thread that sent it
                    delivered += len(batch)
                elif result.status in POISON:
                    delivered += self._one_by_one(target, batch, result)
                else:
                    self._retry(target, batch, result)
                    more = False

    def _post(self, target: LrsTarget, batch: Sequence[QueuedStatement]) -> Future[SendResult]:
        """POST ``batch`` and, on 2xx, mark it delivered: from the pool when several may be in
        flight (the store's write then overlaps the next lease), else here."""
        if self._in_flight == 1:
            future: Future[SendResult] = Future()
            future.set_result(self._send_and_ack(target, batch))
            return future
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._in_flight, f"{self.name}-post")
        return self._pool.submit(self._send_and_ack, target, batch)

    def _send_and_ack(self, target: LrsTarget, batch: Sequence[QueuedStatement]) -> SendResult:
        result = self._client.send(target, [q.body for q in batch])
        if result.ok:
            ids = [q.row_id for q in batch]
            self._outbox.delivered(target.tenant, ids, self._clock(), target.key)
        return result

    def _one_by_one(
        self, target: LrsTarget, batch: Sequence[QueuedStatement], first: SendResult
    ) -> int:
        """Each statement alone (a batch of one already has its answer)."""
        delivered = 0
        for queued in batch:
            result = first if len(batch) == 1 else self._client.send(target, [queued.body])
            if result.ok or (
                result.status == 409
                and target.kind == "xapi"
                and self._client.exists(target, queued.statement_id)
            ):
                self._outbox.delivered(target.tenant, [queued.row_id], self._clock(), target.key)
                self.stats.count(0, 1)
                delivered += 1
            elif result.status in POISON:
                self._outbox.dead(target.tenant, queued.row_id, f"{result.status}: {result.reason}")
                log.warning(
                    "statement.dead",
                    tenant=target.tenant,
                    target=target.name,
                    statement_id=queued.statement_id,
                    status=result.status,
                    reason=result.reason[:200],
                )
            else:
                self._retry(target, [queued], result)
        return delivered

    def _retry(
        self, target: LrsTarget, batch: Sequence[QueuedStatement], result: SendResult
    ) -> None:
        wait = self._backoff.delay(max(q.attempts for q in batch))
        self._outbox.retry(
            target.tenant,
            [q.row_id for q in batch],
            self._clock() + wait,
            f"{result.status}: {result.reason}",
        )
        log.info(
            "statement.retry",
            tenant=target.tenant,
            target=target.name,
            count=len(batch),
            status=result.status,
            wait_s=round(wait, 2),
        )

    # -- loop -----------------------------------------------------------------------------

    def stop(self, timeout: float = 5.0) -> None:
        super().stop(timeout)
        if self._pool is not None:
            self._pool.shutdown(wait=False)

    def run_once(self) -> int:
        """Feed and send every enabled target once; how many statements were delivered."""
        delivered = 0
        for target in self._outbox.targets():
            if not target.enabled:
                continue
            if self._gate is not None:
                try:
                    self._gate.enter(target.tenant)
                except TenantBusyError:
                    continue  # being deleted: nothing of it may be queued now
            try:
                delivered += self._feed_and_send(target)
            finally:
                if self._gate is not None:
                    self._gate.leave(target.tenant)
        return delivered

    def _feed_and_send(self, target: LrsTarget) -> int:
        try:
            self.feed(target)
        except Exception:  # the engine may be restarting: send what is queued anyway
            log.warning(
                "statement.feed_failed", tenant=target.tenant, target=target.name, exc_info=True
            )
        return self.send(target)


class DeliveryStats:
    """What the relay has sent since it started, for the metrics: statements delivered, and
    the POSTs of a batch with the statements they held. Updated by the relay's own thread
    only; read on scrape."""

    def __init__(self) -> None:
        self.delivered = 0
        self.batches = 0
        self.batched = 0  # statements in those batches

    def count(self, batch_size: int, delivered: int) -> None:
        if batch_size:
            self.batches += 1
            self.batched += batch_size
        self.delivered += delivered
