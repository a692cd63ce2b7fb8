"""One course's refit: its logged answers in, a RefitReport and (when anything was adopted)
the new course out. Pure: no store, no clock, no logging; the command and the engine's
background job do the I/O around it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from attune.engine.domain.bkt import BktParams
from attune.engine.domain.course import Course, IrtParams
from attune.engine.domain.refit import adopt
from attune.models.refit.bkt_refit import refit_bkt
from attune.models.refit.config import RefitConfig
from attune.models.refit.data import Answer, credible_answers, split
from attune.models.refit.irt_refit import refit_irt
from attune.models.refit.report import RefitReport


@dataclass(frozen=True)
class RefitResult:
    """The report, and the course with the adopted parameters (None: nothing adopted)."""

    report: RefitReport
    course: Course | None


def refit_course(course: Course, answers: Iterable[Answer], config: RefitConfig) -> RefitResult:
    """Refit BKT per skill and calibrate IRT per item from ``answers`` (the course's log, in
    log order), adopting only what predicts the held-out learners better."""
    config.validate()
    kept = credible_answers(course, answers)
    fit, held = split(course.course_id, kept.answers, config.holdout_fraction)
    skills = refit_bkt(course, fit, held, config)
    if config.calibrate_irt:
        items, irt_old, irt_new, note = refit_irt(course, fit, held, config)
    else:
        items, irt_old, irt_new, note = (), None, None, "IRT calibration is off"
    report = RefitReport(
        course_id=course.course_id,
        learners=len({a.learner_id for a in kept.answers}),
        holdout_learners=len({a.learner_id for a in held}),
        responses=len(kept.answers),
        not_credible=kept.not_credible,
        unknown_item=kept.unknown_item,
        skills=skills,
        items=items,
        irt_old=irt_old,
        irt_new=irt_new,
        irt_note=note,
        settings=asdict(config),
    )
    return RefitResult(report, with_adopted(course, report) if report.changed else None)


def with_adopted(course: Course, report: RefitReport) -> Course:
    """``course`` with the report's adopted parameters, every other field as it was."""
    return adopt(course, adopted_bkt(report), adopted_irt(report))


def adopted_bkt(report: RefitReport) -> dict[str, BktParams]:
    """The adopted skills' new BKT parameters (pyBKT's numbers, unrounded)."""
    return {s.skill_id: s.new_params for s in report.skills if s.adopted and s.new_params}


def adopted_irt(report: RefitReport) -> dict[str, IrtParams]:
    """The adopted items' new IRT parameters."""
    return {i.item_id: i.new_params for i in report.items if i.adopted and i.new_params}
