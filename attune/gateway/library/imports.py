"""Importing a course package into a tenant: atomically, keeping learners' state, reporting
the change.

The order makes the engine's PutCourse the one commit point. The media and the version's
documents are stored first (under digests: invisible until something points at them), then
the engine takes the course whose items point at the new version. If the engine refuses
the course, nothing a learner or a page sees has changed; the stored version is an orphan
that a later import of the same package reuses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from attune.content.model import CoursePackage
from attune.engine.v1 import course_pb2
from attune.gateway.engine_port import EngineClient
from attune.gateway.errors import BadRequestError, EngineCallError
from attune.gateway.library.catalogue import Catalogue
from attune.gateway.library.course import engine_course
from attune.gateway.library.ports import ContentStore
from attune.gateway.library.report import ChangeReport, change_report
from attune.gateway.library.versions import encode_version

log = structlog.get_logger("attune.gateway.content")


@dataclass(frozen=True)
class ImportOutcome:
    """What an import did (or, for a dry run, would do)."""

    course_id: str
    title: str
    version: str
    digest: str
    report: ChangeReport
    dry_run: bool
    skills: int
    items: int
    media: int

    def as_json(self) -> dict[str, Any]:
        return {
            "course_id": self.course_id,
            "title": self.title,
            "version": self.version,
            "digest": self.digest,
            "dry_run": self.dry_run,
            "skills": self.skills,
            "items": self.items,
            "media": self.media,
            "report": self.report.as_json(),
        }


def _previous(engine: EngineClient, tenant: str, course_id: str) -> course_pb2.Course | None:
    try:
        return engine.get_course(tenant, course_id)
    except EngineCallError as exc:
        if exc.code == "NOT_FOUND":
            return None
        raise


def _item_documents(
    catalogue: Catalogue, tenant: str, course: course_pb2.Course | None
) -> Mapping[str, Mapping[str, Any]]:
    if course is None:
        return {}
    version = catalogue.current(tenant, course)
    return {} if version is None else version.item_documents


def import_package(
    tenant: str,
    package: CoursePackage,
    *,
    engine: EngineClient,
    store: ContentStore,
    catalogue: Catalogue,
    now: float,
    source: str = "",
    dry_run: bool = False,
) -> ImportOutcome:
    """Load ``package`` into ``tenant``'s content store and the engine (see the module
    docstring for why it is atomic). A course the engine refuses is a
    :class:`BadRequestError` with the engine's reason, and nothing changed."""
    encoded = encode_version(package)
    digest = encoded.digest
    previous = _previous(engine, tenant, package.course_id)
    course = engine_course(package, digest, previous)
    report = change_report(
        previous, course, _item_documents(catalogue, tenant, previous), encoded.item_documents
    )
    outcome = ImportOutcome(
        package.course_id,
        package.title,
        package.version,
        digest,
        report,
        dry_run,
        len(package.skills),
        len(package.items),
        len(package.media),
    )
    if dry_run:
        return outcome
    for path, data in package.media.items():
        ref = encoded.media[path]
        store.put_media(tenant, ref.sha256, ref.media_type, data)
    store.put_content(tenant, package.course_id, digest, encoded.document)
    try:
        engine.put_course(tenant, course)
    except EngineCallError as exc:
        if exc.code == "INVALID_ARGUMENT":
            raise BadRequestError(
                f"the engine refused course {package.course_id!r}: {exc.reason}"
            ) from exc
        raise
    store.log_content(
        tenant, package.course_id, "import", {"at": now, "source": source, **outcome.as_json()}
    )
    log.info(
        "content.imported",
        tenant=tenant,
        course_id=package.course_id,
        version=package.version,
        digest=digest,
        change=report.summary(),
    )
    return outcome

