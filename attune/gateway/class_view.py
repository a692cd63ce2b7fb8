"""The class dashboard's content from the engine's class report: the charts, the tables behind
them and the CSV of each, with learners' names from the LMS roster (pseudonymous ids never
leave the tenant's pages without the roster's names beside them).

Sorting and filtering are done here on the server (no client script): ``sort`` is one of
:data:`SORTS`, ``status`` keeps the learners with at least one skill in that status (in
``skill`` when given).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from attune.engine.v1 import analytics_pb2, course_pb2
from attune.gateway.dashboard.csv_export import CsvValue
from attune.gateway.dashboard.heatmap import heatmap_svg, heatmap_table
from attune.gateway.dashboard.histogram import (
    bar_chart_svg,
    bar_chart_table,
    histogram_svg,
    histogram_table,
)
from attune.gateway.dashboard.model import Bar, Bin, HeatCell, Label, Marker, Status

SORTS = ("name", "mastered", "mean", "last")
TABLES = ("heatmap", "at_risk", "items", "mastery_time", "drift", "gaps", "retention")
_STATUS: dict[int, Status] = {
    analytics_pb2.CELL_STATUS_MASTERED: "mastered",
    analytics_pb2.CELL_STATUS_IN_PROGRESS: "in_progress",
    analytics_pb2.CELL_STATUS_READY: "ready",
    analytics_pb2.CELL_STATUS_LOCKED: "locked",
}
_RISK = {
    analytics_pb2.RISK_KIND_REPEATED_FAILURES: "repeated failures",
    analytics_pb2.RISK_KIND_PREREQUISITE_GAP: "a gap in a prerequisite",
    analytics_pb2.RISK_KIND_NO_PROGRESS: "no progress",
    analytics_pb2.RISK_KIND_TOO_FAST: "too-fast answers",
    analytics_pb2.RISK_KIND_INACTIVE: "inactive",
}


@dataclass(frozen=True)
class Table:
    """One table of the dashboard: its columns and rows (the CSV and the HTML agree)."""

    header: tuple[str, ...]
    rows: tuple[tuple[CsvValue, ...], ...]


@dataclass(frozen=True)
class ClassView:
    """Everything the class page shows."""

    heatmap_svg: str
    heatmap_table: str
    at_risk: tuple[dict[str, object], ...]
    items_svg: str
    items_table: str
    mastery_svgs: tuple[tuple[str, str], ...]  # (svg, data table) per skill with masteries
    tables: Mapping[str, Table]
    learners: int
    last_log_id: int


def _names(course: course_pb2.Course) -> dict[str, str]:
    return {s.skill_id: s.name or s.skill_id for s in course.skills}


def _sorted_rows(
    rows: Sequence[analytics_pb2.HeatmapRow], names: Mapping[str, str], sort: str, desc: bool
) -> list[analytics_pb2.HeatmapRow]:
    keys = {
        "name": lambda r: names.get(r.learner_id, r.learner_id).lower(),
        "mastered": lambda r: r.mastered,
        "mean": lambda r: r.mean_p_known,
        "last": lambda r: r.last_active.seconds if r.HasField("last_active") else -math.inf,
    }
    return sorted(rows, key=keys.get(sort, keys["name"]), reverse=desc)


def _filtered(
    rows: list[analytics_pb2.HeatmapRow], skill_ids: Sequence[str], status: str, skill: str
) -> list[analytics_pb2.HeatmapRow]:
    if status not in _STATUS.values():
        return rows
    columns = [i for i, s in enumerate(skill_ids) if not skill or s == skill]
    return [r for r in rows if any(_STATUS.get(r.cells[i].status) == status for i in columns)]


def _cells(
    rows: Sequence[analytics_pb2.HeatmapRow], skill_ids: Sequence[str]
) -> dict[tuple[str, str], HeatCell]:
    cells = {}
    for row in rows:
        for skill_id, cell in zip(skill_ids, row.cells, strict=False):
            status = _STATUS.get(cell.status)
            if status is not None:
                p = cell.p_known if cell.HasField("p_known") else 0.0
                cells[(row.learner_id, skill_id)] = HeatCell(min(1.0, max(0.0, p)), status)
    return cells


def class_view(
    report: analytics_pb2.GetClassReportResponse,
    course: course_pb2.Course,
    learner_names: Mapping[str, str],
    *,
    sort: str = "name",
    desc: bool = False,
    status: str = "",
    skill: str = "",
) -> ClassView:
    """The page's content for ``report``; ``learner_names`` maps learner ids to names."""
    skills = _names(course)
    skill_ids = list(report.skill_ids)
    rows = _filtered(
        _sorted_rows(report.heatmap, learner_names, sort, desc), skill_ids, status, skill
    )
    labels = [Label(r.learner_id, learner_names.get(r.learner_id, r.learner_id)) for r in rows]
    columns = [Label(s, skills.get(s, s)) for s in skill_ids]
    cells = _cells(rows, skill_ids)
    bars = [Bar(i.item_id, i.difficulty_all, ", ".join(i.flags)) for i in report.items if i.answers]
    tables = _tables(report, skills, learner_names, rows)
    return ClassView(
        heatmap_svg=heatmap_svg(
            labels,
            columns,
            cells,
            title="Mastery by learner and skill",
            description=f"{len(labels)} learners by {len(columns)} skills: P(L) and status",
        ),
        heatmap_table=heatmap_table(labels, columns, cells, caption="Mastery by learner and skill"),
        at_risk=tuple(
            {
                "learner_id": a.learner_id,
                "name": learner_names.get(a.learner_id, a.learner_id),
                "reasons": [
                    {
                        "kind": _RISK.get(r.kind, "other"),
                        "text": r.text,
                        "evidence": list(r.evidence_log_ids),
                        "skills": [skills.get(s, s) for s in r.skill_ids],
                    }
                    for r in a.reasons
                ],
            }
            for a in report.at_risk
        ),
        items_svg=bar_chart_svg(
            bars,
            title="Item difficulty (proportion right)",
            category_label="Item",
            value_label="Proportion right",
            domain=(0.0, 1.0),
            id_prefix="items",
        ),
        items_table=bar_chart_table(
            bars, caption="Item difficulty", category_label="Item", value_label="Proportion right"
        ),
        mastery_svgs=tuple(_mastery_charts(report, skills)),
        tables=tables,
        learners=len(rows),
        last_log_id=report.last_log_id,
    )


def class_tables(
    report: analytics_pb2.GetClassReportResponse,
    course: course_pb2.Course,
    learner_names: Mapping[str, str],
) -> Mapping[str, Table]:
    """Every table of the page (learners by name), without drawing a chart: the CSVs."""
    rows = _sorted_rows(report.heatmap, learner_names, "name", False)
    return _tables(report, _names(course), learner_names, rows)


def _mastery_charts(
    report: analytics_pb2.GetClassReportResponse, skills: Mapping[str, str]
) -> list[tuple[str, str]]:
    out = []
    for n, skill in enumerate(s for s in report.mastery_time if s.mastered):
        bins = [
            Bin(b.low, b.high if b.HasField("high") else b.low + 1, b.count)
            for b in skill.items.bins
        ]
        name = skills.get(skill.skill_id, skill.skill_id)
        marker = (
            Marker(skill.items.median, "class median") if skill.items.HasField("median") else None
        )
        title = f"Answers to master {name}"
        out.append(
            (
                histogram_svg(
                    bins,
                    title=title,
                    x_label="Answers on the skill",
                    y_label="Learners",
                    marker=marker,
                    id_prefix=f"ttm{n}",
                ),
                histogram_table(bins, caption=title, x_label="Answers", y_label="Learners"),
            )
        )
    return out


def _opt(message: object, field: str) -> float | None:
    return getattr(message, field) if message.HasField(field) else None  # type: ignore[attr-defined]


def _tables(
    report: analytics_pb2.GetClassReportResponse,
    skills: Mapping[str, str],
    names: Mapping[str, str],
    rows: Sequence[analytics_pb2.HeatmapRow],
) -> dict[str, Table]:
    skill_ids = list(report.skill_ids)
    heat: list[tuple[CsvValue, ...]] = []
    for row in rows:
        for skill_id, cell in zip(skill_ids, row.cells, strict=False):
            heat.append(
                (
                    names.get(row.learner_id, row.learner_id),
                    skills.get(skill_id, skill_id),
                    _opt(cell, "p_known"),
                    _STATUS.get(cell.status, ""),
                )
            )
    return {
        "heatmap": Table(("learner", "skill", "p_known", "status"), tuple(heat)),
        "at_risk": Table(
            ("learner", "reason", "details", "evidence_log_ids"),
            tuple(
                (
                    names.get(a.learner_id, a.learner_id),
                    _RISK.get(r.kind, "other"),
                    r.text,
                    " ".join(str(e) for e in r.evidence_log_ids),
                )
                for a in report.at_risk
                for r in a.reasons
            ),
        ),
        "items": Table(
            (
                "item",
                "answers",
                "learners",
                "exposure",
                "difficulty_first",
                "difficulty_all",
                "discrimination",
                "median_ms",
                "too_fast_share",
                "observed",
                "expected",
                "fitted_b",
                "observed_b",
                "flags",
            ),
            tuple(
                (
                    i.item_id,
                    i.answers,
                    i.learners,
                    i.exposure,
                    i.difficulty_first,
                    i.difficulty_all,
                    _opt(i, "discrimination"),
                    _opt(i, "median_ms"),
                    i.too_fast_share,
                    i.fit.observed,
                    i.fit.expected,
                    i.fit.fitted_b,
                    _opt(i.fit, "observed_b"),
                    "; ".join(i.flags),
                )
                for i in report.items
            ),
        ),
        "mastery_time": Table(
            ("skill", "attempted", "mastered", "not_yet", "median_answers", "median_seconds"),
            tuple(
                (
                    skills.get(s.skill_id, s.skill_id),
                    s.attempted,
                    s.mastered,
                    s.not_yet,
                    _opt(s.items, "median"),
                    _opt(s.seconds, "median"),
                )
                for s in report.mastery_time
            ),
        ),
        "drift": Table(
            (
                "skill",
                "answers",
                "failures",
                "learners",
                "failure_rate",
                "low",
                "high",
                "flagged",
                "candidates",
            ),
            tuple(
                (
                    skills.get(d.skill_id, d.skill_id),
                    d.answers,
                    d.failures,
                    d.learners,
                    d.rate,
                    d.low,
                    d.high,
                    d.flagged,
                    "; ".join(
                        f"{skills.get(c.skill_id, c.skill_id)} (+{c.difference:.2f})"
                        for c in d.candidates
                    ),
                )
                for d in report.drift
            ),
        ),
        "gaps": Table(
            ("prerequisite", "failures", "revoked", "learners", "dependants"),
            tuple(
                (
                    skills.get(g.skill_id, g.skill_id),
                    g.failures,
                    g.revoked,
                    g.learners,
                    "; ".join(f"{skills.get(k, k)}: {v}" for k, v in sorted(g.dependants.items())),
                )
                for g in report.gaps
            ),
        ),
        "retention": Table(
            ("skill", "answers_48h_later", "right", "learners", "share_right", "low", "high"),
            tuple(
                (
                    skills.get(r.skill_id, r.skill_id) if r.skill_id else "all skills",
                    r.answers,
                    r.right,
                    r.learners,
                    _opt(r, "share"),
                    r.low,
                    r.high,
                )
                for r in (*report.retention, report.retention_overall)
            ),
        ),
    }
