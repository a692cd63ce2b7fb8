"""Attachments of accepted statements, kept per tenant in the gateway's content store (the
media table of ``gateway.library``: SQLite, or Redis), under their SHA-2.

:func:`keep` stores the parts a valid request carried, each within the cap of
:class:`AttachmentSettings`; :func:`load` returns one for ``GET /xapi/statements?
attachments=true`` (Communication §2.1.3), tenant-scoped like everything else.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from attune.gateway.ingest.problems import InvalidInputError
from attune.gateway.ingest.xapi_multipart import AttachmentPart
from attune.gateway.library.ports import StoredMedia
from attune.gateway.xapi_attachment_settings import AttachmentSettings

_PREFIX = "xapi-attachment:"


class MediaStore(Protocol):
    """The part of the content store attachments use."""

    def put_media(self, tenant: str, sha256: str, media_type: str, data: bytes) -> None: ...

    def get_media(self, tenant: str, sha256: str) -> StoredMedia | None: ...


def check_sizes(parts: Iterable[AttachmentPart], settings: AttachmentSettings) -> None:
    """Refuse (before anything is applied) a part over the per-attachment cap."""
    for part in parts:
        if len(part.data) > settings.max_bytes:
            raise InvalidInputError(
                f"part {part.sha2}", f"is {len(part.data)} bytes; the cap is {settings.max_bytes}"
            )


def keep(store: MediaStore, tenant: str, parts: Iterable[AttachmentPart]) -> int:
    """Store the parts under the tenant (idempotent by hash); how many were given."""
    count = 0
    for part in parts:
        store.put_media(tenant, _PREFIX + part.sha2, part.content_type, part.data)
        count += 1
    return count


def load(store: MediaStore, tenant: str, sha2: str) -> AttachmentPart | None:
    """The tenant's attachment with this SHA-2, or ``None``."""
    found = store.get_media(tenant, _PREFIX + sha2.lower())
    if found is None:
        return None
    return AttachmentPart(sha2.lower(), found.media_type, found.data)
