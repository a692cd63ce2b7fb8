"""GIFT, Moodle's plain-text quiz format, imported as a :class:`CoursePackage`.

The format is Moodle's (docs.moodle.org, "GIFT format"; ``question/format/gift``): questions
separated by blank lines; ``//`` comment lines; an optional ``::title::``; an optional
``[html]``, ``[moodle]``, ``[plain]`` or ``[markdown]`` text format; the answers between
``{`` and ``}``; ``\\~ \\= \\# \\{ \\} \\: \\\\`` escape a special character and ``\\n`` is a
new line (except inside LaTeX maths, so that ``\\(a \\neq b\\)`` survives); ``$CATEGORY: a/b``
sets the category of the questions after it, and its last segment becomes their skill.

Mapped: multiple choice (``=right ~wrong``, ``#feedback``, ``~%50%partial``: a
``multiple_response`` item scored by weights when more than one answer has a positive
weight), true/false (``{T}``, ``{FALSE#wrong-answer feedback#right-answer feedback}``), short
answer (``{=a =%50%b}``), numerical (``{#3.14:0.01}``, ``{#1..5}``, ``{#=3:0 =%50%3:1}``) and
general feedback (``####...``). Matching, missing word, essay and description questions have
no Attune item type: each is listed in ``skipped``. A malformed question is a located problem;
it is left out, and the rest are imported. Nothing here raises on any text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from attune.content.importers.gift_text import (
    TEXT_FORMAT,
    end_of,
    find_unescaped,
    gift_html,
    unescape,
    unescaped_positions,
)
from attune.content.importers.result import ImportResult
from attune.content.model import (
    Choice,
    ContentItem,
    ContentSkill,
    CoursePackage,
    NumericAnswer,
    TextAnswer,
)
from attune.content.package.problems import Problem, sorted_problems
from attune.content.package.semantics import Placed, check_items, check_skills

DEFAULT_SKILL = ContentSkill("general", "General")
_WEIGHT = re.compile(r"\s*%(-?[0-9]+(?:\.[0-9]+)?)%")
_NUMBER = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_RANGE = re.compile(rf"({_NUMBER})\.\.({_NUMBER})")
_TOLERANCE = re.compile(rf"({_NUMBER})(?::({_NUMBER}))?")
_TRUE, _FALSE = {"T", "TRUE"}, {"F", "FALSE"}
_MAX_ID = 64
_ARTICLE = {"essay": "an", "matching": "a"}


class _Refused(Exception):
    """A malformed question: the field and what is wrong (caught per question)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


class _Skipped(Exception):
    """A question of a type Attune has no item for (caught per question)."""


@dataclass(frozen=True)
class _Block:
    """A question (or category) as written: its text without comment lines, and the file
    line of each of its lines."""

    text: str
    lines: tuple[int, ...]

    def line_at(self, offset: int) -> int:
        return self.lines[min(self.text.count("\n", 0, offset), len(self.lines) - 1)]


@dataclass(frozen=True)
class _Answer:
    mark: str  # "=" or "~"
    weight: float | None  # percent
    body: str  # still escaped
    feedback: str  # still escaped


def import_gift(text: str, *, course_id: str, title: str, file: str = "quiz.gift") -> ImportResult:
    """Import a GIFT file: the package of its well-formed, supported questions (``None`` when
    there is none), a located problem per malformed question and one per skipped question.

    Each problem's ``where`` is ``question N (title) at line L``, N counting every question
    of the file from 1 and L its first line."""
    problems: list[Problem] = []
    skipped: list[Problem] = []
    items: list[Placed[ContentItem]] = []
    skills: dict[str, ContentSkill] = {}
    skill, number, used_ids = DEFAULT_SKILL, 0, set[str]()
    for block in _blocks(text):
        if block.text.startswith("$CATEGORY:"):
            skill = _category(block.text[len("$CATEGORY:") :])
            continue
        number += 1
        where, name = _where(block, number)
        try:
            item = _question(block, skill.skill_id)
        except _Skipped as skip:
            skipped.append(Problem(file, where, "", str(skip)))
            continue
        except _Refused as refused:
            problems.append(Problem(file, where, refused.field, refused.message))
            continue
        item_id = _unique(_slug(name) or f"q{number}", number, used_ids)
        items.append(Placed(file, where, replace(item, item_id=item_id)))
        skills.setdefault(skill.skill_id, skill)
    items, skill_list = _checked(items, skills, problems)
    if not number:
        problems.append(Problem(file, "", "", "no questions"))
    package = None
    if items:
        package = CoursePackage(course_id, title, "1", skill_list, tuple(p.value for p in items))
    return ImportResult(package, tuple(sorted_problems(problems)), tuple(skipped))


def _checked(
    items: list[Placed[ContentItem]], skills: dict[str, ContentSkill], problems: list[Problem]
) -> tuple[list[Placed[ContentItem]], tuple[ContentSkill, ...]]:
    """The items the package validator accepts, and the skills they use; the validator's
    problems go to ``problems`` (an imported package is as valid as an authored one)."""
    found = list(check_items(items, skills, ()))
    found += (
        check_skills([Placed(items[0].file, f"skill {s}", v) for s, v in skills.items()], ())
        if items
        else []
    )
    problems.extend(found)
    refused = {p.where for p in found}
    kept = [placed for placed in items if placed.where not in refused]
    used = {skill_id for placed in kept for skill_id in placed.value.skill_ids}
    return kept, tuple(skill for skill_id, skill in skills.items() if skill_id in used)


def _blocks(text: str) -> Iterator[_Block]:
    """Questions and ``$CATEGORY`` lines, split at blank lines, comment lines left out."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines: list[str] = []
    numbers: list[int] = []
    for number, line in enumerate([*text.split("\n"), ""], start=1):
        stripped = line.strip()
        if stripped.startswith("//"):
            continue
        if not stripped or stripped.startswith("$CATEGORY:"):
            if lines:
                yield _Block("\n".join(lines).strip(), tuple(numbers))
            lines, numbers = [], []
            if stripped:
                yield _Block(stripped, (number,))
            continue
        lines.append(line)
        numbers.append(number)


def _category(path: str) -> ContentSkill:
    segments = [s.strip() for s in path.split("/") if s.strip() and s.strip() != "$course$"]
    name = segments[-1] if segments else ""
    skill_id = _slug(name)
    return ContentSkill(skill_id, name[:512]) if skill_id else DEFAULT_SKILL


def _where(block: _Block, number: int) -> tuple[str, str]:
    """``question N (title) at line L``, and the title (empty when there is none)."""
    name = ""
    if block.text.startswith("::"):
        end = find_unescaped(block.text, "::", 2)
        name = unescape(block.text[2:end]).strip() if end >= 0 else ""
    named = f" ({name[:80]})" if name else ""
    return f"question {number}{named} at line {block.lines[0]}", name


def _question(block: _Block, skill_id: str) -> ContentItem:
    """One question as an item (its id is set by the caller), or :class:`_Refused`."""
    text = block.text
    if text.startswith("::"):
        end = find_unescaped(text, "::", 2)
        if end < 0:
            raise _Refused("title", "the '::' opening the title is never closed")
        text = text[end + 2 :].lstrip()
    offset = len(block.text) - len(text)  # of text in the block, to name lines
    fmt = "moodle"
    if match := TEXT_FORMAT.match(text):
        fmt, text, offset = match[1], text[match.end() :], offset + match.end()
    opening = find_unescaped(text, "{")
    if opening < 0:
        raise _Skipped("a description (no answers): Attune has no description item")
    closing = find_unescaped(text, "}", opening + 1)
    if closing < 0:
        line = block.line_at(offset + opening)
        raise _Refused("answers", f"the '{{' on line {line} is never closed")
    inner = find_unescaped(text[:closing], "{", opening + 1)
    if inner >= 0:
        line = block.line_at(offset + inner)
        raise _Refused("answers", f"an unescaped '{{' inside the answers on line {line}")
    if text[closing + 1 :].strip():
        raise _Skipped("a missing-word question (text after the answers): Attune has no such item")
    answers, general = text[opening + 1 : closing], ""
    if (hashes := find_unescaped(answers, "####")) >= 0:
        answers, general = answers[:hashes], answers[hashes + 4 :]
    answers = answers.strip()
    stem = text[:opening].strip()
    kind = _kind(answers)
    if kind in ("essay", "matching"):
        raise _Skipped(f"{_ARTICLE[kind]} {kind} question: Attune has no {kind} item")
    if not stem:
        raise _Refused("stem", "no question text before the answers")
    item = ContentItem(
        "",
        "choice",
        gift_html(stem, fmt),
        (skill_id,),
        general_feedback_html=gift_html(general.strip(), fmt),
    )
    if kind == "numeric":
        return replace(item, type="numeric", numeric_answers=_numeric(answers[1:], fmt))
    if kind == "truefalse":
        return replace(item, choices=_true_false(answers, fmt))
    if kind == "choice":
        choices, partial = _choices(_answers(answers), fmt)
        return replace(
            item,
            type="multiple_response" if partial else "choice",
            choices=choices,
            partial_credit=partial,
        )
    return replace(item, type="text_entry", text_answers=_short(_answers(answers), fmt))


def _kind(answers: str) -> str:
    # Moodle's order of tests (qformat_gift::readquestion).
    if not answers:
        return "essay"
    if answers.startswith("#"):
        return "numeric"
    if find_unescaped(answers, "~") >= 0:
        return "choice"
    head = answers[: end_of(answers, "#")].strip().upper()
    if head in _TRUE | _FALSE:
        return "truefalse"
    if answers.startswith("=") and "->" in answers:
        return "matching"
    if answers.startswith("="):
        return "short"
    raise _Refused(
        "answers", "not answers GIFT knows: start them with '=', '~' or '#', or write T or F"
    )


def _answers(text: str) -> list[_Answer]:
    """``=`` and ``~`` answers with their ``%weight%`` and ``#feedback``."""
    marks = [i for i in unescaped_positions(text, "=~")]
    if not marks or text[: marks[0]].strip():
        raise _Refused("answers", "text before the first '=' or '~' answer")
    found: list[_Answer] = []
    for n, (start, end) in enumerate(zip(marks, [*marks[1:], len(text)], strict=True)):
        part, weight = text[start + 1 : end], None
        if match := _WEIGHT.match(part):
            weight, part = float(match[1]), part[match.end() :]
            if not -100 <= weight <= 100:
                raise _Refused(f"answers[{n}].weight", f"{weight:g}% is outside -100% to 100%")
        elif part.lstrip().startswith("%"):
            raise _Refused(f"answers[{n}].weight", "a weight is written %50%")
        cut = end_of(part, "#")
        body, feedback = part[:cut].strip(), part[cut + 1 :].strip()
        if not body:
            raise _Refused(f"answers[{n}]", "an empty answer")
        found.append(_Answer(text[start], weight, body, feedback))
    return found


def _choices(answers: list[_Answer], fmt: str) -> tuple[tuple[Choice, ...], bool]:
    """The choices, and whether they are scored by weights (several right answers)."""
    if len(answers) < 2:
        raise _Refused("answers", "a multiple-choice question needs at least two answers")
    weights = [
        a.weight if a.weight is not None else 100.0 if a.mark == "=" else 0.0 for a in answers
    ]
    right = sum(w > 0 for w in weights)
    if not right:
        raise _Refused("answers", "no answer is right: mark one '=' or give it a positive %weight%")
    partial = right > 1
    return tuple(
        Choice(
            _choice_id(n),
            gift_html(a.body, fmt),
            w > 0,
            gift_html(a.feedback, fmt),
            w / 100 if partial else None,
        )
        for n, (a, w) in enumerate(zip(answers, weights, strict=True))
    ), partial


def _true_false(answers: str, fmt: str) -> tuple[Choice, ...]:
    cut = end_of(answers, "#")
    truth = answers[:cut].strip().upper() in _TRUE
    rest = answers[cut + 1 :]
    second = end_of(rest, "#")
    wrong, right = rest[:second].strip(), rest[second + 1 :].strip()
    # Moodle: the first feedback is for a wrong answer, the second for the right one.
    feedback = {truth: gift_html(right, fmt), not truth: gift_html(wrong, fmt)}
    return Choice("true", "True", truth, feedback[True]), Choice(
        "false", "False", not truth, feedback[False]
    )


def _short(answers: list[_Answer], fmt: str) -> tuple[TextAnswer, ...]:
    found = tuple(
        TextAnswer(
            unescape(a.body),
            score=(100.0 if a.weight is None else a.weight) / 100,
            feedback_html=gift_html(a.feedback, fmt),
        )
        for a in answers
    )
    if not any(answer.score > 0 for answer in found):
        raise _Refused("answers", "no answer earns credit")
    return found


def _numeric(text: str, fmt: str) -> tuple[NumericAnswer, ...]:
    if not text.strip():
        raise _Refused("answers", "a numerical question needs a number after '#'")
    if text.lstrip()[:1] in ("=", "~"):
        written = _answers(text)
    else:
        cut = end_of(text, "#")
        written = [_Answer("=", None, text[:cut].strip(), text[cut + 1 :].strip())]
    found: list[NumericAnswer] = []
    for n, answer in enumerate(written):
        value, tolerance = _number(unescape(answer.body), f"answers[{n}]")
        weight = answer.weight if answer.weight is not None else 100.0 if answer.mark == "=" else 0
        found.append(
            NumericAnswer(
                value, tolerance, score=weight / 100, feedback_html=gift_html(answer.feedback, fmt)
            )
        )
    if not any(answer.score > 0 for answer in found):
        raise _Refused("answers", "no answer earns credit")
    return tuple(found)


def _number(text: str, field: str) -> tuple[float, float]:
    """``v``, ``v:tolerance`` or ``low..high`` as a value and an absolute tolerance."""
    if match := _RANGE.fullmatch(text):
        low, high = float(match[1]), float(match[2])
        if low > high:
            raise _Refused(field, f"the range {text} runs backwards")
        value, tolerance = low / 2 + high / 2, high / 2 - low / 2
    elif match := _TOLERANCE.fullmatch(text):
        value, tolerance = float(match[1]), float(match[2] or 0)
        if tolerance < 0:
            raise _Refused(field, f"a negative tolerance in {text!r}")
    else:
        raise _Refused(field, f"{text[:40]!r} is not a number, number:tolerance or low..high")
    if not (math.isfinite(value) and math.isfinite(tolerance)):
        raise _Refused(field, f"{text[:40]!r} is too large")
    return value, tolerance


def _slug(text: str) -> str:
    return re.sub(r"\W+", "-", text.casefold()).strip("-_")[:_MAX_ID].strip("-_")


def _unique(item_id: str, number: int, used: set[str]) -> str:
    candidate, extra = item_id, 1
    while candidate in used:
        candidate, extra = f"{item_id[: _MAX_ID - 16]}-q{number}-{extra}", extra + 1
    used.add(candidate)
    return candidate


def _choice_id(n: int) -> str:
    return chr(ord("a") + n) if n < 26 else f"c{n + 1}"
