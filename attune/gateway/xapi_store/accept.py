"""Keeping what the ingest path accepted, and voiding (xAPI 1.0.3 Data §2.2.2 "Voided";
2.0.0 Data §2.3.2).

Called by :class:`gateway.ingest.service.Ingestor` right after a batch was applied: every
statement of the batch is stored (insert-if-absent: a retried batch stores nothing twice,
and one that stopped half-way is completed). Then each voiding statement (verb
``http://adlnet.gov/expapi/verbs/voided``, object a StatementRef) voids its target, when
the target is known, not voided yet and not itself a voiding statement: a voiding
statement cannot be voided, and voiding an unknown statement is accepted and changes
nothing (the spec lets the target arrive later; Attune does not void it then, see the
README). A target that was applied to the engine is voided there too (the learner is
rebuilt from their log without it, ``Voider``) *before* it is marked voided here, so a crash
between the two is repaired by the client's retry.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import structlog

from attune.gateway.errors import EngineCallError
from attune.gateway.xapi_store.formats import as_stored
from attune.gateway.xapi_store.ports import EngineRef, StatementStore, StoredStatement

log = structlog.get_logger("attune.gateway.ingest")


@runtime_checkable
class Voider(Protocol):
    """Takes one applied response back out of the learner model (the engine's VoidEvent;
    ``GrpcEngineClient`` is one). ``actor`` names who voided it, for the audit trail."""

    def void_event(
        self, tenant: str, learner_id: str, course_id: str, event_id: str, actor: str
    ) -> None: ...


class Received(Protocol):
    """What the keeper reads of a parsed statement (``ParsedStatement`` is one)."""

    @property
    def statement_id(self) -> str: ...

    @property
    def body(self) -> dict[str, Any]: ...


def default_authority(tenant: str, home_page: str) -> dict[str, Any]:
    """The authority of a statement sent with the tenant's ingest credential: an Agent
    account named after the credential's tenant (Data §2.4.9: the LRS sets it)."""
    return {"objectType": "Agent", "account": {"homePage": home_page, "name": f"ingest:{tenant}"}}


class StatementKeeper:
    """Stores accepted statements and applies voiding."""

    def __init__(
        self,
        store: StatementStore,
        clock: Callable[[], float],
        voider: Voider | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._voider = voider

    def keep(
        self,
        tenant: str,
        statements: Sequence[Received],
        engine_refs: Mapping[str, tuple[str, str, str]],
        authority: dict[str, Any],
        version: str,
    ) -> None:
        """Store the batch (``engine_refs``: id -> (learner, course, event) for what the
        engine took), then apply its voiding statements."""
        stored = math.floor(self._clock() * 1000) / 1000  # the precision GET returns
        records = []
        for s in statements:
            ref = engine_refs.get(s.statement_id)
            record = StoredStatement(
                statement_id=s.statement_id,
                stored=stored,
                statement=as_stored(s.body, stored, authority, version),
                engine=None if ref is None else EngineRef(*ref),
            )
            self._store.add_statement(tenant, record)
            records.append(record)
        for record in records:
            if record.voids:
                self.void(tenant, record.voids, record.statement_id)

    def void(self, tenant: str, target_id: str, by: str) -> bool:
        """Void ``target_id`` if it can be; whether it was voided now."""
        target = self._store.get_statement(tenant, target_id)
        if target is None or target.voided or target.voids:
            why = "unknown" if target is None else "voided" if target.voided else "voiding"
            log.info("xapi.void_ignored", target=target_id, by=by, why=why)
            return False
        if target.engine is not None and self._voider is not None:
            ref = target.engine
            try:
                self._voider.void_event(
                    tenant, ref.learner_id, ref.course_id, ref.event_id, f"xapi:{by}"
                )
            except EngineCallError as exc:
                if exc.code != "NOT_FOUND":
                    raise  # the engine is unavailable: the client's retry voids it
                # The learner or the response is gone (erased): nothing left to take back.
                log.info("xapi.void_engine_gone", target=target_id, reason=exc.reason)
        done = self._store.void_statement(tenant, target_id)
        log.info("xapi.voided", target=target_id, by=by, engine=target.engine is not None)
        return done
