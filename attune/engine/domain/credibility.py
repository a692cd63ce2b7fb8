"""Credibility: answers much faster than an item's typical time count for less.

A response is *too fast* when its time is under ``floor_ms`` (default 2 s), or under
``fraction`` (default 10 %) of the item's median time once that median rests on at least
``min_observations`` answers. A too-fast response is applied with weight ``weight``: the BKT
update becomes ``w * step(p) + (1 - w) * p`` (posterior and prior blended), the IRT likelihood
is raised to the power ``w``, and it neither counts as an attempt nor moves the streak.
A time of 0 means "unknown" and is fully credible.
"""

from __future__ import annotations

from dataclasses import dataclass

from attune.engine.domain.errors import InvalidInputError


@dataclass(frozen=True, slots=True)
class CredibilityPolicy:
    """When a response is too fast, and how much it then counts."""

    floor_ms: int = 2000
    fraction: float = 0.10
    min_observations: int = 20
    weight: float = 0.2

    def validate(self, field: str = "credibility") -> None:
        """Raise :class:`InvalidInputError` naming the first bad value."""
        if self.floor_ms < 0:
            raise InvalidInputError(f"{field}.floor_ms", "must be >= 0")
        if not 0.0 <= self.fraction <= 1.0:
            raise InvalidInputError(f"{field}.fraction", "must be in [0, 1]")
        if not 0.0 <= self.weight <= 1.0:
            raise InvalidInputError(f"{field}.weight", "must be in [0, 1]")


def credibility(
    response_time_ms: int, median_ms: float | None, observations: int, policy: CredibilityPolicy
) -> float:
    """The weight of a response: 1.0 for a credible one, ``policy.weight`` for a too-fast one."""
    if response_time_ms <= 0:
        return 1.0
    if response_time_ms < policy.floor_ms:
        return policy.weight
    if (
        median_ms is not None
        and observations >= policy.min_observations
        and response_time_ms < policy.fraction * median_ms
    ):
        return policy.weight
    return 1.0
