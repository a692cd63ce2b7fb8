"""A package version as the content store keeps it: the documents of Attune's package
format, the media listed by SHA-256, and the digest naming the version.

The digest covers the documents and the media bytes (through their SHA-256), so the same
package imported twice is the same version, and any change gives a new one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from attune.content.model import ContentItem, CoursePackage
from attune.content.package.write import package_documents, package_from_documents

CONTENT_PREFIX = "content:"
DIGEST_CHARS = 32


@dataclass(frozen=True)
class MediaRef:
    """Where a package's media file is: the SHA-256 of its bytes, and its type."""

    sha256: str
    media_type: str


@dataclass(frozen=True)
class StoredVersion:
    """One version of a course's content, read back from the store."""

    digest: str
    package: CoursePackage  # without media bytes: see ``media``
    media: Mapping[str, MediaRef] = field(default_factory=dict)
    items: Mapping[str, ContentItem] = field(default_factory=dict)
    item_documents: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def media_type_of(package: CoursePackage, path: str) -> str:
    """The type an item declares for a media file, else one guessed from its name."""
    for item in package.items:
        for media in item.media:
            if media.path == path:
                return media.media_type
    import mimetypes

    return mimetypes.guess_type(path)[0] or "application/octet-stream"


@dataclass(frozen=True)
class EncodedVersion:
    """A package ready to store: its digest, its JSON document, and the parts of it an
    import needs again (the item documents by id, and each media file's SHA-256 and type)."""

    digest: str
    document: str
    item_documents: Mapping[str, Mapping[str, Any]]
    media: Mapping[str, MediaRef]


def encode_version(package: CoursePackage) -> EncodedVersion:
    """``package``'s content as the store keeps it, named by its digest."""
    course, items = package_documents(package)
    refs = {
        path: MediaRef(hashlib.sha256(data).hexdigest(), media_type_of(package, path))
        for path, data in sorted(package.media.items())
    }
    media = {p: {"sha256": r.sha256, "type": r.media_type} for p, r in refs.items()}
    body = {"course": course, "items": items, "media": media}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:DIGEST_CHARS]
    document = json.dumps({"digest": digest, **body}, ensure_ascii=False)
    return EncodedVersion(digest, document, {d["id"]: d for d in items}, refs)


def decode_version(document: str) -> StoredVersion:
    """A stored version back from its JSON document (written by :func:`encode_version`)."""
    body = json.loads(document)
    package = package_from_documents(body["course"], body["items"], {})
    return StoredVersion(
        digest=body["digest"],
        package=package,
        media={p: MediaRef(m["sha256"], m["type"]) for p, m in body["media"].items()},
        items={i.item_id: i for i in package.items},
        item_documents={d["id"]: d for d in body["items"]},
    )


def content_ref(digest: str) -> str:
    """The engine item's ``content`` pointing at a stored version."""
    return f"{CONTENT_PREFIX}{digest}"


def digest_of(content: str) -> str | None:
    """The version digest an engine item's ``content`` names, or None (a template, a URL)."""
    if not content.startswith(CONTENT_PREFIX):
        return None
    digest = content.removeprefix(CONTENT_PREFIX)
    if len(digest) != DIGEST_CHARS or any(c not in "0123456789abcdef" for c in digest):
        return None
    return digest
