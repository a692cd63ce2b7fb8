"""Erasures made at the engine reach the gateway's stores (issue 16).

A partner app may call the engine's ``DeleteLearner`` directly (scope ``learners:delete``).
The engine then records a pending erasure with the delete (``ErasureService``). This worker
polls each tenant the gateway serves, applies the gateway's part of the erasure
(:func:`gateway.audit.erasure.erase_gateway_stores`: sessions, launch data, rosters and
caches, both outboxes, accepted statements), records it in the audit trail, blanks the
learner's plain id there, and acknowledges the erasure, which the engine then deletes.

- **Nothing is lost.** An entry stays at the engine until acknowledged, and is acknowledged
  only after the gateway's stores and its trail are done: a gateway that was down, or that
  fails half-way, applies it at the next poll after it is back.
- **Applying twice is harmless.** The gateway's erasure finds nothing the second time. The
  admin route acknowledges the erasure of its own ``DeleteLearner`` once it erased the
  gateway's stores, so the poller does not redo it (if that acknowledgement fails, the poller
  does redo it, harmlessly).
- One entry that cannot be applied is logged and retried at the next poll; it never stops
  the others.
- **Several gateways** (``attune gateway --workers N``, or gateways on one Redis) poll the
  same entries: a gateway claims an entry in the shared store first (``add``, expiring after
  ``CLAIM_TTL_S``) and the others leave it, so it is applied and recorded in the trail once.
  A claim whose application failed is released for the next poll.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import structlog

from attune.gateway.audit.erasure import ErasureReport, erase_gateway_stores
from attune.gateway.errors import GatewayError
from attune.gateway.worker import PollingWorker

if TYPE_CHECKING:
    from attune.engine.v1.erasures_pb2 import PendingErasure
    from attune.gateway.app import Gateway
    from attune.infra.audit import AuditTrail

log = structlog.get_logger("attune.gateway.erasure")
ACTOR = "engine:delete-learner"  # who erased: the engine's own record names the partner
ACTION = "learner.erase.propagated"
PAGE = 100
CLAIM_TTL_S = 300.0  # a gateway that claimed an entry and died: another applies it after


class ErasurePropagation(PollingWorker):
    """Applies the engine's pending erasures to the gateway's stores; :meth:`run_once` is
    one poll of every tenant (tests call it), :meth:`start` runs it in a thread."""

    name = "erasure-propagation"

    def __init__(
        self,
        gateway: Gateway,
        trail: Callable[[], AuditTrail | None],
        tenants: Iterable[str],
        poll_seconds: float,
    ) -> None:
        super().__init__(poll_seconds)
        self._gateway = gateway
        self._trail = trail
        self._tenants = tuple(tenants)

    def run_once(self) -> int:
        """Apply and acknowledge every pending erasure of every tenant; how many."""
        return sum(self.poll(tenant) for tenant in self._tenants)

    def poll(self, tenant: str) -> int:
        """One tenant: page after page until nothing is pending or nothing more applies."""
        applied = 0
        while not self.stopping:
            try:
                pending = self._gateway.engine.pending_erasures(tenant, "", PAGE)
            except GatewayError as exc:
                log.warning("erasure.poll_failed", tenant=tenant, error=exc.reason)
                return applied
            done = sum(self.apply(tenant, p) for p in pending)
            applied += done
            if len(pending) < PAGE or done == 0:
                return applied
        return applied

    def apply(self, tenant: str, pending: PendingErasure) -> int:
        """Erase one learner from the gateway's stores, record it, acknowledge it; 1 when
        done, 0 when it failed (it stays pending and is retried at the next poll)."""
        learner_id = pending.learner_id
        claim = f"erasure-claim:{pending.erasure_id}"
        store = self._gateway.store
        if not store.add(tenant, claim, True, CLAIM_TTL_S):
            return 0  # another gateway is applying it
        try:
            report = erase_gateway_stores(self._gateway, tenant, learner_id, ErasureReport())
            self._record(tenant, pending, report)
            self._gateway.engine.acknowledge_erasure(tenant, learner_id, pending.erasure_id)
        except Exception as exc:  # any store or engine failure: retried at the next poll
            log.error(
                "erasure.propagation_failed",
                tenant=tenant,
                learner_id=learner_id,
                error=type(exc).__name__,
            )
            store.take(tenant, claim)  # retried at the next poll, by any gateway
            return 0
        log.info("learner.erased", tenant=tenant, learner_id=learner_id, **report.counts)
        return 1

    def _record(self, tenant: str, pending: PendingErasure, report: ErasureReport) -> None:
        """One trail record of the propagation; then the learner's plain id is blanked in the
        gateway's trail, as after the admin route's erasure (only the pseudonym stays)."""
        trail = self._trail()
        if trail is None:
            return
        trail.record(
            tenant=tenant,
            actor=ACTOR,
            action=ACTION,
            source="gateway",
            learner_id=pending.learner_id,
            request_id=pending.request_id,
            details={
                "erasure_id": pending.erasure_id,
                "requested_at": pending.requested_at.ToJsonString(),
                "stores": report.counts,
                "lrs_delivered": report.lrs_delivered,
            },
        )
        trail.erase_learner(tenant, pending.learner_id)
