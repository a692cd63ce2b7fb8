"""``attune content import <path> --tenant T``: load a course into a running gateway.

The file is read and converted here (a package folder or zip, Moodle XML, GIFT, QTI or a
Canvas export), so every problem is listed before anything is sent; the result goes to the
gateway's admin API as an Attune package, which imports it atomically and answers with the
change report. ``--tags`` applies an instructor-confirmed tag mapping first (see
``attune content suggest-tags``); ``--dry-run`` shows the report and changes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from attune.content.importers.convert import FORMATS, convert, default_course_id
from attune.content.importers.result import ImportResult
from attune.content.model import CoursePackage
from attune.content.package import validate_package
from attune.content.package.write import package_zip

EXIT_PROBLEMS = 1
EXIT_UNREACHABLE = 2
DEFAULT_GATEWAY = "http://127.0.0.1:8000"
DEV_ADMIN_TOKEN = "dev-admin-token"  # the gateway's development default
TIMEOUT_S = 300.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="a package folder or zip, or a quiz export")
    parser.add_argument("--tenant", default="default", help="the tenant to import into")
    parser.add_argument("--format", choices=FORMATS, default=None, help="default: detected")
    parser.add_argument("--course-id", default="", help="for formats that carry no course id")
    parser.add_argument("--title", default="", help="for formats that carry no title")
    parser.add_argument("--tags", type=Path, default=None, help="a confirmed tag mapping (CSV)")
    parser.add_argument("--dry-run", action="store_true", help="report the change only")
    parser.add_argument(
        "--gateway",
        default=os.environ.get("ATTUNE_GATEWAY_URL", DEFAULT_GATEWAY),
        help=f"the gateway's URL (ATTUNE_GATEWAY_URL; default {DEFAULT_GATEWAY})",
    )


def read_source(path: Path, fmt: str | None, course_id: str, title: str) -> ImportResult:
    """The package a path holds, converted from its format."""
    if path.is_dir():
        package, problems = validate_package(path)
        return ImportResult(package, tuple(problems), ())
    if not path.is_file():
        from attune.content.package.problems import Problem

        return ImportResult(None, (Problem(path.name, "", "", "no such file or folder"),), ())
    data = path.read_bytes()
    course_id = course_id or default_course_id(path.name)
    known = next((f for f in FORMATS if f == fmt), None)  # argparse limits it to these
    return convert(data, fmt=known, name=path.name, course_id=course_id, title=title or course_id)


def _apply_tags(package: CoursePackage, tags: Path) -> tuple[CoursePackage | None, list[str]]:
    from attune.content.tagging import apply_tag_mapping, load_tag_mapping

    rows, problems = load_tag_mapping(tags)
    tagged, more = apply_tag_mapping(package, rows)
    problems += more
    return (None, [str(p) for p in problems]) if problems else (tagged, [])


def _post(url: str, token: str, body: bytes) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/zip"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def run(args: argparse.Namespace) -> int:
    """Convert, check and upload; the exit status."""
    result = read_source(args.path, args.format, args.course_id, args.title)
    for skipped in result.skipped:
        print(f"skipped: {skipped}")
    if result.package is None or result.problems:
        for problem in result.problems:
            print(problem)
        print(f"attune: {len(result.problems)} problems; nothing imported", file=sys.stderr)
        return EXIT_PROBLEMS
    package = result.package
    if args.tags is not None:
        tagged, problems = _apply_tags(package, args.tags)
        if tagged is None:
            print("\n".join(problems))
            return EXIT_PROBLEMS
        package = tagged
    query = urllib.parse.urlencode(
        {"format": "package", "filename": args.path.name, "dry_run": str(args.dry_run).lower()}
    )
    tenant = urllib.parse.quote(args.tenant, safe="")
    url = f"{args.gateway.rstrip('/')}/admin/tenants/{tenant}/content?{query}"
    token = os.environ.get("ATTUNE_GATEWAY__ADMIN_TOKEN", DEV_ADMIN_TOKEN)
    try:
        status, body = _post(url, token, package_zip(package))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        print(f"attune: cannot reach the gateway at {args.gateway}: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    if status != 200:
        for problem in body.get("problems", []):
            print(problem)
        print(
            f"attune: the gateway refused the import ({status}): {body.get('reason', '')}",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    report = body["report"]
    verb = "would import" if args.dry_run else "imported"
    print(
        f"{verb} {body['course_id']} version {body['version']} ({body['digest']}) "
        f"into tenant {args.tenant}: {body['skills']} skills, {body['items']} items"
    )
    for key in (
        "skills_added",
        "skills_removed",
        "skills_changed",
        "items_added",
        "items_removed",
        "items_changed",
    ):
        if report[key]:
            print(f"  {key.replace('_', ' ')}: {', '.join(report[key])}")
    print(f"  items unchanged: {report['items_unchanged']}")
    for note in report["notes"]:
        print(f"  {note}")
    return 0
