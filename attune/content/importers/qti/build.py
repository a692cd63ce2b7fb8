"""The course package of the items that pass the package validator's semantic checks.

An item the checks refuse (an unknown skill, a choice item with two correct options, a media
path missing) is left out with its problems; the package holds the rest, with only the skills
and media they use. With no item left there is no package, and a problem says so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from attune.content.importers.moodle_text import MediaStore
from attune.content.importers.qti.item import ItemRead
from attune.content.importers.result import ImportResult
from attune.content.model import ContentItem, ContentSkill, CoursePackage
from attune.content.package.problems import Problem, sorted_problems
from attune.content.package.semantics import Placed, check_items, check_skills


def build_package(
    course: tuple[str, str],
    file: str,
    data: bytes,
    reads: Sequence[tuple[str, ItemRead]],
    store: MediaStore,
    problems: list[Problem],
    skipped: list[Problem],
) -> ImportResult:
    """The package of ``reads`` (item file, what was read from it) for ``course`` (id, title)."""
    course_id, title = course
    names: dict[str, str] = {}
    placed: list[Placed[ContentItem]] = []
    used: dict[tuple[str, str], set[str]] = {}
    for path, read in reads:
        problems += read.problems
        skipped += read.skipped
        if read.item is None:
            continue
        where = f"item {read.identifier}"
        placed.append(Placed(path, where, read.item))
        used[(path, where)] = read.used
        for skill_id, name in read.skills.items():
            names.setdefault(skill_id, name)
    referenced = {skill_id for p in placed for skill_id in p.value.skill_ids}
    skills = [ContentSkill(skill_id, names[skill_id]) for skill_id in sorted(referenced)]
    skill_problems = list(
        check_skills([Placed(file, f"skill {s.skill_id}", s) for s in skills], ())
    )
    media = {path for paths in used.values() for path in paths}
    item_problems = list(check_items(placed, referenced, media))
    refused = {(problem.file, problem.where) for problem in item_problems}
    kept = [p for p in placed if (p.file, p.where) not in refused]
    problems += skill_problems + item_problems
    if not kept or skill_problems or any(where == "" for _, where in refused):
        if not kept:
            problems.append(Problem(file, "", "", "no item could be imported"))
        return ImportResult(None, tuple(sorted_problems(problems)), tuple(sorted_problems(skipped)))
    kept_skills = {skill_id for p in kept for skill_id in p.value.skill_ids}
    kept_media = {path for p in kept for path in used[(p.file, p.where)]}
    package = CoursePackage(
        course_id=course_id,
        title=title,
        version=hashlib.sha256(data).hexdigest()[:12],
        skills=tuple(s for s in skills if s.skill_id in kept_skills),
        items=tuple(p.value for p in kept),
        media={path: store.files[path] for path in sorted(kept_media)},
    )
    return ImportResult(package, tuple(sorted_problems(problems)), tuple(sorted_problems(skipped)))
