"""Console pages for what the tenant holds: its courses and content packages (versions,
import history, downloads) and its audit trail (search, paging, export links)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import request

from attune.gateway.app import current
from attune.gateway.console.blueprint import console, page
from attune.gateway.errors import GatewayError

IMPORTS_SHOWN = 5


@dataclass(frozen=True, slots=True)
class CourseRow:
    """One course as the courses page shows it."""

    course_id: str
    title: str
    items: int
    skills: int
    version: str
    digest: str
    renderable: bool
    imports: list[dict[str, Any]]


@console.get("/courses")
def courses(tenant: str) -> Any:
    """The engine's courses of the tenant with the content version each points at."""
    gw = current()
    try:
        found = gw.engine.list_courses(tenant)
    except GatewayError as exc:  # the engine is down, or holds no credential for the tenant
        return page("courses.html", "Courses and content", rows=[], problem=exc.reason)
    rows = []
    for course in found:
        version = gw.catalogue.current(tenant, course)
        rows.append(
            CourseRow(
                course_id=course.course_id,
                title=course.title or course.course_id,
                items=len(course.items),
                skills=len(course.skills),
                version=version.package.version if version else "",
                digest=version.digest if version else "",
                renderable=gw.catalogue.renderable(tenant, course),
                imports=gw.store.read_content_log(
                    tenant, course.course_id, "import", IMPORTS_SHOWN
                ),
            )
        )
    return page("courses.html", "Courses and content", rows=rows, problem="")


@console.get("/audit")
def audit(tenant: str) -> Any:
    """The search form and one page of records; ``after`` pages on, and the export links
    repeat the search (every page) as JSON lines or CSV."""
    from attune.gateway.audit.routes import _query, _trail

    query = _query(tenant)
    found = _trail().log.search(query)
    more = len(found) == query.limit
    filters = {k: v for k, v in request.args.items() if k not in ("after", "limit") and v}
    next_args = {**filters, "after": str(found[-1].seq)} if found and more else None
    exported = f"?{urlencode(filters)}" if filters else ""
    return page(
        "audit.html",
        "Audit trail",
        records=found,
        filters=filters,
        next_query=urlencode(next_args) if next_args else "",
        exported=exported,
    )
