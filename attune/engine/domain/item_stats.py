"""What the engine learns about each item online: its response times and learning gains.

Times go into a log-spaced histogram (mergeable, rebuildable from the event log, and good
enough for a median). Gains (the change in P(L) a response to the item caused) feed a
normal-normal model whose posterior Thompson sampling draws from.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

# Bin edges in ms: 100 ms * 1.25^k, 40 bins up to about 7.5 minutes.
_BASE_MS, _RATIO, BINS = 100.0, 1.25, 40

PRIOR_GAIN_MEAN = 0.05
PRIOR_GAIN_SD = 0.10
GAIN_NOISE_SD = 0.20


@dataclass(frozen=True, slots=True)
class ItemStats:
    """Online statistics of one item."""

    count: int = 0
    gain_sum: float = 0.0
    timed: int = 0
    time_bins: tuple[int, ...] = (0,) * BINS


def _bin(ms: float) -> int:
    if ms <= _BASE_MS:
        return 0
    return min(BINS - 1, int(math.log(ms / _BASE_MS, _RATIO)))


def observe(stats: ItemStats, gain: float, response_time_ms: int, timed: bool) -> ItemStats:
    """Fold one credible response into the item's statistics."""
    bins = stats.time_bins
    counted = stats.timed
    if timed and response_time_ms > 0:
        k = _bin(response_time_ms)
        bins = (*bins[:k], bins[k] + 1, *bins[k + 1 :])
        counted += 1
    return ItemStats(stats.count + 1, stats.gain_sum + gain, counted, bins)


def median_ms(stats: ItemStats) -> float | None:
    """The median response time (geometric middle of its bin), or None with no timings."""
    if stats.timed == 0:
        return None
    half, seen = stats.timed / 2.0, 0
    for k, n in enumerate(stats.time_bins):
        seen += n
        if seen >= half:
            return float(_BASE_MS * _RATIO ** (k + 0.5))
    return None  # pragma: no cover - the counts add up to ``timed``


def gain_posterior(stats: ItemStats) -> tuple[float, float]:
    """Posterior mean and sd of the item's mean gain (normal prior, known noise)."""
    precision = 1.0 / PRIOR_GAIN_SD**2 + stats.count / GAIN_NOISE_SD**2
    mean = (PRIOR_GAIN_MEAN / PRIOR_GAIN_SD**2 + stats.gain_sum / GAIN_NOISE_SD**2) / precision
    return mean, math.sqrt(1.0 / precision)


def sample_gain(stats: ItemStats, rng: random.Random) -> float:
    """One Thompson draw of the item's mean gain."""
    mean, sd = gain_posterior(stats)
    return rng.gauss(mean, sd)
