"""The item report: classical test statistics and the fitted IRT model against what happened.

Formulas (classical test theory: Crocker & Algina 1986, Introduction to Classical and Modern
Test Theory, ch. 14; IRT: Lord 1980, Applications of Item Response Theory, ch. 2):

- **difficulty** (the item's p-value): the proportion of right answers (score >= 0.5), on
  first attempts (each learner's unpractised answer, the classical definition) and on all.
- **discrimination**: the corrected item-total correlation, i.e. Pearson's r between the
  learner's first score on the item and their *rest score*, with the item itself left out
  so it does not correlate with itself. Learners see different items (selection is
  adaptive), so the rest score is the learner's *mean* first score over the other items
  sharing a skill with this one, not a sum; learners with no such item are left out. With
  0/1 scores r is the point-biserial correlation.
- **median time**: over credible timed answers, from log-spaced bins (timebins.py).
- **fit**: the 3PL prediction P(θ) = c + (1 - c) / (1 + exp(-a (θ - b))) at each learner's
  ability just before each credible answer (binned on irt.GRID), summed: the expected number
  right E = Σ P(θ_i), against the observed O. ``z = (O - E) / sqrt(Σ P(θ_i)(1 - P(θ_i)))``
  is the standardised residual (a Yen 1981 Q1-style check collapsed to one group).
  ``observed_b`` solves the 3PL for b at the mean ability, given the observed proportion
  p and the fitted a and c: b = θ̄ - logit((p - c) / (1 - c)) / a (undefined when p <= c
  or p = 1), to set beside the fitted b.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from attune.engine.domain import irt
from attune.engine.domain.analytics.item_counts import ItemCounts
from attune.engine.domain.analytics.maths import logit, pearson
from attune.engine.domain.analytics.settings import ItemSettings
from attune.engine.domain.analytics.timebins import median_ms
from attune.engine.domain.course import Course, IrtParams


class ItemFlag(Enum):
    """Why an item misbehaves."""

    NEGATIVE_DISCRIMINATION = "negative discrimination"
    EVERYONE_RIGHT = "everyone right"
    EVERYONE_WRONG = "everyone wrong"
    TOO_FAST = "many too-fast answers"
    MISFIT = "does not fit its IRT parameters"


@dataclass(frozen=True, slots=True)
class IrtFit:
    """The fitted 3PL parameters against the observed answers (see the module doc)."""

    a: float
    b: float
    c: float
    answers: int
    mean_theta: float
    observed: float
    expected: float
    z: float | None
    observed_b: float | None


@dataclass(frozen=True, slots=True)
class ItemReport:
    """One item's statistics. ``learners`` saw it; ``exposure`` is their share of the class."""

    item_id: str
    skill_ids: tuple[str, ...]
    answers: int
    learners: int
    exposure: float
    difficulty_first: float
    difficulty_all: float
    discrimination: float | None
    discrimination_n: int
    median_ms: float | None
    too_fast_share: float
    fit: IrtFit | None
    flags: tuple[ItemFlag, ...]


def rest_score_pairs(
    skills_of: Mapping[str, tuple[str, ...]], firsts: Mapping[str, Mapping[str, float]]
) -> dict[str, tuple[list[float], list[float]]]:
    """Per item, the (first score, rest score) pairs of its learners, learners in id order.

    ``firsts`` maps each learner to their first score per item. O(items answered) per
    learner for single-skill items; a multi-skill item unions its skills' items.
    """
    pairs: dict[str, tuple[list[float], list[float]]] = {}
    for learner_id in sorted(firsts):
        scores = firsts[learner_id]
        by_skill: dict[str, list[str]] = {}
        for item_id in scores:
            for s in skills_of[item_id]:
                by_skill.setdefault(s, []).append(item_id)
        sums = {s: math.fsum(scores[i] for i in its) for s, its in by_skill.items()}
        for item_id, x in scores.items():
            skills = skills_of[item_id]
            if len(skills) == 1:
                rest, k = sums[skills[0]] - x, len(by_skill[skills[0]]) - 1
            else:
                others = {j for s in skills for j in by_skill[s]} - {item_id}
                rest, k = math.fsum(scores[j] for j in others), len(others)
            if k:
                xs, ys = pairs.setdefault(item_id, ([], []))
                xs.append(x)
                ys.append(rest / k)
    return pairs


def irt_fit(theta_bins: list[int], right: int, params: IrtParams) -> IrtFit | None:
    """Observed against expected under the 3PL (see the module doc); None with no answers."""
    n = sum(theta_bins)
    if n == 0:
        return None
    ps = [irt.p_correct(t, params) for t in irt.GRID]
    expected = math.fsum(c * p for c, p in zip(theta_bins, ps, strict=True))
    variance = math.fsum(c * p * (1.0 - p) for c, p in zip(theta_bins, ps, strict=True))
    mean_theta = math.fsum(c * t for c, t in zip(theta_bins, irt.GRID, strict=True)) / n
    observed = right / n
    q = (observed - params.c) / (1.0 - params.c)
    return IrtFit(
        a=params.a,
        b=params.b,
        c=params.c,
        answers=n,
        mean_theta=mean_theta,
        observed=observed,
        expected=expected / n,
        z=(right - expected) / math.sqrt(variance) if variance > 0.0 else None,
        observed_b=mean_theta - logit(q) / params.a if 0.0 < q < 1.0 else None,
    )


def _flags(
    counts: ItemCounts, r: float | None, r_n: int, fit: IrtFit | None, settings: ItemSettings
) -> tuple[ItemFlag, ...]:
    enough = settings.min_answers
    flags: list[ItemFlag] = []
    if r is not None and r < 0.0 and r_n >= enough:
        flags.append(ItemFlag.NEGATIVE_DISCRIMINATION)
    if counts.first >= enough and counts.first_right == counts.first:
        flags.append(ItemFlag.EVERYONE_RIGHT)
    if counts.first >= enough and counts.first_right == 0:
        flags.append(ItemFlag.EVERYONE_WRONG)
    if counts.answers >= enough and counts.fast >= settings.too_fast_share * counts.answers:
        flags.append(ItemFlag.TOO_FAST)
    if fit is not None and fit.answers >= enough and abs(fit.z or 0.0) > settings.misfit_z:
        flags.append(ItemFlag.MISFIT)
    return tuple(flags)


def item_reports(
    items: Mapping[str, ItemCounts],
    firsts: Mapping[str, Mapping[str, float]],
    course: Course | None,
    class_size: int,
    settings: ItemSettings,
) -> tuple[ItemReport, ...]:
    """The report of every item, by item id."""
    pairs = rest_score_pairs({i: c.skill_ids for i, c in items.items()}, firsts)
    reports = []
    for item_id in sorted(items):
        counts = items[item_id]
        xs, ys = pairs.get(item_id, ([], []))
        r = pearson(xs, ys)
        known = course.items.get(item_id) if course is not None else None
        fit = irt_fit(counts.theta_bins, counts.theta_right, known.irt) if known else None
        reports.append(
            ItemReport(
                item_id=item_id,
                skill_ids=counts.skill_ids,
                answers=counts.answers,
                learners=counts.first,
                exposure=counts.first / class_size if class_size else 0.0,
                difficulty_first=counts.first_right / counts.first,
                difficulty_all=counts.right / counts.answers,
                discrimination=r,
                discrimination_n=len(xs),
                median_ms=median_ms(counts.time_bins),
                too_fast_share=counts.fast / counts.answers,
                fit=fit,
                flags=_flags(counts, r, len(xs), fit, settings),
            )
        )
    return tuple(reports)
