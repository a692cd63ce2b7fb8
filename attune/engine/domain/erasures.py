"""Pending erasures: a learner erased by ``DeleteLearner`` whose erasure the gateway has not
yet applied to its own stores (sessions, launch data, rosters, outboxes, statements).

The store records one atomically with the delete (on Redis, just before it: see
engine/adapters/redis_erasures.py), keyed by (tenant, learner): a second delete of the same
learner before the gateway acknowledged the first replaces it (a new ``erasure_id``), so
there is never more than one per learner. The gateway lists them, applies them, and
acknowledges each by its ``erasure_id``; the acknowledged entry is deleted, so the learner
id does not stay in the engine.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_ERASURE_PAGE = 100
MAX_ERASURE_PAGE = 1000


@dataclass(frozen=True, slots=True)
class PendingErasure:
    """One learner erased from the engine, waiting for the gateway's acknowledgement.

    ``erasure_id`` names this erasure (a later delete of the same learner gets another), so
    an acknowledgement of an older one never drops a newer one. ``requested_at`` is the
    engine's clock at the delete; ``request_id`` the delete call's request id (for the
    audit trail).
    """

    tenant: str
    learner_id: str
    erasure_id: str
    requested_at: float
    request_id: str = ""


def oldest_first(
    entries: list[PendingErasure], learner_id: str, limit: int
) -> list[PendingErasure]:
    """The entries (only the learner's when ``learner_id``), oldest first, at most ``limit``;
    ties in time are ordered by learner id, so pages are stable."""
    chosen = [e for e in entries if not learner_id or e.learner_id == learner_id]
    chosen.sort(key=lambda e: (e.requested_at, e.learner_id))
    return chosen[:limit]
