"""Bayesian Knowledge Tracing: the forward filter, exactly as pyBKT 1.4.3 computes it.

A skill is a two-state hidden Markov model: unknown (0) or known (1).

- Emission: P(correct | known) = 1 - slip, P(correct | unknown) = guess.
- Transition (pyBKT's ``As`` matrix, columns are the *from* state)::

      [[1 - learn, forget    ],
       [learn,     1 - forget]]

pyBKT's ``predict`` reports, for the t-th response of a sequence:

- ``state_predictions[t]`` = P(L_t | obs_0..t-1): mastery *before* seeing response t;
- ``correct_predictions[t]`` = guess * (1 - P(L_t)) + (1 - slip) * P(L_t).

Its forward message is the normalised vector ``[P(unknown) * e0, P(known) * e1]`` and the
next prediction is ``As @ alpha``. :func:`step` performs exactly those operations in the same
order, which keeps us within a few ulps of pyBKT (the tests hold us to 1e-9).
"""

from __future__ import annotations

from dataclasses import dataclass

from attune.engine.domain.errors import InvalidInputError


@dataclass(frozen=True, slots=True)
class BktParams:
    """Per-skill BKT parameters. ``forget`` is 0 in classic BKT."""

    prior: float = 0.2
    learn: float = 0.15
    guess: float = 0.2
    slip: float = 0.1
    forget: float = 0.0

    def validate(self, field: str = "bkt") -> None:
        """Raise :class:`InvalidInputError` unless every value is a probability and the
        model is identifiable (guess + slip < 1, otherwise a correct answer is evidence
        *against* mastery)."""
        for name in ("prior", "learn", "guess", "slip", "forget"):
            value = getattr(self, name)
            if not (0.0 <= value <= 1.0) or value != value:
                raise InvalidInputError(f"{field}.{name}", f"must be in [0, 1], got {value}")
        if self.guess + self.slip >= 1.0:
            raise InvalidInputError(
                f"{field}.guess",
                f"guess + slip must be < 1, got {self.guess} + {self.slip}",
            )


def p_correct(p_known: float, params: BktParams) -> float:
    """Predicted probability that the next attempt is correct (pyBKT's correct_predictions)."""
    return params.guess * (1.0 - p_known) + (1.0 - params.slip) * p_known


def posterior(p_known: float, score: float, params: BktParams) -> float:
    """P(L | evidence) before the learning transition.

    ``score`` 1.0 is a correct answer and 0.0 a wrong one: these two cases are the exact
    pyBKT forward message. A fractional score (partial credit) is treated as soft evidence:
    the posterior is the score-weighted mixture of the two hard posteriors.
    """
    if score >= 1.0:
        return _normalised(p_known, params.guess, 1.0 - params.slip)
    if score <= 0.0:
        return _normalised(p_known, 1.0 - params.guess, params.slip)
    right = _normalised(p_known, params.guess, 1.0 - params.slip)
    wrong = _normalised(p_known, 1.0 - params.guess, params.slip)
    return score * right + (1.0 - score) * wrong


def transition(p_known: float, params: BktParams) -> float:
    """Apply the learning/forgetting transition: row 1 of ``As @ [1 - p, p]``."""
    return params.learn * (1.0 - p_known) + (1.0 - params.forget) * p_known


def step(p_known: float, score: float, params: BktParams) -> float:
    """One forward-filter step: evidence then transition. Returns P(L) for the next attempt."""
    return transition(posterior(p_known, score, params), params)


def _normalised(p_known: float, e_unknown: float, e_known: float) -> float:
    # Same arithmetic as pyBKT: alpha = [(1-p)*e0, p*e1] / sum(alpha).
    a0 = (1.0 - p_known) * e_unknown
    a1 = p_known * e_known
    norm = a0 + a1
    if norm <= 0.0:
        # Impossible evidence under the model (e.g. slip == 0 and a wrong answer from a
        # certain learner); keep the belief rather than divide by zero.
        return p_known
    return a1 / norm
