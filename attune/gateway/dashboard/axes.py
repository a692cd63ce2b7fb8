"""Axis ticks and the plot frame shared by the histogram and the bar chart."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Frame:
    """The plot area inside a chart of ``width`` x ``height``, in px."""

    left: float
    top: float
    right: float
    bottom: float

    @property
    def plot_width(self) -> float:
        return self.right - self.left

    @property
    def plot_height(self) -> float:
        return self.bottom - self.top


def nice_ticks(low: float, high: float, count: int = 5, *, whole: bool = False) -> list[float]:
    """About ``count`` round ticks (steps of 1, 2 or 5 x 10^k) covering [low, high]; with
    ``whole``, steps of at least 1 (an axis of counts).

    The usual "nice numbers" rule for axis labels (Heckbert, "Nice numbers for graph labels",
    Graphics Gems, 1990): the step is the first of 1, 2, 5, 10 times a power of ten at least
    (high - low) / count, and the ends are rounded outwards to a multiple of it."""
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"axis bounds must be finite: {low!r}, {high!r}")
    if high < low:
        low, high = high, low
    if high == low:
        high = low + 1
    raw = (high - low) / max(1, count)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(f * power for f in (1, 2, 5, 10) if f * power >= raw * (1 - 1e-9))
    if whole:
        step = max(step, 1.0)
    first = math.floor(low / step + 1e-9)
    last = math.ceil(high / step - 1e-9)
    # Rounded to 12 significant digits: 0.1 * 3 is 0.30000000000000004 otherwise.
    return [float(f"{k * step:.12g}") for k in range(first, last + 1)]


def scale(value: float, low: float, high: float, start: float, end: float) -> float:
    """``value`` mapped linearly from [low, high] to [start, end]."""
    return start + (value - low) / (high - low) * (end - start) if high != low else start
