"""Interventions over gRPC (issue 14, part 3) on a real engine: InterventionService.Intervene
for every kind with the state change it makes, pinned skills first in recommendations (for a
learner and for the class, in Recommend and in RecordResponse's reply), idempotency on
request_id, refusals that change nothing, the audit trail's contents and order, exempt
learners out of the at-risk list, tenant isolation, a restart of the embedded store, and the
same on Redis with erasure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
import pytest

from attune.engine.v1 import (
    analytics_pb2,
    analytics_pb2_grpc,
    course_pb2,
    interventions_pb2,
    interventions_pb2_grpc,
    learner_pb2,
)
from tests.support.courses import chain_course
from tests.support.engine_server import META_A, META_B, Client, ManualClock, engine_client

pytestmark = pytest.mark.integration
START = 1_800_000_000.0
iv = interventions_pb2


def _stub(client: Client) -> interventions_pb2_grpc.InterventionServiceStub:
    return interventions_pb2_grpc.InterventionServiceStub(client.channel)


async def _setup(client: Client, meta: Any = META_A) -> None:
    """The chain course (a -> b -> c); "lea" masters a with three right answers."""
    course = chain_course()
    await client.courses.PutCourse(course_pb2.PutCourseRequest(course=course), metadata=meta)
    for n, item in enumerate(("a1", "a2", "a1")):
        await _answer(client, f"s{n}", item, True, meta=meta)


async def _answer(
    client: Client, eid: str, item: str, right: bool, learner: str = "lea", meta: Any = META_A
) -> learner_pb2.RecordResponseResponse:
    reply: learner_pb2.RecordResponseResponse = await client.learners.RecordResponse(
        learner_pb2.RecordResponseRequest(
            event_id=eid, learner_id=learner, course_id="chain", item_id=item, correct=right,
            response_time_ms=9000,
        ),
        metadata=meta,
    )  # fmt: skip
    return reply


async def _do(
    client: Client, what: int, skill: str = "", meta: Any = META_A, **kw: Any
) -> iv.InterveneResponse:
    """Intervene: ``what`` (a kind) on ``skill`` for "lea", unless ``kw`` says otherwise."""
    fields: dict[str, Any] = {
        "course_id": "chain",
        "learner_id": "lea",
        "kind": what,
        "skill_id": skill,
        "actor": "instructor:p1",
        "reason": f"test {what} {skill}",
        "request_id": f"req-{what}-{skill}",
    }
    fields.update(kw)
    reply: iv.InterveneResponse = await _stub(client).Intervene(
        iv.InterveneRequest(**fields), metadata=meta
    )
    return reply


async def _state(client: Client, learner: str = "lea") -> learner_pb2.GetLearnerStateResponse:
    reply: learner_pb2.GetLearnerStateResponse = await client.learners.GetLearnerState(
        learner_pb2.GetLearnerStateRequest(learner_id=learner, course_id="chain"), metadata=META_A
    )
    return reply


async def _first(client: Client, learner: str = "lea") -> learner_pb2.Recommendation:
    reply = await client.learners.Recommend(
        learner_pb2.RecommendRequest(learner_id=learner, course_id="chain", max_items=3),
        metadata=META_A,
    )
    return reply.recommendations[0]


async def _trail(client: Client, meta: Any = META_A, **kw: Any) -> iv.ListInterventionsResponse:
    reply: iv.ListInterventionsResponse = await _stub(client).ListInterventions(
        iv.ListInterventionsRequest(course_id="chain", **kw), metadata=meta
    )
    return reply


def _skill(state: learner_pb2.GetLearnerStateResponse, sid: str) -> learner_pb2.SkillState:
    [found] = [s for s in state.skills if s.skill_id == sid]
    return found


async def test_every_kind_changes_the_learner_model_as_documented(tmp_path: Path) -> None:
    clock = ManualClock(START)
    async with engine_client(tmp_path, clock=clock) as client:
        await _setup(client)
        a_before = _skill(await _state(client), "a")
        assert a_before.mastered and a_before.attempts == 3

        grant = await _do(client, iv.INTERVENTION_KIND_GRANT_MASTERY, "b")
        change = grant.intervention.change
        assert (change.skill_id, change.p_mastery_before, change.p_mastery_after) == (
            "b", pytest.approx(0.2), pytest.approx(0.95)
        )  # fmt: skip
        assert (change.mastered_before, change.mastered_after) == (False, True)
        assert list(grant.learner.mastered_skill_ids) == ["a", "b"]
        assert list((await _state(client)).mastered_skill_ids) == ["a", "b"]

        revoke = await _do(client, iv.INTERVENTION_KIND_REVOKE_MASTERY, "b")
        assert revoke.intervention.change.p_mastery_after == pytest.approx(0.2)
        assert not revoke.intervention.change.mastered_after
        assert list(revoke.learner.mastered_skill_ids) == ["a"]

        reset = await _do(client, iv.INTERVENTION_KIND_RESET_SKILL, "a")
        assert reset.intervention.change.attempts_before == 3
        a = _skill(reset.learner, "a")
        assert (a.p_mastery, a.attempts, a.mastered, a.correct_streak) == (
            pytest.approx(0.2), 0, False, 0
        )  # fmt: skip
        assert reset.learner.responses == 3  # the responses stay in the log and the count

        assert (await _first(client)).skill_id == "a"
        pin = await _do(client, iv.INTERVENTION_KIND_PIN_SKILL, "c")
        assert pin.intervention.HasField("change") is False
        assert list(pin.intervention.pinned_skill_ids) == ["c"]
        assert list(pin.learner.pinned_skill_ids) == ["c"]
        first = await _first(client)
        assert first.skill_id == "c" and first.reasons[0] == learner_pb2.REASON_PINNED
        # RecordResponse's reply honours the pin too.
        after = await _answer(client, "s9", "a1", True)
        assert after.recommendations[0].skill_id == "c"
        unpin = await _do(client, iv.INTERVENTION_KIND_UNPIN_SKILL, "c")
        assert list(unpin.learner.pinned_skill_ids) == []
        assert (await _first(client)).skill_id == "a"

        exempt = await _do(client, iv.INTERVENTION_KIND_EXEMPT_LEARNER)
        assert exempt.intervention.exempt and exempt.learner.exempt
        assert (await _state(client)).exempt
        back = await _do(client, iv.INTERVENTION_KIND_UNEXEMPT_LEARNER)
        assert not back.learner.exempt and not (await _state(client)).exempt


async def test_a_class_pin_comes_first_for_every_learner(tmp_path: Path) -> None:
    async with engine_client(tmp_path, clock=ManualClock(START)) as client:
        await _setup(client)
        await _answer(client, "o1", "a1", False, learner="other")
        reply = await _do(
            client, iv.INTERVENTION_KIND_PIN_SKILL, "b", learner_id="",
            scope=iv.INTERVENTION_SCOPE_CLASS,
        )  # fmt: skip
        assert not reply.HasField("learner") and list(reply.class_pinned_skill_ids) == ["b"]
        assert reply.intervention.scope == iv.INTERVENTION_SCOPE_CLASS
        for learner in ("lea", "other", "newcomer"):
            first = await _first(client, learner)
            assert (first.skill_id, first.reasons[0]) == ("b", learner_pb2.REASON_PINNED)
        assert (await _answer(client, "o2", "a1", True, "other")).recommendations[0].skill_id == "b"
        assert list((await _trail(client)).class_pinned_skill_ids) == ["b"]
        await _do(
            client, iv.INTERVENTION_KIND_UNPIN_SKILL, "b", learner_id="",
            scope=iv.INTERVENTION_SCOPE_CLASS,
        )  # fmt: skip
        assert (await _first(client, "newcomer")).skill_id == "a"
        assert list((await _trail(client)).class_pinned_skill_ids) == []


async def test_a_retry_applies_once_and_returns_the_original(tmp_path: Path) -> None:
    clock = ManualClock(START)
    async with engine_client(tmp_path, clock=clock) as client:
        await _setup(client)
        first = await _do(client, iv.INTERVENTION_KIND_GRANT_MASTERY, "c", request_id="once")
        state = await _state(client)
        clock.t += 3600
        again = await _do(client, iv.INTERVENTION_KIND_GRANT_MASTERY, "c", request_id="once")
        assert again.duplicate and not first.duplicate
        assert again.intervention == first.intervention  # its time and change included
        assert await _state(client) == state
        assert len((await _trail(client)).interventions) == 1
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await _do(client, iv.INTERVENTION_KIND_RESET_SKILL, "c", request_id="once")
        assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
        assert "request_id" in (err.value.details() or "")


REFUSED = [
    ({"course_id": "nope"}, grpc.StatusCode.NOT_FOUND, "course"),
    ({"learner_id": "nobody"}, grpc.StatusCode.NOT_FOUND, "learner"),
    ({"skill_id": "zz"}, grpc.StatusCode.NOT_FOUND, "skill"),
    ({"kind": iv.INTERVENTION_KIND_UNSPECIFIED}, grpc.StatusCode.INVALID_ARGUMENT, "kind"),
    ({"kind": 99}, grpc.StatusCode.INVALID_ARGUMENT, "kind"),
    ({"scope": 7}, grpc.StatusCode.INVALID_ARGUMENT, "scope"),
    ({"scope": iv.INTERVENTION_SCOPE_CLASS}, grpc.StatusCode.INVALID_ARGUMENT, "learner_id"),
    ({"scope": iv.INTERVENTION_SCOPE_CLASS, "learner_id": "",
      "kind": iv.INTERVENTION_KIND_GRANT_MASTERY}, grpc.StatusCode.INVALID_ARGUMENT, "kind"),
    ({"learner_id": ""}, grpc.StatusCode.INVALID_ARGUMENT, "learner_id"),
    ({"kind": iv.INTERVENTION_KIND_EXEMPT_LEARNER}, grpc.StatusCode.INVALID_ARGUMENT, "skill_id"),
    ({"reason": "x" * 501}, grpc.StatusCode.INVALID_ARGUMENT, "reason"),
    ({"reason": ""}, grpc.StatusCode.INVALID_ARGUMENT, "reason"),
    ({"actor": ""}, grpc.StatusCode.INVALID_ARGUMENT, "actor"),
    ({"request_id": ""}, grpc.StatusCode.INVALID_ARGUMENT, "request_id"),
]  # fmt: skip


async def test_refusals_name_what_is_wrong_and_change_nothing(tmp_path: Path) -> None:
    async with engine_client(tmp_path, clock=ManualClock(START)) as client:
        await _setup(client)
        await _do(client, iv.INTERVENTION_KIND_PIN_SKILL, "b")
        state, trail = await _state(client), await _trail(client)
        recs = await _first(client)
        for changes, code, named in REFUSED:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await _do(client, iv.INTERVENTION_KIND_GRANT_MASTERY, "c", **changes)
            assert err.value.code() == code, changes
            assert named in (err.value.details() or ""), changes
        assert await _state(client) == state
        assert await _trail(client) == trail
        assert await _first(client) == recs
        for bad in ({"page_token": "abc"}, {"page_size": -1}, {"page_size": 501}):
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await _trail(client, **bad)
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_the_audit_trail_holds_who_what_why_when_newest_first(tmp_path: Path) -> None:
    clock = ManualClock(START)
    async with engine_client(tmp_path, clock=clock) as client:
        await _setup(client)
        await _answer(client, "o1", "a1", True, learner="other")
        done = [
            (iv.INTERVENTION_KIND_GRANT_MASTERY, "b", "lea"),
            (iv.INTERVENTION_KIND_EXEMPT_LEARNER, "", "other"),
            (iv.INTERVENTION_KIND_RESET_SKILL, "a", "lea"),
            (iv.INTERVENTION_KIND_PIN_SKILL, "c", ""),
            (iv.INTERVENTION_KIND_REVOKE_MASTERY, "b", "lea"),
        ]
        for n, (kind, skill, learner) in enumerate(done):
            scope = iv.INTERVENTION_SCOPE_CLASS if not learner else iv.INTERVENTION_SCOPE_LEARNER
            await _do(
                client, kind, skill, learner_id=learner, scope=scope, request_id=f"r{n}",
                actor="admin" if n == 1 else "instructor:p1", reason=f"reason {n}",
            )  # fmt: skip
            clock.t += 60
        trail = await _trail(client)
        got = trail.interventions
        assert [e.request_id for e in got] == ["r4", "r3", "r2", "r1", "r0"]
        assert [e.intervention_id for e in got] == [5, 4, 3, 2, 1]
        assert [(e.kind, e.skill_id, e.learner_id) for e in got] == list(reversed(done))
        assert [e.recorded_at.seconds for e in got] == [START + 60 * n for n in (4, 3, 2, 1, 0)]
        assert [e.reason for e in got] == [f"reason {n}" for n in (4, 3, 2, 1, 0)]
        assert got[3].actor == "admin" and got[0].actor == "instructor:p1"
        assert got[1].scope == iv.INTERVENTION_SCOPE_CLASS
        assert list(got[1].pinned_skill_ids) == ["c"]
        revoke, reset, grant = got[0].change, got[2].change, got[4].change
        assert (grant.p_mastery_before, grant.p_mastery_after) == (pytest.approx(0.2), 0.95)
        assert (reset.attempts_before, reset.attempts_after, reset.mastered_before) == (3, 0, True)
        assert (revoke.mastered_before, revoke.mastered_after) == (True, False)
        assert not got[3].HasField("change") and got[3].exempt
        assert list(trail.exempt_learner_ids) == ["other"]
        assert list(trail.class_pinned_skill_ids) == ["c"]
        # Pages of two, then one learner's entries only.
        one = await _trail(client, page_size=2)
        two = await _trail(client, page_size=2, page_token=one.next_page_token)
        three = await _trail(client, page_size=2, page_token=two.next_page_token)
        assert [e.request_id for p in (one, two, three) for e in p.interventions] == [
            "r4", "r3", "r2", "r1", "r0"
        ]  # fmt: skip
        assert three.next_page_token == ""
        mine = await _trail(client, learner_id="lea")
        assert [e.request_id for e in mine.interventions] == ["r4", "r2", "r0"]
        assert list(mine.exempt_learner_ids) == []


async def test_exempt_learners_leave_the_at_risk_list(tmp_path: Path) -> None:
    async with engine_client(tmp_path, clock=ManualClock(START)) as client:
        await _setup(client)
        for n in range(4):
            await _answer(client, f"w{n}", "b1", False)
        analytics = analytics_pb2_grpc.AnalyticsServiceStub(client.channel)

        async def at_risk() -> set[str]:
            report = await analytics.GetClassReport(
                analytics_pb2.GetClassReportRequest(course_id="chain"), metadata=META_A
            )
            return {a.learner_id for a in report.at_risk}

        assert "lea" in await at_risk()
        await _do(client, iv.INTERVENTION_KIND_EXEMPT_LEARNER)
        assert "lea" not in await at_risk()
        await _do(client, iv.INTERVENTION_KIND_UNEXEMPT_LEARNER)
        assert "lea" in await at_risk()


async def test_tenants_never_see_each_others_interventions(tmp_path: Path) -> None:
    async with engine_client(tmp_path, clock=ManualClock(START)) as client:
        await _setup(client)
        await _do(client, iv.INTERVENTION_KIND_PIN_SKILL, "c", request_id="same")
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await _trail(client, meta=META_B)  # B has no such course
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await _do(client, iv.INTERVENTION_KIND_PIN_SKILL, "c", meta=META_B)
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
        await _setup(client, meta=META_B)
        b = await _do(client, iv.INTERVENTION_KIND_PIN_SKILL, "b", request_id="same", meta=META_B)
        assert not b.duplicate and b.intervention.intervention_id == 1
        trail_b = await _trail(client, meta=META_B)
        assert [e.skill_id for e in trail_b.interventions] == ["b"]
        assert [e.skill_id for e in (await _trail(client)).interventions] == ["c"]
        assert (await _first(client)).skill_id == "c"


async def test_interventions_survive_a_restart_of_the_embedded_store(tmp_path: Path) -> None:
    clock = ManualClock(START)
    async with engine_client(tmp_path, clock=clock) as client:
        await _setup(client)
        await _do(client, iv.INTERVENTION_KIND_GRANT_MASTERY, "b", request_id="g")
        await _do(client, iv.INTERVENTION_KIND_EXEMPT_LEARNER, request_id="x")
        await _do(
            client, iv.INTERVENTION_KIND_PIN_SKILL, "c", learner_id="",
            scope=iv.INTERVENTION_SCOPE_CLASS, request_id="p",
        )  # fmt: skip
        state, trail = await _state(client), await _trail(client)
    async with engine_client(tmp_path, clock=clock) as client:
        assert await _state(client) == state
        assert await _trail(client) == trail
        assert (await _first(client)).skill_id == "c"
        again = await _do(client, iv.INTERVENTION_KIND_GRANT_MASTERY, "b", request_id="g")
        assert again.duplicate and again.intervention == trail.interventions[2]
        after = await _do(client, iv.INTERVENTION_KIND_RESET_SKILL, "b", request_id="r")
        assert after.intervention.intervention_id == 4  # the numbering goes on


async def test_the_same_on_redis_with_erasure(redis_standalone: Any) -> None:
    from attune.engine.adapters.redis_store import RedisStore

    redis_standalone.flush()
    store = await RedisStore.open(redis_standalone.url, sweep_seconds=0)
    clock = ManualClock(START)
    async with engine_client(None, clock=clock, store=store) as client:
        await _setup(client)
        await _answer(client, "o1", "a1", True, learner="other")
        grant = await _do(client, iv.INTERVENTION_KIND_GRANT_MASTERY, "c", request_id="g")
        assert list(grant.learner.mastered_skill_ids) == ["a", "c"]
        retry = await _do(client, iv.INTERVENTION_KIND_GRANT_MASTERY, "c", request_id="g")
        assert retry.duplicate and retry.intervention == grant.intervention
        await _do(client, iv.INTERVENTION_KIND_PIN_SKILL, "b", learner_id="other", request_id="p")
        await _do(
            client, iv.INTERVENTION_KIND_PIN_SKILL, "c", learner_id="",
            scope=iv.INTERVENTION_SCOPE_CLASS, request_id="k",
        )  # fmt: skip
        await _do(client, iv.INTERVENTION_KIND_EXEMPT_LEARNER, request_id="x")
        assert (await _first(client, "other")).skill_id == "b"
        assert (await _first(client, "newcomer")).skill_id == "c"
        trail = await _trail(client)
        assert [e.request_id for e in trail.interventions] == ["x", "k", "p", "g"]
        assert list(trail.exempt_learner_ids) == ["lea"]
        await client.learners.DeleteLearner(
            learner_pb2.DeleteLearnerRequest(learner_id="lea"), metadata=META_A
        )
        after = await _trail(client)
        assert [e.request_id for e in after.interventions] == ["k", "p"]
        assert list(after.exempt_learner_ids) == []
        # Nothing of the erased learner is left, not even their id in the course's set.
        assert [k for k in await store.client.keys("*") if "l=lea}" in k] == []
        members = await store.client.smembers("attune:{t=tenant-a}:iv-learners:chain")
        assert members == {"other"}
