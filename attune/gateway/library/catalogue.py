"""The stored versions the pages read, cached: a version never changes once stored, so a
bounded LRU of decoded versions serves every later page without a store read."""

from __future__ import annotations

import threading
from collections import OrderedDict

from attune.content.model import ContentItem
from attune.content.templates import parse_content
from attune.engine.v1 import course_pb2
from attune.gateway.library.ports import ContentStore
from attune.gateway.library.versions import StoredVersion, decode_version, digest_of

CACHED_VERSIONS = 64


class Catalogue:
    """Decoded package versions by (tenant, course, digest), from the content store."""

    def __init__(self, store: ContentStore, capacity: int = CACHED_VERSIONS) -> None:
        self._store = store
        self._capacity = capacity
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, str, str], StoredVersion] = OrderedDict()

    def forget_tenant(self, tenant: str) -> None:
        """Drop every cached version of a deleted tenant."""
        with self._lock:
            for key in [k for k in self._cache if k[0] == tenant]:
                del self._cache[key]

    def version(self, tenant: str, course_id: str, digest: str) -> StoredVersion | None:
        """The stored version, or None when the store has no such version."""
        key = (tenant, course_id, digest)
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        document = self._store.get_content(tenant, course_id, digest)
        if document is None:
            return None
        version = decode_version(document)
        with self._lock:
            self._cache[key] = version
            while len(self._cache) > self._capacity:
                self._cache.popitem(last=False)
        return version

    def record_unscored(self, tenant: str, course_id: str, record: dict[str, object]) -> None:
        """Keep an answer the checker could not decide, for the operators."""
        self._store.log_content(tenant, course_id, "unscored", record)

    def item(
        self, tenant: str, course_id: str, item: course_pb2.Item
    ) -> tuple[StoredVersion, ContentItem] | None:
        """The content of an engine item that points at a stored version, or None."""
        digest = digest_of(item.content)
        if digest is None:
            return None
        version = self.version(tenant, course_id, digest)
        if version is None:
            return None
        content = version.items.get(item.item_id)
        return None if content is None else (version, content)

    def current(self, tenant: str, course: course_pb2.Course) -> StoredVersion | None:
        """The version the engine's course points at (its first stored item's), if any."""
        for item in course.items:
            digest = digest_of(item.content)
            if digest is not None:
                return self.version(tenant, course.course_id, digest)
        return None

    def renderable(self, tenant: str, course: course_pb2.Course) -> bool:
        """Whether the page can show every item of ``course`` (a template, or stored content)."""
        if not course.items:
            return False
        return all(self._renderable(tenant, course.course_id, item) for item in course.items)

    def _renderable(self, tenant: str, course_id: str, item: course_pb2.Item) -> bool:
        if digest_of(item.content) is not None:
            return self.item(tenant, course_id, item) is not None
        try:
            parse_content(item.content)
        except ValueError:
            return False
        return True
