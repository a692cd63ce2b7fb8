"""Distributions for the dashboard: counts in fixed, human-readable bins, and the median.

Fixed edges (not data-driven ones) keep two sections of a course, or two months, comparable
bin by bin, and let a teacher read the labels without arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from attune.engine.domain.analytics.maths import median

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0

ITEM_EDGES: tuple[float, ...] = (1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 50, 100)
"""Lower bounds of the bins of 'items answered until mastery'; the last bin is open."""

TIME_EDGES: tuple[float, ...] = (
    0.0,
    MINUTE,
    5 * MINUTE,
    15 * MINUTE,
    30 * MINUTE,
    HOUR,
    2 * HOUR,
    6 * HOUR,
    DAY,
    2 * DAY,
    7 * DAY,
    14 * DAY,
    30 * DAY,
)
"""Lower bounds (seconds) of the bins of 'time from first attempt to mastery'."""


@dataclass(frozen=True, slots=True)
class Bin:
    """Values in [low, high); ``high`` is None for the open last bin."""

    low: float
    high: float | None
    count: int
    label: str


@dataclass(frozen=True, slots=True)
class Distribution:
    """A histogram and the median of the raw values (None with none)."""

    bins: tuple[Bin, ...]
    median: float | None
    count: int


def _items_label(low: float, high: float | None) -> str:
    if high is None:
        return f"{low:g}+"
    return f"{low:g}" if high == low + 1 else f"{low:g} to {high - 1:g}"


def _duration(seconds: float) -> str:
    for unit, name in ((DAY, "d"), (HOUR, "h"), (MINUTE, "min")):
        if seconds >= unit:
            return f"{seconds / unit:g} {name}"
    return f"{seconds:g} s"


def _time_label(low: float, high: float | None) -> str:
    if high is None:
        return f"{_duration(low)}+"
    if low == 0.0:
        return f"< {_duration(high)}"
    return f"{_duration(low)} to {_duration(high)}"


def distribution(
    values: Sequence[float], edges: Sequence[float], label: Callable[[float, float | None], str]
) -> Distribution:
    """Count ``values`` into the bins starting at ``edges`` (ascending; values under the
    first edge go to the first bin)."""
    counts = [0] * len(edges)
    for v in values:
        k = len(edges) - 1
        while k > 0 and v < edges[k]:
            k -= 1
        counts[k] += 1
    bins = tuple(
        Bin(low, high, n, label(low, high))
        for low, high, n in zip(edges, [*edges[1:], None], counts, strict=True)
    )
    return Distribution(bins, median(values), len(values))


def items_distribution(values: Sequence[float]) -> Distribution:
    """Items answered, in :data:`ITEM_EDGES` bins."""
    return distribution(values, ITEM_EDGES, _items_label)


def time_distribution(values: Sequence[float]) -> Distribution:
    """Seconds, in :data:`TIME_EDGES` bins."""
    return distribution(values, TIME_EDGES, _time_label)
