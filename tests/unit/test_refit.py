"""The refit's pure parts: the stable split, credible answers and sequences, the metrics,
IRT calibration by EM (recovers known parameters), the adoption decisions, adopting into a
course, and the engine's background job on an injected clock."""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.domain.bkt import BktParams
from attune.engine.domain.course import Course, IrtParams, Item, Skill, build_course
from attune.engine.domain.errors import InvalidInputError
from attune.engine.domain.refit import adopt
from attune.engine.refit_job import RefitJob, adopted_course
from attune.engine.service import Engine
from attune.engine.settings import RefitSettings
from attune.models.refit.bkt_refit import _decide, one_step_predictions
from attune.models.refit.config import RefitConfig
from attune.models.refit.core import refit_course
from attune.models.refit.data import Answer, credible_answers, is_held_out, skill_sequences, split
from attune.models.refit.irt_em import ItemParams, Responses, calibrate
from attune.models.refit.metrics import Metrics, auc, judge, metrics
from attune.models.refit.simulate import simulate_answers
from tests.support.engine_server import ManualClock

OLD = BktParams(prior=0.2, learn=0.15, guess=0.1, slip=0.1)
TRUE = BktParams(prior=0.4, learn=0.3, guess=0.3, slip=0.05)


def _course() -> Course:
    skills = [Skill("a", "A", OLD), Skill("b", "B", OLD)]
    items = [Item(f"a{n}", ("a",), IrtParams(1.0, n - 1.0)) for n in range(3)]
    items.append(Item("ab", ("a", "b"), IrtParams(1.2, 0.5, 0.2)))
    return build_course("k", skills, items)


# -- data ------------------------------------------------------------------------------------


def test_the_split_is_stable_and_near_the_fraction() -> None:
    ids = [f"learner-{n}" for n in range(10_000)]
    first = [is_held_out("course", i, 0.2) for i in ids]
    assert first == [is_held_out("course", i, 0.2) for i in ids]  # run after run
    assert 1850 < sum(first) < 2150
    # another course splits its learners independently
    other = [is_held_out("other", i, 0.2) for i in ids]
    assert first != other
    answers = [Answer(i, "a0", 1.0) for i in ids[:100] for _ in range(2)]
    fit, held = split("course", answers, 0.2)
    assert {a.learner_id for a in fit}.isdisjoint({a.learner_id for a in held})
    assert len(fit) + len(held) == 200


def test_credible_answers_and_one_sequence_per_skill() -> None:
    course = _course()
    got = credible_answers(
        course,
        [
            Answer("l1", "a0", 1.0),
            Answer("l1", "ab", 0.6),  # partial credit >= 0.5: correct for BKT
            Answer("l1", "a1", 0.0, credibility=0.2),  # too fast: left out
            Answer("l1", "gone", 1.0),  # no longer an item of the course
            Answer("l2", "ab", 0.4),
        ],
    )
    assert (got.not_credible, got.unknown_item, len(got.answers)) == (1, 1, 3)
    seqs = skill_sequences(course, got.answers)
    assert seqs == {"a": {"l1": [1, 1], "l2": [0]}, "b": {"l1": [1], "l2": [0]}}


def test_metrics() -> None:
    assert auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.75)
    assert auc([0.5, 0.5], [0, 1]) == pytest.approx(0.5)
    assert auc([0.2, 0.3], [1, 1]) is None
    m = metrics([0.8, 0.3], [1.0, 0.0])
    assert m.loglik == pytest.approx((math.log(0.8) + math.log(0.7)) / 2)
    assert m.rmse == pytest.approx(math.sqrt((0.04 + 0.09) / 2))


def test_one_step_predictions_follow_the_engine_filter() -> None:
    preds = one_step_predictions({"l": [1, 0]}, OLD)
    assert preds[0] == pytest.approx(0.2 * 0.9 + 0.8 * 0.1)
    known = (0.2 * 0.9) / (0.2 * 0.9 + 0.8 * 0.1)
    after = known + (1 - known) * 0.15
    assert preds[1] == pytest.approx(after * 0.9 + (1 - after) * 0.1)


# -- IRT -------------------------------------------------------------------------------------


def _irt_data(rng: np.random.Generator, learners: int, a: Any, b: Any, c: Any) -> Responses:
    theta = rng.standard_normal(learners)
    p = c[None, :] + (1 - c[None, :]) / (1 + np.exp(-a[None, :] * (theta[:, None] - b[None, :])))
    score = (rng.random(p.shape) < p).astype(float)
    li, ii = np.meshgrid(np.arange(learners), np.arange(len(a)), indexing="ij")
    return Responses(li.ravel(), ii.ravel(), score.ravel(), learners, len(a))


def test_em_recovers_known_item_parameters() -> None:
    rng = np.random.default_rng(7)
    a = np.array([0.8, 1.0, 1.3, 1.6, 0.9, 1.2, 1.1, 1.4])
    b = np.array([-1.5, -0.8, -0.2, 0.0, 0.4, 0.9, 1.3, -1.1])
    c = np.zeros(8)
    data = _irt_data(rng, 3000, a, b, c)
    start = ItemParams(np.ones(8), np.zeros(8), np.zeros(8))
    cal = calibrate(data, start, np.ones(8, dtype=bool))
    assert cal.converged
    # about three standard errors at 3,000 learners answering 8 items (measured over seeds)
    assert np.max(np.abs(cal.params.b - b)) < 0.35
    assert np.max(np.abs(cal.params.a - a)) < 0.4
    assert np.mean(np.abs(cal.params.b - b)) < 0.12
    assert np.all(cal.params.c == 0.0)  # a 2PL item stays 2PL


def test_em_keeps_fixed_items_and_small_samples_bounded() -> None:
    rng = np.random.default_rng(8)
    a, b, c = np.array([1.0, 1.0]), np.array([0.0, 2.0]), np.array([0.0, 0.2])
    data = _irt_data(rng, 6, a, b, c)  # six answers per item: the priors must hold it
    start = ItemParams(np.array([1.0, 1.5]), np.array([0.5, 1.0]), np.array([0.0, 0.2]))
    cal = calibrate(data, start, np.array([False, True]))
    assert (cal.params.a[0], cal.params.b[0]) == (1.0, 0.5)  # not estimated: untouched
    assert 0.1 <= cal.params.a[1] <= 6.0 and -5.0 <= cal.params.b[1] <= 5.0
    assert 0.0 < cal.params.c[1] <= 0.5  # a 3PL item keeps an asymptote, bounded


# -- decisions -------------------------------------------------------------------------------


def _held(params: BktParams, learners: int, seed: int) -> dict[str, list[int]]:
    rng = random.Random(seed)
    out: dict[str, list[int]] = {}
    for n in range(learners):
        known = rng.random() < params.prior
        seq = []
        for _ in range(8):
            p = 1 - params.slip if known else params.guess
            seq.append(1 if rng.random() < p else 0)
            known = known or rng.random() < params.learn
        out[f"l{n}"] = seq
    return out


def test_the_adoption_decision() -> None:
    config = RefitConfig()
    held = _held(TRUE, 60, 1)
    better = _decide("a", OLD, 240, held, TRUE, True, config)
    assert better.adopted and better.new is not None and better.old is not None
    assert better.new.loglik > better.old.loglik + config.bkt_margin
    same = _decide("a", OLD, 240, held, OLD, True, config)
    assert not same.adopted and "not above margin" in same.reason
    worse = _decide("a", TRUE, 240, held, OLD, True, config)
    assert not worse.adopted
    few = _decide("a", OLD, 150, held, None, False, config)
    assert not few.adopted and few.reason.startswith("150 learner sequences < 200")
    thin = _decide("a", OLD, 240, {"l": [1, 0]}, TRUE, True, config)
    assert not thin.adopted and "held-out responses < 20" in thin.reason
    bad = _decide("a", OLD, 240, held, BktParams(guess=0.6, slip=0.5), True, config)
    assert not bad.adopted and "unusable" in bad.reason


def test_one_adoption_rule_for_bkt_and_irt() -> None:
    old, new = Metrics(40, -0.6, None, 0.4), Metrics(40, -0.5, None, 0.35)
    assert judge(old, new, 30, 0.001) == (
        True,
        "held-out log-likelihood -0.6000 -> -0.5000 per response (+0.1000 > margin 0.001)",
    )
    assert judge(new, old, 30, 0.001) == (
        False,
        "held-out log-likelihood -0.5000 -> -0.6000 per response (-0.1000, not above margin "
        "0.001): kept its parameters",
    )
    assert judge(old, new, 50, 0.001) == (
        False,
        "40 held-out responses < 50: kept its parameters",
    )


def test_refit_without_enough_data_keeps_everything() -> None:
    course = _course()
    answers = simulate_answers(course, 4, bkt_truth={"a": TRUE}, seed=2)
    result = refit_course(course, answers, RefitConfig())
    assert result.course is None and not result.report.changed
    assert all("< 200" in s.reason for s in result.report.skills)
    assert all("< 50" in i.reason for i in result.report.items)


def test_irt_refit_adopts_a_miscalibrated_item_only() -> None:
    skills = [Skill("s", "S", OLD)]
    items = [Item(f"i{n}", ("s",), IrtParams(1.0, n - 1.5)) for n in range(4)]
    course = build_course("irt", skills, items)
    truth = {"i3": IrtParams(1.0, -1.0)}  # the course says 1.5: far too hard
    answers = simulate_answers(course, 600, bkt_truth={}, irt_truth=truth, attempts=4, seed=4)
    result = refit_course(course, answers, RefitConfig(min_sequences=10_000))
    items_by = {i.item_id: i for i in result.report.items}
    assert items_by["i3"].adopted
    assert items_by["i3"].new_params is not None
    assert abs(items_by["i3"].new_params.b - (-1.0)) < 0.4
    assert result.report.irt_old is not None and result.report.irt_new is not None
    assert result.report.irt_new.loglik > result.report.irt_old.loglik
    assert result.course is not None
    assert result.course.items["i3"].irt == items_by["i3"].new_params
    assert result.course.skills["s"].bkt == OLD


# -- adopting into a course --------------------------------------------------------------------


def test_adopt_replaces_only_what_was_adopted() -> None:
    course = _course()
    new = adopt(course, {"a": TRUE}, {"ab": IrtParams(0.9, -0.2, 0.1)})
    assert new.skills["a"].bkt == TRUE and new.skills["b"].bkt == OLD
    assert new.items["ab"].irt == IrtParams(0.9, -0.2, 0.1)
    assert new.items_for("b")[0].irt == IrtParams(0.9, -0.2, 0.1)
    assert (new.course_id, new.order, new.mastery) == (
        course.course_id,
        course.order,
        course.mastery,
    )
    with pytest.raises(InvalidInputError) as err:
        adopt(course, {"zz": TRUE}, {})
    assert err.value.field == "refit.skills['zz']"
    with pytest.raises(InvalidInputError) as err:
        adopt(course, {"a": BktParams(guess=0.7, slip=0.4)}, {})
    assert err.value.field == "refit.skills['a'].bkt.guess"


# -- the background job ------------------------------------------------------------------------


async def test_the_background_job_runs_when_due_and_puts_the_course(tmp_path: Path) -> None:
    store = SqliteStore.open(tmp_path / "attune.db")
    clock = ManualClock()
    engine = Engine(store, clock=clock)
    course = _course()
    await engine.put_course("t1", course)
    calls: list[tuple[str, int]] = []

    async def runner(c: Course, answers: Any, settings: RefitSettings) -> dict[str, Any]:
        calls.append((c.course_id, len(answers)))
        skills = {"a": {"prior": 0.3, "learn": 0.2, "guess": 0.2, "slip": 0.05, "forget": 0.0}}
        report = {
            "course_id": c.course_id,
            "learners": 1,
            "holdout_learners": 0,
            "responses": 1,
            "skills": [],
            "items": [],
            "adopted_skills": ["a"],
            "adopted_items": [],
            "irt_holdout": {},
        }
        return {"report": report, "adopted": {"skills": skills, "items": {}}}

    job = RefitJob(engine, ("t1",), RefitSettings(interval_hours=1.0), clock, runner)
    try:
        assert await job.tick() is False  # the first round is one interval away
        clock.t += 3599
        assert await job.tick() is False
        clock.t += 1
        assert await job.tick() is True and calls == []  # an empty log: nothing to refit
        from attune.engine.domain.learner import Response

        await engine.record("t1", Response("e1", "l1", "k", "a0", 1.0, 20_000, clock.now()))
        clock.t += 3600
        assert await job.tick() is True
        assert calls == [("k", 1)]
        stored = await store.get_course("t1", "k")
        assert stored is not None and stored.skills["a"].bkt.slip == 0.05
        assert stored.skills["b"].bkt == OLD
        reads: list[tuple[int, int]] = []
        real_read = store.read_course_events

        async def counted(tenant: str, course_id: str, after: int, limit: int) -> Any:
            reads.append((after, limit))
            return await real_read(tenant, course_id, after, limit)

        store.read_course_events = counted  # type: ignore[method-assign]
        clock.t += 3600
        assert await job.tick() is True
        assert calls == [("k", 1)]  # the log has not grown: no second refit
        assert len(reads) == 1 and reads[0][1] == 1  # one small probe, not the whole log
    finally:
        await store.close()


def test_adopted_course_from_the_worker_reply() -> None:
    course = _course()
    new = adopted_course(course, {"items": {"a1": {"a": 1.1, "b": 0.25, "c": 0.0}}})
    assert new.items["a1"].irt == IrtParams(1.1, 0.25, 0.0)
    assert new.skills == course.skills
