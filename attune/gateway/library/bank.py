"""The generated-item bank and the terminology registry on the tenant's content store.

Bank entries are kept as :func:`~attune.content.generation.entry_document` JSON, one document
per item; terminologies as the YAML or JSON an administrator uploaded, read back through the
same validating loader. Listing reads the tenant's documents of one kind: a bank holds
hundreds of items, not millions.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime

from attune.content.generation import (
    BankEntry,
    BankError,
    BankStatus,
    Terminology,
    UnknownItemError,
    entry_document,
    entry_from_document,
    load_terminology,
    require_admitted,
    transition,
)
from attune.gateway.library.ports import ContentStore


class StoreGeneratedBank:
    """:class:`~attune.content.generation.GeneratedBank` over a :class:`ContentStore`."""

    def __init__(self, store: ContentStore) -> None:
        self._store = store
        self._lock = threading.Lock()  # put's check-then-write, within this process

    def put(self, entry: BankEntry) -> None:
        require_admitted(entry)
        with self._lock:
            if self._store.get_document(entry.tenant, "generated", entry.item_id) is not None:
                raise BankError(f"item {entry.item_id} is already in the bank")
            self._write(entry)

    def get(self, tenant: str, item_id: str) -> BankEntry | None:
        raw = self._store.get_document(tenant, "generated", item_id)
        return None if raw is None else entry_from_document(json.loads(raw))

    def list(
        self,
        tenant: str,
        course_id: str,
        *,
        skill_id: str | None = None,
        status: BankStatus | None = None,
    ) -> list[BankEntry]:
        entries = [
            entry_from_document(json.loads(raw))
            for raw in self._store.list_documents(tenant, "generated")
        ]
        found = [
            e
            for e in entries
            if e.generated.course_id == course_id
            and (skill_id is None or e.generated.skill_id == skill_id)
            and (status is None or e.status == status)
        ]
        return sorted(found, key=lambda e: e.history[0].at)

    def set_status(
        self,
        tenant: str,
        item_id: str,
        status: BankStatus,
        *,
        by: str,
        at: datetime,
        reason: str = "",
    ) -> BankEntry:
        with self._lock:
            entry = self.get(tenant, item_id)
            if entry is None:
                raise UnknownItemError(f"no item {item_id} in the bank")
            changed = transition(entry, status, by=by, at=at, reason=reason)
            self._write(changed)
            return changed

    def _write(self, entry: BankEntry) -> None:
        document = json.dumps(entry_document(entry), ensure_ascii=False)
        self._store.put_document(entry.tenant, "generated", entry.item_id, document)


class StoreTerminologyRegistry:
    """Terminologies per (tenant, subject), as uploaded."""

    def __init__(self, store: ContentStore) -> None:
        self._store = store

    def put(self, tenant: str, subject: str, data: bytes) -> Terminology:
        """Validate and keep an uploaded terminology of ``subject``; ValueError naming its
        problems, and nothing kept."""
        terminology, problems = load_terminology("terminology.yaml", data)
        if terminology is None:
            raise ValueError("; ".join(str(p) for p in problems))
        if terminology.subject != subject:
            raise ValueError(
                f"the document is for subject {terminology.subject!r}, not {subject!r}"
            )
        self._store.put_document(tenant, "terminology", terminology.subject, data.decode())
        return terminology

    def get(self, tenant: str, subject: str) -> Terminology | None:
        raw = self._store.get_document(tenant, "terminology", subject)
        if raw is None:
            return None
        terminology, _ = load_terminology("terminology.yaml", raw.encode())
        return terminology
