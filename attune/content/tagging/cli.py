"""``attune content suggest-tags <package> --out tags.csv``: suggested skills for untagged items.

Loads a course package, suggests up to ``--top-k`` skills for each item that has none but a
placeholder (see :mod:`attune.content.tagging.suggest`) with the packaged model, and writes
the mapping file (``item_id,skill_id,confirmed,score,rank``) with ``confirmed`` empty: an
instructor marks the right rows ``yes``. Exit 0 after a one-line summary; 1 when the package
has problems (each printed as ``file: where: field: message``) or the model is not installed.

Formats: :data:`LOADERS` maps a ``--format`` name to a function reading a path into a package
and its problems; ``attune`` (the package format, a folder or zip) is the default.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from attune.content.model import CoursePackage
from attune.content.package.problems import Problem
from attune.content.tagging.embedder import EmbedderUnavailableError, TextEmbedder
from attune.content.tagging.mapping import write_tag_mapping
from attune.content.tagging.suggest import MIN_SCORE, needs_tags, suggest_tags

EXIT_PROBLEMS = 1

PackageLoader = Callable[[Path], tuple[CoursePackage | None, Sequence[Problem]]]


def _load_attune(path: Path) -> tuple[CoursePackage | None, Sequence[Problem]]:
    from attune.content.package import validate_package

    return validate_package(path)


def _importer(fmt: str) -> PackageLoader:
    def load(path: Path) -> tuple[CoursePackage | None, Sequence[Problem]]:
        from attune.content.import_cli import read_source

        result = read_source(path, fmt, "", "")
        return result.package, result.problems

    return load


LOADERS: dict[str, PackageLoader] = {
    "attune": _load_attune,
    **{fmt: _importer(fmt) for fmt in ("moodle", "gift", "qti", "canvas")},
}


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``content suggest-tags``."""
    parser.add_argument("source", type=Path, help="the course package (folder or .zip)")
    parser.add_argument(
        "--format", choices=sorted(LOADERS), default="attune", help="the source's format"
    )
    parser.add_argument("--out", type=Path, required=True, help="the mapping file to write (CSV)")
    parser.add_argument(
        "--top-k", type=_positive, default=3, help="most suggestions per item (default 3)"
    )
    parser.add_argument(
        "--min-score",
        type=float,
        default=MIN_SCORE,
        help=f"least cosine similarity suggested (default {MIN_SCORE})",
    )


def suggest_to_csv(
    package: CoursePackage,
    out_path: Path,
    embedder: TextEmbedder,
    *,
    top_k: int = 3,
    min_score: float = MIN_SCORE,
) -> int:
    """Write the mapping file of ``package``'s suggestions to ``out_path``; how many rows."""
    suggestions = suggest_tags(package, embedder=embedder, top_k=top_k, min_score=min_score)
    out_path.write_text(write_tag_mapping(suggestions), encoding="utf-8", newline="")
    return len(suggestions)


def run(args: argparse.Namespace) -> int:
    """Run ``content suggest-tags``; its exit status."""
    from attune.content.tagging.embedder import WordLlamaEmbedder

    package, problems = LOADERS[args.format](args.source)
    if package is None:
        for problem in problems:
            print(problem)
        count = len(problems)
        print(
            f"attune: {count} problem{'s' if count != 1 else ''} in {args.source}", file=sys.stderr
        )
        return EXIT_PROBLEMS
    untagged = sum(1 for item in package.items if needs_tags(item))
    try:
        rows = suggest_to_csv(
            package, args.out, WordLlamaEmbedder(), top_k=args.top_k, min_score=args.min_score
        )
    except EmbedderUnavailableError as exc:
        print(f"attune: no tag model: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    except OSError as exc:
        print(f"attune: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(
        f"{args.out}: {rows} suggestion{'s' if rows != 1 else ''} for {untagged} of "
        f"{len(package.items)} items without a skill; mark the right rows confirmed=yes"
    )
    return 0
