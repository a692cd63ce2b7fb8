"""Replaying real sequences through the running engine reproduces pyBKT 1.4.3 to 1e-9."""

from __future__ import annotations

import pytest

from attune.engine.v1 import course_pb2, learner_pb2
from tests.support.engine_server import META_A, Client
from tests.support.pybkt_reference import reference
from tests.support.shared_data import shared_data_dir

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TOLERANCE = 1e-9


def _course(params) -> course_pb2.Course:
    course = course_pb2.Course(
        course_id="assist2009",
        title="assist2009 slice",
        diagnostic=course_pb2.DiagnosticPolicy(disabled=True),  # plain BKT from the priors
    )
    for sid, p in sorted(params.items()):
        course.skills.add(
            skill_id=sid,
            bkt=course_pb2.BktParams(
                prior=p.prior, learn=p.learn, guess=p.guess, slip=p.slip, forget=p.forget
            ),
        )
        course.items.add(item_id=f"item-{sid}", skill_ids=[sid])
    course.items.add(item_id="item-multi", skill_ids=sorted(params)[:2])
    return course


async def test_replay_over_grpc_equals_pybkt(client: Client) -> None:
    ref = reference(shared_data_dir(), True)
    await client.courses.PutCourse(
        course_pb2.PutCourseRequest(course=_course(ref.params)), metadata=META_A
    )
    order: list[tuple[int, str, int]] = []  # (learner, skill, position within that skill)

    async def requests():
        for q in ref.sequences:
            seen: dict[str, int] = {}
            for n, (skill, correct) in enumerate(zip(q.skills, q.correct, strict=True)):
                sid = str(skill)
                order.append((q.learner, sid, seen.get(sid, 0)))
                seen[sid] = seen.get(sid, 0) + 1
                yield learner_pb2.StreamResponsesRequest(
                    record=learner_pb2.RecordResponseRequest(
                        event_id=f"{q.learner}-{n}",
                        learner_id=f"learner-{q.learner}",
                        course_id="assist2009",
                        item_id=f"item-{sid}",
                        correct=bool(correct),
                        max_recommendations=1,
                    )
                )

    worst = 0.0
    compared = 0
    n = 0
    async for reply in client.learners.StreamResponses(requests(), metadata=META_A):
        assert reply.WhichOneof("result") == "reply", reply.error
        learner, sid, t = order[n]
        n += 1
        states = ref.state[(learner, sid)]
        if t + 1 < len(states):  # pyBKT predicts the next attempt of the same skill
            (skill,) = reply.reply.skills
            worst = max(
                worst,
                abs(skill.p_mastery - states[t + 1]),
                abs(skill.p_correct - ref.correct[(learner, sid)][t + 1]),
            )
            compared += 1
    assert n == len(order)
    assert compared > 2000
    assert worst < TOLERANCE, worst


async def test_multi_skill_item_updates_each_skill_as_pybkt_would(client: Client) -> None:
    from attune.engine.domain import bkt

    ref = reference(shared_data_dir(), True)
    await client.courses.PutCourse(
        course_pb2.PutCourseRequest(course=_course(ref.params)), metadata=META_A
    )
    first, second = sorted(ref.params)[:2]
    beliefs = {first: ref.params[first].prior, second: ref.params[second].prior}
    for n, correct in enumerate([True, False, True, True]):
        reply = await client.learners.RecordResponse(
            learner_pb2.RecordResponseRequest(
                event_id=f"multi-{n}",
                learner_id="multi",
                course_id="assist2009",
                item_id="item-multi",
                correct=correct,
            ),
            metadata=META_A,
        )
        for skill in reply.skills:
            beliefs[skill.skill_id] = bkt.step(
                beliefs[skill.skill_id], float(correct), ref.params[skill.skill_id]
            )
            assert skill.p_mastery == pytest.approx(beliefs[skill.skill_id], abs=1e-12)
        assert {s.skill_id for s in reply.skills} == {first, second}
