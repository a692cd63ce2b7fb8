"""The tag mapping file: suggestions written for an instructor, confirmed rows applied.

A CSV with a header row. Columns: ``item_id``, ``skill_id`` (required), ``confirmed``
(optional), and ``score``, ``rank`` (written with suggestions for the instructor to sort by;
ignored when read). One row per item and skill; an item with several confirmed rows gets
all of those skills, in file order.

``confirmed`` is ``yes``, ``true`` or ``1`` (any case) to accept a row; empty, ``no``,
``false`` or ``0`` leaves it out. A suggestion file is written with ``confirmed`` empty, so
nothing counts until an instructor says so; a file without the column confirms nothing.

Applying replaces the skills of each item that has confirmed rows by those rows' skills.
Every row naming an unknown item or skill is a problem located as ``line N`` with its column;
an item with such a problem in a confirmed row keeps its skills, so a typo never tags an item
with half of what was meant. The file is untrusted: at most :data:`MAX_MAPPING_BYTES`, UTF-8,
read with :mod:`csv`, never raising.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from attune.content.model import CoursePackage
from attune.content.package.problems import Problem, sorted_problems
from attune.content.package.semantics import MAX_SKILLS_PER_ITEM
from attune.content.tagging.suggest import TagSuggestion

MAX_MAPPING_BYTES = 4 * 1024 * 1024
COLUMNS = ("item_id", "skill_id", "confirmed", "score", "rank")
REQUIRED = ("item_id", "skill_id")
YES = frozenset({"yes", "true", "1"})
NO = frozenset({"", "no", "false", "0"})


@dataclass(frozen=True)
class TagMappingRow:
    """One row of a mapping file: item ``item_id`` gets skill ``skill_id`` if ``confirmed``;
    ``file`` and ``line`` locate it."""

    file: str
    line: int
    item_id: str
    skill_id: str
    confirmed: bool


def write_tag_mapping(suggestions: Iterable[TagSuggestion]) -> str:
    """The CSV text of suggestions, ``confirmed`` left empty for the instructor."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for s in suggestions:
        writer.writerow((s.item_id, s.skill_id, "", f"{s.score:.4f}", s.rank))
    return out.getvalue()


def _decode(file: str, data: bytes) -> tuple[str | None, list[Problem]]:
    if len(data) > MAX_MAPPING_BYTES:
        return None, [Problem(file, "", "", f"larger than {MAX_MAPPING_BYTES} bytes")]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        return None, [Problem(file, "", "", f"not UTF-8 text (byte {exc.start})")]


def _header(file: str, header: list[str]) -> list[Problem]:
    known = ", ".join(COLUMNS)
    problems = [
        Problem(file, "line 1", column, f"unknown column; known: {known}")
        for column in header
        if column not in COLUMNS
    ]
    problems += [
        Problem(file, "line 1", column, "missing column")
        for column in REQUIRED
        if column not in header
    ]
    return problems


def read_tag_mapping(data: bytes, file: str) -> tuple[tuple[TagMappingRow, ...], list[Problem]]:
    """The rows of a mapping file and the problems that make rows unreadable (a row with a
    problem is left out; see the module docstring)."""
    text, problems = _decode(file, data)
    if text is None:
        return (), problems
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[TagMappingRow] = []
    try:
        header = [column.strip() for column in next(reader, [])]
        problems = _header(file, header)
        if problems:
            return (), problems
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            cells = {column: cell.strip() for column, cell in zip(header, row, strict=False)}
            found = _row(file, line, cells, len(row) > len(header))
            if isinstance(found, TagMappingRow):
                rows.append(found)
            else:
                problems += found
    except csv.Error as exc:  # a cell over the csv module's size limit, a stray quote
        problems.append(Problem(file, f"line {reader.line_num}", "", f"unreadable CSV: {exc}"))
    return tuple(rows), sorted_problems(problems)


def load_tag_mapping(path: Path) -> tuple[tuple[TagMappingRow, ...], list[Problem]]:
    """:func:`read_tag_mapping` of a file; one that cannot be read is a problem (``file`` is
    the file's name). Reads no more than the size limit allows."""
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_MAPPING_BYTES + 1)
    except OSError as exc:
        return (), [Problem(path.name, "", "", f"cannot be read: {exc.strerror or exc}")]
    return read_tag_mapping(data, path.name)


def _row(file: str, line: int, cells: dict[str, str], extra: bool) -> TagMappingRow | list[Problem]:
    where = f"line {line}"
    problems = [Problem(file, where, "", "more cells than columns")] if extra else []
    problems += [Problem(file, where, c, "empty") for c in REQUIRED if not cells.get(c)]
    confirmed = cells.get("confirmed", "")
    if confirmed.lower() not in YES | NO:
        message = f"{confirmed!r} is not yes, true or 1 (or empty, no, false or 0)"
        problems.append(Problem(file, where, "confirmed", message))
    if problems:
        return problems
    return TagMappingRow(file, line, cells["item_id"], cells["skill_id"], confirmed.lower() in YES)


def apply_tag_mapping(
    package: CoursePackage, rows: Iterable[TagMappingRow]
) -> tuple[CoursePackage, list[Problem]]:
    """The package with each item's skills replaced by its confirmed rows' skills, and the
    problems of rows naming unknown items or skills (see the module docstring)."""
    items = {item.item_id for item in package.items}
    skills = {skill.skill_id for skill in package.skills}
    problems: list[Problem] = []
    refused: set[str] = set()
    chosen: dict[str, list[str]] = {}
    for row in rows:
        where = f"line {row.line}"
        if row.item_id not in items:
            problems.append(Problem(row.file, where, "item_id", f"no item {row.item_id!r}"))
            continue
        if row.skill_id not in skills:
            problems.append(Problem(row.file, where, "skill_id", f"no skill {row.skill_id!r}"))
            if row.confirmed:
                refused.add(row.item_id)
            continue
        wanted = chosen.setdefault(row.item_id, [])
        if row.confirmed and row.skill_id not in wanted:
            wanted.append(row.skill_id)
            if len(wanted) > MAX_SKILLS_PER_ITEM:
                message = f"more than {MAX_SKILLS_PER_ITEM} skills for item {row.item_id!r}"
                problems.append(Problem(row.file, where, "skill_id", message))
                refused.add(row.item_id)
    changed = {item_id: s for item_id, s in chosen.items() if s and item_id not in refused}
    tagged = tuple(
        replace(item, skill_ids=tuple(changed[item.item_id])) if item.item_id in changed else item
        for item in package.items
    )
    return replace(package, items=tagged), sorted_problems(problems)
