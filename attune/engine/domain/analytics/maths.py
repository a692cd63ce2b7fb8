"""The small statistics the reports need, written out with their sources.

Pure functions over plain numbers; no numpy (the domain layer imports none).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Z95 = 1.959963984540054
"""The two-sided 95 % normal quantile."""


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for a binomial proportion (Wilson 1927, JASA 22:209; method 3
    of Newcombe 1998, Stat Med 17:857), without continuity correction::

        centre = (p + z²/2n) / (1 + z²/n)
        half   = z / (1 + z²/n) * sqrt(p(1 - p)/n + z²/4n²)

    Unlike the Wald interval it stays inside [0, 1] and keeps its coverage near 0 and 1 and
    at small n. ``(0, 1)`` when n is 0.
    """
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1.0 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def difference_interval(
    s1: int, n1: int, s2: int, n2: int, z: float = Z95
) -> tuple[float, float, float]:
    """(p1 - p2, low, high): Newcombe's hybrid score interval for a difference of two
    independent proportions (Newcombe 1998, Stat Med 17:873, method 10), built from the
    Wilson limits (l, u) of each::

        low  = d - sqrt((p1 - l1)² + (u2 - p2)²)
        high = d + sqrt((u1 - p1)² + (p2 - l2)²)

    It is well behaved at 0 and 1 and with unequal groups, where the Wald interval is not.
    """
    p1 = s1 / n1 if n1 else 0.0
    p2 = s2 / n2 if n2 else 0.0
    l1, u1 = wilson(s1, n1, z)
    l2, u2 = wilson(s2, n2, z)
    d = p1 - p2
    return d, d - math.hypot(p1 - l1, u2 - p2), d + math.hypot(u1 - p1, p2 - l2)


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's product-moment correlation, or None with fewer than two pairs or a constant
    variable. With a 0/1 ``xs`` it is the point-biserial correlation
    r_pb = (M1 - M0) / s_y * sqrt(p q) (Crocker & Algina 1986, Introduction to Classical and
    Modern Test Theory, §14.3)."""
    n = len(xs)
    if n < 2:
        return None
    mx = math.fsum(xs) / n
    my = math.fsum(ys) / n
    sxy = math.fsum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = math.fsum((x - mx) ** 2 for x in xs)
    syy = math.fsum((y - my) ** 2 for y in ys)
    if sxx <= 0.0 or syy <= 0.0:
        return None
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100), interpolated between closest ranks: type 7 of
    Hyndman & Fan (1996, Am Stat 50:361), the default of R and numpy. Needs a value."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float | None:
    """The median (the mean of the middle two for an even count), or None with no values."""
    return percentile(values, 50.0) if values else None


def logit(p: float) -> float:
    """log(p / (1 - p)) for p in (0, 1)."""
    return math.log(p / (1.0 - p))
