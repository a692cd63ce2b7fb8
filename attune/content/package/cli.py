"""``attune content validate <path>``: every problem of a course package, with its place.

Exit 0 with a one-line summary when the package is sound; 1 after printing each problem as
``file: where: field: message`` (empty parts left out), with a count on stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

EXIT_PROBLEMS = 1


def register(subparsers: Any) -> None:
    """Add ``content validate``."""
    content = subparsers.add_parser("content", help="course packages: validate, import")
    commands = content.add_subparsers(dest="content_command", required=True)
    validate = commands.add_parser(
        "validate", help="check a course package (a folder or a zip) and list every problem"
    )
    validate.add_argument("path", type=Path, help="the package folder or .zip")
    from attune.content.import_cli import add_arguments
    from attune.content.tagging.cli import add_arguments as add_tag_arguments

    add_tag_arguments(
        commands.add_parser(
            "suggest-tags", help="suggest skills for items without one (a CSV to confirm)"
        )
    )

    add_arguments(
        commands.add_parser(
            "import", help="load a package or quiz export into a tenant through the gateway"
        )
    )


def run(args: argparse.Namespace) -> int:
    """Run the parsed ``content`` command; its exit status."""
    if args.content_command == "suggest-tags":
        from attune.content.tagging.cli import run as run_suggest_tags

        return run_suggest_tags(args)
    if args.content_command == "import":
        from attune.content.import_cli import run as run_import

        return run_import(args)
    from attune.content.package import validate_package

    package, problems = validate_package(args.path)
    if package is None:
        for problem in problems:
            print(problem)
        count = len(problems)
        print(f"attune: {count} problem{'s' if count != 1 else ''} in {args.path}", file=sys.stderr)
        return EXIT_PROBLEMS
    media = len(package.media)
    print(
        f"{args.path}: course {package.course_id} version {package.version}: "
        f"{len(package.skills)} skills, {len(package.items)} items, "
        f"{media} media file{'s' if media != 1 else ''}; no problems"
    )
    return 0
