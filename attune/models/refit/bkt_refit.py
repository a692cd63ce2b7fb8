"""BKT per skill: refit with pyBKT on the fit learners, judged on the held-out learners.

A skill with at least ``min_sequences`` learner sequences in the fit part is fitted with the
project's pyBKT code (models/bkt/fit.py: one pyBKT model over every eligible skill, its
numbers unchanged). Old and new parameters then predict each held-out response one step
ahead with the engine's own forward filter (engine/domain/bkt.py, equal to pyBKT's
``predict`` to 1e-9), and the new ones are adopted only if their held-out log-likelihood
per response beats the old by ``bkt_margin``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from attune.engine.domain.bkt import BktParams, p_correct, step
from attune.engine.domain.course import Course
from attune.engine.domain.errors import InvalidInputError
from attune.models.refit.config import RefitConfig
from attune.models.refit.data import Answer, correct, sequence_counts, skill_sequences
from attune.models.refit.metrics import Metrics, judge, metrics
from attune.models.refit.report import SkillDecision


def one_step_predictions(sequences: Mapping[str, Sequence[int]], params: BktParams) -> list[float]:
    """P(correct) of each response before it is seen, learner after learner (pyBKT's
    ``correct_predictions``)."""
    out: list[float] = []
    for outcomes in sequences.values():
        p = params.prior
        for y in outcomes:
            out.append(p_correct(p, params))
            p = step(p, float(y), params)
    return out


def holdout_metrics(sequences: Mapping[str, Sequence[int]], params: BktParams) -> Metrics:
    """One-step-ahead metrics of ``params`` on held-out sequences."""
    observed = [float(y) for outcomes in sequences.values() for y in outcomes]
    return metrics(one_step_predictions(sequences, params), observed)


def fit_skills(
    course: Course, fit: Sequence[Answer], eligible: set[str], config: RefitConfig
) -> dict[str, BktParams]:
    """pyBKT's parameters for the ``eligible`` skills, from the fit answers in log order."""
    from attune.models.bkt.fit import fit_pybkt
    from attune.models.bkt.table import Row

    rows = [
        Row(a.learner_id, skill, correct(a.score))
        for a in fit
        for skill in course.items[a.item_id].skill_ids
        if skill in eligible
    ]
    return fit_pybkt(rows, eligible, forgets=config.forgets, seed=config.seed)


def refit_bkt(
    course: Course, fit: Sequence[Answer], held: Sequence[Answer], config: RefitConfig
) -> tuple[SkillDecision, ...]:
    """One decision per course skill, in course order."""
    fit_seqs = skill_sequences(course, fit)
    held_seqs = skill_sequences(course, held)
    counts = sequence_counts(fit_seqs)
    eligible = {s for s in course.skills if counts.get(s, 0) >= config.min_sequences}
    fitted = fit_skills(course, fit, eligible, config) if eligible else {}
    return tuple(
        _decide(
            sid,
            course.skills[sid].bkt,
            counts.get(sid, 0),
            held_seqs.get(sid, {}),
            fitted.get(sid),
            sid in eligible,
            config,
        )
        for sid in course.skills
    )


def _decide(
    skill_id: str,
    old: BktParams,
    n_fit: int,
    held: Mapping[str, Sequence[int]],
    new: BktParams | None,
    eligible: bool,
    config: RefitConfig,
) -> SkillDecision:
    n_held = len(held)

    def kept(
        reason: str, params: BktParams | None = None, m: tuple[Metrics, Metrics] | None = None
    ) -> SkillDecision:
        before, after = m if m is not None else (None, None)
        return SkillDecision(skill_id, n_fit, n_held, False, reason, old, params, before, after)

    if not eligible:
        return kept(f"{n_fit} learner sequences < {config.min_sequences}: kept its parameters")
    if new is None:
        return kept("pyBKT returned no fit: kept its parameters")
    try:
        new.validate("fit")
    except InvalidInputError as exc:
        return kept(f"pyBKT fit unusable ({exc.message}): kept its parameters", new)
    before = holdout_metrics(held, old)
    after = holdout_metrics(held, new)
    ok, reason = judge(before, after, config.min_holdout_responses, config.bkt_margin)
    return SkillDecision(skill_id, n_fit, n_held, ok, reason, old, new, before, after)
