"""The gateway's course cache keeps, with each fetched course, the index its pages look up
(items by id, skill names, skill ids), rebuilt whenever the course is fetched again."""

from __future__ import annotations

from typing import Any

from attune.engine.v1 import course_pb2
from attune.gateway.content import CourseCache


class Engine:
    """Serves a course whose title counts the fetches (a unit-test fake)."""

    def __init__(self) -> None:
        self.fetches = 0

    def get_course(self, tenant: str, course_id: str) -> course_pb2.Course:
        self.fetches += 1
        course = course_pb2.Course(course_id=course_id, title=f"v{self.fetches}")
        course.skills.add(skill_id="add", name="Adding")
        course.skills.add(skill_id="sub")
        course.items.add(item_id=f"i{self.fetches}", skill_ids=["add"])
        return course


def _cache(engine: Engine, now: list[float]) -> CourseCache:
    fake: Any = engine
    return CourseCache(fake, ttl=30.0, clock=lambda: now[0])


def test_the_index_is_the_cached_courses() -> None:
    engine, now = Engine(), [0.0]
    cache = _cache(engine, now)
    index = cache.index("t", "c")
    assert index.course is cache.get("t", "c") and engine.fetches == 1
    assert list(index.items) == ["i1"] and index.items["i1"].skill_ids == ["add"]
    assert dict(index.names) == {"add": "Adding", "sub": "sub"}
    assert index.skill_ids == ("add", "sub")


def test_a_refetched_course_gets_a_new_index() -> None:
    engine, now = Engine(), [0.0]
    cache = _cache(engine, now)
    assert list(cache.index("t", "c").items) == ["i1"]
    now[0] = 31.0  # past the TTL
    assert list(cache.index("t", "c").items) == ["i2"]
    cache.forget("t", "c")
    assert list(cache.index("t", "c").items) == ["i3"]
    cache.forget_tenant("t")
    assert cache.get("t", "c").title == "v4" and list(cache.index("t", "c").items) == ["i4"]
