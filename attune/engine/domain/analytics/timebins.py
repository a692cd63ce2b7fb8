"""Response times in log-spaced bins, as engine/domain/item_stats.py keeps them.

The same bins (100 ms * 1.25^k, 40 bins, the last one open up to about 7.5 minutes and
beyond): counts are integers, so they merge and subtract exactly, and the median read off
them (the geometric middle of its bin, within ±12 % of the true one) agrees with the
engine's own median of the item.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

BASE_MS, RATIO, BINS = 100.0, 1.25, 40


def time_bin(ms: float) -> int:
    """The bin of a response time in ms (times up to 100 ms share the first bin)."""
    if ms <= BASE_MS:
        return 0
    return min(BINS - 1, int(math.log(ms / BASE_MS, RATIO)))


def median_ms(counts: Sequence[int]) -> float | None:
    """The median time of binned counts (the geometric middle of the median's bin), or None
    with no timings."""
    total = sum(counts)
    if total == 0:
        return None
    half, seen = total / 2.0, 0
    for k, n in enumerate(counts):
        seen += n
        if seen >= half:
            return float(BASE_MS * RATIO ** (k + 0.5))
    return None  # pragma: no cover - the counts add up to ``total``
