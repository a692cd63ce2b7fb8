"""Seeded learners for checking and measuring a refit: answers from known parameters that
differ from the course's.

A skill listed in ``bkt_truth`` is answered the BKT way: a hidden known state starting at
``prior``, ``guess`` / ``slip`` emissions, ``learn`` after each attempt. Any other skill is
answered the IRT way: each learner has an ability drawn from a standard normal and each
answer is correct with the 3PL probability of the item's ``irt_truth`` (else the course's).
A learner answers ``attempts`` items of each of ``skills`` (all the course's by default),
cycling through the skill's items from a random one.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence

from attune.engine.domain.bkt import BktParams
from attune.engine.domain.course import Course, IrtParams
from attune.engine.domain.irt import p_correct as irt_p_correct
from attune.models.refit.data import Answer


def simulate_answers(
    course: Course,
    learners: int,
    *,
    bkt_truth: Mapping[str, BktParams],
    irt_truth: Mapping[str, IrtParams] | None = None,
    attempts: int = 8,
    skills: Sequence[str] | None = None,
    seed: int = 1,
    prefix: str = "sim",
) -> list[Answer]:
    """Answers of ``learners`` simulated learners, learner after learner."""
    rng = random.Random(seed)
    truth = dict(irt_truth or {})
    out: list[Answer] = []
    for n in range(learners):
        learner = f"{prefix}-{n}"
        theta = rng.gauss(0.0, 1.0)
        for skill in skills if skills is not None else list(course.skills):
            items = course.items_for(skill)
            start = rng.randrange(len(items))
            bkt = bkt_truth.get(skill)
            known = bkt is not None and rng.random() < bkt.prior
            for k in range(attempts):
                item = items[(start + k) % len(items)]
                if bkt is not None:
                    p = 1.0 - bkt.slip if known else bkt.guess
                else:
                    p = irt_p_correct(theta, truth.get(item.item_id, item.irt))
                score = 1.0 if rng.random() < p else 0.0
                out.append(Answer(learner, item.item_id, score))
                if bkt is not None and not known:
                    known = rng.random() < bkt.learn
    return out


def logit(p: float) -> float:
    """log(p / (1 - p))."""
    return math.log(p / (1.0 - p))
