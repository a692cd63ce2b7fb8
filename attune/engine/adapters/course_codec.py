"""Courses to and from the JSON the stores keep, off the event loop.

Decoding a course validates it again (build_course), which is linear but not free: a course
at the size limits takes tens of milliseconds. That runs in a worker thread, so the first
read of a big course after a restart does not stall every other tenant's calls. Concurrent
first reads of one course share one decoding.

A worker thread only helps while it lets go of the GIL, and one ``json.loads`` of a whole
course at the limits (megabytes) holds it throughout. So a course is stored as JSON lines:
the course without its skills and items, then one line per skill, then one per item (the
shape of course_json.py, split). Each line is parsed on its own, and the event loop runs
between them. A body of an older version (one JSON document, no newline) still reads.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine, Hashable
from typing import Generic, TypeVar

from attune.engine.domain.course import Course
from attune.engine.domain.course_json import course_from_json, course_to_json

T = TypeVar("T")


def _line(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def _encode(course: Course) -> str:
    data = course_to_json(course)
    skills, items = data.pop("skills"), data.pop("items")
    return "\n".join([_line(data), *map(_line, skills), *map(_line, items)])


def _decode(raw: str | bytes) -> Course:
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    if "\n" not in text:  # one JSON document: a body of an older version
        data = json.loads(text)
    else:  # the course, then its skills (every course has one), then its items
        head, *rest = text.split("\n")
        data = json.loads(head)
        lines = [json.loads(line) for line in rest]
        data["skills"] = [x for x in lines if "skill_id" in x]
        data["items"] = lines[len(data["skills"]) :]
    # A stored course was validated when it was put; the size limits are not applied again,
    # so that a course stored before a limit existed still opens.
    return course_from_json(data, enforce_limits=False)


async def encode_course(course: Course) -> str:
    """The course as stored JSON (in a worker thread)."""
    return await asyncio.to_thread(_encode, course)


async def decode_course(raw: str | bytes) -> Course:
    """A stored course back (in a worker thread)."""
    return await asyncio.to_thread(_decode, raw)


class SingleFlight(Generic[T]):
    """At most one load per key at a time; concurrent callers await the same one. The load
    runs as its own task, so a caller that goes away does not cancel it for the others.
    Entries leave when their load ends: the map holds only loads in flight."""

    def __init__(self) -> None:
        self._running: dict[Hashable, asyncio.Task[T]] = {}

    async def run(self, key: Hashable, load: Callable[[], Coroutine[object, object, T]]) -> T:
        """``load()``, or the result of the one already running for ``key``."""
        task = self._running.get(key)
        if task is None:
            task = asyncio.create_task(load())
            self._running[key] = task
            task.add_done_callback(lambda _: self._running.pop(key, None))
        return await asyncio.shield(task)
