"""Confidence intervals for the experiment report: a mean (Student t), a ratio of two means
(delta method on the log), a proportion (Wilson) and a difference of two (Newcombe).

Pure functions over plain numbers; no numpy or scipy (the domain layer imports neither).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from attune.engine.domain.analytics.maths import Z95, difference_interval, wilson

# The 0.975 quantile of Student's t with 1..30 degrees of freedom (Abramowitz & Stegun 1964,
# Handbook of Mathematical Functions, table 26.10), to 6 decimals.
_T975 = (
    12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004,
    2.262157, 2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905,
    2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899,
    2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272,
)  # fmt: skip


def t975(df: int) -> float:
    """The two-sided 95 % quantile of Student's t with ``df`` >= 1 degrees of freedom: the
    table up to 30, then the Cornish-Fisher expansion in 1/df about the normal quantile
    (A&S 26.7.5, four terms; error below 1e-6 from df = 31)."""
    if df < 1:
        raise ValueError("t needs at least one degree of freedom")
    if df <= len(_T975):
        return _T975[df - 1]
    z = Z95
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


@dataclass(frozen=True, slots=True)
class MeanInterval:
    """A sample mean and its 95 % t interval (``mean`` None without values; ``low`` and
    ``high`` None with fewer than two). ``sd`` is the sample standard deviation."""

    count: int
    mean: float | None
    low: float | None
    high: float | None
    sd: float | None = None


def mean_interval(values: Sequence[float]) -> MeanInterval:
    """mean ± t(0.975, n-1) · s / √n."""
    n = len(values)
    if n == 0:
        return MeanInterval(0, None, None, None)
    mean = math.fsum(values) / n
    if n < 2:
        return MeanInterval(1, mean, None, None)
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    half = t975(n - 1) * sd / math.sqrt(n)
    return MeanInterval(n, mean, mean - half, mean + half, sd)


@dataclass(frozen=True, slots=True)
class Estimate:
    """A point estimate and its 95 % interval."""

    estimate: float
    low: float
    high: float


def relative_change(arm: MeanInterval, baseline: MeanInterval) -> Estimate | None:
    """mean(arm) / mean(baseline) - 1, with the delta-method interval of the log of the
    ratio of two independent means, exponentiated (Casella & Berger 2002, §5.5.4)::

        se(log r)² = s_a² / (n_a m_a²) + s_b² / (n_b m_b²)

    None unless each side has two values or more and a positive mean.
    """
    if arm.sd is None or baseline.sd is None or arm.mean is None or baseline.mean is None:
        return None
    if arm.mean <= 0.0 or baseline.mean <= 0.0:
        return None
    log_ratio = math.log(arm.mean / baseline.mean)
    se = math.sqrt(
        arm.sd**2 / (arm.count * arm.mean**2) + baseline.sd**2 / (baseline.count * baseline.mean**2)
    )
    return Estimate(
        math.exp(log_ratio) - 1.0,
        math.exp(log_ratio - Z95 * se) - 1.0,
        math.exp(log_ratio + Z95 * se) - 1.0,
    )


@dataclass(frozen=True, slots=True)
class ShareInterval:
    """``successes`` of ``total``, the share (None when total is 0) and its Wilson interval."""

    successes: int
    total: int
    share: float | None
    low: float
    high: float


def share_interval(successes: int, total: int) -> ShareInterval:
    """A proportion with its Wilson 95 % score interval (maths.wilson)."""
    low, high = wilson(successes, total)
    return ShareInterval(successes, total, successes / total if total else None, low, high)


def share_difference(arm: ShareInterval, baseline: ShareInterval) -> Estimate:
    """arm - baseline, with Newcombe's hybrid score interval (maths.difference_interval)."""
    d, low, high = difference_interval(arm.successes, arm.total, baseline.successes, baseline.total)
    return Estimate(d, low, high)
