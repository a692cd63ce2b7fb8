"""Item content for the pages: courses fetched from the engine (cached briefly) and item
content references rendered into questions.

The contract leaves ``Item.content`` to "the page that renders it". The demo course's items
are ``template:NAME?level=N`` references, rendered by :mod:`content.templates`: pure code
shared with the engine's tooling, never engine internals. The same content and seed always
render the same question, which is how an answer is checked against the question that was
shown.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from attune.content.templates import Question, render
from attune.engine.v1 import course_pb2
from attune.gateway.engine_port import EngineClient
from attune.gateway.errors import BadRequestError

COURSE_TTL_S = 30.0
RENDERS_KEPT = 4096  # questions by (content, seed): the answer checks the one its page showed


def render_item(item: course_pb2.Item, seed: int) -> Question:
    """The question an item renders to for ``seed``."""
    try:
        return _render(item.content, seed)
    except ValueError as exc:
        raise BadRequestError(f"item {item.item_id!r} cannot be shown: {exc}") from exc


@lru_cache(maxsize=RENDERS_KEPT)
def _render(content: str, seed: int) -> Question:
    # Deterministic and immutable (a frozen Question): the page that shows a question and
    # the answer that checks it render the same pair, so the second takes the first's.
    return render(content, seed)


@dataclass(frozen=True)
class CourseIndex:
    """What the pages look up in a course, built once per fetched course: its items by id
    (the engine refuses duplicate ids), its skills' names and its skill ids in order."""

    course: course_pb2.Course
    items: Mapping[str, course_pb2.Item]
    names: Mapping[str, str]  # skill id -> its name, or the id when it has none
    skill_ids: tuple[str, ...]

    @classmethod
    def of(cls, course: course_pb2.Course) -> CourseIndex:
        return cls(
            course=course,
            items={i.item_id: i for i in course.items},
            names={s.skill_id: s.name or s.skill_id for s in course.skills},
            skill_ids=tuple(s.skill_id for s in course.skills),
        )


class CourseCache:
    """Courses by (tenant, course id), re-read from the engine after ``ttl`` seconds so that
    a PutCourse shows up without a restart; each with its :class:`CourseIndex`."""

    def __init__(
        self,
        engine: EngineClient,
        ttl: float = COURSE_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._courses: dict[tuple[str, str], tuple[float, CourseIndex]] = {}

    def forget(self, tenant: str, course_id: str) -> None:
        """Drop a cached course (this process re-reads it at once; others within the TTL)."""
        with self._lock:
            self._courses.pop((tenant, course_id), None)

    def forget_tenant(self, tenant: str) -> None:
        """Drop every cached course of a deleted tenant."""
        with self._lock:
            for key in [k for k in self._courses if k[0] == tenant]:
                del self._courses[key]

    def get(self, tenant: str, course_id: str) -> course_pb2.Course:
        return self.index(tenant, course_id).course

    def index(self, tenant: str, course_id: str) -> CourseIndex:
        """The course's :class:`CourseIndex` (the course is fetched as :meth:`get` does)."""
        now = self._clock()
        with self._lock:
            cached = self._courses.get((tenant, course_id))
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        index = CourseIndex.of(self._engine.get_course(tenant, course_id))
        with self._lock:
            self._courses[(tenant, course_id)] = (now, index)
        return index
