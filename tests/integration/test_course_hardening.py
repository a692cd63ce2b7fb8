"""Big courses over a real engine (issue 11 items 6, 7 and 12): limits refused naming the
field, validation off the event loop (on PutCourse and on the first read after a restart),
ListCourses paged by size, and DeleteLearner of an unknown learner flushing nothing.

"Off the event loop" is asserted by ordering, never by time: the validation is held inside
its worker thread until another tenant's call has been answered. Were it on the event loop,
that call could not be answered while it is held, and the hold gives up (after 20 s) with
the call still unanswered.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import pytest

import attune.engine.adapters.course_codec as course_codec
import attune.engine.domain.course as course_module
import attune.engine.service.item_book as item_book
from attune.engine.domain import limits
from attune.engine.v1 import course_pb2, learner_pb2
from tests.support.courses import chain_course
from tests.support.engine_server import META_A, META_B, Client, engine_client

pytestmark = pytest.mark.integration

_HOLD_S = 20.0


def long_chain(n: int, course_id: str = "long") -> course_pb2.Course:
    """An n-skill chain, one item per skill."""
    course = course_pb2.Course(course_id=course_id, title="Long chain")
    for k in range(n):
        course.skills.add(skill_id=f"s{k}", prerequisites=[f"s{k - 1}"] if k else [])
        course.items.add(item_id=f"i{k}", skill_ids=[f"s{k}"])
    return course


async def _refusal(call: Any) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call
    return err.value.code(), err.value.details()


class Hold:
    """Wraps a function so that its call waits, in whatever thread runs it, until
    :meth:`release`; records whether it was released (rather than gave up waiting)."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self._real = real
        self.entered = threading.Event()
        self._released = threading.Event()
        self.was_released: bool | None = None
        self.on_loop_thread: bool | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not self.entered.is_set():
            self.on_loop_thread = threading.current_thread() is threading.main_thread()
            self.entered.set()
            self.was_released = self._released.wait(_HOLD_S)
        return self._real(*args, **kwargs)

    def release(self) -> None:
        self._released.set()


async def _tenant_b_ready(client: Client) -> None:
    await client.courses.PutCourse(
        course_pb2.PutCourseRequest(course=chain_course("b-course")), metadata=META_B
    )
    await client.learners.RecordResponse(
        learner_pb2.RecordResponseRequest(
            event_id="b1", learner_id="lb", course_id="b-course", item_id="a1", correct=True
        ),
        metadata=META_B,
    )


async def _served_while_held(client: Client, hold: Hold, call: Any) -> Any:
    """Start ``call`` (which runs ``hold``), answer tenant B meanwhile, then let it finish."""
    task = asyncio.ensure_future(call)
    assert await asyncio.to_thread(hold.entered.wait, _HOLD_S)
    state = await client.learners.GetLearnerState(
        learner_pb2.GetLearnerStateRequest(learner_id="lb", course_id="b-course"),
        metadata=META_B,
    )
    hold.release()
    reply = await task
    assert state.learner_id == "lb"
    assert hold.was_released is True  # tenant B was answered while the course was held
    assert hold.on_loop_thread is False
    return reply


@pytest.mark.slow
async def test_a_chain_at_the_limit_validates_off_the_loop_then_reads_back_after_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = limits.MAX_SKILLS_PER_COURSE
    async with engine_client(tmp_path) as client:
        await _tenant_b_ready(client)
        hold = Hold(course_module.find_cycle)
        monkeypatch.setattr(course_module, "find_cycle", hold)
        put = client.courses.PutCourse(
            course_pb2.PutCourseRequest(course=long_chain(n)), metadata=META_A
        )
        reply = await _served_while_held(client, hold, put)
        assert len(reply.course.skills) == n
    async with engine_client(tmp_path) as client:  # a restart: nothing is cached
        hold = Hold(course_codec.course_from_json)
        monkeypatch.setattr(course_codec, "course_from_json", hold)
        get = client.courses.GetCourse(
            course_pb2.GetCourseRequest(course_id="long"), metadata=META_A
        )
        got = await _served_while_held(client, hold, get)
        assert [s.skill_id for s in got.course.skills] == [f"s{k}" for k in range(n)]
        assert list(got.course.skills[n - 1].prerequisites) == [f"s{n - 2}"]


async def test_courses_over_the_limits_are_refused_naming_the_field(client: Client) -> None:
    too_long = long_chain(limits.MAX_SKILLS_PER_COURSE + 1)
    code, details = await _refusal(
        client.courses.PutCourse(course_pb2.PutCourseRequest(course=too_long), metadata=META_A)
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert details == (
        f"course.skills: {limits.MAX_SKILLS_PER_COURSE + 1} skills; "
        f"the limit is {limits.MAX_SKILLS_PER_COURSE}"
    )
    cycle = long_chain(limits.MAX_SKILLS_PER_COURSE)
    cycle.skills[0].prerequisites.append(f"s{limits.MAX_SKILLS_PER_COURSE - 1}")
    code, details = await _refusal(
        client.courses.PutCourse(course_pb2.PutCourseRequest(course=cycle), metadata=META_A)
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert details.startswith("course.skills.prerequisites: cycle: s0 -> s1999 -> ")
    assert details.endswith("-> s1 -> s0")
    bad = chain_course()
    bad.title = "T" * (limits.MAX_NAME_CHARS + 1)
    bad.items[3].content = "x" * (limits.MAX_CONTENT_CHARS + 1)
    code, details = await _refusal(
        client.courses.PutCourse(course_pb2.PutCourseRequest(course=bad), metadata=META_A)
    )
    assert (code, details.split(":")[0]) == (grpc.StatusCode.INVALID_ARGUMENT, "course.title")
    bad.title = "Chain"
    code, details = await _refusal(
        client.courses.PutCourse(course_pb2.PutCourseRequest(course=bad), metadata=META_A)
    )
    assert details.split(":")[0] == "course.items[3].content"
    listed = await client.courses.ListCourses(course_pb2.ListCoursesRequest(), metadata=META_A)
    assert list(listed.courses) == []  # nothing refused was stored


def _heavy_course(course_id: str) -> course_pb2.Course:
    """About 1.4 MB: within the limits, three of them are more than one message."""
    course = chain_course(course_id)
    for k in range(22):
        course.items.add(item_id=f"big{k}", skill_ids=["a"], content="x" * 64_000)
    return course


@pytest.mark.slow
async def test_list_courses_pages_by_size_and_every_page_fits_a_message(client: Client) -> None:
    for n in range(5):
        await client.courses.PutCourse(
            course_pb2.PutCourseRequest(course=_heavy_course(f"heavy-{n}")), metadata=META_A
        )
    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        page = await client.courses.ListCourses(
            course_pb2.ListCoursesRequest(page_size=50, page_token=token), metadata=META_A
        )
        assert page.ByteSize() <= limits.MAX_REPLY_BYTES
        seen += [c.course_id for c in page.courses]
        pages += 1
        token = page.next_page_token
        if not token:
            break
    assert seen == [f"heavy-{n}" for n in range(5)]
    assert pages == 3  # two courses a page: 2 + 2 + 1


async def test_deleting_an_unknown_learner_flushes_no_statistics(client: Client) -> None:
    engine = client.running.engine
    await _tenant_b_ready(client)  # the course's statistics are built by that first response
    assert engine.items.rebuilds == 1
    code, _ = await _refusal(
        client.learners.DeleteLearner(
            learner_pb2.DeleteLearnerRequest(learner_id="nobody"), metadata=META_B
        )
    )
    assert code == grpc.StatusCode.NOT_FOUND
    await client.learners.Recommend(
        learner_pb2.RecommendRequest(learner_id="lb", course_id="b-course"), metadata=META_B
    )
    assert engine.items.rebuilds == 1  # still the first table: nothing was flushed
    # A real erasure does flush them; the rebuild then folds the log in a worker thread.
    erased = await client.learners.DeleteLearner(
        learner_pb2.DeleteLearnerRequest(learner_id="lb"), metadata=META_B
    )
    assert erased.events == 1
    folds: list[bool] = []
    real_fold = item_book._fold

    def fold(*args: Any) -> None:
        folds.append(threading.current_thread() is threading.main_thread())
        real_fold(*args)

    item_book._fold = fold  # type: ignore[assignment]
    try:
        await client.learners.Recommend(
            learner_pb2.RecommendRequest(learner_id="lb", course_id="b-course"), metadata=META_B
        )
    finally:
        item_book._fold = real_fold  # type: ignore[assignment]
    assert engine.items.rebuilds == 2
    assert folds == [False]
