"""What an importer returns: the package it built (``None`` when nothing could be built),
the problems that make input wrong, and the questions it skipped because Attune has no
item type for them (each located like a :class:`~attune.content.package.problems.Problem`)."""

from __future__ import annotations

from dataclasses import dataclass

from attune.content.model import CoursePackage
from attune.content.package.problems import Problem


@dataclass(frozen=True)
class ImportResult:
    """The outcome of importing a foreign quiz format into a :class:`CoursePackage`."""

    package: CoursePackage | None
    problems: tuple[Problem, ...]
    skipped: tuple[Problem, ...]
