"""The port the statement outbox sends through: one batch to one target, and what the
endpoint said. The HTTP adapter is ``integrations.lrs.http.HttpLrsClient``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from attune.gateway.lrs.targets import LrsTarget


@dataclass(frozen=True, slots=True)
class SendResult:
    """What the endpoint said: ``status`` 0 when it could not be reached."""

    status: int
    reason: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        """Worth trying again later: no answer, overload, auth or server trouble."""
        return self.status in (0, 401, 403, 404, 408, 413, 429) or self.status >= 500


class LrsClient(Protocol):
    """Sends one batch to one target."""

    def send(self, target: LrsTarget, bodies: Sequence[dict[str, Any]]) -> SendResult: ...

    def exists(self, target: LrsTarget, statement_id: str) -> bool: ...
