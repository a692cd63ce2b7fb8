"""The content store on Redis, under the tenant's hash tag (one cluster slot per tenant).

Media bytes are kept base64-encoded: the gateway's client decodes replies as text.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import Any

from attune.gateway.library.ports import DocKind, LogKind, StoredMedia
from attune.infra.redis import escape

LOG_KEPT = 1000  # the content log keeps this many records per course and kind


class RedisContent:
    """:class:`~attune.gateway.library.ports.ContentStore` on a Redis client (mixed into the
    gateway's Redis store)."""

    _r: Any
    _tag: Callable[[str], str]

    def _content_key(self, tenant: str, *parts: str) -> str:
        return ":".join((self._tag(tenant), "content", *(escape(p) for p in parts)))

    def put_content(self, tenant: str, course_id: str, digest: str, document: str) -> None:
        self._r.set(self._content_key(tenant, "version", course_id, digest), document, nx=True)

    def get_content(self, tenant: str, course_id: str, digest: str) -> str | None:
        raw = self._r.get(self._content_key(tenant, "version", course_id, digest))
        return None if raw is None else str(raw)

    def put_media(self, tenant: str, sha256: str, media_type: str, data: bytes) -> None:
        key = self._content_key(tenant, "media", sha256)
        value = json.dumps({"type": media_type, "data": base64.b64encode(data).decode()})
        self._r.set(key, value, nx=True)

    def get_media(self, tenant: str, sha256: str) -> StoredMedia | None:
        raw = self._r.get(self._content_key(tenant, "media", sha256))
        if raw is None:
            return None
        found = json.loads(raw)
        return StoredMedia(found["type"], base64.b64decode(found["data"]))

    def put_document(self, tenant: str, kind: DocKind, key: str, document: str) -> None:
        self._r.hset(self._content_key(tenant, "doc", kind), key, document)

    def get_document(self, tenant: str, kind: DocKind, key: str) -> str | None:
        raw = self._r.hget(self._content_key(tenant, "doc", kind), key)
        return None if raw is None else str(raw)

    def list_documents(self, tenant: str, kind: DocKind) -> list[str]:
        found = self._r.hgetall(self._content_key(tenant, "doc", kind))
        return [str(found[k]) for k in sorted(found)]

    def log_content(
        self, tenant: str, course_id: str, kind: LogKind, record: Mapping[str, Any]
    ) -> None:
        key = self._content_key(tenant, "log", kind, course_id)
        pipe = self._r.pipeline(transaction=True)
        pipe.lpush(key, json.dumps(dict(record)))
        pipe.ltrim(key, 0, LOG_KEPT - 1)
        pipe.execute()

    def read_content_log(
        self, tenant: str, course_id: str, kind: LogKind, limit: int = 50
    ) -> list[dict[str, Any]]:
        raw = self._r.lrange(self._content_key(tenant, "log", kind, course_id), 0, limit - 1)
        return [json.loads(r) for r in raw]
