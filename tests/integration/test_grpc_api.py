"""The public contract over a real grpc.aio server on port 0."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from attune.engine.v1 import course_pb2, learner_pb2
from tests.support.courses import chain_course
from tests.support.engine_server import META_A, META_B, Client

pytestmark = pytest.mark.integration


async def _put(client: Client, course: course_pb2.Course | None = None) -> None:
    await client.courses.PutCourse(
        course_pb2.PutCourseRequest(course=course or chain_course()), metadata=META_A
    )


def _resp(event_id: str, item: str = "a1", learner: str = "l1", **kw: object):
    kw.setdefault("correct", True)
    return learner_pb2.RecordResponseRequest(
        event_id=event_id, learner_id=learner, course_id="chain", item_id=item, **kw
    )


async def _code(call) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call
    return err.value.code(), err.value.details()


async def test_course_round_trip_and_pages(client: Client) -> None:
    for n in range(5):
        await _put(client, chain_course(f"course-{n}"))
    got = await client.courses.GetCourse(
        course_pb2.GetCourseRequest(course_id="course-3"), metadata=META_A
    )
    assert [s.skill_id for s in got.course.skills] == ["a", "b", "c"]
    assert got.course.skills[2].prerequisites == ["b"]
    assert got.course.skills[0].bkt.guess == pytest.approx(0.2)
    seen, token = [], ""
    while True:
        page = await client.courses.ListCourses(
            course_pb2.ListCoursesRequest(page_size=2, page_token=token), metadata=META_A
        )
        seen += [c.course_id for c in page.courses]
        token = page.next_page_token
        if not token:
            break
    assert seen == [f"course-{n}" for n in range(5)]


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda c: c.skills[0].prerequisites.append("c"), "cycle: "),
        (lambda c: setattr(c.skills[1].bkt, "prior", 1.5), "course.skills[1].bkt.prior"),
        (lambda c: setattr(c.skills[0].bkt, "guess", 0.95), "course.skills[0].bkt.guess"),
        (lambda c: c.items[0].ClearField("skill_ids"), "course.items[0].skill_ids"),
        (lambda c: setattr(c.items[0].irt, "c", 1.0), "course.items[0].irt.c"),
        (
            lambda c: c.diagnostic.CopyFrom(course_pb2.DiagnosticPolicy(min_items=6, max_items=4)),
            "course.diagnostic.max_items",
        ),
        (lambda c: setattr(c.diagnostic, "target_se", 2.0), "course.diagnostic.target_se"),
    ],
    ids=[
        "cycle",
        "probability",
        "guess-plus-slip",
        "item-without-skills",
        "irt",
        "diagnostic-items",
        "diagnostic-se",
    ],
)
async def test_bad_course_is_refused_and_changes_nothing(client: Client, mutate, needle) -> None:
    await _put(client)
    bad = chain_course()
    bad.title = "changed"
    mutate(bad)
    code, details = await _code(
        client.courses.PutCourse(course_pb2.PutCourseRequest(course=bad), metadata=META_A)
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert needle in details
    got = await client.courses.GetCourse(
        course_pb2.GetCourseRequest(course_id="chain"), metadata=META_A
    )
    assert got.course.title == "Chain"


async def test_cycle_error_names_the_cycle(client: Client) -> None:
    bad = chain_course()
    bad.skills[0].prerequisites.append("c")
    _, details = await _code(
        client.courses.PutCourse(course_pb2.PutCourseRequest(course=bad), metadata=META_A)
    )
    assert "a -> c -> b -> a" in details


async def test_record_response_updates_every_tagged_skill(client: Client) -> None:
    await _put(client)
    reply = await client.learners.RecordResponse(_resp("e1", item="bc"), metadata=META_A)
    assert [s.skill_id for s in reply.skills] == ["b", "c"]
    # P(L) after a correct answer from the 0.2 prior, then learning 0.2.
    post = 0.2 * 0.9 / (0.2 * 0.9 + 0.8 * 0.2)
    expected = post + (1 - post) * 0.2
    for s in reply.skills:
        assert s.p_mastery == pytest.approx(expected, abs=1e-12)
        assert s.p_correct == pytest.approx(0.2 * (1 - expected) + 0.9 * expected, abs=1e-12)
        assert s.attempts == 1
    assert reply.skills[0].status == learner_pb2.SKILL_STATUS_LOCKED
    assert reply.sequence == 1
    assert not reply.duplicate


async def test_mastery_is_emitted_once_and_unlocks_dependants(client: Client) -> None:
    await _put(client)
    events = []
    for n in range(6):
        reply = await client.learners.RecordResponse(_resp(f"m{n}"), metadata=META_A)
        events += [m.skill_id for m in reply.mastery_events]
    assert events == ["a"]
    state = await client.learners.GetLearnerState(
        learner_pb2.GetLearnerStateRequest(learner_id="l1", course_id="chain"), metadata=META_A
    )
    assert list(state.mastered_skill_ids) == ["a"]
    assert list(state.ready_skill_ids) == ["b"]
    assert list(state.locked_skill_ids) == ["c"]
    assert state.responses == 6
    rec_skills = {r.skill_id for r in reply.recommendations}
    assert rec_skills == {"b"}
    assert all(learner_pb2.REASON_READY in r.reasons for r in reply.recommendations)
    assert set(reply.recommendations[0].components) == {
        "remediation",
        "readiness",
        "zpd",
        "continuity",
        "novelty",
        "exploration",
    }


@pytest.mark.parametrize(
    ("request_", "code", "needle"),
    [
        (_resp(""), grpc.StatusCode.INVALID_ARGUMENT, "event_id"),
        (_resp("x", score=1.5, correct=None), grpc.StatusCode.INVALID_ARGUMENT, "score"),
        (_resp("x", score=-0.1, correct=None), grpc.StatusCode.INVALID_ARGUMENT, "score"),
        (_resp("x", learner=""), grpc.StatusCode.INVALID_ARGUMENT, "learner_id"),
        (
            learner_pb2.RecordResponseRequest(
                event_id="x", learner_id="l1", course_id="chain", item_id="a1"
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            "outcome",
        ),
        (_resp("x", item="nope"), grpc.StatusCode.NOT_FOUND, "item 'nope'"),
        (
            learner_pb2.RecordResponseRequest(
                event_id="x", learner_id="l1", course_id="nope", item_id="a1", correct=True
            ),
            grpc.StatusCode.NOT_FOUND,
            "course 'nope'",
        ),
    ],
    ids=[
        "empty-event-id",
        "score-high",
        "score-low",
        "empty-learner",
        "no-outcome",
        "unknown-item",
        "unknown-course",
    ],
)
async def test_bad_response_is_refused_and_changes_nothing(
    client: Client, request_, code, needle
) -> None:
    await _put(client)
    await client.learners.RecordResponse(_resp("first"), metadata=META_A)
    got_code, details = await _code(client.learners.RecordResponse(request_, metadata=META_A))
    assert got_code == code
    assert needle in details
    state = await client.learners.GetLearnerState(
        learner_pb2.GetLearnerStateRequest(learner_id="l1", course_id="chain"), metadata=META_A
    )
    assert state.responses == 1


async def test_unknown_learner_is_not_found(client: Client) -> None:
    await _put(client)
    code, _ = await _code(
        client.learners.GetLearnerState(
            learner_pb2.GetLearnerStateRequest(learner_id="ghost", course_id="chain"),
            metadata=META_A,
        )
    )
    assert code == grpc.StatusCode.NOT_FOUND
    code, _ = await _code(
        client.learners.DeleteLearner(
            learner_pb2.DeleteLearnerRequest(learner_id="ghost"), metadata=META_A
        )
    )
    assert code == grpc.StatusCode.NOT_FOUND


async def test_repeated_event_id_returns_original_and_applies_once(client: Client) -> None:
    await _put(client)
    first = await client.learners.RecordResponse(_resp("same"), metadata=META_A)
    again = await asyncio.gather(
        *[
            client.learners.RecordResponse(_resp("same"), metadata=META_A)
            for _ in range(10)
        ]
    )
    for reply in again:
        assert reply.duplicate
        assert list(reply.skills) == list(first.skills)
        assert list(reply.recommendations) == list(first.recommendations)
    state = await client.learners.GetLearnerState(
        learner_pb2.GetLearnerStateRequest(learner_id="l1", course_id="chain"), metadata=META_A
    )
    assert state.responses == 1
    assert state.skills[0].p_mastery == first.skills[0].p_mastery


async def test_concurrent_new_events_for_one_learner_all_apply(client: Client) -> None:
    await _put(client)
    replies = await asyncio.gather(
        *[
            client.learners.RecordResponse(_resp(f"c{n}", correct=n % 2 == 0), metadata=META_A)
            for n in range(40)
        ]
    )
    assert sorted(r.sequence for r in replies) == list(range(1, 41))
    state = await client.learners.GetLearnerState(
        learner_pb2.GetLearnerStateRequest(learner_id="l1", course_id="chain"), metadata=META_A
    )
    assert state.responses == 40
    assert state.skills[0].attempts == 40


async def test_stream_replies_in_order_with_inline_errors(client: Client) -> None:
    await _put(client)
    requests = [_resp(f"s{n}") for n in range(20)]
    requests[5] = _resp("")
    requests[9] = _resp("bad-item", item="zzz")

    async def gen():
        for r in requests:
            yield learner_pb2.StreamResponsesRequest(record=r)

    replies = [r async for r in client.learners.StreamResponses(gen(), metadata=META_A)]
    assert [r.event_id for r in replies] == [r.event_id for r in requests]
    assert replies[5].error.code == "INVALID_ARGUMENT"
    assert replies[5].error.field == "event_id"
    assert replies[9].error.code == "NOT_FOUND"
    good = [r.reply.sequence for r in replies if r.WhichOneof("result") == "reply"]
    assert good == list(range(1, 19))


async def test_recommend_for_new_learner(client: Client) -> None:
    await _put(client)
    reply = await client.learners.Recommend(
        learner_pb2.RecommendRequest(learner_id="new", course_id="chain", max_items=2),
        metadata=META_A,
    )
    assert [r.skill_id for r in reply.recommendations] == ["a", "a"]
    code, details = await _code(
        client.learners.Recommend(
            learner_pb2.RecommendRequest(learner_id="new", course_id="chain", max_items=999),
            metadata=META_A,
        )
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert "max_items" in details


async def test_tenants_are_isolated(client: Client) -> None:
    await _put(client)
    code, _ = await _code(
        client.courses.GetCourse(course_pb2.GetCourseRequest(course_id="chain"), metadata=META_B)
    )
    assert code == grpc.StatusCode.NOT_FOUND
    await client.courses.PutCourse(
        course_pb2.PutCourseRequest(course=chain_course()), metadata=META_B
    )
    a = await client.learners.RecordResponse(_resp("shared-id"), metadata=META_A)
    b = await client.learners.RecordResponse(_resp("shared-id", correct=False), metadata=META_B)
    assert not a.duplicate and not b.duplicate
    assert a.skills[0].p_mastery != b.skills[0].p_mastery
    listed = await client.courses.ListCourses(course_pb2.ListCoursesRequest(), metadata=META_B)
    assert [c.course_id for c in listed.courses] == ["chain"]


async def test_delete_learner_erases_state_and_events(client: Client) -> None:
    await _put(client)
    for n in range(3):
        await client.learners.RecordResponse(_resp(f"d{n}"), metadata=META_A)
    await client.learners.RecordResponse(_resp("other", learner="l2"), metadata=META_A)
    reply = await client.learners.DeleteLearner(
        learner_pb2.DeleteLearnerRequest(learner_id="l1"), metadata=META_A
    )
    assert (reply.courses, reply.events) == (1, 3)
    code, _ = await _code(
        client.learners.GetLearnerState(
            learner_pb2.GetLearnerStateRequest(learner_id="l1", course_id="chain"), metadata=META_A
        )
    )
    assert code == grpc.StatusCode.NOT_FOUND
    assert await client.running.engine.store.get_event("tenant-a", "d0", "l1") is None
    other = await client.learners.GetLearnerState(
        learner_pb2.GetLearnerStateRequest(learner_id="l2", course_id="chain"), metadata=META_A
    )
    assert other.responses == 1


@pytest.mark.parametrize(
    "metadata", [(), (("authorization", "Bearer wrong"),), (("authorization", "Basic token-a"),)]
)
async def test_calls_without_a_valid_token_are_unauthenticated(client: Client, metadata) -> None:
    code, _ = await _code(
        client.courses.ListCourses(course_pb2.ListCoursesRequest(), metadata=metadata)
    )
    assert code == grpc.StatusCode.UNAUTHENTICATED


async def test_health_and_reflection_are_served_without_auth(client: Client) -> None:
    health = health_pb2_grpc.HealthStub(client.channel)
    for service in ("", "attune.engine.v1.LearnerService", "attune.engine.v1.CourseService"):
        reply = await health.Check(health_pb2.HealthCheckRequest(service=service))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    stub = reflection_pb2_grpc.ServerReflectionStub(client.channel)

    async def ask():
        yield reflection_pb2.ServerReflectionRequest(list_services="")

    names = set()
    async for reply in stub.ServerReflectionInfo(ask()):
        names |= {s.name for s in reply.list_services_response.service}
    assert {
        "attune.engine.v1.CourseService",
        "attune.engine.v1.LearnerService",
        "grpc.health.v1.Health",
    } <= names


async def test_request_id_is_echoed(client: Client) -> None:
    call = client.courses.ListCourses(
        course_pb2.ListCoursesRequest(),
        metadata=(*META_A, ("x-request-id", "req-123")),
    )
    await call
    trailing = dict(await call.trailing_metadata())
    assert trailing["x-request-id"] == "req-123"


async def test_event_id_reused_by_another_learner_is_refused(client: Client) -> None:
    await _put(client)
    first = await client.learners.RecordResponse(_resp("shared", learner="l1"), metadata=META_A)
    code, details = await _code(
        client.learners.RecordResponse(_resp("shared", learner="l2"), metadata=META_A)
    )
    assert code == grpc.StatusCode.ALREADY_EXISTS
    assert details == "event_id: was already used for a different response"
    again = await client.learners.RecordResponse(_resp("shared", learner="l1"), metadata=META_A)
    assert again.duplicate and list(again.skills) == list(first.skills)
