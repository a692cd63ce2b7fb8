"""What every accumulator offers, and the two helpers they share."""

from __future__ import annotations

from collections.abc import Iterable, KeysView
from typing import Protocol, Self, TypeVar

from attune.engine.domain.analytics.observation import Observation


class Accumulator(Protocol):
    """A statistic kept incrementally: fold observations in, join shards, forget learners."""

    def add(self, obs: Observation) -> None:
        """Fold in one observation (a learner's observations in log order)."""
        ...

    def merge(self, other: Self) -> None:
        """Take in an accumulator of the same kind built over other learners."""
        ...

    def remove_learner(self, learner_id: str) -> None:
        """Forget every contribution of one learner."""
        ...


A = TypeVar("A", bound=Accumulator)


def fill(accumulator: A, observations: Iterable[Observation]) -> A:
    """``accumulator`` after adding ``observations`` in log order (sorted by ``log_id``;
    stable, so equal ids keep their order). Returns it for chaining."""
    for obs in sorted(observations, key=lambda o: o.log_id):
        accumulator.add(obs)
    return accumulator


def ensure_disjoint(mine: KeysView[str], theirs: KeysView[str]) -> None:
    """Refuse to merge shards that share a learner: a learner's history is sequential
    (first attempts, runs, mastery) and two halves of it cannot be spliced."""
    shared = mine & theirs
    if shared:
        raise ValueError(f"cannot merge: {len(shared)} learner(s) in both, e.g. {min(shared)!r}")
