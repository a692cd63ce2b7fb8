"""Item response theory: the 3PL model and EAP ability estimates on a quadrature grid.

P(correct | theta) = c + (1 - c) / (1 + exp(-a (theta - b))).

The learner's belief about theta is kept as normalised weights on a fixed grid (41 points,
-4 to 4, step 0.2), starting from a standard normal prior. Each response multiplies in its
likelihood, so an update costs O(grid) whatever the history length, and the EAP estimate and
its standard error (the posterior mean and standard deviation) are read off the weights.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from attune.engine.domain.course import IrtParams

GRID: tuple[float, ...] = tuple(-4.0 + 0.2 * i for i in range(41))


def _normal_prior() -> tuple[float, ...]:
    raw = [math.exp(-0.5 * t * t) for t in GRID]
    total = sum(raw)
    return tuple(w / total for w in raw)


PRIOR: tuple[float, ...] = _normal_prior()


def p_correct(theta: float, irt: IrtParams) -> float:
    """3PL probability of a correct answer."""
    return irt.c + (1.0 - irt.c) / (1.0 + math.exp(-irt.a * (theta - irt.b)))


def information(theta: float, irt: IrtParams) -> float:
    """Fisher information of the item at ``theta`` (3PL; reduces to a^2 P Q for 2PL)."""
    p = p_correct(theta, irt)
    if p <= 0.0 or p >= 1.0:
        return 0.0
    return irt.a**2 * ((p - irt.c) ** 2 / (1.0 - irt.c) ** 2) * ((1.0 - p) / p)


_P_MEMO: dict[tuple[float, float, float], tuple[float, ...]] = {}


def _grid_p(irt: IrtParams) -> tuple[float, ...]:
    # P(correct) at every grid point, clamped away from 0 and 1, memoised by (a, b, c).
    key = (irt.a, irt.b, irt.c)
    found = _P_MEMO.get(key)
    if found is None:
        found = _P_MEMO[key] = tuple(min(max(p_correct(t, irt), 1e-12), 1 - 1e-12) for t in GRID)
    return found


_INFO_MEMO: dict[tuple[float, float, float], tuple[float, ...]] = {}


def grid_information(irt: IrtParams) -> tuple[float, ...]:
    """Fisher information at every grid point, memoised by (a, b, c): items are few and
    fixed, and selection reads these many times per recommendation."""
    key = (irt.a, irt.b, irt.c)
    found = _INFO_MEMO.get(key)
    if found is None:
        found = _INFO_MEMO[key] = tuple(information(t, irt) for t in GRID)
    return found


def grid_index(theta: float) -> int:
    """The index of the grid point nearest ``theta``."""
    return min(len(GRID) - 1, max(0, round((theta - GRID[0]) / (GRID[1] - GRID[0]))))


def information_near(theta: float, irt: IrtParams) -> float:
    """Fisher information at the grid point nearest ``theta``."""
    return grid_information(irt)[grid_index(theta)]


def update(
    weights: Sequence[float], irt: IrtParams, score: float, credibility: float = 1.0
) -> tuple[float, ...]:
    """Posterior weights after one response. A fractional score is a fractional Bernoulli
    likelihood; ``credibility`` < 1 tempers the likelihood (a low-credibility answer counts
    for less)."""
    grid_p = _grid_p(irt)
    if credibility >= 1.0 and score in (0.0, 1.0):  # the common case: no powers needed
        if score:
            out = [w * p for w, p in zip(weights, grid_p, strict=True)]
        else:
            out = [w * (1.0 - p) for w, p in zip(weights, grid_p, strict=True)]
    else:
        out = [
            w * (p**score * (1.0 - p) ** (1.0 - score)) ** credibility
            for w, p in zip(weights, grid_p, strict=True)
        ]
    total = sum(out)
    if total <= 0.0:  # pragma: no cover - likelihoods are clamped away from 0
        return tuple(weights)
    return tuple(w / total for w in out)


def eap(weights: Sequence[float]) -> tuple[float, float]:
    """(theta, standard error): the posterior mean and standard deviation."""
    mean = sum(t * w for t, w in zip(GRID, weights, strict=True))
    var = sum((t - mean) ** 2 * w for t, w in zip(GRID, weights, strict=True))
    return mean, math.sqrt(max(var, 0.0))
