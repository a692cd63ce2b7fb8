"""Learner-adapted mastery: BKT with a latent learner type (issue 15).

A course's BKT parameters describe the average learner. Real learners differ: some guess
more, some slip less, some learn faster (Yudelson, Koedinger and Gordon, "Individualized
Bayesian Knowledge Tracing Models", AIED 2013, find per-student learning rates matter most;
Pardos and Heffernan, UMAP 2010, individualise the prior). A learner who guesses more than the
model assumes looks mastered too early; that is premature mastery.

Here each learner has a hidden *type*: logit offsets ``(d_learn, d_guess, d_slip)`` shared by
all the learner's skills. The prior over types is a normal with SD ``sd`` on each offset,
discretised by three-point Gauss-Hermite quadrature (offsets ``0, ±sqrt(3)·sd`` with weights
``2/3, 1/6, 1/6``), so 27 types. Given the type, skills are independent BKT models, so exact
Bayesian inference is cheap:

- per skill, one BKT belief per type (:attr:`SkillState.p_types`), stepped with that type's
  parameters;
- per learner, the log-likelihood of every credible answer so far under each type
  (:attr:`LearnerState.type_loglik`), from the type's own predicted correctness;
- the adapted P(L) of a skill is the posterior mixture ``sum_k w_k p_k``, where ``w_k`` is
  proportional to the type's prior weight times its likelihood.

The work per response is 27 BKT steps per tagged skill: O(1) in the learner's history. The
plain BKT belief (``SkillState.p_known``) is stepped exactly as before, so it stays equal to
pyBKT; the adapted belief only decides mastery where the course's mastery policy asks for it
(``individual_sd > 0``).

Anything that rewrites ``p_known`` without evidence (an intervention, the diagnostic's
re-basing) clears ``p_types``; they restart from the current ``p_known`` for every type at
the next answer (:func:`beliefs`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from attune.engine.domain import bkt

_NODES = ((-math.sqrt(3.0), 1.0 / 6.0), (0.0, 2.0 / 3.0), (math.sqrt(3.0), 1.0 / 6.0))
N_TYPES = len(_NODES) ** 3  # learn x guess x slip
_CACHED = 1024  # the caches below are keyed by course values: bounded, like engine/domain/lru.py
_EPS = 1e-6
_MAX_GUESS_PLUS_SLIP = 0.95  # keeps every type identifiable (a right answer is evidence for)


@dataclass(frozen=True, slots=True)
class LearnerType:
    """Logit offsets of one learner type and the log of its prior weight."""

    d_learn: float
    d_guess: float
    d_slip: float
    log_weight: float


@lru_cache(maxsize=_CACHED)
def learner_types(sd: float) -> tuple[LearnerType, ...]:
    """The 27 quadrature types of a normal prior with SD ``sd`` on each logit offset."""
    return tuple(
        LearnerType(zl * sd, zg * sd, zs * sd, math.log(wl * wg * ws))
        for zl, wl in _NODES
        for zg, wg in _NODES
        for zs, ws in _NODES
    )


def _logit(p: float) -> float:
    p = min(max(p, _EPS), 1.0 - _EPS)
    return math.log(p / (1.0 - p))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@lru_cache(maxsize=_CACHED)
def type_params(params: bkt.BktParams, sd: float) -> tuple[bkt.BktParams, ...]:
    """The skill's BKT parameters as each type of :func:`learner_types` has them."""
    out = []
    for t in learner_types(sd):
        learn = _sigmoid(_logit(params.learn) + t.d_learn) if params.learn > 0.0 else 0.0
        guess = _sigmoid(_logit(params.guess) + t.d_guess)
        slip = _sigmoid(_logit(params.slip) + t.d_slip)
        if guess + slip > _MAX_GUESS_PLUS_SLIP:
            scale = _MAX_GUESS_PLUS_SLIP / (guess + slip)
            guess, slip = guess * scale, slip * scale
        out.append(
            bkt.BktParams(
                prior=params.prior, learn=learn, guess=guess, slip=slip, forget=params.forget
            )
        )
    return tuple(out)


def beliefs(p_types: tuple[float, ...], p_known: float) -> tuple[float, ...]:
    """Per-type beliefs of a skill: the stored ones, or every type at ``p_known``."""
    return p_types if len(p_types) == N_TYPES else (p_known,) * N_TYPES


def loglik(type_loglik: tuple[float, ...]) -> tuple[float, ...]:
    """The learner's per-type log-likelihood so far (zeros before any evidence)."""
    return type_loglik if len(type_loglik) == N_TYPES else (0.0,) * N_TYPES


def observe(
    p_types: tuple[float, ...],
    type_loglik: tuple[float, ...],
    params: bkt.BktParams,
    sd: float,
    score: float,
    weight: float,
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """One answer on one skill: each type's likelihood of it, then each type's BKT step.

    ``weight`` scales the evidence (the credibility weight and, for an item tagged with
    several skills, a share of the answer), as the engine blends a too-fast answer.
    """
    new_p: list[float] = []
    new_ll: list[float] = []
    for p, ll, tp in zip(p_types, type_loglik, type_params(params, sd), strict=True):
        pc = min(max(bkt.p_correct(p, tp), _EPS), 1.0 - _EPS)
        new_ll.append(ll + weight * (score * math.log(pc) + (1.0 - score) * math.log(1.0 - pc)))
        stepped = bkt.step(p, score, tp)
        new_p.append(stepped if weight >= 1.0 else weight * stepped + (1.0 - weight) * p)
    return tuple(new_p), tuple(new_ll)


def posterior_weights(type_loglik: Sequence[float], sd: float) -> tuple[float, ...]:
    """The posterior over learner types given the learner's answers so far."""
    logs = [t.log_weight + ll for t, ll in zip(learner_types(sd), type_loglik, strict=True)]
    top = max(logs)
    raw = [math.exp(v - top) for v in logs]
    total = sum(raw)
    return tuple(r / total for r in raw)


def adapted_p_known(p_types: Sequence[float], weights: Sequence[float]) -> float:
    """The skill's P(L) averaged over the learner-type posterior."""
    return sum(w * p for w, p in zip(weights, p_types, strict=True))
