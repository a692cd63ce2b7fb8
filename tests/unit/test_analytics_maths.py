"""The statistics under the reports, against published values and hand computations."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attune.engine.domain.analytics.histogram import items_distribution, time_distribution
from attune.engine.domain.analytics.maths import (
    difference_interval,
    median,
    pearson,
    percentile,
    wilson,
)
from attune.engine.domain.analytics.timebins import median_ms, time_bin


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [  # Newcombe (1998), Stat Med 17:857, Table I, method 3 (Wilson, no correction)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0),
        (0, 1, 0.0, 0.7935),
    ],
)
def test_wilson_matches_newcombe(successes: int, n: int, low: float, high: float) -> None:
    got = wilson(successes, n)
    assert got == pytest.approx((low, high), abs=5e-5)


def test_wilson_by_hand_and_without_data() -> None:
    # 7 of 10: centre (0.7 + z²/20) / (1 + z²/10), half z/(1 + z²/10) sqrt(0.021 + z²/400)
    z2 = 1.959963984540054**2
    centre = (0.7 + z2 / 20) / (1 + z2 / 10)
    half = 1.959963984540054 / (1 + z2 / 10) * math.sqrt(0.021 + z2 / 400)
    assert wilson(7, 10) == pytest.approx((centre - half, centre + half), abs=1e-12)
    assert wilson(7, 10) == pytest.approx((0.3968, 0.8922), abs=5e-5)
    assert wilson(0, 0) == (0.0, 1.0)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [  # Newcombe (1998), Stat Med 17:873, Table II, method 10 (hybrid score)
        ((56, 70, 48, 80), (0.2, 0.0524, 0.3339)),
        ((9, 10, 3, 10), (0.6, 0.1705, 0.8090)),
        ((5, 56, 0, 29), (0.0893, -0.0381, 0.1926)),
        ((0, 10, 0, 20), (0.0, -0.1611, 0.2775)),
        ((0, 10, 0, 10), (0.0, -0.2775, 0.2775)),
        ((10, 10, 0, 20), (1.0, 0.6791, 1.0)),
    ],
)
def test_difference_interval_matches_newcombe(
    counts: tuple[int, int, int, int], expected: tuple[float, float, float]
) -> None:
    assert difference_interval(*counts) == pytest.approx(expected, abs=5e-5)


@given(
    st.integers(0, 60).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.integers(0, 60).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
)
def test_intervals_contain_their_estimate(a: tuple[int, int], b: tuple[int, int]) -> None:
    low, high = wilson(*a)
    assert 0.0 <= low <= high <= 1.0
    if a[1]:
        assert low - 1e-12 <= a[0] / a[1] <= high + 1e-12
    d, dl, dh = difference_interval(*a, *b)
    assert -1.0 - 1e-12 <= dl <= d <= dh <= 1.0 + 1e-12


def test_pearson_is_the_point_biserial_correlation() -> None:
    xs, ys = [1.0, 1.0, 0.0, 0.0], [1.0, 0.5, 0.5, 0.0]
    # r_pb = (M1 - M0) / s_y * sqrt(p q): M1 = 0.75, M0 = 0.25, s_y = sqrt(0.125), p = q = 0.5
    assert pearson(xs, ys) == pytest.approx((0.75 - 0.25) / math.sqrt(0.125) * 0.5)
    assert pearson(xs, ys) == pytest.approx(1 / math.sqrt(2))
    assert pearson([0.0, 1.0, 2.0], [2.0, 1.0, 0.0]) == pytest.approx(-1.0)
    assert pearson([1.0, 1.0, 1.0], [0.0, 1.0, 2.0]) is None  # constant: undefined
    assert pearson([1.0], [1.0]) is None


def test_percentile_interpolates_between_ranks() -> None:
    values = [0.3, 0.0, 0.2, 0.25, 0.1]  # sorted 0, .1, .2, .25, .3
    assert percentile(values, 10) == pytest.approx(0.04)  # position 0.4: 0 + 0.4 * 0.1
    assert percentile(values, 50) == 0.2
    assert percentile(values, 100) == 0.3
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5
    assert median([]) is None
    with pytest.raises(ValueError):
        percentile([], 50)


def test_time_bins_are_the_engines() -> None:
    # 100 ms * 1.25^k: 4 s is in bin floor(log(40) / log(1.25)) = 16
    assert time_bin(4000) == 16 and time_bin(5000) == 17 and time_bin(50) == 0
    assert time_bin(10**9) == 39
    counts = [0] * 40
    for ms in (4000, 5000, 6000, 8000):
        counts[time_bin(ms)] += 1
    assert median_ms(counts) == pytest.approx(100 * 1.25**17.5)  # the 2nd of 4, bin 17
    assert median_ms([0] * 40) is None


def test_distributions_bin_with_readable_labels() -> None:
    items = items_distribution([2, 3, 3, 7, 120])
    counts = {b.label: b.count for b in items.bins}
    assert counts["2"] == 1 and counts["3"] == 2 and counts["6 to 7"] == 1
    assert counts["100+"] == 1 and sum(counts.values()) == 5
    assert items.median == 3 and items.count == 5
    times = time_distribution([50.0, 300.0, 86400.0 * 40])
    got = {b.label: b.count for b in times.bins if b.count}
    assert got == {"< 1 min": 1, "5 min to 15 min": 1, "30 d+": 1}
    assert times.median == 300.0
