"""Loading a course package: files, documents, schema, meaning, and the model.

Each stage reports every problem it finds with its location and carries on with what is
sound, so a single run lists all of a package's problems; a package with any problem yields
no :class:`CoursePackage`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from attune.content.model import ContentItem, ContentSkill, CoursePackage
from attune.content.package import schema
from attune.content.package.build import build_item, build_skill
from attune.content.package.documents import DocumentError, parse_document, parse_skills_csv
from attune.content.package.problems import PackageError, Problem, sorted_problems
from attune.content.package.semantics import Placed, check_id, check_items, check_skills
from attune.content.package.source import PackageFiles, read_package

COURSE_FILES = ("course.yaml", "course.yml", "course.json")
SKILLS_CSV = "skills.csv"
ITEM_SUFFIXES = (".yaml", ".yml", ".json")
_ECHO = 64  # at most this much of an id names a place

Errors = Callable[[Any], list[tuple[str, str]]]


class _Run:
    """One validation: the problems so far, and what was sound."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.problems: list[Problem] = []
        self.skills: list[Placed[ContentSkill]] = []
        self.broken_skills: set[str] = set()
        self.items: list[Placed[ContentItem]] = []

    def parse(self, name: str) -> Any:
        try:
            return parse_document(name, self.files[name])
        except DocumentError as exc:
            self.problems.append(exc.problem)
            return None

    def checked(self, errors: Errors, doc: Any, file: str, where: str) -> bool:
        found = errors(doc)
        self.problems += [Problem(file, where, field, message) for field, message in found]
        return not found

    def skill(self, doc: Any, file: str, where: str) -> None:
        if self.checked(schema.skill_errors, doc, file, where):
            self.skills.append(Placed(file, where, build_skill(doc)))
        elif isinstance(doc, dict) and isinstance(doc.get("id"), str):
            self.broken_skills.add(doc["id"])


def _where(kind: str, doc: Any, fallback: str) -> str:
    ident = doc.get("id") if isinstance(doc, dict) else None
    if not isinstance(ident, str) or not ident:
        return fallback
    return f"{kind} {ident if len(ident) <= _ECHO else ident[:_ECHO] + '…'}"


def _course(run: _Run) -> dict[str, Any] | None:
    present = [name for name in COURSE_FILES if name in run.files]
    if not present:
        run.problems.append(
            Problem(
                "course.yaml",
                "",
                "",
                "missing: a package needs course.yaml or course.json at its top",
            )
        )
        return None
    if len(present) > 1:
        run.problems.append(Problem(present[1], "", "", f"a second course file ({present[0]})"))
    name = present[0]
    doc = run.parse(name)
    if doc is None:
        return None
    if not isinstance(doc, dict):
        run.problems.append(Problem(name, "course", "", "must be a mapping of fields"))
        return None
    course_ok = True
    for field, message in schema.course_errors({k: v for k, v in doc.items() if k != "skills"}):
        course_ok = False
        run.problems.append(Problem(name, "course", field, message))
    skills = doc.get("skills")
    if skills is not None:
        if not isinstance(skills, list):
            run.problems.append(Problem(name, "course", "skills", "must be a list of skills"))
        else:
            for i, skill in enumerate(skills):
                run.skill(skill, name, _where("skill", skill, f"skills[{i}]"))
    return doc if course_ok else None


def _csv_skills(run: _Run, course: dict[str, Any] | None) -> None:
    if SKILLS_CSV not in run.files:
        return
    if course is not None and "skills" in course:
        run.problems.append(
            Problem(SKILLS_CSV, "", "", "skills are given in the course file too; keep one list")
        )
        return
    try:
        rows, problems = parse_skills_csv(SKILLS_CSV, run.files[SKILLS_CSV])
    except DocumentError as exc:
        run.problems.append(exc.problem)
        return
    run.problems += problems
    for where, doc in rows:
        run.skill(doc, SKILLS_CSV, where)


def _items(run: _Run) -> None:
    names = sorted(name for name in run.files if name.startswith("items/"))
    for name in names:
        if not name.endswith(ITEM_SUFFIXES):
            run.problems.append(Problem(name, "", "", "not an item file (.yaml, .yml or .json)"))
            continue
        doc = run.parse(name)
        if doc is None:
            continue
        listed = isinstance(doc, list)
        for i, entry in enumerate(doc if listed else [doc]):
            where = _where("item", entry, f"item at [{i}]" if listed else "item")
            if run.checked(schema.item_errors, entry, name, where):
                run.items.append(Placed(name, where, build_item(entry)))
    if not names:
        run.problems.append(Problem("items/", "", "", "no item files"))


def validate_package(path: Path | str) -> tuple[CoursePackage | None, list[Problem]]:
    """The package at ``path`` (a folder or a zip) and every problem it has, sorted; the
    package is None unless there are no problems."""
    return validate_files(read_package(Path(path)))


def validate_files(source: PackageFiles) -> tuple[CoursePackage | None, list[Problem]]:
    """Like :func:`validate_package`, for files already read (an upload, see
    :func:`~attune.content.package.source.read_zip_bytes`)."""
    if source.problems:
        return None, sorted_problems(source.problems)
    run = _Run(source.files)
    course = _course(run)
    _csv_skills(run, course)
    _items(run)
    if course is not None:
        name = next(n for n in COURSE_FILES if n in run.files)
        run.problems += check_id(name, "course", "id", course["id"])
    if not run.skills and not run.broken_skills:
        run.problems.append(
            Problem(
                "course.yaml",
                "course",
                "skills",
                "no skills (give them in the course file or skills.csv)",
            )
        )
    run.problems += check_skills(run.skills, run.broken_skills)
    skill_ids = {s.value.skill_id for s in run.skills} | run.broken_skills
    media = [name for name in run.files if name.startswith("media/")]
    run.problems += check_items(run.items, skill_ids, set(media))
    if run.problems or course is None:
        return None, sorted_problems(run.problems)
    mastery = course.get("mastery", {})
    package = CoursePackage(
        course_id=course["id"],
        title=course["title"],
        version=course["version"],
        skills=tuple(s.value for s in run.skills),
        items=tuple(i.value for i in run.items),
        mastery_threshold=mastery.get("threshold"),
        mastery_min_attempts=mastery.get("min_attempts"),
        mastery_consecutive_correct=mastery.get("consecutive_correct"),
        media={name: run.files[name] for name in sorted(media)},
    )
    return package, []


def load_package(path: Path | str) -> CoursePackage:
    """The package at ``path``; :class:`PackageError` listing every problem otherwise."""
    package, problems = validate_package(path)
    if package is None:
        raise PackageError(problems)
    return package
