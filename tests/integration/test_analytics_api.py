"""Class analytics over gRPC (issue 14): AnalyticsService.GetClassReport on a real engine,
kept up to date from the event log, limited to a roster, the same after a restart, and
without an erased learner."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.v1 import analytics_pb2, analytics_pb2_grpc, course_pb2, learner_pb2
from tests.support.courses import chain_course
from tests.support.engine_server import META_A, META_B, Client, ManualClock, engine_client

pytestmark = pytest.mark.integration


def _stub(client: Client) -> analytics_pb2_grpc.AnalyticsServiceStub:
    return analytics_pb2_grpc.AnalyticsServiceStub(client.channel)


async def _answer(client: Client, eid: str, learner: str, item: str, right: bool) -> None:
    await client.learners.RecordResponse(
        learner_pb2.RecordResponseRequest(
            event_id=eid,
            learner_id=learner,
            course_id="chain",
            item_id=item,
            correct=right,
            response_time_ms=9000,
        ),
        metadata=META_A,
    )


async def _class(client: Client, clock: ManualClock) -> None:
    await client.courses.PutCourse(
        course_pb2.PutCourseRequest(course=chain_course()), metadata=META_A
    )
    for n in range(4):  # "strong" masters a
        await _answer(client, f"s{n}", "strong", "a1" if n % 2 else "a2", True)
        clock.t += 60
    for n in range(4):  # "weak" fails a four times in a row
        await _answer(client, f"w{n}", "weak", "a1", False)
        clock.t += 60


async def _report(client: Client, *learners: str) -> analytics_pb2.GetClassReportResponse:
    reply: analytics_pb2.GetClassReportResponse = await _stub(client).GetClassReport(
        analytics_pb2.GetClassReportRequest(course_id="chain", learner_ids=list(learners)),
        metadata=META_A,
    )
    return reply


def _row(report: analytics_pb2.GetClassReportResponse, learner: str) -> analytics_pb2.HeatmapRow:
    [row] = [r for r in report.heatmap if r.learner_id == learner]
    return row


async def test_the_class_report_shows_mastery_risk_and_items(tmp_path: Path) -> None:
    clock = ManualClock()
    async with engine_client(tmp_path, clock=clock) as client:
        await _class(client, clock)
        report = await _report(client)
        assert list(report.skill_ids) == ["a", "b", "c"]
        assert {r.learner_id for r in report.heatmap} == {"strong", "weak"}
        strong, weak = _row(report, "strong"), _row(report, "weak")
        assert strong.cells[0].status == analytics_pb2.CELL_STATUS_MASTERED
        assert strong.cells[1].status == analytics_pb2.CELL_STATUS_READY
        assert weak.cells[0].status == analytics_pb2.CELL_STATUS_IN_PROGRESS
        assert weak.cells[1].status == analytics_pb2.CELL_STATUS_LOCKED
        assert weak.cells[0].p_known < strong.cells[0].p_known
        [risky] = [a for a in report.at_risk if a.learner_id == "weak"]
        failures = [r for r in risky.reasons if r.kind == analytics_pb2.RISK_KIND_REPEATED_FAILURES]
        assert failures and len(failures[0].evidence_log_ids) >= 3
        assert "strong" not in {a.learner_id for a in report.at_risk}
        items = {i.item_id: i for i in report.items}
        assert items["a1"].answers == 6 and items["a2"].answers == 2
        assert items["a2"].difficulty_all == 1.0
        assert report.last_log_id == 8


async def test_the_report_follows_the_log_and_a_roster(tmp_path: Path) -> None:
    clock = ManualClock()
    async with engine_client(tmp_path, clock=clock) as client:
        await _class(client, clock)
        first = await _report(client)
        await _answer(client, "late", "newcomer", "a1", True)
        second = await _report(client)
        assert second.last_log_id == first.last_log_id + 1
        assert "newcomer" in {r.learner_id for r in second.heatmap}
        roster = await _report(client, "weak", "never-answered")
        assert {r.learner_id for r in roster.heatmap} == {"weak", "never-answered"}
        assert {a.learner_id for a in roster.at_risk} <= {"weak", "never-answered"}
        never = _row(roster, "never-answered")
        assert not never.HasField("last_active")
        assert never.cells[0].status == analytics_pb2.CELL_STATUS_READY


async def test_the_report_is_the_same_after_a_restart_and_forgets_an_erased_learner(
    tmp_path: Path,
) -> None:
    clock = ManualClock()
    async with engine_client(tmp_path, clock=clock) as client:
        await _class(client, clock)
        before = await _report(client)
    async with engine_client(tmp_path, clock=clock) as client:
        after = await _report(client)
        before.ClearField("computed_at")
        after.ClearField("computed_at")
        assert after == before
        await client.learners.DeleteLearner(
            learner_pb2.DeleteLearnerRequest(learner_id="weak"), metadata=META_A
        )
        erased = await _report(client)
        assert {r.learner_id for r in erased.heatmap} == {"strong"}
        assert erased.at_risk == []
    # A third engine rebuilds from the log, which no longer holds the learner: the same.
    async with engine_client(tmp_path, clock=clock) as client:
        rebuilt = await _report(client)
        for report in (rebuilt, erased):
            report.ClearField("computed_at")
            report.ClearField("last_log_id")  # the erased events' ids are gone from the log
        assert rebuilt == erased


async def test_bad_requests_are_refused_with_a_reason(tmp_path: Path) -> None:
    async with engine_client(tmp_path) as client:
        await client.courses.PutCourse(
            course_pb2.PutCourseRequest(course=chain_course()), metadata=META_A
        )
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await _stub(client).GetClassReport(
                analytics_pb2.GetClassReportRequest(course_id="nope"), metadata=META_A
            )
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as other_tenant:
            await _stub(client).GetClassReport(
                analytics_pb2.GetClassReportRequest(course_id="chain"), metadata=META_B
            )
        assert other_tenant.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as too_many:
            await _stub(client).GetClassReport(
                analytics_pb2.GetClassReportRequest(
                    course_id="chain", learner_ids=[f"l{n}" for n in range(5001)]
                ),
                metadata=META_A,
            )
        assert too_many.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "learner_ids" in (too_many.value.details() or "")


async def test_the_embedded_and_redis_stores_give_the_same_report(
    tmp_path: Path, redis_standalone: object
) -> None:
    from attune.engine.adapters.redis_store import RedisStore

    reports = []
    for store in ("sqlite", "redis"):
        clock = ManualClock()
        if store == "sqlite":
            engine_store = SqliteStore.open(tmp_path / "a.db")
        else:
            redis_standalone.flush()  # type: ignore[attr-defined]
            engine_store = await RedisStore.open(redis_standalone.url, sweep_seconds=0)  # type: ignore[attr-defined]
        async with engine_client(None, clock=clock, store=engine_store) as client:
            await _class(client, clock)
            report = await _report(client)
            report.ClearField("computed_at")
            reports.append(report)
    assert reports[0] == reports[1]


async def test_a_course_whose_items_change_skills_is_rebuilt(tmp_path: Path) -> None:
    clock = ManualClock()
    async with engine_client(tmp_path, clock=clock) as client:
        await _class(client, clock)
        before = await _report(client)
        assert {i.item_id for i in before.items} == {"a1", "a2"}
        retagged = chain_course()
        for item in retagged.items:
            if item.item_id == "a1":
                del item.skill_ids[:]
                item.skill_ids.append("b")
        await client.courses.PutCourse(
            course_pb2.PutCourseRequest(course=retagged), metadata=META_A
        )
        after = await _report(client)
        assert after.last_log_id == before.last_log_id
    # The same log folded afresh by a new engine: the figures agree with the cached ones.
    async with engine_client(tmp_path, clock=clock) as fresh:
        rebuilt = await _report(fresh)
    for report in (after, rebuilt):
        report.ClearField("computed_at")
    assert after == rebuilt
