"""The statements Attune has accepted, per tenant, for reading back (xAPI 1.0.3
Communication §2.1.3; 2.0.0 Communication §2.1.3): the port and the record it keeps.

A record is the statement as the LRS returns it for ``format=exact`` (``stored``,
``authority``, ``version`` and a missing ``timestamp`` filled in, Data §2.4.8-2.4.10), the
``stored`` time as epoch seconds, whether it is voided, and the engine event it became (if
any), which voiding needs to reach the learner model. The store numbers a tenant's
records in the order they were stored (``seq``); queries page by that number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"
IFIS = ("mbox", "mbox_sha1sum", "openid", "account")  # an Agent's identifiers (Data §2.4.2.3)


@dataclass(frozen=True, slots=True)
class EngineRef:
    """The engine response a statement was applied as."""

    learner_id: str
    course_id: str
    event_id: str


@dataclass(frozen=True, slots=True)
class StoredStatement:
    """One accepted statement. ``statement_id`` is lower-case; ``seq`` is 0 until stored."""

    statement_id: str
    stored: float
    statement: dict[str, Any]
    voided: bool = False
    engine: EngineRef | None = None
    seq: int = 0

    @property
    def voids(self) -> str:
        """The id this statement voids (lower-case), or "" when it is no voiding statement
        (Data §2.2.2: verb ``voided`` and a StatementRef object)."""
        verb = self.statement.get("verb") or {}
        target = self.statement.get("object") or {}
        if verb.get("id") != VOIDED_VERB or target.get("objectType") != "StatementRef":
            return ""
        return str(target.get("id", "")).lower()


def record_to_json(record: StoredStatement) -> dict[str, Any]:
    """The stored form of a record (what the adapters write)."""
    engine = record.engine
    return {
        "id": record.statement_id,
        "stored": record.stored,
        "statement": record.statement,
        "voided": record.voided,
        "engine": None
        if engine is None
        else {"learner": engine.learner_id, "course": engine.course_id, "event": engine.event_id},
        "seq": record.seq,
    }


def record_from_json(body: dict[str, Any]) -> StoredStatement:
    """Inverse of :func:`record_to_json`."""
    engine = body.get("engine")
    return StoredStatement(
        statement_id=body["id"],
        stored=float(body["stored"]),
        statement=body["statement"],
        voided=bool(body["voided"]),
        engine=None
        if engine is None
        else EngineRef(engine["learner"], engine["course"], engine["event"]),
        seq=int(body["seq"]),
    )


class StatementStore(Protocol):
    """Accepted statements per tenant."""

    def add_statement(self, tenant: str, record: StoredStatement) -> bool:
        """Store ``record`` under the next ``seq`` unless its id is stored already (then
        nothing changes); whether it was added. Records are added not voided (voiding is
        :meth:`void_statement`'s)."""
        ...

    def get_statement(self, tenant: str, statement_id: str) -> StoredStatement | None:
        """The record of a (lower-case) statement id, voided or not."""
        ...

    def void_statement(self, tenant: str, statement_id: str) -> bool:
        """Mark the statement voided; False when it is unknown or voided already."""
        ...

    def scan_statements(
        self, tenant: str, after: int, ascending: bool, limit: int
    ) -> Sequence[StoredStatement]:
        """Up to ``limit`` records in ``seq`` order (descending unless ``ascending``),
        strictly beyond ``after`` in that direction (0: from the start)."""
        ...

    def erase_statements(self, tenant: str, statement_ids: Sequence[str]) -> int:
        """Remove these statements for good (a learner's erasure, issue 16); how many were
        there."""
        ...


class QueryError(ValueError):
    """A bad parameter of a GET: ``param`` names it (the web layer answers 400)."""

    def __init__(self, param: str, problem: str) -> None:
        super().__init__(f"{param}: {problem}")
        self.param = param
        self.reason = f"{param}: {problem}"
