"""The content store's port: package versions, media and the import history, per tenant.

A package version is stored once under its digest and never changed, so readers may cache
it for good. Media is stored by the SHA-256 of its bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

LogKind = Literal["import", "unscored", "drift"]
DocKind = Literal["generated", "terminology"]


@dataclass(frozen=True, slots=True)
class StoredMedia:
    """A media file's type and bytes."""

    media_type: str
    data: bytes


class ContentStore(Protocol):
    """Where a tenant's course content lives (the embedded SQLite file, or Redis)."""

    def put_content(self, tenant: str, course_id: str, digest: str, document: str) -> None:
        """Keep a package version's documents (JSON text) under its digest; idempotent."""
        ...

    def get_content(self, tenant: str, course_id: str, digest: str) -> str | None: ...

    def put_media(self, tenant: str, sha256: str, media_type: str, data: bytes) -> None:
        """Keep a media file under the SHA-256 of its bytes; idempotent."""
        ...

    def get_media(self, tenant: str, sha256: str) -> StoredMedia | None: ...

    def log_content(
        self, tenant: str, course_id: str, kind: LogKind, record: Mapping[str, Any]
    ) -> None:
        """Append to a course's content log: an import (its digest, version, time and change
        report), or an answer that could not be checked (``unscored``)."""
        ...

    def put_document(self, tenant: str, kind: DocKind, key: str, document: str) -> None:
        """Keep (or replace) a document: a generated item's bank entry, a terminology."""
        ...

    def get_document(self, tenant: str, kind: DocKind, key: str) -> str | None: ...

    def list_documents(self, tenant: str, kind: DocKind) -> list[str]:
        """Every document of ``kind`` of the tenant (a bank is hundreds, not millions)."""
        ...

    def read_content_log(
        self, tenant: str, course_id: str, kind: LogKind, limit: int = 50
    ) -> list[dict[str, Any]]:
        """The course's records of ``kind``, newest first."""
        ...
