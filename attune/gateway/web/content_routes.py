"""Course content over HTTP (issue 13).

The admin side (``Authorization: Bearer <ATTUNE_GATEWAY__ADMIN_TOKEN>``):

- ``POST /admin/tenants/<t>/content``: import an upload (the body, as is) into the tenant.
  Query: ``format`` (package, moodle, gift, qti, canvas; default: detected), ``course_id``
  and ``title`` (for formats that carry none), ``dry_run=true`` for the change report alone.
  A package with problems is refused with 422 and every problem located; nothing changes.
- ``GET /admin/tenants/<t>/content/<course>``: the current version and the import history.
- ``GET /admin/tenants/<t>/content/<course>/package``: the current version as an Attune
  package zip, to edit and import again.
- ``GET /admin/tenants/<t>/content/<course>/tag-suggestions``: suggested skills for untagged
  items (CSV, ``confirmed`` empty); ``PUT .../tags`` with the confirmed CSV re-tags them.

The public side: ``GET /media/<t>/<sha256>``, a media file by the SHA-256 of its bytes, with
its type and cache headers (the address changes whenever the bytes do, so it is immutable).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import structlog
from flask import Blueprint, Response, jsonify, request

from attune.content.importers.convert import FORMATS, convert, default_course_id
from attune.content.model import CoursePackage
from attune.content.package.write import package_zip
from attune.gateway.app import current
from attune.gateway.errors import BadRequestError, NotFoundError
from attune.gateway.library.generate import with_generated
from attune.gateway.library.imports import ImportOutcome, import_package
from attune.gateway.library.versions import StoredVersion
from attune.gateway.web.credentials import authorise_admin

content_admin = Blueprint("content_admin", __name__, url_prefix="/admin")
media = Blueprint("media", __name__)
log = structlog.get_logger("attune.gateway.content")
_SHA256 = re.compile(r"[0-9a-f]{64}")
YEAR_S = 365 * 86400
# Types a browser may show from a course; anything else is sent as a download.
INLINE_TYPES = re.compile(
    r"(image/(png|jpeg|gif|webp|svg\+xml)|audio/[a-z0-9.+-]+|video/[a-z0-9.+-]+)"
)


content_admin.before_request(authorise_admin)


def _flag(name: str) -> bool:
    value = request.args.get(name, "false").lower()
    if value not in ("true", "false", "1", "0", "yes", "no"):
        raise BadRequestError(f"{name} must be true or false, not {value[:20]!r}")
    return value in ("true", "1", "yes")


@content_admin.post("/tenants/<tenant>/content")
def import_content(tenant: str) -> Any:
    """Import the body into ``tenant``: every problem located, or the change report."""
    fmt = request.args.get("format") or None
    if fmt is not None and fmt not in FORMATS:
        raise BadRequestError(f"format must be one of {', '.join(FORMATS)}, not {fmt[:40]!r}")
    data = request.get_data(cache=False)
    if not data:
        raise BadRequestError("the body is empty: send the package or quiz file as the body")
    name = request.args.get("filename", "") or "upload"
    course_id = request.args.get("course_id", "") or default_course_id(name)
    title = request.args.get("title", "") or course_id
    dry_run = _flag("dry_run")
    result = convert(data, fmt=fmt, name=name, course_id=course_id, title=title)
    skipped = [str(p) for p in result.skipped]
    if result.package is None or result.problems:
        log.info("content.refused", problems=len(result.problems))
        body = {
            "error": "invalid_package",
            "reason": f"{len(result.problems)} problems; nothing was imported",
            "problems": [str(p) for p in result.problems],
            "skipped": skipped,
        }
        return jsonify(body), 422
    outcome = publish(tenant, result.package, source=name, dry_run=dry_run)
    return jsonify({**outcome.as_json(), "skipped": skipped})


@content_admin.get("/tenants/<tenant>/content/<course_id>")
def content_status(tenant: str, course_id: str) -> Any:
    """The version the engine's course points at, and the import history."""
    gw = current()
    course = gw.courses.get(tenant, course_id)
    version = gw.catalogue.current(tenant, course)
    return jsonify(
        course_id=course_id,
        digest=version.digest if version else None,
        version=version.package.version if version else None,
        renderable=gw.catalogue.renderable(tenant, course),
        imports=gw.store.read_content_log(tenant, course_id, "import"),
        unscored=gw.store.read_content_log(tenant, course_id, "unscored"),
    )


@content_admin.get("/tenants/<tenant>/content/<course_id>/package")
def export_package(tenant: str, course_id: str) -> Any:
    """The current version as an Attune package zip."""
    version = _current(tenant, course_id)
    body = package_zip(replace(version.package, media=_media_bytes(tenant, version)))
    return Response(
        body,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{course_id}.zip"'},
    )


@content_admin.get("/tenants/<tenant>/content/<course_id>/tag-suggestions")
def tag_suggestions(tenant: str, course_id: str) -> Any:
    """Suggested skills for the current version's untagged items, as the mapping CSV an
    instructor confirms (``confirmed`` empty) and sends back with ``PUT .../tags``."""
    from attune.content.tagging import WordLlamaEmbedder, suggest_tags, write_tag_mapping

    version = _current(tenant, course_id)
    suggestions = suggest_tags(version.package, embedder=WordLlamaEmbedder())
    return Response(write_tag_mapping(suggestions), mimetype="text/csv")


@content_admin.put("/tenants/<tenant>/content/<course_id>/tags")
def put_tags(tenant: str, course_id: str) -> Any:
    """Apply a confirmed mapping CSV to the current version: a new version, imported like
    any other (its change report names the re-tagged items)."""
    from attune.content.tagging import apply_tag_mapping, read_tag_mapping

    version = _current(tenant, course_id)
    rows, problems = read_tag_mapping(request.get_data(cache=False), "tags.csv")
    tagged, more = apply_tag_mapping(version.package, rows)
    problems = [*problems, *more]
    if problems:
        body = {
            "error": "invalid_mapping",
            "reason": f"{len(problems)} problems; nothing was changed",
            "problems": [str(p) for p in problems],
        }
        return jsonify(body), 422
    outcome = publish(
        tenant, replace(tagged, media=_media_bytes(tenant, version)), source="tags.csv"
    )
    return jsonify(outcome.as_json())


def publish(
    tenant: str, package: CoursePackage, *, source: str, dry_run: bool = False
) -> ImportOutcome:
    """Import ``package`` as the course's next version, with the bank's generated items."""
    gw = current()
    outcome = import_package(
        tenant,
        with_generated(tenant, package, gw.bank),
        engine=gw.engine,
        store=gw.store,
        catalogue=gw.catalogue,
        now=gw.wall_clock(),
        source=source,
        dry_run=dry_run,
    )
    gw.courses.forget(tenant, package.course_id)
    return outcome


def current_version(tenant: str, course_id: str) -> StoredVersion:
    """The version the course's items point at, media bytes not included; 404 if none."""
    return _current(tenant, course_id)


def current_package(tenant: str, course_id: str) -> CoursePackage:
    """The course's current version as a package, media bytes included; 404 if none."""
    version = _current(tenant, course_id)
    return replace(version.package, media=_media_bytes(tenant, version))


def _current(tenant: str, course_id: str) -> StoredVersion:
    gw = current()
    version = gw.catalogue.current(tenant, gw.courses.get(tenant, course_id))
    if version is None:
        raise NotFoundError(f"course {course_id!r} has no imported content")
    return version


def _media_bytes(tenant: str, version: StoredVersion) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for path, ref in version.media.items():
        found = current().store.get_media(tenant, ref.sha256)
        if found is not None:
            files[path] = found.data
    return files


@media.get("/media/<tenant>/<digest>")
def media_file(tenant: str, digest: str) -> Any:
    """A media file of ``tenant``'s content, cacheable for a year."""
    if not _SHA256.fullmatch(digest):
        raise NotFoundError("no such media file")
    etag = f'"{digest}"'
    if etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers=_cache_headers(etag))
    found = current().store.get_media(tenant, digest)
    if found is None:
        raise NotFoundError("no such media file")
    inline = INLINE_TYPES.fullmatch(found.media_type) is not None
    headers = _cache_headers(etag)
    # An SVG is a document: it may show, never run (no script, no plugins, its own origin).
    headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    if not inline:
        headers["Content-Disposition"] = "attachment"
    mimetype = found.media_type if inline else "application/octet-stream"
    return Response(found.data, mimetype=mimetype, headers=headers)


def _cache_headers(etag: str) -> dict[str, str]:
    return {"Cache-Control": f"public, max-age={YEAR_S}, immutable", "ETag": etag}
