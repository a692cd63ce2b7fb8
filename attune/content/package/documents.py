"""Parsing a package's documents: YAML (``yaml.safe_load`` only), JSON and the skills CSV.

A document becomes plain JSON values (objects with string keys, arrays, strings, finite
numbers, booleans, null) or a :class:`Problem`. YAML aliases are refused before loading, so a
"billion laughs" document cannot expand; tags beyond YAML's safe set are refused by safe_load.
"""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

import yaml

from attune.content.package.problems import Problem

MAX_DOCUMENT_BYTES = 4 * 1024 * 1024  # one course, items or CSV file
SKILL_COLUMNS = ("skill_id", "name", "prerequisites", "prior", "learn", "guess", "slip", "forget")
_NUMBER_COLUMNS = ("prior", "learn", "guess", "slip", "forget")

Json = Any  # a parsed document: only JSON values (see _non_json)


class DocumentError(Exception):
    """A document that cannot be read; ``problem`` says where and why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _text(name: str, data: bytes) -> str:
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DocumentError(Problem(name, "", "", f"larger than {MAX_DOCUMENT_BYTES} bytes"))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(Problem(name, "", "", f"not UTF-8 text (byte {exc.start})")) from exc


def parse_document(name: str, data: bytes) -> Json:
    """The JSON values of a ``.yaml``/``.yml`` or ``.json`` document."""
    text = _text(name, data)
    try:
        if name.endswith((".yaml", ".yml")):
            value = _parse_yaml(name, text)
        else:
            value = _parse_json(name, text)
    except RecursionError as exc:
        raise DocumentError(Problem(name, "", "", "nested too deeply")) from exc
    bad = _non_json(value, "")
    if bad is not None:
        raise DocumentError(Problem(name, "", bad[0], bad[1]))
    return value


def _parse_yaml(name: str, text: str) -> Json:
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                line = event.start_mark.line + 1 if event.start_mark else 0
                raise DocumentError(
                    Problem(name, f"line {line}", "", "YAML aliases (*name) are not allowed")
                )
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise DocumentError(Problem(name, where, "", f"not valid YAML: {problem}")) from exc


def _refuse_constant(token: str) -> None:
    raise ValueError(f"{token} is not a JSON number")


def _parse_json(name: str, text: str) -> Json:
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}"
        raise DocumentError(Problem(name, where, "", f"not valid JSON: {exc.msg}")) from exc
    except ValueError as exc:  # NaN or Infinity
        raise DocumentError(Problem(name, "", "", f"not valid JSON: {exc}")) from exc


def _non_json(value: Json, path: str) -> tuple[str, str] | None:
    """The first value that JSON cannot hold (a YAML date, a set, an infinity), or None."""
    if value is None or isinstance(value, bool | str | int):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else (path, f"{value} is not a finite number")
    if isinstance(value, list):
        for i, element in enumerate(value):
            found = _non_json(element, f"{path}[{i}]")
            if found is not None:
                return found
        return None
    if isinstance(value, dict):
        for key, element in value.items():
            if not isinstance(key, str):
                return (path, f"the key {key!r} is not text; quote it")
            found = _non_json(element, f"{path}.{key}" if path else key)
            if found is not None:
                return found
        return None
    return (path, f"a {type(value).__name__} is not allowed here; quote it as text")


def parse_skills_csv(name: str, data: bytes) -> tuple[list[tuple[str, Json]], list[Problem]]:
    """The skills of ``skills.csv`` as skill documents, each with its place (``row 3``).

    Columns: skill_id, name, prerequisites (``;``-separated ids), prior, learn, guess, slip,
    forget. Empty cells are absent values; a number that does not parse is a problem.
    """
    rows = csv.reader(io.StringIO(_text(name, data), newline=""))
    header = [column.strip() for column in next(rows, [])]
    problems = [
        Problem(name, "row 1", column, f"unknown column; known: {', '.join(SKILL_COLUMNS)}")
        for column in header
        if column not in SKILL_COLUMNS
    ]
    problems += [
        Problem(name, "row 1", column, "missing column")
        for column in ("skill_id", "name")
        if column not in header
    ]
    if problems:
        return [], problems
    skills: list[tuple[str, Json]] = []
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {column: cell.strip() for column, cell in zip(header, row, strict=False)}
        skill_id = cells.get("skill_id", "")
        where = f"row {number} (skill {skill_id})" if skill_id else f"row {number}"
        if len(row) > len(header):
            problems.append(Problem(name, where, "", f"{len(row)} cells for {len(header)} columns"))
        skill: dict[str, Json] = {"id": skill_id, "name": cells.get("name", "")}
        prerequisites = [p.strip() for p in cells.get("prerequisites", "").split(";")]
        if any(prerequisites):
            skill["prerequisites"] = [p for p in prerequisites if p]
        for column in _NUMBER_COLUMNS:
            cell = cells.get(column, "")
            if not cell:
                continue
            try:
                skill[column] = float(cell)
            except ValueError:
                problems.append(Problem(name, where, column, f"{cell!r} is not a number"))
                continue
            if not math.isfinite(skill[column]):
                problems.append(Problem(name, where, column, f"{cell!r} is not a finite number"))
                del skill[column]
        skills.append((where, skill))
    return skills, problems
