"""The integer counters of one item (see items.py), shared by the accumulator and the report."""

from __future__ import annotations

from dataclasses import dataclass, field

from attune.engine.domain import irt
from attune.engine.domain.analytics.timebins import BINS


def _zeros_time() -> list[int]:
    return [0] * BINS


def _zeros_grid() -> list[int]:
    return [0] * len(irt.GRID)


@dataclass(slots=True)
class ItemCounts:
    """The counters of one item. ``time_bins``: credible timed answers per time bin;
    ``theta_bins``: credible answers per grid point of the learner's ability just before
    the answer (for the expected 3PL score), ``theta_right`` the right ones among them."""

    skill_ids: tuple[str, ...]
    answers: int = 0
    right: int = 0
    fast: int = 0
    first: int = 0
    first_right: int = 0
    time_bins: list[int] = field(default_factory=_zeros_time)
    theta_bins: list[int] = field(default_factory=_zeros_grid)
    theta_right: int = 0
