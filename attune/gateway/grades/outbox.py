"""The durable grade-passback outbox: scores are queued in the store before the learner sees
their feedback, and a sender thread delivers them with retries.

- A queued score survives a restart; an LMS outage only delays it.
- A newer score for the same learner and line item supersedes an undelivered older one.
- Retries back off exponentially (base * 2^attempts, capped) with jitter (the delay is drawn
  from its upper half), so that a recovering LMS is not hit by every tool at once.
- AGS keeps the score with the latest ``timestamp`` (AGS 2.0 §3.4.2), so a retried or late
  score can never overwrite a newer one: retries do not double-apply.
- A score the platform refuses for good (a 4xx other than 401 or 429) goes to the dead-letter
  list, where an admin can see the reason and replay it; it does not block the others.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import structlog

from attune.gateway.errors import PlatformError
from attune.gateway.lti.advantage import post_score
from attune.gateway.lti.services import CachedTokenConnector
from attune.gateway.outbox.ports import QueueItem
from attune.gateway.ports import Outbox
from attune.gateway.worker import Backoff, PollingWorker

KIND = "ags-score"
BATCH = 50
log = structlog.get_logger("attune.gateway.outbox")

ConnectorFor = Callable[[str, str, str], CachedTokenConnector | None]


def score_key(issuer: str, client_id: str, lineitem: str, user_id: str) -> str:
    """One learner's score on one line item: later scores supersede earlier ones."""
    return f"{issuer}|{client_id}|{lineitem}|{user_id}"


def queue_score(
    outbox: Outbox,
    tenant: str,
    issuer: str,
    client_id: str,
    lineitem: str,
    score: Mapping[str, Any],
) -> int:
    """Queue a score durably; the outbox item id."""
    payload = {"issuer": issuer, "client_id": client_id, "lineitem": lineitem, "score": score}
    key = score_key(issuer, client_id, lineitem, str(score["userId"]))
    return outbox.enqueue(tenant, KIND, key, payload)


class ScoreSender(PollingWorker):
    """Delivers due scores; :meth:`run_once` for tests, :meth:`start` for the server."""

    name = "ags-outbox"

    def __init__(
        self,
        outbox: Outbox,
        connector_for: ConnectorFor,
        backoff: Backoff,
        poll_seconds: float,
        clock: Callable[[], float] = time.time,
        housekeeping: Callable[[float], object] | None = None,
    ) -> None:
        super().__init__(poll_seconds)
        self._outbox = outbox
        self._connector_for = connector_for
        self._backoff = backoff
        self._clock = clock
        self._housekeeping = housekeeping

    def run_once(self) -> int:
        """Try every due score once; how many were delivered."""
        now = self._clock()
        if self._housekeeping is not None:
            self._housekeeping(now)
        delivered = 0
        for item in self._outbox.due(now, BATCH):
            if self._send(item):
                delivered += 1
        return delivered

    def _send(self, item: QueueItem) -> bool:
        payload = item.payload
        bound = log.bind(tenant=item.tenant, outbox_id=item.item_id, lineitem=payload["lineitem"])
        connector = self._connector_for(item.tenant, payload["issuer"], payload["client_id"])
        if connector is None:
            self._outbox.dead(
                item.tenant, item.item_id, "the platform registration no longer exists"
            )
            bound.warning("ags.score.dead", reason="no registration")
            return False
        try:
            post_score(connector, payload["lineitem"], payload["score"])
        except PlatformError as exc:
            if exc.retryable:
                wait = self._backoff.delay(item.attempts)
                self._outbox.retry(item.tenant, item.item_id, self._clock() + wait, exc.reason)
                bound.info(
                    "ags.score.retry",
                    attempts=item.attempts + 1,
                    wait_s=round(wait, 2),
                    reason=exc.reason,
                )
            else:
                self._outbox.dead(item.tenant, item.item_id, exc.reason)
                bound.warning("ags.score.dead", reason=exc.reason)
            return False
        self._outbox.delivered(item.tenant, item.item_id, self._clock())
        bound.info("ags.score.delivered", attempts=item.attempts + 1)
        return True
