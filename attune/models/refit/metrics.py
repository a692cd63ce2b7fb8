"""Held-out metrics of probabilistic predictions: log-likelihood per response, AUC, RMSE."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

EPS = 1e-12  # predictions are clamped away from 0 and 1, as the engine's IRT grid is


@dataclass(frozen=True, slots=True)
class Metrics:
    """How well predictions matched ``n`` outcomes. ``loglik`` is the mean log-likelihood per
    response (nats, higher is better); ``auc`` is None when the outcomes are all alike."""

    n: int
    loglik: float
    auc: float | None
    rmse: float

    def to_json(self) -> dict[str, object]:
        """JSON-able, rounded for reading (comparisons use the exact values)."""
        return {
            "n": self.n,
            "loglik": round(self.loglik, 6),
            "auc": None if self.auc is None else round(self.auc, 6),
            "rmse": round(self.rmse, 6),
        }


def metrics(predicted: Sequence[float], observed: Sequence[float]) -> Metrics:
    """Metrics of ``predicted`` P(correct) against ``observed`` scores in [0, 1] (a fractional
    score counts as a fractional Bernoulli outcome; AUC reads a score >= 0.5 as correct)."""
    n = len(predicted)
    if n == 0:
        return Metrics(0, 0.0, None, 0.0)
    ll = sq = 0.0
    for p, y in zip(predicted, observed, strict=True):
        q = min(max(p, EPS), 1.0 - EPS)
        ll += y * math.log(q) + (1.0 - y) * math.log(1.0 - q)
        sq += (p - y) ** 2
    return Metrics(
        n, ll / n, auc(predicted, [1 if y >= 0.5 else 0 for y in observed]), math.sqrt(sq / n)
    )


def auc(predicted: Sequence[float], labels: Sequence[int]) -> float | None:
    """The area under the ROC curve (Mann-Whitney, ties counted half); None without both
    classes."""
    pos = sum(labels)
    neg = len(labels) - pos
    if pos == 0 or neg == 0:
        return None
    order = sorted(range(len(predicted)), key=lambda i: predicted[i])
    rank_sum = 0.0
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and predicted[order[j + 1]] == predicted[order[i]]:
            j += 1
        mid = (i + j) / 2.0 + 1.0  # average rank of the tie group, 1-based
        rank_sum += mid * sum(labels[order[k]] for k in range(i, j + 1))
        i = j + 1
    return (rank_sum - pos * (pos + 1) / 2.0) / (pos * neg)


def judge(before: Metrics, after: Metrics, min_holdout: int, margin: float) -> tuple[bool, str]:
    """The adoption rule, shared by BKT and IRT: adopt when there are at least
    ``min_holdout`` held-out responses and the new parameters' log-likelihood per response
    beats the old by more than ``margin``. Whether to adopt, and why."""
    if before.n < min_holdout:
        return False, f"{before.n} held-out responses < {min_holdout}: kept its parameters"
    gain = after.loglik - before.loglik
    change = f"held-out log-likelihood {before.loglik:.4f} -> {after.loglik:.4f} per response"
    if gain > margin:
        return True, f"{change} (+{gain:.4f} > margin {margin})"
    return False, f"{change} ({gain:+.4f}, not above margin {margin}): kept its parameters"
