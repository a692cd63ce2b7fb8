"""What a schema cannot say: references, duplicates, cycles and answers that fit the type.

Every check reports a :class:`Problem` at the place it concerns and carries on, so one run
lists every problem of a package.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Generic, TypeVar

from attune.content.model import CHOICE_TYPES, ContentItem, ContentSkill
from attune.content.package.problems import Problem

# The engine's limits, copied (content imports no deployable): keep them equal to
# attune/engine/domain/limits.py (MAX_ID_CHARS, MAX_NAME_CHARS, MAX_SKILLS_PER_COURSE,
# MAX_ITEMS_PER_COURSE, MAX_PREREQUISITES_PER_SKILL, MAX_SKILLS_PER_ITEM).
MAX_ID_CHARS = 256
MAX_NAME_CHARS = 512
MAX_SKILLS_PER_COURSE = 2_000
MAX_ITEMS_PER_COURSE = 20_000
MAX_PREREQUISITES_PER_SKILL = 64
MAX_SKILLS_PER_ITEM = 32

# src="..." and href="..." in item HTML: a relative one names a file of the package.
_LINK = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|#)", re.IGNORECASE)


T = TypeVar("T")


@dataclass(frozen=True)
class Placed(Generic[T]):
    """A value with the file and place it came from."""

    file: str
    where: str
    value: T


def check_id(file: str, where: str, field: str, value: str) -> Iterator[Problem]:
    """An id over the engine's limit."""
    if len(value) > MAX_ID_CHARS:
        yield Problem(file, where, field, f"{len(value)} characters; the limit is {MAX_ID_CHARS}")


def check_skills(skills: list[Placed[ContentSkill]], broken: Collection[str]) -> Iterator[Problem]:
    """Ids, names, duplicates, BKT parameters, prerequisites and cycles of the skill graph.

    ``broken`` holds the ids of skills whose documents were refused: references to them are
    not reported again as unknown.
    """
    if len(skills) > MAX_SKILLS_PER_COURSE:
        first = skills[0]
        yield Problem(first.file, "", "", f"more than {MAX_SKILLS_PER_COURSE} skills")
    known = {placed.value.skill_id for placed in skills} | set(broken)
    seen: dict[str, Placed[ContentSkill]] = {}
    for placed in skills:
        skill, file, where = placed.value, placed.file, placed.where
        yield from check_id(file, where, "id", skill.skill_id)
        if len(skill.name) > MAX_NAME_CHARS:
            yield Problem(file, where, "name", f"longer than {MAX_NAME_CHARS} characters")
        if skill.skill_id in seen:
            other = seen[skill.skill_id]
            yield Problem(
                file, where, "id", f"duplicate skill id (first in {other.file}: {other.where})"
            )
        else:
            seen[skill.skill_id] = placed
        if skill.guess is not None and skill.slip is not None and skill.guess + skill.slip >= 1:
            yield Problem(
                file,
                where,
                "guess",
                f"guess + slip = {skill.guess + skill.slip:g}; "
                "it must be below 1 (else a correct answer "
                "is no evidence of mastery)",
            )
        if len(skill.prerequisites) > MAX_PREREQUISITES_PER_SKILL:
            yield Problem(
                file,
                where,
                "prerequisites",
                f"more than {MAX_PREREQUISITES_PER_SKILL} prerequisites",
            )
        for i, prerequisite in enumerate(skill.prerequisites):
            if prerequisite not in known:
                yield Problem(file, where, f"prerequisites[{i}]", f"unknown skill {prerequisite!r}")
    yield from _cycles(seen)


def _cycles(skills: dict[str, Placed[ContentSkill]]) -> Iterator[Problem]:
    """Each prerequisite cycle once, named from its smallest id: ``a -> b -> a``."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    reported: set[tuple[str, ...]] = set()
    for start in sorted(skills):
        if start in state:
            continue
        path: list[str] = []
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(skills[start].value.prerequisites))]
        state[start], path = 1, [start]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif child in skills and state.get(child) == 1:
                cycle = path[path.index(child) :]
                turn = cycle.index(min(cycle))
                cycle = cycle[turn:] + cycle[:turn]
                if tuple(cycle) not in reported:
                    reported.add(tuple(cycle))
                    head = skills[cycle[0]]
                    named = " -> ".join([*cycle, cycle[0]])
                    yield Problem(
                        head.file, head.where, "prerequisites", f"prerequisite cycle: {named}"
                    )
            elif child in skills and child not in state:
                state[child] = 1
                path.append(child)
                stack.append((child, iter(skills[child].value.prerequisites)))


def check_items(
    items: list[Placed[ContentItem]], skill_ids: Collection[str], files: Collection[str]
) -> Iterator[Problem]:
    """Ids, duplicates, skill tags, answers per type and media of every item."""
    if len(items) > MAX_ITEMS_PER_COURSE:
        yield Problem(items[0].file, "", "", f"more than {MAX_ITEMS_PER_COURSE} items")
    seen: dict[str, Placed[ContentItem]] = {}
    for placed in items:
        item, file, where = placed.value, placed.file, placed.where
        yield from check_id(file, where, "id", item.item_id)
        if item.item_id in seen:
            other = seen[item.item_id]
            yield Problem(file, where, "id", f"duplicate item id (first in {other.file})")
        else:
            seen[item.item_id] = placed
        if len(item.skill_ids) > MAX_SKILLS_PER_ITEM:
            yield Problem(file, where, "skills", f"more than {MAX_SKILLS_PER_ITEM} skills")
        for i, skill_id in enumerate(item.skill_ids):
            if skill_id not in skill_ids:
                yield Problem(file, where, f"skills[{i}]", f"unknown skill {skill_id!r}")
        for field, message in _answers(item):
            yield Problem(file, where, field, message)
        for field, message in _media(item, files):
            yield Problem(file, where, field, message)


def _answers(item: ContentItem) -> Iterator[tuple[str, str]]:
    kind = item.type
    given = {
        "choices": bool(item.choices),
        "text_answers": bool(item.text_answers),
        "numeric_answers": bool(item.numeric_answers),
        "math_answer": item.math_answer is not None,
    }
    wanted = {
        "choices": kind in CHOICE_TYPES,
        "text_answers": kind in ("text_entry", "extended_text"),
        "numeric_answers": kind == "numeric",
        "math_answer": kind == "math",
    }
    for field in given:
        if given[field] and not wanted[field]:
            yield field, f"a {kind} item takes no {field}"
        elif wanted[field] and not given[field] and kind != "extended_text":
            yield field, f"a {kind} item needs {field}"
    if kind in CHOICE_TYPES and item.choices:
        yield from _choices(item)
    if item.partial_credit and kind != "multiple_response":
        yield "partial_credit", "only multiple_response items score by weights"


def _choices(item: ContentItem) -> Iterator[tuple[str, str]]:
    if len(item.choices) < 2:
        yield "choices", "at least two choices are needed"
    if not any(choice.correct for choice in item.choices):
        yield "choices", "no choice is correct"
    if item.type != "multiple_response" and sum(c.correct for c in item.choices) > 1:
        yield "choices", f"a {item.type} item takes one correct choice; use multiple_response"
    ids: set[str] = set()
    for i, choice in enumerate(item.choices):
        if choice.id in ids:
            yield f"choices[{i}].id", f"duplicate choice id {choice.id!r}"
        ids.add(choice.id)
        if item.partial_credit and choice.weight is None:
            yield f"choices[{i}].weight", "partial_credit needs a weight on every choice"
    if item.partial_credit and all(c.weight is not None and c.weight <= 0 for c in item.choices):
        yield "choices", "partial_credit needs at least one positive weight"


def _package_path(link: str) -> str | None:
    if not link or _EXTERNAL.match(link) or link.startswith("/"):
        return None
    return link.split("#", 1)[0].split("?", 1)[0]


def _media(item: ContentItem, files: Collection[str]) -> Iterator[tuple[str, str]]:
    for i, media in enumerate(item.media):
        if ".." in PurePosixPath(media.path).parts:
            yield f"media[{i}].path", "a path with '..'"
        elif media.path not in files:
            yield f"media[{i}].path", f"{media.path!r} is not in the package"
        if media.media_type.startswith("image/") and not media.alt.strip():
            yield f"media[{i}].alt", "an image needs alt text"
    fields = {
        "stem": item.stem_html,
        "solution": item.solution_html,
        "feedback": item.general_feedback_html,
    }
    fields |= {f"hints[{i}]": hint for i, hint in enumerate(item.hints_html)}
    fields |= {f"choices[{i}].html": c.html for i, c in enumerate(item.choices)}
    for field, html in fields.items():
        for link in _LINK.findall(html):
            path = _package_path(link)
            if path is not None and path not in files:
                yield field, f"{link!r} is not in the package"
