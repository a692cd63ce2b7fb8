"""The audit log port: append, read back, and the two changes the law requires (pruning past
the retention period, and erasing a learner's id). There is no update and no delete of a
record otherwise, in the port or in any route."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from attune.infra.audit.record import AuditEntry, AuditRecord

MAX_PAGE = 1000


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """A search of one tenant's trail; every filter optional. ``after_seq`` pages forward."""

    tenant: str
    actor: str = ""
    action: str = ""  # exact, or a prefix ending in "." (``learner.``)
    learner_id: str = ""
    since: float | None = None
    until: float | None = None
    after_seq: int = 0
    limit: int = 100


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where a pruned trail starts: the last pruned record's number and hash (``seq`` 0 and
    the genesis hash when nothing was pruned)."""

    seq: int
    hash: str


class AuditLog(Protocol):
    """A per-tenant, hash-chained, append-only trail."""

    def append(self, entry: AuditEntry) -> AuditRecord:
        """Seal ``entry`` as the tenant's next record and store it atomically."""
        ...

    def search(self, query: AuditQuery) -> list[AuditRecord]:
        """Matching records by sequence number, at most ``query.limit``."""
        ...

    def records(self, tenant: str, after_seq: int = 0, limit: int = MAX_PAGE) -> list[AuditRecord]:
        """The tenant's records after ``after_seq``, in order (for verification, export)."""
        ...

    def anchor(self, tenant: str) -> Anchor:
        """Where the tenant's kept trail starts."""
        ...

    def tenant_key(self, tenant: str) -> bytes:
        """The tenant's audit key (made on first use): learner refs are keyed with it."""
        ...

    def erase_learner(self, tenant: str, learner_id: str) -> int:
        """Blank the plain learner id of the tenant's records that name it (their refs and
        hashes stay); how many records."""
        ...

    def prune(self, tenant: str, before: float) -> int:
        """Drop the tenant's oldest records written before ``before`` (a prefix of the
        chain), moving the anchor to the last one dropped; how many."""
        ...

    def tenants(self) -> Sequence[str]:
        """Every tenant with a trail."""
        ...

    def close(self) -> None: ...
