"""Item statistics against values computed by hand on a small written-out log."""

from __future__ import annotations

import math

import pytest

from attune.engine.domain.analytics.item_report import ItemFlag, ItemReport
from attune.engine.domain.analytics.items import ItemAccumulator
from attune.engine.domain.analytics.settings import ItemSettings
from attune.engine.domain.course import IrtParams, Item
from tests.unit.test_analytics_support import course, obs

# Skills s, t, u; items s1, s2, s3 on s, t1 on t, u1 on u, m1 on t and u.
ITEMS = [
    Item("s1", ("s",), IrtParams(a=1.0, b=0.0, c=0.0)),
    Item("s2", ("s",)),
    Item("s3", ("s",)),
    Item("t1", ("t",)),
    Item("u1", ("u",)),
    Item("m1", ("t", "u")),
]
COURSE = course({"s": (), "t": (), "u": ()}, ITEMS)
SKILLS = {i.item_id: i.skill_ids for i in ITEMS}

# (learner, item, score, extras). First scores:
#        s1 s2 s3 t1 u1 m1
#   L1:   1  1  1  1  1  1
#   L2:   1  0  1  0  1  0
#   L3:   0  1  0  0  .  0    (and s1 again, right)
#   L4:   0  0  .  .  1  1    (s1 too fast)
ROWS: list[tuple[str, str, float, dict[str, float]]] = [
    ("L1", "s1", 1, {"rt": 4000}),
    ("L1", "s2", 1, {}),
    ("L1", "s3", 1, {}),
    ("L1", "t1", 1, {}),
    ("L1", "u1", 1, {}),
    ("L1", "m1", 1, {}),
    ("L2", "s1", 1, {"rt": 6000}),
    ("L2", "s2", 0, {}),
    ("L2", "s3", 1, {}),
    ("L2", "t1", 0, {}),
    ("L2", "u1", 1, {}),
    ("L2", "m1", 0, {}),
    ("L3", "s1", 0, {"rt": 8000, "theta": 1.0}),  # L3's ability is 1.0 after this answer
    ("L3", "s1", 1, {"rt": 5000}),
    ("L3", "s2", 1, {}),
    ("L3", "s3", 0, {}),
    ("L3", "t1", 0, {}),
    ("L3", "m1", 0, {}),
    ("L4", "s1", 0, {"rt": 500, "credibility": 0.2}),
    ("L4", "s2", 0, {}),
    ("L4", "u1", 1, {}),
    ("L4", "m1", 1, {}),
]


def _log() -> ItemAccumulator:
    acc = ItemAccumulator()
    for n, (learner, item, score, extra) in enumerate(ROWS, 1):
        acc.add(
            obs(
                n,
                learner,
                SKILLS[item],
                score,
                float(n),
                item=item,
                rt=int(extra.get("rt", 9000)),
                credibility=extra.get("credibility", 1.0),
                theta=extra.get("theta", 0.0),
            )
        )
    return acc


def _reports(settings: ItemSettings | None = None) -> dict[str, ItemReport]:
    found = _log().snapshot(COURSE, class_size=5, settings=settings)
    return {r.item_id: r for r in found}


def test_counts_difficulty_exposure_and_too_fast_share() -> None:
    s1 = _reports()["s1"]
    assert (s1.answers, s1.learners) == (5, 4)
    assert s1.exposure == pytest.approx(4 / 5)
    assert s1.difficulty_first == pytest.approx(2 / 4)  # L1, L2 right on their first try
    assert s1.difficulty_all == pytest.approx(3 / 5)  # and L3's second try
    assert s1.too_fast_share == pytest.approx(1 / 5)
    assert s1.skill_ids == ("s",)
    m1 = _reports()["m1"]
    assert (m1.answers, m1.learners, m1.difficulty_first) == (4, 4, 0.5)


def test_median_time_over_credible_timed_answers() -> None:
    # 4000, 5000, 6000, 8000 ms (L4's 500 ms was too fast): bins 16, 17, 18, 19; the
    # median is the 2nd of 4, in bin 17, read as its geometric middle 100 * 1.25^17.5 ms.
    assert _reports()["s1"].median_ms == pytest.approx(100 * 1.25**17.5)
    # s2: four answers of 9000 ms, bin floor(log(90) / log(1.25)) = floor(20.17) = 20
    assert _reports()["s2"].median_ms == pytest.approx(100 * 1.25**20.5)


def test_discrimination_is_the_corrected_item_total_correlation() -> None:
    got = {k: (r.discrimination, r.discrimination_n) for k, r in _reports().items()}
    # s1: first scores 1, 1, 0, 0 against the mean of the learner's other s items:
    # L1 (1+1)/2, L2 (0+1)/2, L3 (1+0)/2, L4 s2 only: 0  ->  r = 0.5 / sqrt(1 * 0.5)
    assert got["s1"][0] == pytest.approx(0.5 / math.sqrt(0.5)) and got["s1"][1] == 4
    # s2: x 1, 0, 1, 0 against y 1, 1, 0, 0: uncorrelated
    assert got["s2"][0] == pytest.approx(0.0, abs=1e-12)
    # s3: x 1, 1, 0 against y 1, .5, .5: sxy 1/6, sxx 2/3, syy 1/6 -> r = 0.5
    assert got["s3"][0] == pytest.approx(0.5) and got["s3"][1] == 3
    # m1 (t and u): its rest is t1 and u1: L1 (1+1)/2, L2 (0+1)/2, L3 t1: 0, L4 u1: 1;
    # x 1, 0, 0, 1, y 1, .5, 0, 1: sxy .75, sxx 1, syy .6875
    assert got["m1"][0] == pytest.approx(0.75 / math.sqrt(0.6875))
    # t1: its rest is m1 (shares t): x 1, 0, 0 and y 1, 0, 0
    assert got["t1"][0] == pytest.approx(1.0)
    # u1: everyone right: no variance, no correlation
    assert got["u1"] == (None, 3)


def test_observed_against_the_fitted_3pl() -> None:
    fit = _reports()["s1"].fit
    assert fit is not None
    # Credible answers to s1 with the ability just before each: L1 0 (right), L2 0 (right),
    # L3 0 (wrong), then L3 again at 1.0 (right). Under a=1, b=0, c=0: P(0) = 0.5 and
    # P(1) = 1/(1 + e^-1).
    p1 = 1 / (1 + math.exp(-1.0))
    expected = 3 * 0.5 + p1
    assert (fit.a, fit.b, fit.c, fit.answers) == (1.0, 0.0, 0.0, 4)
    assert fit.observed == pytest.approx(3 / 4)
    assert fit.expected == pytest.approx(expected / 4)
    assert fit.z == pytest.approx((3 - expected) / math.sqrt(3 * 0.25 + p1 * (1 - p1)))
    assert fit.mean_theta == pytest.approx(0.25)
    # b solved at the mean ability: 0.25 - logit(0.75) / 1
    assert fit.observed_b == pytest.approx(0.25 - math.log(3))
    assert _log().snapshot(None)[0].fit is None  # no course, no fitted parameters


def test_flags_on_the_small_log() -> None:
    reports = _reports(ItemSettings(min_answers=3))
    assert reports["u1"].flags == (ItemFlag.EVERYONE_RIGHT,)  # 3 of 3 right first time
    assert reports["s1"].flags == (ItemFlag.TOO_FAST,)  # 1 of 5 is the 20 % threshold
    assert all(not reports[k].flags for k in ("s2", "s3", "t1", "m1"))
    assert all(not r.flags for r in _reports().values())  # the default minimum is 10


def test_negative_discrimination_everyone_wrong_and_misfit() -> None:
    items = [Item("s1", ("s",)), Item("s2", ("s",)), Item("bad", ("s",))]
    items.append(Item("hard", ("s",), IrtParams(a=1.0, b=-3.0, c=0.0)))
    acc = ItemAccumulator()
    # Strong L1 and L2 get s1 and s2 right and "bad" wrong; weak L3 the reverse.
    answers = {"L1": (1, 1, 0), "L2": (1, 1, 0), "L3": (0, 0, 1)}
    n = 0
    for learner, scores in answers.items():
        for item, score in zip(("s1", "s2", "bad"), scores, strict=True):
            n += 1
            acc.add(obs(n, learner, "s", score, item=item))
        n += 1
        acc.add(obs(n, learner, "s", 0, item="hard"))
    reports = {
        r.item_id: r
        for r in acc.snapshot(course({"s": ()}, items), settings=ItemSettings(min_answers=3))
    }
    bad = reports["bad"]
    # x 0, 0, 1 against the rest (s1, s2, hard): 2/3, 2/3, 0: a perfect inverse
    assert bad.discrimination == pytest.approx(-1.0)
    assert ItemFlag.NEGATIVE_DISCRIMINATION in bad.flags
    hard = reports["hard"]
    assert ItemFlag.EVERYONE_WRONG in hard.flags
    # Expected right at theta 0 with b = -3: 3 * P, P = 1/(1 + e^-3); none observed.
    p = 1 / (1 + math.exp(-3.0))
    assert hard.fit is not None
    assert hard.fit.z == pytest.approx(-3 * p / math.sqrt(3 * p * (1 - p)))
    assert hard.fit.observed_b is None  # no b explains 0 right
    assert ItemFlag.MISFIT in hard.flags


def test_remove_learner_subtracts_exactly() -> None:
    acc = _log()
    acc.remove_learner("L3")
    acc.remove_learner("nobody")
    fresh = ItemAccumulator()
    for n, (learner, item, score, extra) in enumerate(ROWS, 1):
        if learner != "L3":
            fresh.add(
                obs(
                    n,
                    learner,
                    SKILLS[item],
                    score,
                    float(n),
                    item=item,
                    rt=int(extra.get("rt", 9000)),
                    credibility=extra.get("credibility", 1.0),
                )
            )
    assert acc.snapshot(COURSE, 5) == fresh.snapshot(COURSE, 5)
