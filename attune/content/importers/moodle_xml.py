"""Moodle XML quizzes into a :class:`~attune.content.model.CoursePackage` (issue 13).

Format: MoodleDocs, "Moodle XML format" (https://docs.moodle.org/en/Moodle_XML_format): a
``<quiz>`` of ``<question type="...">`` elements. Supported types and how they map:

* ``multichoice``: ``single`` true → a ``choice`` item (the answer at ``fraction="100"`` is
  correct; a partial fraction cannot be scored by a single choice and is reported as
  skipped); false → ``multiple_response`` with partial credit, weight = fraction / 100.
  Per-answer ``<feedback>`` → the choice's feedback; ``shuffleanswers`` is ignored.
* ``truefalse`` → a ``choice`` item with options ``true`` and ``false``.
* ``shortanswer`` → ``text_entry``; ``usecase`` → case-sensitive; score = fraction / 100.
  An answer with a ``*`` wildcard is left out and reported (``\\*`` is a literal star).
* ``numerical`` → ``numeric``: absolute ``tolerance``; the units of multiplier 1 are the
  answer's units, a unit of another multiplier m an extra answer of value * m in that unit.
  A ``*`` (any other answer) is left out and reported.

Every question keeps ``<generalfeedback>``, its ``<hint>``s and ``<tags>`` (→ skills). A
``category`` question sets the default skill (its path's last segment) for the questions
after it that have no tag; with neither, a question's skill is ``general``. Any other type
(cloze, essay, matching, description, ...) is reported in ``skipped``, once per question.

The XML is untrusted: parsed by defusedxml with DTDs, entities and external references
refused, at most :data:`MAX_XML_BYTES`. Nothing raises on bad input: a question with a
problem is left out and the problem located (``file``, ``question N (name)``, the XPath of
the field within the question); the package holds the rest and passes the package
validator's semantic checks.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree

from attune.content.importers import moodle_answers
from attune.content.importers.moodle_text import (
    MediaStore,
    Question,
    short_hash,
    skill_id_for,
    slug,
)
from attune.content.importers.result import ImportResult
from attune.content.model import ContentItem, ContentSkill, CoursePackage
from attune.content.package.problems import Problem, sorted_problems
from attune.content.package.semantics import Placed, check_id, check_items, check_skills

MAX_XML_BYTES = 50 * 1024 * 1024
"""The largest file read (the package format's limit for one file)."""

SUPPORTED = {
    "multichoice": moodle_answers.multichoice,
    "truefalse": moodle_answers.truefalse,
    "shortanswer": moodle_answers.shortanswer,
    "numerical": moodle_answers.numerical,
}
DEFAULT_SKILL = ("general", "General")


def _parse(data: bytes, file: str) -> tuple[Element | None, list[Problem]]:
    if len(data) > MAX_XML_BYTES:
        return None, [Problem(file, "", "", f"larger than {MAX_XML_BYTES} bytes")]
    try:
        root = defusedxml.ElementTree.fromstring(data, forbid_dtd=True)
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        where = f"line {line}, column {column + 1}"
        reason = str(exc.msg).split(": line ", 1)[0]
        return None, [Problem(file, where, "", f"not well-formed XML: {reason}")]
    except defusedxml.DefusedXmlException as exc:
        message = "a DTD, entity or external reference, which are refused"
        return None, [Problem(file, "", "", f"{message} ({type(exc).__name__})")]
    except (ValueError, LookupError) as exc:  # an unknown or inconsistent encoding
        return None, [Problem(file, "", "", f"unreadable XML: {exc}")]
    if root.tag != "quiz":
        return None, [Problem(file, "", "", f"the root element is <{root.tag}>, not <quiz>")]
    return root, []


def _category_skill(question: Element) -> tuple[str, str] | None:
    # "$course$/top/Fractions" -> "Fractions"; Moodle writes a "/" inside a name as "//".
    path = (question.findtext("category/text") or "").strip().replace("//", "\x00")
    last = path.rsplit("/", 1)[-1].replace("\x00", "/").strip()
    if not last or (last.startswith("$") and last.endswith("$")):
        return None
    return skill_id_for(last), last


def _skills(q: Question, default: tuple[str, str]) -> list[tuple[str, str]]:
    tags: list[tuple[str, str]] = []
    for tag in q.element.findall("tags/tag"):
        text = (tag.findtext("text") or "").strip()
        if text and skill_id_for(text) not in {skill_id for skill_id, _ in tags}:
            tags.append((skill_id_for(text), text))
    return tags or [default]


def _item_id(name: str, category: str, seen: dict[str, int]) -> str:
    key = f"{category}\x1f{name}"
    seen[key] = seen.get(key, 0) + 1
    digest = short_hash(f"{key}\x1f{seen[key]}")
    return f"{slug(name) or 'question'}-{digest}"


def _question(
    q: Question, kind: str, skills: list[tuple[str, str]], item_id: str
) -> ContentItem | None:
    q.read_files()
    body = SUPPORTED[kind](q)
    stem = q.rich(q.element.find("questiontext"))
    if not stem.strip():
        q.problem("questiontext/text", "the question has no text")
    feedback = q.rich(q.element.find("generalfeedback"))
    hints = tuple(html for html in map(q.rich, q.element.findall("hint")) if html.strip())
    if body is None or q.problems:
        return None
    return ContentItem(
        item_id=item_id,
        type=body.type,
        stem_html=stem,
        skill_ids=tuple(skill_id for skill_id, _ in skills),
        choices=body.choices,
        text_answers=body.text_answers,
        numeric_answers=body.numeric_answers,
        hints_html=hints,
        general_feedback_html=feedback,
        partial_credit=body.partial_credit,
        media=tuple(q.media.values()),
    )


def import_moodle_xml(
    data: bytes, *, course_id: str, title: str, file: str = "quiz.xml"
) -> ImportResult:
    """Import a Moodle XML quiz; never raises on bad input (see the module docstring)."""
    problems = list(check_id(file, "", "course_id", course_id))
    if not course_id or any(c.isspace() or c == "/" for c in course_id):
        problems.append(Problem(file, "", "course_id", "an id has no spaces or slashes"))
    if not title.strip():
        problems.append(Problem(file, "", "title", "a title is needed"))
    root, parse_problems = _parse(data, file)
    if root is None or problems:
        return ImportResult(None, tuple(sorted_problems(problems + parse_problems)), ())
    store, skipped = MediaStore(), []
    default, category = DEFAULT_SKILL, ""
    placed: list[Placed[ContentItem]] = []
    used: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    seen: dict[str, int] = {}
    for number, element in enumerate(root.findall("question"), 1):
        kind = element.get("type", "")
        name = (element.findtext("name/text") or "").strip()
        q = Question(file, number, name, element, store)
        if kind == "category":
            default = _category_skill(element) or DEFAULT_SKILL
            category = (element.findtext("category/text") or "").strip()
            continue
        if kind not in SUPPORTED:
            q.skip("@type", f"unsupported question type {kind!r}" if kind else "no type given")
            skipped += q.skipped
            continue
        skills = _skills(q, default)
        item = _question(q, kind, skills, _item_id(name, category, seen))
        problems += q.problems
        skipped += q.skipped
        if item is not None:
            placed.append(Placed(file, q.where, item))
            used[q.where] = q.used
            for skill_id, skill_name in skills:
                names.setdefault(skill_id, skill_name)
    found = _Found(placed, names, used, store)
    return _package(course_id, title, file, data, found, problems, skipped)


@dataclass(frozen=True)
class _Found:
    placed: list[Placed[ContentItem]]
    names: dict[str, str]  # skill id -> name (the first tag or category giving it)
    used: dict[str, set[str]]  # question -> the media paths it links
    store: MediaStore


def _package(
    course_id: str,
    title: str,
    file: str,
    data: bytes,
    found: _Found,
    problems: list[Problem],
    skipped: list[Problem],
) -> ImportResult:
    """The package of the items that pass the validator's semantic checks."""
    placed, names, used, store = found.placed, found.names, found.used, found.store
    referenced = {skill_id for p in placed for skill_id in p.value.skill_ids}
    skills = [ContentSkill(skill_id, names[skill_id]) for skill_id in sorted(referenced)]
    skill_problems = list(
        check_skills([Placed(file, f"skill {s.skill_id}", s) for s in skills], ())
    )
    media = {path for p in placed for path in used[p.where]}
    item_problems = list(check_items(placed, referenced, media))
    refused = {problem.where for problem in item_problems}
    kept = [p for p in placed if p.where not in refused]
    problems += skill_problems + item_problems
    if not kept or skill_problems or "" in refused:
        if not kept:
            problems.append(Problem(file, "", "", "no question could be imported"))
        return ImportResult(None, tuple(sorted_problems(problems)), tuple(skipped))
    kept_skills = {skill_id for p in kept for skill_id in p.value.skill_ids}
    kept_media = {path for p in kept for path in used[p.where]}
    package = CoursePackage(
        course_id=course_id,
        title=title,
        version=hashlib.sha256(data).hexdigest()[:12],
        skills=tuple(s for s in skills if s.skill_id in kept_skills),
        items=tuple(p.value for p in kept),
        media={path: store.files[path] for path in sorted(kept_media)},
    )
    return ImportResult(package, tuple(sorted_problems(problems)), tuple(skipped))
