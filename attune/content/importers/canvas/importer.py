"""A Canvas classic-quiz export into a :class:`~attune.content.model.CoursePackage`.

Walks each QTI 1.2 file of the export (:mod:`~attune.content.importers.canvas.archive`):
an ``assessment`` (a quiz) and its ``section``s, an ``objectbank`` (a question bank), or
``item``s at the top. Skills: one per quiz (its title), per question group (a ``section`` with
a title) and per question bank (its ``bank_title``); an item belongs to the innermost.
Quizzes are read before banks, and an item that is a copy of one already read (the same
``assessment_question_identifierref``) is not imported twice: the first gains the copy's skill.
Item ids are the items' ``ident``s, slugged, made unique with ``-2``, ``-3``, ...
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from xml.etree.ElementTree import Element

import structlog

from attune.content.importers.canvas.archive import Export, read_export
from attune.content.importers.canvas.items import item_ref, read_item
from attune.content.importers.canvas.material import Entry, Files
from attune.content.importers.canvas.qti_xml import QTI_ROOT, metadata, parse_xml
from attune.content.importers.moodle_text import skill_id_for, slug
from attune.content.importers.result import ImportResult
from attune.content.model import ContentItem, ContentSkill, CoursePackage
from attune.content.package.problems import Problem, sorted_problems
from attune.content.package.semantics import Placed, check_id, check_items, check_skills

log = structlog.get_logger("attune.content.importers.canvas")
DEFAULT_SKILL = ("general", "General")


@dataclass
class _Found:
    """What the walk gathers, across every file."""

    shared: Files
    placed: list[Placed[ContentItem]] = field(default_factory=list)
    keys: dict[str, int] = field(default_factory=dict)  # item key -> index in ``placed``
    used: dict[int, set[str]] = field(default_factory=dict)  # index -> media paths it links
    skills: dict[str, str] = field(default_factory=dict)  # skill id -> name
    item_ids: set[str] = field(default_factory=set)
    banks: set[str] = field(default_factory=set)  # the idents of the banks in the export
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)

    def skill(self, name: str) -> str:
        skill_id = skill_id_for(name)
        self.skills.setdefault(skill_id, name)
        return skill_id

    def item_id(self, ident: str) -> str:
        base = slug(ident) or "item"
        candidate, n = base, 1
        while candidate in self.item_ids:
            n += 1
            candidate = f"{base}-{n}"
        self.item_ids.add(candidate)
        return candidate


def import_canvas_qti(
    data: bytes, *, course_id: str, title: str, file: str = "export.zip"
) -> ImportResult:
    """Import a Canvas course export (``.imscc``), a QTI export zip or a bare QTI 1.2 file;
    never raises on bad input (see the package docstring)."""
    problems = list(check_id(file, "", "course_id", course_id))
    if not course_id or any(c.isspace() or c == "/" for c in course_id):
        problems.append(Problem(file, "", "course_id", "an id has no spaces or slashes"))
    if not title.strip():
        problems.append(Problem(file, "", "title", "a title is needed"))
    export = read_export(data, file)
    if problems or export.problems:
        return ImportResult(None, tuple(sorted_problems(problems + export.problems)), ())
    found = _Found(Files(export.files))
    documents = []
    for path in export.qti:
        root, problem = parse_xml(export.files[path], path, (QTI_ROOT,))
        if root is not None:
            documents.append((path, root))
        elif problem is not None:
            found.problems.append(problem)
    found.banks = {
        bank.get("ident", "").strip()
        for _, root in documents
        for bank in root.findall("objectbank")
    }
    # Quizzes first: a quiz's copy of a bank question is what learners saw.
    documents.sort(key=lambda document: document[1].find("objectbank") is not None)
    for path, root in documents:
        _walk(path, root, export, found)
    result = _package(course_id, title, file, data, found)
    log.info(
        "canvas_import",
        files=len(documents),
        items=len(result.package.items) if result.package else 0,
        skipped=len(result.skipped),
        problems=len(result.problems),
    )
    return result


def _walk(path: str, root: Element, export: Export, found: _Found) -> None:
    number = 0
    for element, skill_name in _items(root, export):
        if element.tag == "itemref":
            _reference(path, element, found.skill(skill_name), found)
        elif element.tag == "sourcebank_ref":
            _draw(path, element, skill_name, found)
        else:
            number += 1
            ident = element.get("ident", "").strip()
            name = element.get("title", "").strip()
            shown = f"item {ident or number}" + (f" ({name[:60]})" if name else "")
            _add(Entry(path, shown, element, found.shared), found.skill(skill_name), found)


def _items(root: Element, export: Export) -> Iterator[tuple[Element, str]]:
    """Every ``item`` (and ``itemref``) of a QTI file, with the name of its skill."""
    for child in root:
        if child.tag == "assessment":
            ident = child.get("ident", "").strip()
            name = child.get("title", "").strip() or export.quiz_title(ident) or ident
            yield from _section_items(child, name or DEFAULT_SKILL[1])
        elif child.tag == "objectbank":
            name = metadata(child).get("bank_title") or child.get("ident", "").strip()
            yield from _section_items(child, name or DEFAULT_SKILL[1])
        elif child.tag in ("item", "section"):
            yield from _section_items(root, DEFAULT_SKILL[1], only=child)


def _section_items(
    holder: Element, skill: str, only: Element | None = None
) -> Iterator[tuple[Element, str]]:
    for child in [only] if only is not None else list(holder):
        if child.tag in ("item", "itemref"):
            yield child, skill
        elif child.tag == "section":
            title = child.get("title", "").strip()
            inner = title if title and child.get("ident") != "root_section" else skill
            for bank in child.findall("selection_ordering/selection/sourcebank_ref"):
                yield bank, inner
            yield from _section_items(child, inner)


def _add(entry: Entry, skill_id: str, found: _Found) -> None:
    ref = item_ref(entry)
    if ref.key and ref.key in found.keys:
        _merge(found, found.keys[ref.key], skill_id)
        return
    item_id = found.item_id(ref.ident)
    item = read_item(entry, item_id, (skill_id,))
    found.problems += entry.problems
    found.skipped += entry.skipped
    if item is None:
        found.item_ids.discard(item_id)
        return
    index = len(found.placed)
    found.placed.append(Placed(entry.file, entry.where, item))
    found.used[index] = entry.used
    if ref.key:
        found.keys[ref.key] = index


def _merge(found: _Found, index: int, skill_id: str) -> None:
    placed = found.placed[index]
    if skill_id not in placed.value.skill_ids:
        item = replace(placed.value, skill_ids=(*placed.value.skill_ids, skill_id))
        found.placed[index] = Placed(placed.file, placed.where, item)


def _reference(path: str, element: Element, skill_id: str, found: _Found) -> None:
    """An ``itemref``: the quiz uses a bank's question, whose item gains the quiz's skill."""
    key = element.get("linkrefid", "").strip()
    if key in found.keys:
        _merge(found, found.keys[key], skill_id)
    else:
        where = f"itemref {key[:80]}" if key else "itemref"
        found.skipped.append(
            Problem(path, where, "@linkrefid", "the question it names is not in the export")
        )


def _draw(path: str, element: Element, group: str, found: _Found) -> None:
    """A question group drawing from a bank: the bank's items come with the bank's file;
    a bank left out of the export (or in another course) is reported."""
    bank = (element.text or "").strip()
    if bank not in found.banks:
        found.skipped.append(
            Problem(
                path,
                f"question group {group[:60]}",
                "selection_ordering/selection/sourcebank_ref",
                f"the group draws from question bank {bank[:80]!r}, which is not in the export",
            )
        )


def _package(course_id: str, title: str, source: str, data: bytes, found: _Found) -> ImportResult:
    """The package of the items that pass the validator's semantic checks."""
    placed, problems = found.placed, found.problems
    referenced = {skill_id for p in placed for skill_id in p.value.skill_ids}
    skills = [ContentSkill(s, found.skills[s]) for s in sorted(referenced)]
    skill_problems = list(
        check_skills([Placed(source, f"skill {s.skill_id}", s) for s in skills], ())
    )
    media = {path for index in found.used for path in found.used[index]}
    item_problems = list(check_items(placed, referenced, media))
    refused = {(p.file, p.where) for p in item_problems}
    kept = [i for i, p in enumerate(placed) if (p.file, p.where) not in refused]
    problems += skill_problems + item_problems
    if not kept or skill_problems or any(not p.where for p in item_problems):
        if not kept and not problems:  # every question skipped: say what that means
            problems.append(Problem(source, "", "", "no question could be imported"))
        return ImportResult(
            None, tuple(sorted_problems(problems)), tuple(sorted_problems(found.skipped))
        )
    kept_skills = {s for i in kept for s in placed[i].value.skill_ids}
    kept_media = {path for i in kept for path in found.used[i]}
    package = CoursePackage(
        course_id=course_id,
        title=title,
        version=hashlib.sha256(data).hexdigest()[:12],
        skills=tuple(s for s in skills if s.skill_id in kept_skills),
        items=tuple(placed[i].value for i in kept),
        media={path: found.shared.store.files[path] for path in sorted(kept_media)},
    )
    return ImportResult(
        package, tuple(sorted_problems(problems)), tuple(sorted_problems(found.skipped))
    )
