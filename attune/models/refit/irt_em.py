"""IRT item calibration by marginal maximum likelihood with EM (Bock and Aitkin, 1981) on the
engine's ability grid (engine/domain/irt.py: 41 points from -4 to 4, standard normal prior).

The model is the engine's 3PL, ``P = c + (1 - c) / (1 + exp(-a (theta - b)))``. An item
whose ``c`` is 0 stays 2PL (``c`` is not estimated); an item with a lower asymptote keeps
one and has it re-estimated. The ability scale is the engine's: a standard normal
population on the grid, and the items that are not calibrated stay where they are.

- E-step: each learner's posterior over the grid given all their responses and the current
  item parameters; the expected responses ``n_jk`` and expected correct ``r_jk`` per item
  and grid point.
- M-step: per item, a few steps of Fisher scoring on ``(log a, b, logit c)`` of the
  expected complete-data log-likelihood plus the log priors, with step halving, so each
  step increases the objective. The priors keep small samples from exploding:
  ``log a ~ N(0, 0.5)`` (BILOG's lognormal), ``b ~ N(0, 2)``, ``logit c ~ N(logit c_old,
  0.5)``; and the parameters are bounded (``a`` in [0.1, 6], ``b`` in [-5, 5], ``c`` at most
  0.5).

Scores are the engine's: a fractional score is a fractional Bernoulli outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from attune.engine.domain.irt import GRID, PRIOR

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

THETA: Array = np.asarray(GRID, dtype=np.float64)
LOG_PRIOR: Array = np.log(np.asarray(PRIOR, dtype=np.float64))
CLAMP = 1e-12  # as the engine clamps P on its grid
LOG_A_SD = 0.5
B_SD = 2.0
LOGIT_C_SD = 0.5
A_BOUNDS = (0.1, 6.0)
B_BOUNDS = (-5.0, 5.0)
C_BOUNDS = (1e-4, 0.5)


@dataclass(frozen=True)
class Responses:
    """Responses as arrays: learner index, item index and score of each."""

    learner: IntArray
    item: IntArray
    score: Array
    learners: int
    items: int


@dataclass(frozen=True)
class ItemParams:
    """Parameters of every item, as arrays."""

    a: Array
    b: Array
    c: Array

    def copy(self) -> ItemParams:
        """An independent copy."""
        return ItemParams(self.a.copy(), self.b.copy(), self.c.copy())


@dataclass(frozen=True)
class Calibration:
    """The calibrated parameters, the EM iterations it took and whether it converged."""

    params: ItemParams
    iterations: int
    converged: bool
    loglik: float  # marginal log-likelihood of the fit responses at the end


def grid_p(params: ItemParams) -> Array:
    """P(correct) of every item at every grid point (items x grid), clamped."""
    z = params.a[:, None] * (THETA[None, :] - params.b[:, None])
    p = params.c[:, None] + (1.0 - params.c[:, None]) / (1.0 + np.exp(-z))
    clipped: Array = np.clip(p, CLAMP, 1.0 - CLAMP)
    return clipped


def response_loglik(data: Responses, p: Array) -> Array:
    """The log-likelihood of each response at each grid point (responses x grid)."""
    s = data.score[:, None]
    ll: Array = s * np.log(p[data.item]) + (1.0 - s) * np.log(1.0 - p[data.item])
    return ll


def group_sum(values: Array, groups: IntArray, size: int) -> Array:
    """Rows of ``values`` summed by group (``size`` groups; an absent group sums to 0)."""
    out = np.zeros((size, values.shape[1]))
    np.add.at(out, groups, values)
    return out


def posterior(log_weights: Array) -> Array:
    """Normalised posterior rows from unnormalised log weights (learners x grid)."""
    shifted = log_weights - log_weights.max(axis=1, keepdims=True)
    w = np.exp(shifted)
    normalised: Array = w / w.sum(axis=1, keepdims=True)
    return normalised


def marginal_loglik(data: Responses, params: ItemParams) -> float:
    """The marginal log-likelihood of all responses, ability integrated over the grid."""
    per_learner = group_sum(response_loglik(data, grid_p(params)), data.learner, data.learners)
    logw = per_learner + LOG_PRIOR[None, :]
    top = logw.max(axis=1)
    return float(np.sum(top + np.log(np.exp(logw - top[:, None]).sum(axis=1))))


def calibrate(
    data: Responses,
    start: ItemParams,
    estimate: npt.NDArray[np.bool_],
    *,
    max_iterations: int = 200,
    tolerance: float = 1e-4,
) -> Calibration:
    """Calibrate the items where ``estimate`` holds; the others keep ``start``'s values."""
    params = start.copy()
    three_pl = estimate & (start.c > 0.0)
    c_centre = _logit(np.clip(start.c, *C_BOUNDS))
    iterations = 0
    converged = False
    for iterations in range(1, max_iterations + 1):  # noqa: B007 - reported after the loop
        n_jk, r_jk = _expected_counts(data, params)
        before = _psi(params)
        _m_step(params, n_jk, r_jk, estimate, three_pl, c_centre)
        change = np.abs(_psi(params) - before)[estimate]
        if change.size == 0 or float(change.max()) < tolerance:
            converged = True
            break
    return Calibration(params, iterations, converged, marginal_loglik(data, params))


def _expected_counts(data: Responses, params: ItemParams) -> tuple[Array, Array]:
    ll = response_loglik(data, grid_p(params))
    per_learner = group_sum(ll, data.learner, data.learners)
    w = posterior(per_learner + LOG_PRIOR[None, :])[data.learner]  # responses x grid
    n_jk = group_sum(w, data.item, data.items)
    r_jk = group_sum(w * data.score[:, None], data.item, data.items)
    return n_jk, r_jk


def _psi(params: ItemParams) -> Array:
    return np.stack([np.log(params.a), params.b, _logit(np.clip(params.c, *C_BOUNDS))], axis=1)


def _logit(x: Array) -> Array:
    return np.log(x / (1.0 - x))


def _objective(
    psi: Array, n_jk: Array, r_jk: Array, three_pl: npt.NDArray[np.bool_], c_centre: Array
) -> Array:
    a, b = np.exp(psi[:, 0]), psi[:, 1]
    c = np.where(three_pl, 1.0 / (1.0 + np.exp(-psi[:, 2])), 0.0)
    p = grid_p(ItemParams(a, b, c))
    ll = (r_jk * np.log(p) + (n_jk - r_jk) * np.log(1.0 - p)).sum(axis=1)
    prior = -0.5 * (psi[:, 0] / LOG_A_SD) ** 2 - 0.5 * (b / B_SD) ** 2
    prior = prior - np.where(three_pl, 0.5 * ((psi[:, 2] - c_centre) / LOGIT_C_SD) ** 2, 0.0)
    result: Array = ll + prior
    return result


def _m_step(
    params: ItemParams,
    n_jk: Array,
    r_jk: Array,
    estimate: npt.NDArray[np.bool_],
    three_pl: npt.NDArray[np.bool_],
    c_centre: Array,
    steps: int = 4,
) -> None:
    """Fisher-scoring steps on the estimated items, updating ``params`` in place."""
    psi = _psi(params)
    free = np.stack([estimate, estimate, three_pl], axis=1)  # which coordinates move
    for _ in range(steps):
        a, b = np.exp(psi[:, 0]), psi[:, 1]
        c = np.where(three_pl, 1.0 / (1.0 + np.exp(-psi[:, 2])), 0.0)
        p = grid_p(ItemParams(a, b, c))
        sig = np.clip((p - c[:, None]) / (1.0 - c[:, None]), CLAMP, 1.0 - CLAMP)
        core = (1.0 - c[:, None]) * sig * (1.0 - sig)
        dp = np.stack(
            [
                core * a[:, None] * (THETA[None, :] - b[:, None]),  # d/d log a
                -core * a[:, None],  # d/db
                (1.0 - sig) * (c * (1.0 - c))[:, None],  # d/d logit c
            ],
            axis=2,
        )  # items x grid x 3
        resid = (r_jk - n_jk * p) / (p * (1.0 - p))  # d loglik / dP per grid point
        grad = np.einsum("jk,jkd->jd", resid, dp)
        info = np.einsum("jk,jkd,jke->jde", n_jk / (p * (1.0 - p)), dp, dp)
        grad[:, 0] -= psi[:, 0] / LOG_A_SD**2
        grad[:, 1] -= psi[:, 1] / B_SD**2
        grad[:, 2] -= (psi[:, 2] - c_centre) / LOGIT_C_SD**2
        info[:, 0, 0] += 1.0 / LOG_A_SD**2
        info[:, 1, 1] += 1.0 / B_SD**2
        info[:, 2, 2] += 1.0 / LOGIT_C_SD**2
        # Fixed coordinates: no gradient, and an identity block so the solve leaves them.
        grad = np.where(free, grad, 0.0)
        mask = free[:, :, None] & free[:, None, :]
        info = np.where(mask, info, 0.0) + np.where(~free, 1.0, 0.0)[:, :, None] * np.eye(3)
        delta = np.linalg.solve(info, grad[:, :, None])[:, :, 0]
        base = _objective(psi, n_jk, r_jk, three_pl, c_centre)
        scale = np.ones(len(psi))
        for _ in range(12):  # halve the step of each item until it does not go down
            trial = _clamp(psi + scale[:, None] * delta)
            worse = _objective(trial, n_jk, r_jk, three_pl, c_centre) < base - 1e-12
            if not worse.any():
                break
            scale = np.where(worse, scale / 2.0, scale)
        else:
            scale = np.where(worse, 0.0, scale)  # no step of this item improves: stay
        psi = np.where(estimate[:, None], _clamp(psi + scale[:, None] * delta), psi)
    params.a[:] = np.where(estimate, np.exp(psi[:, 0]), params.a)
    params.b[:] = np.where(estimate, psi[:, 1], params.b)
    params.c[:] = np.where(three_pl, 1.0 / (1.0 + np.exp(-psi[:, 2])), params.c)


def _clamp(psi: Array) -> Array:
    out = psi.copy()
    out[:, 0] = np.clip(out[:, 0], np.log(A_BOUNDS[0]), np.log(A_BOUNDS[1]))
    out[:, 1] = np.clip(out[:, 1], *B_BOUNDS)
    out[:, 2] = np.clip(out[:, 2], *_logit(np.asarray(C_BOUNDS)))
    return out
