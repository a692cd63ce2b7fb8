"""A course's experiment report (engine: ExperimentService) as the admin CSV and the small
per-arm table of the class dashboard. Figures stay numbers in the CSV (each interval as two
columns); the page shows them as "45% [30% to 60%] of 40"."""

from __future__ import annotations

from dataclasses import dataclass

from attune.engine.v1 import course_pb2, experiments_pb2
from attune.gateway.dashboard.csv_export import CsvValue

_HEADER = (
    "arm_id",
    "mastery_rule",
    "learners",
    "answers",
    "course_mastered_share",
    "course_mastered_low",
    "course_mastered_high",
    "answers_to_course_mastery_mean",
    "answers_to_course_mastery_low",
    "answers_to_course_mastery_high",
    "hours_to_course_mastery_mean",
    "answers_to_skill_mastery_mean",
    "answers_to_skill_mastery_low",
    "answers_to_skill_mastery_high",
    "next_answer_wrong_share",
    "next_answer_wrong_low",
    "next_answer_wrong_high",
    "revoked_share",
    "retention_share",
    "retention_low",
    "retention_high",
    "answers_to_course_mastery_change",
    "answers_to_course_mastery_change_low",
    "answers_to_course_mastery_change_high",
)


@dataclass(frozen=True)
class ExperimentView:
    """The page's section: one row of formatted cells per arm, and one sentence per arm
    compared with the baseline."""

    experiment_id: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    findings: tuple[str, ...]


def rule_text(arm: experiments_pb2.ArmReport) -> str:
    """The arm's mastery rule in words ("the course's rule" when the arm sets none)."""
    if not arm.HasField("mastery"):
        return "the course's rule"
    m: course_pb2.MasteryPolicy = arm.mastery
    return (
        f"P(L) ≥ {m.threshold:g}, ≥ {m.min_attempts} attempts, "
        f"{m.consecutive_correct} right in a row"
    )


def _opt(msg: object, name: str) -> float | None:
    return getattr(msg, name) if msg.HasField(name) else None  # type: ignore[attr-defined]


def _share_cols(p: experiments_pb2.Proportion) -> tuple[CsvValue, ...]:
    return (_opt(p, "share"), p.low, p.high)


def _mean_cols(m: experiments_pb2.Mean) -> tuple[CsvValue, ...]:
    return (_opt(m, "mean"), _opt(m, "low"), _opt(m, "high"))


def _changes(
    report: experiments_pb2.GetExperimentReportResponse,
) -> dict[str, experiments_pb2.ArmComparison]:
    return {c.arm_id: c for c in report.comparisons}


def experiment_table(
    report: experiments_pb2.GetExperimentReportResponse,
) -> tuple[tuple[str, ...], tuple[tuple[CsvValue, ...], ...]]:
    """The CSV: a header and one row of numbers per arm (the baseline's change is empty)."""
    changes = _changes(report)
    rows = []
    for a in report.arms:
        c = changes.get(a.arm_id)
        change: tuple[CsvValue, ...] = (None, None, None)
        if c is not None and c.HasField("answers_to_course_mastery_change"):
            e = c.answers_to_course_mastery_change
            change = (e.estimate, e.low, e.high)
        rows.append(
            (
                a.arm_id,
                rule_text(a),
                a.learners,
                a.answers,
                *_share_cols(a.course_mastered),
                *_mean_cols(a.answers_to_course_mastery),
                _opt(a.hours_to_course_mastery, "mean"),
                *_mean_cols(a.answers_to_skill_mastery),
                *_share_cols(a.next_answer_wrong),
                _opt(a.revoked, "share"),
                *_share_cols(a.retention),
                *change,
            )
        )
    return _HEADER, tuple(rows)


def _pct(p: experiments_pb2.Proportion) -> str:
    if not p.HasField("share"):
        return "none yet"
    return f"{p.share:.0%} [{p.low:.0%} to {p.high:.0%}] of {p.total}"


def _mean(m: experiments_pb2.Mean) -> str:
    if not m.HasField("mean"):
        return "none yet"
    if not m.HasField("low"):
        return f"{m.mean:.1f} (n={m.count})"
    return f"{m.mean:.1f} [{m.low:.1f} to {m.high:.1f}] (n={m.count})"


def _finding(c: experiments_pb2.ArmComparison) -> str:
    if not c.HasField("answers_to_course_mastery_change"):
        return (
            f"{c.arm_id} against {c.baseline_arm_id}: too few learners have mastered the "
            "course in both arms to compare answers to mastery."
        )
    e = c.answers_to_course_mastery_change
    word = "fewer" if e.estimate < 0 else "more"
    return (
        f"{c.arm_id} needs {abs(e.estimate):.0%} {word} answers than {c.baseline_arm_id} to "
        f"master the course (95% CI {e.low:+.0%} to {e.high:+.0%})."
    )


def experiment_view(report: experiments_pb2.GetExperimentReportResponse) -> ExperimentView:
    """The dashboard section."""
    header = (
        "Arm",
        "Mastery rule",
        "Learners",
        "Mastered the course",
        "Answers to course mastery",
        "Answers to a skill's mastery",
        "Next answer wrong after mastery",
        "Retained at 48 h",
    )
    rows = tuple(
        (
            a.arm_id,
            rule_text(a),
            str(a.learners),
            _pct(a.course_mastered),
            _mean(a.answers_to_course_mastery),
            _mean(a.answers_to_skill_mastery),
            _pct(a.next_answer_wrong),
            _pct(a.retention),
        )
        for a in report.arms
    )
    findings = tuple(_finding(c) for c in report.comparisons)
    return ExperimentView(report.experiment_id, header, rows, findings)
