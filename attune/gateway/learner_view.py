"""One learner's page for their instructor (issue 14, part 2), from the engine's timeline: the
responses as a table (each row anchored ``log-<log id>``, the target of the class
dashboard's evidence links), the gaps with links to their evidence, P(L) over the answers per
skill as small charts, and P(L) beside DKT's prediction; the timeline as CSV.

Names come from the roster and the course; every string reaches the page through Jinja's
escaping or the charts' own (``dashboard.markup``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from attune.engine.v1 import analytics_pb2, course_pb2, learner_pb2
from attune.gateway.class_view import Table
from attune.gateway.dashboard.line_chart import Point, line_chart_svg, line_chart_table
from attune.gateway.dashboard.model import Marker

DEFAULT_THRESHOLD = 0.95
_STATUS = {
    learner_pb2.SKILL_STATUS_MASTERED: "mastered",
    learner_pb2.SKILL_STATUS_READY: "ready",
    learner_pb2.SKILL_STATUS_LOCKED: "locked",
}
CSV_HEADER = (
    "log_id",
    "event_id",
    "occurred_at",
    "item_id",
    "score",
    "correct",
    "response_time_ms",
    "credibility",
    "too_fast",
    "review",
    "p_known_after",
    "mastered",
    "revoked",
    "bkt_p_correct_before",
    "dkt_p_correct_before",
    "predictor",
    "recommended_next",
)


@dataclass(frozen=True)
class LearnerView:
    """Everything the learner page shows."""

    rows: tuple[dict[str, object], ...]  # the timeline, oldest first
    gaps: tuple[dict[str, object], ...]
    beliefs: tuple[dict[str, object], ...]  # per skill: P(L), BKT's and DKT's predictions,
    # and whether any answer shown practised it
    charts: tuple[tuple[str, str, str], ...]  # (skill name, svg, data table) per skill practised
    dkt_model: str
    omitted: int
    table: Table  # the timeline as CSV rows


def when(stamp: object) -> str:
    """A protobuf Timestamp as UTC minutes, e.g. ``2027-01-15 08:00 UTC``."""
    seconds = getattr(stamp, "seconds", 0)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _iso(stamp: object) -> str:
    seconds = getattr(stamp, "seconds", 0)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _threshold(course: course_pb2.Course, skill: course_pb2.Skill) -> float:
    if skill.HasField("mastery") and skill.mastery.threshold:
        return skill.mastery.threshold
    return course.mastery.threshold or DEFAULT_THRESHOLD


def _reasons(rec: learner_pb2.Recommendation) -> str:
    return ", ".join(
        learner_pb2.Reason.Name(r).removeprefix("REASON_").lower().replace("_", " ")
        for r in rec.reasons
    )


def _opt(message: object, field: str) -> float | None:
    has = getattr(message, "HasField", None)
    return float(getattr(message, field)) if has is not None and has(field) else None


def _row(e: analytics_pb2.TimelineEntry, skills: Mapping[str, str]) -> dict[str, object]:
    return {
        "log_id": e.log_id,
        "sequence": e.sequence,
        "when": when(e.occurred_at),
        "item_id": e.item_id,
        "correct": e.correct,
        "score": e.score,
        "seconds": e.response_time_ms / 1000.0,
        "too_fast": bool(e.flags),
        "credibility": e.credibility,
        "review": e.review,
        "skills": [
            {
                "name": skills.get(s.skill_id, s.skill_id),
                "before": s.p_known_before,
                "after": s.p_known,
                "review": s.review,
            }
            for s in e.skills
        ],
        "mastered": [skills.get(m.skill_id, m.skill_id) for m in e.mastery_events],
        "revoked": [skills.get(s, s) for s in e.revoked_skill_ids],
        "bkt": _opt(e, "bkt_p_correct"),
        "dkt": _opt(e, "dkt_p_correct"),
        "diagnostic": e.phase == learner_pb2.LEARNER_PHASE_DIAGNOSTIC,
        "next": [
            {"item_id": r.item_id, "skill": skills.get(r.skill_id, r.skill_id), "why": _reasons(r)}
            for r in e.recommendations
        ],
    }


def _csv_row(e: analytics_pb2.TimelineEntry) -> tuple[str | int | float | None, ...]:
    return (
        e.log_id,
        e.event_id,
        _iso(e.occurred_at),
        e.item_id,
        e.score,
        e.correct,  # written true/false
        e.response_time_ms,
        e.credibility,
        bool(e.flags),
        e.review,
        "; ".join(f"{s.skill_id}={s.p_known:.3f}" for s in e.skills),
        " ".join(m.skill_id for m in e.mastery_events),
        " ".join(e.revoked_skill_ids),
        _opt(e, "bkt_p_correct"),
        _opt(e, "dkt_p_correct"),
        "dkt" if e.predictor == learner_pb2.PREDICTOR_DKT else "bkt",
        " | ".join(f"{r.item_id} ({r.skill_id}): {_reasons(r)}" for r in e.recommendations),
    )


def _charts(
    timeline: analytics_pb2.GetLearnerTimelineResponse, course: course_pb2.Course
) -> tuple[tuple[str, str, str], ...]:
    series: dict[str, list[Point]] = {}
    for e in timeline.entries:
        verdict = "right" if e.correct else "wrong"
        for s in e.skills:
            series.setdefault(s.skill_id, []).append(
                Point(
                    float(e.sequence),
                    s.p_known,
                    f"answer {e.sequence} ({e.item_id}, {verdict}, {when(e.occurred_at)}): "
                    f"P(L) {s.p_known_before:.2f} to {s.p_known:.2f}",
                    filled=e.correct,
                )
            )
    if not series:
        return ()
    first = min(e.sequence for e in timeline.entries)
    last = max(e.sequence for e in timeline.entries)
    charts = []
    for n, skill in enumerate(s for s in course.skills if s.skill_id in series):
        name = skill.name or skill.skill_id
        points = series[skill.skill_id]
        threshold = Marker(_threshold(course, skill), "mastery threshold")
        charts.append(
            (
                name,
                line_chart_svg(
                    points,
                    title=f"P(L) of {name} after each answer",
                    x_label="answer number (filled: right, hollow: wrong)",
                    y_label="P(L)",
                    x_domain=(float(first), float(last)),
                    reference=threshold,
                    id_prefix=f"pl{n}",
                ),
                line_chart_table(
                    points,
                    caption=f"P(L) of {name} after each answer",
                    x_label="Answer",
                    y_label="P(L) after",
                    filled_text=("right", "wrong"),
                ),
            )
        )
    return tuple(charts)


def learner_view(
    timeline: analytics_pb2.GetLearnerTimelineResponse, course: course_pb2.Course
) -> LearnerView:
    """The learner page's content."""
    skills = {s.skill_id: s.name or s.skill_id for s in course.skills}
    practised = {s.skill_id for e in timeline.entries for s in e.skills}
    return LearnerView(
        rows=tuple(_row(e, skills) for e in timeline.entries),
        gaps=tuple(
            {
                "skill": skills.get(g.skill_id, g.skill_id),
                "blocked": skills.get(g.blocked_skill_id, g.blocked_skill_id),
                "explanation": g.explanation,
                "failures": g.failures,
                "suspected": g.suspected,
                "evidence": list(g.evidence_log_ids),
            }
            for g in timeline.gaps
        ),
        beliefs=tuple(
            {
                "name": skills.get(s.skill_id, s.skill_id),
                "p_known": s.p_known,
                "bkt": s.bkt_p_correct,
                "dkt": _opt(s, "dkt_p_correct"),
                "attempts": s.attempts,
                "status": _STATUS.get(s.status, ""),
                "practised": s.skill_id in practised,
            }
            for s in timeline.skills
        ),
        charts=_charts(timeline, course),
        dkt_model=timeline.dkt_model,
        omitted=timeline.omitted_entries,
        table=Table(CSV_HEADER, tuple(_csv_row(e) for e in timeline.entries)),
    )
