"""The table pyBKT fits: one row (learner, skill, correct) per response and skill, in order.

Two sources feed it:

- a knowledge-tracing dataset in the DKT three-line format (``shared/data/kt``): the skill ids
  become skill names as strings and a learner is its position in the file;
- an export of the engine's event log (:mod:`models.event_export`) with the course that maps
  each item to its skills. Only the course's own events count, and of those:

  - a response with credibility below 1 is dropped: the engine judged it too fast to be
    evidence and applied it at a reduced weight, and pyBKT has no notion of a weight;
  - a fractional score becomes correct at 0.5 or above and wrong below (pyBKT needs 0/1);
  - an item that exercises several skills gives one row per skill, as pyBKT treats
    multi-skill data;
  - rows keep the order of the file, which the export writes in log order (the order in
    which the engine applied them).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attune.engine.domain.bkt import BktParams
from attune.engine.domain.course import Course
from attune.engine.domain.errors import InvalidInputError
from attune.models.datasets import DatasetFormatError, read_kt

DATASET_FILE = "train.csv"  # a dataset folder means its train split (test is for evaluation)


class FitInputError(ValueError):
    """An input cannot be used; the message names the file, line or course."""


@dataclass(frozen=True, slots=True)
class Row:
    """One response to one skill. ``learner`` is pyBKT's ``user_id``."""

    learner: int | str
    skill: str
    correct: int


@dataclass(frozen=True)
class FitTable:
    """The rows to fit, what they came from, and the course defaults (none for a dataset)."""

    rows: tuple[Row, ...]
    source: dict[str, Any]
    defaults: Mapping[str, BktParams] | None = None  # the course's skills, in course order


def table_from_kt(path: Path, max_learners: int | None = None) -> FitTable:
    """Rows of a DKT-format file (or of ``train.csv`` in a dataset folder)."""
    file = path / DATASET_FILE if path.is_dir() else path
    if not file.is_file():
        raise FitInputError(f"dataset not found: {file}")
    rows: list[Row] = []
    try:
        for seq in read_kt(file, max_learners):
            for skill, correct in zip(seq.skills, seq.correct, strict=True):
                rows.append(Row(seq.learner, str(skill), correct))
    except (DatasetFormatError, UnicodeDecodeError) as exc:
        raise FitInputError(f"dataset {file} is not in the DKT format: {exc}") from exc
    source: dict[str, Any] = {
        "kind": "kt-dataset",
        "path": str(file),
        "sha256": _sha256(file),
        "responses": len(rows),
        "rows": len(rows),
        "learners": len({r.learner for r in rows}),
    }
    if max_learners is not None:
        source["max_learners"] = max_learners
    return FitTable(tuple(rows), source)


def table_from_events(path: Path, course: Course, course_ref: str) -> FitTable:
    """Rows of an event-log export for ``course``; ``course_ref`` is recorded as given."""
    if not path.is_file():
        raise FitInputError(f"event export not found: {path}")
    rows: list[Row] = []
    responses = other_course = unknown_item = not_credible = rounded = 0
    unknown_items: set[str] = set()
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            event = _event(line, f"{path}:{n}")
            if event["course_id"] != course.course_id:
                other_course += 1
                continue
            item = course.items.get(event["item_id"])
            if item is None:
                unknown_item += 1
                unknown_items.add(event["item_id"])
                continue
            if event["credibility"] < 1.0:
                not_credible += 1
                continue
            score = event["score"]
            if 0.0 < score < 1.0:
                rounded += 1
            correct = 1 if score >= 0.5 else 0
            responses += 1
            for skill in item.skill_ids:
                rows.append(Row(event["learner_id"], skill, correct))
    source: dict[str, Any] = {
        "kind": "event-log",
        "path": str(path),
        "sha256": _sha256(path),
        "course": course_ref,
        "course_id": course.course_id,
        "responses": responses,
        "rows": len(rows),
        "learners": len({r.learner for r in rows}),
        "dropped": {
            "other_course": other_course,
            "unknown_item": unknown_item,
            "not_credible": not_credible,
        },
        "rounded_scores": rounded,
    }
    if unknown_items:
        source["unknown_items"] = sorted(unknown_items)[:20]  # a sample, to find the cause
    defaults = {sid: skill.bkt for sid, skill in course.skills.items()}
    return FitTable(tuple(rows), source, defaults)


def load_course(spec: str) -> tuple[dict[str, Any], Course]:
    """The course named ``demo`` or read from a JSON file: its JSON and the parsed course."""
    from attune.engine.domain.course_json import course_from_json

    if spec == "demo":
        from attune.engine.demo.course import demo_course_json

        data: Any = demo_course_json()
    else:
        file = Path(spec)
        if not file.is_file():
            raise FitInputError(f"unknown course {spec!r}: not 'demo' and no such file")
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise FitInputError(f"course file {file} is not JSON: {exc}") from exc
    try:
        return data, course_from_json(data)
    except InvalidInputError as exc:
        raise FitInputError(f"course {spec}: {exc}") from exc


def _event(line: str, where: str) -> dict[str, Any]:
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise FitInputError(f"{where}: not a JSON object: {exc}") from exc
    if not isinstance(raw, dict):
        raise FitInputError(f"{where}: not a JSON object")
    for key in ("learner_id", "course_id", "item_id"):
        if not isinstance(raw.get(key), str):
            raise FitInputError(f"{where}: {key} must be a string")
    for key in ("score", "credibility"):
        value = raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise FitInputError(f"{where}: {key} must be a number")
        if not 0.0 <= value <= 1.0:
            raise FitInputError(f"{where}: {key} must be in [0, 1], got {value}")
    return raw


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
