"""The class report (:class:`~attune.engine.domain.analytics.ClassReport`) as the contract's
``GetClassReportResponse``. Floats the domain leaves unknown (None) stay unset; NaN never
reaches the wire."""

from __future__ import annotations

import math

from attune.engine.domain.analytics import ClassReport
from attune.engine.domain.analytics.heatmap import Status
from attune.engine.domain.analytics.histogram import Distribution
from attune.engine.domain.analytics.retention import RetentionRow
from attune.engine.domain.course import Course
from attune.engine.grpc.convert import _set_time
from attune.engine.v1 import analytics_pb2

_STATUS = {
    Status.MASTERED: analytics_pb2.CELL_STATUS_MASTERED,
    Status.IN_PROGRESS: analytics_pb2.CELL_STATUS_IN_PROGRESS,
    Status.READY: analytics_pb2.CELL_STATUS_READY,
    Status.LOCKED: analytics_pb2.CELL_STATUS_LOCKED,
}


def _risk_kind(name: str) -> analytics_pb2.RiskKind.ValueType:
    return analytics_pb2.RiskKind.Value(f"RISK_KIND_{name}")


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _distribution(d: Distribution, out: analytics_pb2.Distribution) -> None:
    for b in d.bins:
        out.bins.add(low=b.low, high=_finite(b.high), count=b.count, label=b.label)
    if _finite(d.median) is not None:
        out.median = d.median  # type: ignore[assignment]
    out.count = d.count


def _retention(row: RetentionRow, out: analytics_pb2.RetentionRow) -> None:
    out.skill_id = row.skill_id
    out.answers, out.right, out.learners = row.answers, row.right, row.learners
    if _finite(row.share) is not None:
        out.share = row.share  # type: ignore[assignment]
    out.low, out.high = row.low, row.high


def class_report_to_pb(
    course: Course, report: ClassReport, last_log_id: int, now: float
) -> analytics_pb2.GetClassReportResponse:
    """The reply of GetClassReport."""
    out = analytics_pb2.GetClassReportResponse(
        course_id=course.course_id,
        skill_ids=[c.skill_id for c in report.heatmap.columns],
        last_log_id=last_log_id,
    )
    _set_time(out.computed_at, now)
    for row in report.heatmap.rows:
        pb_row = out.heatmap.add(
            learner_id=row.learner_id, mastered=row.mastered, mean_p_known=row.mean_p
        )
        for cell in row.cells:
            pb_row.cells.add(p_known=_finite(cell.p_known), status=_STATUS[cell.status])
        if row.last_active is not None and math.isfinite(row.last_active):
            _set_time(pb_row.last_active, row.last_active)
    for learner in report.at_risk:
        pb_learner = out.at_risk.add(learner_id=learner.learner_id)
        for reason in learner.reasons:
            pb_learner.reasons.add(
                kind=_risk_kind(reason.kind.name),
                text=reason.text,
                evidence_log_ids=list(reason.evidence),
                skill_ids=list(reason.skills),
            )
    for gap in report.gaps:
        out.gaps.add(
            skill_id=gap.skill_id,
            failures=gap.failures,
            revoked=gap.revoked,
            learners=gap.learners,
            dependants=dict(gap.dependants),
            evidence_log_ids=list(gap.evidence),
        )
    for skill in report.mastery_time:
        pb_skill = out.mastery_time.add(
            skill_id=skill.skill_id,
            attempted=skill.attempted,
            mastered=skill.mastered,
            not_yet=skill.not_yet,
        )
        _distribution(skill.items, pb_skill.items)
        _distribution(skill.seconds, pb_skill.seconds)
    for drift in report.drift.skills:
        pb_drift = out.drift.add(
            skill_id=drift.skill_id,
            answers=drift.answers,
            failures=drift.failures,
            learners=drift.learners,
            rate=drift.rate,
            low=drift.low,
            high=drift.high,
            flagged=drift.flagged,
        )
        for c in drift.candidates:
            pb_drift.candidates.add(
                skill_id=c.skill_id,
                without_failures=c.without_failures,
                without_answers=c.without_answers,
                with_failures=c.with_failures,
                with_answers=c.with_answers,
                difference=c.difference,
                low=c.low,
                high=c.high,
            )
    for item in report.items:
        pb_item = out.items.add(
            item_id=item.item_id,
            answers=item.answers,
            learners=item.learners,
            exposure=item.exposure,
            difficulty_first=item.difficulty_first,
            difficulty_all=item.difficulty_all,
            discrimination=_finite(item.discrimination),
            median_ms=_finite(item.median_ms),
            too_fast_share=item.too_fast_share,
            flags=[f.value for f in item.flags],
        )
        if item.fit is not None:
            pb_item.fit.observed, pb_item.fit.expected = item.fit.observed, item.fit.expected
            pb_item.fit.fitted_b = item.fit.b
            if _finite(item.fit.z) is not None:
                pb_item.fit.z = item.fit.z  # type: ignore[assignment]
            if _finite(item.fit.observed_b) is not None:
                pb_item.fit.observed_b = item.fit.observed_b  # type: ignore[assignment]
    for retained in report.retention.skills:
        _retention(retained, out.retention.add())
    _retention(report.retention.overall, out.retention_overall)
    return out
