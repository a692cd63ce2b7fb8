"""Items with stored content on the practice page: rendering (cached), checking, the
feedback after an answer, and the credit an answer earns.

**A hint is evidence.** Asking for hints before answering says the learner could not answer
alone, so a hinted answer is recorded with less credit: each hint taken halves it
(:data:`HINT_FACTOR`). A right answer after one hint is recorded as a score of 0.5, which
the engine applies as soft evidence (half way between a right and a wrong answer); after two
hints, 0.25. A wrong answer stays 0 however many hints were taken. The learner still sees
that the answer was right.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from attune.content.checking import CheckResult, Response, check
from attune.content.model import CHOICE_TYPES, ContentItem, Resource
from attune.content.render import RenderedItem, render_html, render_item
from attune.content.render.sanitise import plain_text
from attune.content.templates import render as render_template_item
from attune.engine.v1 import course_pb2, learner_pb2
from attune.gateway.errors import BadRequestError, NotFoundError
from attune.gateway.library.catalogue import Catalogue
from attune.gateway.library.versions import StoredVersion
from attune.gateway.ports import KeyValueStore

HINT_FACTOR = 0.5
CACHED_RENDERS = 2048
MAX_GIVEN_CHARS = 200
REPEATED_FAILURES = 2  # wrong answers in a row on a skill before its resources are offered
FAILS_TTL = 2 * 86400.0
_GAP_REASONS = {learner_pb2.REASON_GAP, learner_pb2.REASON_REMEDIATION}


def credit(result: CheckResult, hints_used: int) -> float | None:
    """The score recorded with the engine: the check's score, halved per hint; None when
    the answer could not be checked (then nothing is recorded)."""
    if result.score is None:
        return None
    return result.score * HINT_FACTOR**hints_used


@dataclass(frozen=True)
class MediaUrls:
    """A package path (``media/graph.png``) to the URL serving it."""

    tenant: str
    media: Mapping[str, object]

    def __call__(self, path: str) -> str:
        ref = self.media.get(path)
        sha = getattr(ref, "sha256", None)
        if sha is None:
            return ""
        return f"/media/{quote(self.tenant, safe='')}/{sha}"


def media_url_for(tenant: str, version: StoredVersion) -> MediaUrls:
    """The media URLs of a stored version's files."""
    return MediaUrls(tenant, version.media)


class Renders:
    """Rendered items by (tenant, version, item): rendering is pure, so it is done once."""

    def __init__(self, capacity: int = CACHED_RENDERS) -> None:
        self._capacity = capacity
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, str, str], RenderedItem] = OrderedDict()

    def forget_tenant(self, tenant: str) -> None:
        """Drop every rendered item of a deleted tenant."""
        with self._lock:
            for key in [k for k in self._cache if k[0] == tenant]:
                del self._cache[key]

    def get(self, tenant: str, version: StoredVersion, item: ContentItem) -> RenderedItem:
        key = (tenant, version.digest, item.item_id)
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        rendered = render_item(item, media_url=media_url_for(tenant, version))
        with self._lock:
            self._cache[key] = rendered
            while len(self._cache) > self._capacity:
                self._cache.popitem(last=False)
        return rendered


def response_of(item: ContentItem, text: str, choice_ids: tuple[str, ...]) -> Response:
    """The learner's answer as the checker takes it."""
    if item.type in CHOICE_TYPES:
        chosen = choice_ids or ((text.strip(),) if text.strip() else ())
        return Response(text="", choice_ids=chosen)
    return Response(text=text, choice_ids=())


def given_text(item: ContentItem, response: Response) -> str:
    """What the learner answered, as plain text for the feedback."""
    if item.type in CHOICE_TYPES:
        names = {c.id: plain_text(c.html) for c in item.choices}
        return ", ".join(names.get(c, c) for c in response.choice_ids)
    return response.text


def _number(value: float) -> str:
    return f"{value:g}"


def answer_html(item: ContentItem, tenant: str, version: StoredVersion) -> str:
    """The right answer, shown after answering, as safe HTML."""
    media = media_url_for(tenant, version)
    if item.type in CHOICE_TYPES:
        right = [c for c in item.choices if c.correct]
        return ", ".join(render_html(c.html, media_url=media).html for c in right)
    if item.type == "numeric" and item.numeric_answers:
        best = max(item.numeric_answers, key=lambda a: a.score)
        text = _number(best.value)
        if best.tolerance:
            suffix = "%" if best.tolerance_mode == "relative" else ""
            shown = best.tolerance * 100 if suffix else best.tolerance
            text += f" (± {_number(shown)}{suffix})"
        if best.units:
            text += f" {best.units[0]}"
        return escape(text)
    if item.type == "math" and item.math_answer is not None:
        return escape(item.math_answer.expression)
    if item.text_answers:
        return escape(max(item.text_answers, key=lambda a: a.score).value)
    return ""


def feedback_html(
    item: ContentItem, rendered: RenderedItem, result: CheckResult, response: Response
) -> str:
    """The feedback for this answer: each chosen option's (choice items) or the matched
    answer's (typed items), then the general feedback."""
    parts: list[str] = []
    if item.type in CHOICE_TYPES:
        parts += [
            rendered.choice_feedback_html[c]
            for c in response.choice_ids
            if c in rendered.choice_feedback_html
        ]
    elif result.feedback_html:
        body = render_html(result.feedback_html).html
        parts.append(
            str(
                Markup(
                    '<section class="attune-feedback" aria-label="Feedback">{}</section>'
                ).format(Markup(body))
            )
        )
    if rendered.general_feedback_html:
        parts.append(rendered.general_feedback_html)
    return "".join(parts)


def resources_html(resources: tuple[Resource, ...], skill_name: str) -> str:
    """The skill's instructional resources as a list of links, or ""."""
    if not resources:
        return ""
    rows = Markup("").join(
        Markup(
            '<li><a href="{}" rel="noopener noreferrer" target="_blank">{}</a> ({})</li>'
        ).format(r.url if r.url.startswith(("https://", "http://")) else "#", r.title, r.kind)
        for r in resources
    )
    return str(
        Markup(
            '<section class="attune-resources" aria-label="{}"><p>{}</p><ul>{}</ul></section>'
        ).format(f"Resources for {skill_name}", f"To go over {skill_name} again:", rows)
    )


@dataclass(frozen=True, slots=True)
class ContentView:
    """A shown item with stored content: its rendering and the hints asked for so far."""

    version: StoredVersion
    item: ContentItem
    rendered: RenderedItem
    hints: tuple[str, ...]

    @property
    def more_hints(self) -> bool:
        return len(self.hints) < len(self.rendered.hints_html)


@dataclass(frozen=True, slots=True)
class Marked:
    """A checked answer: the credit to record (None: unscored) and the feedback's fields."""

    credit: float | None
    reason: str
    feedback: dict[str, Any]
    version: StoredVersion | None = None

    def with_resources(self, html: str) -> Marked:
        return Marked(
            self.credit, self.reason, {**self.feedback, "resources_html": html}, self.version
        )


@dataclass(frozen=True, slots=True)
class Preview:
    """An item as an instructor previews it: everything a learner may ever see of it."""

    item_id: str
    kind: str
    skills: tuple[str, ...]
    rendered: RenderedItem | None = None
    answer_html: str = ""
    choice_feedback: tuple[tuple[str, str], ...] = ()
    samples: tuple[tuple[str, str], ...] = ()


class ContentPractice:
    """The practice loop's part for items with stored content."""

    def __init__(self, catalogue: Catalogue, store: KeyValueStore) -> None:
        self._catalogue = catalogue
        self._store = store
        self._renders = Renders()

    def forget_tenant(self, tenant: str) -> None:
        """Drop the rendered items of a deleted tenant."""
        self._renders.forget_tenant(tenant)

    def stored(
        self, tenant: str, course: course_pb2.Course, item_id: str
    ) -> tuple[StoredVersion, ContentItem] | None:
        """The stored content of a course item, or None (a template item, or none such)."""
        item = next((i for i in course.items if i.item_id == item_id), None)
        if item is None:
            return None
        return self._catalogue.item(tenant, course.course_id, item)

    def view(
        self, tenant: str, version: StoredVersion, item: ContentItem, hints_used: int
    ) -> ContentView:
        rendered = self._renders.get(tenant, version, item)
        return ContentView(version, item, rendered, rendered.hints_html[:hints_used])

    def mark(
        self,
        tenant: str,
        stored: tuple[StoredVersion, ContentItem],
        given: str,
        choice_ids: tuple[str, ...],
        hints_used: int,
    ) -> Marked:
        """Check the answer to a stored item: the credit and the feedback's fields."""
        version, content = stored
        rendered = self._renders.get(tenant, version, content)
        response = response_of(content, given, choice_ids)
        result = check(content, response)
        score = credit(result, hints_used)
        fields = {
            "correct": result.correct,
            "given": given_text(content, response)[:MAX_GIVEN_CHARS],
            "answer": "",
            "score": result.score,
            "counted": score is not None,
            "item_html": rendered.stem_html,
            "answer_html": answer_html(content, tenant, version),
            "feedback_html": feedback_html(content, rendered, result, response),
            "solution_html": rendered.solution_html,
            "hints_used": hints_used,
        }
        return Marked(score, result.reason, fields, version)

    def record_unscored(self, tenant: str, course_id: str, record: dict[str, object]) -> None:
        self._catalogue.record_unscored(tenant, course_id, record)

    def offer_resources(
        self,
        tenant: str,
        learner_id: str,
        skill_id: str,
        marked: Marked,
        reply: learner_pb2.RecordResponseResponse,
    ) -> Marked:
        """Add the resources of a skill the engine finds a gap in, or of the answered skill
        after :data:`REPEATED_FAILURES` wrong answers in a row on it."""
        if marked.version is None or marked.credit is None:
            return marked
        key = f"fails:{learner_id}:{skill_id}"
        if marked.credit >= 1.0:
            self._store.put(tenant, key, 0, FAILS_TTL)
            return marked
        fails = int(self._store.get(tenant, key) or 0) + 1
        self._store.put(tenant, key, fails, FAILS_TTL)
        gap = next(
            (r.skill_id for r in reply.recommendations if _GAP_REASONS & set(r.reasons)), None
        )
        chosen = gap or (skill_id if fails >= REPEATED_FAILURES else None)
        skill = marked.version.package.skill(chosen) if chosen else None
        if skill is None or not skill.resources:
            return marked
        return marked.with_resources(resources_html(skill.resources, skill.name))

    def preview(self, tenant: str, course: course_pb2.Course, item_id: str) -> Preview:
        """What an instructor previews of one item (a template item: three examples)."""
        item = next((i for i in course.items if i.item_id == item_id), None)
        if item is None:
            raise NotFoundError(f"no item {item_id!r} in course {course.course_id!r}")
        names = {s.skill_id: s.name or s.skill_id for s in course.skills}
        skills = tuple(names.get(s, s) for s in item.skill_ids)
        stored = self._catalogue.item(tenant, course.course_id, item)
        if stored is None:
            try:
                samples = tuple(
                    (q.prompt, q.answer)
                    for q in (render_template_item(item.content, s) for s in (1, 2, 3))
                )
            except ValueError as exc:
                raise BadRequestError(f"item {item_id!r} cannot be shown: {exc}") from exc
            return Preview(item_id, "generated from a template", skills, samples=samples)
        version, content = stored
        rendered = self._renders.get(tenant, version, content)
        return Preview(
            item_id,
            content.type.replace("_", " "),
            skills,
            rendered=rendered,
            answer_html=answer_html(content, tenant, version),
            choice_feedback=tuple(rendered.choice_feedback_html.items()),
        )
