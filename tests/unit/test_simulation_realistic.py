"""The realistic simulator (issue 15): hidden learners, the oracle, and the study's report.

The small run tutors two learners of one seed on the wide graph with every policy through a
real in-process engine (a few seconds); the rest is the pure learner model.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Callable, Mapping, Sequence

import pytest

from attune.engine.domain.course import Course, MasteryPolicy
from attune.models.simulation.graphs import GRAPHS, deep_course, wide_course
from attune.models.simulation.hidden import (
    HOUR,
    START,
    HiddenLearner,
    Realism,
    new_hidden_learner,
)
from attune.models.simulation.realistic import STUDY_POLICIES, Key, StudyConfig, run_study
from attune.models.simulation.realistic_cli import parse_mastery
from attune.models.simulation.study import METRICS, RealisticResult, seed_metrics
from attune.models.simulation.study_report import GOALS, document, summarize_study, table

SEED = 1


def _fingerprint(learner: HiddenLearner) -> tuple[object, ...]:
    return (
        sorted(learner.known),
        sorted(learner.learn.items()),
        sorted(learner.guess.items()),
        sorted(learner.slip.items()),
        learner.forgets,
        learner.too_fast,
        learner.base_half_life,
    )


def _answers(learner: HiddenLearner, items: Sequence[str]) -> list[tuple[bool, int, float]]:
    return [(a.correct, a.response_ms, a.at) for a in map(learner.respond, items)]


def test_learners_are_reproducible_per_seed_and_differ_across_seeds() -> None:
    course = wide_course()
    items = [random.Random(0).choice(list(course.items)) for _ in range(200)]
    first, again = (new_hidden_learner(course, SEED, 3) for _ in range(2))
    assert _fingerprint(first) == _fingerprint(again)
    assert _answers(first, items) == _answers(again, items)
    assert first.known == again.known
    others = [new_hidden_learner(course, SEED + 1, 3), new_hidden_learner(course, SEED, 4)]
    assert all(_fingerprint(o) != _fingerprint(first) for o in others)


def test_hidden_rates_differ_from_the_nominal_ones_and_items_vary() -> None:
    course = wide_course()
    nominal = course.skills["w00"].bkt
    cohort = [new_hidden_learner(course, SEED, i) for i in range(50)]
    learn = [c.learn["w00"] for c in cohort]
    assert min(learn) < nominal.learn < max(learn)
    assert max(learn) - min(learn) > 0.2
    one = cohort[0]
    assert len({round(one.guess[f"w00/{level}"], 6) for level in (1, 2, 3)}) == 3
    assert all(one.guess[i] + one.slip[i] < 1.0 for i in course.items)


@pytest.mark.parametrize("make", [wide_course, deep_course])
def test_a_skill_is_learnt_only_once_its_prerequisites_are_known(
    make: Callable[[], Course],
) -> None:
    course = make()
    items = list(course.items)
    for index in range(30):
        learner = new_hidden_learner(course, SEED, index)
        pick = random.Random(index)
        for _ in range(300):
            before = set(learner.known)
            item = pick.choice(items)
            learner.respond(item)
            for sid in learner.known - before:
                assert all(p in before for p in course.skills[sid].prerequisites), sid


def test_a_locked_skill_is_never_learnt_however_long_it_is_practised() -> None:
    course = deep_course()
    realism = Realism(prior_sd=0.0, forgetting_share=0.0, too_fast_share=0.0)
    learner = new_hidden_learner(course, SEED, 0, realism)
    learner.known.clear()
    for _ in range(500):
        learner.respond("d01/1")  # d00 is unknown
    assert learner.known == set()
    for _ in range(200):
        learner.respond("d00/1")
    assert learner.known == {"d00"}


def _recall(cohort: Sequence[HiddenLearner], hours: float) -> float:
    pairs = [(c, s) for c in cohort for s in c.known]
    return sum(c.known_at(s, START + hours * HOUR) for c, s in pairs) / len(pairs)


def test_forgetting_lowers_recall_over_time_and_only_for_forgetting_learners() -> None:
    course = wide_course()
    forgetting = [
        new_hidden_learner(course, SEED, i, Realism(forgetting_share=1.0)) for i in range(100)
    ]
    curve = [_recall(forgetting, h) for h in (1, 48, 7 * 24, 60 * 24)]
    assert curve == sorted(curve, reverse=True)
    assert curve[0] > 0.99 and curve[-1] < 0.5 * curve[0]
    steady = [new_hidden_learner(course, SEED, i, Realism(forgetting_share=0.0)) for i in range(50)]
    assert _recall(steady, 365 * 24) == 1.0


def test_a_learnt_skill_is_forgotten_by_the_learners_clock() -> None:
    course = deep_course()
    learner = new_hidden_learner(course, SEED, 0, Realism(forgetting_share=1.0))
    learner.known.clear()
    while "d00" not in learner.known:
        learner.respond("d00/1")
    learner.now = learner.forget_at["d00"] + 1.0
    learner.catch_up()
    assert "d00" not in learner.known


def test_the_too_fast_share_is_as_configured_and_rushed_answers_are_under_the_floor() -> None:
    course = wide_course()
    realism = Realism(too_fast_share=0.2)
    cohort = [new_hidden_learner(course, SEED, i, realism) for i in range(2000)]
    share = sum(c.too_fast for c in cohort) / len(cohort)
    assert 0.17 < share < 0.23
    floor = realism.too_fast_floor_ms
    for learner in cohort[:60]:
        answers = [learner.respond("w00/1") for _ in range(20)]
        rushed = [a for a in answers if a.rushed]
        assert all(a.response_ms < floor for a in rushed)
        assert all(a.response_ms >= floor for a in answers if not a.rushed)
        assert bool(rushed) == learner.too_fast  # 20 answers at rate 0.5: never none


@pytest.fixture(scope="module")
def study() -> Mapping[Key, list[RealisticResult]]:
    config = StudyConfig(
        learners=2,
        seeds=(SEED,),
        caps=(("wide", 200),),
        workers=2,
        realism=Realism(forgetting_share=1.0),
    )
    return run_study(["wide"], STUDY_POLICIES, config)


def test_the_oracle_reaches_true_mastery_with_the_fewest_items(
    study: Mapping[Key, list[RealisticResult]],
) -> None:
    per = {p: seed_metrics(study[("wide", SEED, p)]) for p in STUDY_POLICIES}
    oracle = per["oracle"]
    assert oracle.reached_share == 1.0
    assert oracle.knew_all_at_declaration == 1.0
    assert oracle.declared_not_known == 0.0
    for policy, m in per.items():
        assert oracle.items_to_true_mastery <= m.items_to_true_mastery, policy
    for r in study[("wide", SEED, "oracle")]:
        assert r.items == r.true_mastery_at  # it stops exactly at true mastery


def test_the_report_gives_every_metric_for_every_policy(
    study: Mapping[Key, list[RealisticResult]],
) -> None:
    summary = summarize_study(study)
    assert list(summary) == ["wide"]
    assert set(summary["wide"]) == set(STUDY_POLICIES)
    for policy, metrics in summary["wide"].items():
        assert list(metrics) == list(METRICS)
        for name in ("items_to_true_mastery", "ratio_to_oracle", "declared_not_known"):
            value = metrics[name]
            assert value is not None and value.low <= value.mean <= value.high, (policy, name)
        retention = metrics["retention_48h"]
        assert retention is not None and 0.0 <= retention.mean <= 1.0
    oracle_ratio = summary["wide"]["oracle"]["ratio_to_oracle"]
    assert oracle_ratio is not None and oracle_ratio.mean == 1.0
    doc = json.loads(json.dumps(document(summary, StudyConfig(), {"wide": 16})))
    cell = doc["graphs"]["wide"]["policies"]["ours"]
    assert set(cell["goals_met"]) == {g.metric for g in GOALS}
    assert cell["metrics"]["ratio_to_oracle"]["seeds"] == 1
    text = table(summary)
    assert all(f"| {p} " in text for p in STUDY_POLICIES)
    assert "<= 1.5" in text and ">= 0.95" in text


def test_every_graph_is_a_valid_course_of_the_right_shape() -> None:
    sizes = {name: len(make().skills) for name, make in GRAPHS.items()}
    assert sizes["wide"] >= 14 and sizes["deep"] >= 14 and sizes["demo"] == 47
    deep = deep_course()
    assert all(deep.skills[f"d{i:02d}"].prerequisites[0] == f"d{i - 1:02d}" for i in range(1, 15))
    wide = wide_course()
    assert max(len(wide.skills[s].prerequisites) for s in wide.skills) <= 2
    assert all(
        not wide.skills[p].prerequisites for s in wide.skills for p in wide.skills[s].prerequisites
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--realistic", "--graph", "tree"], "unknown graph 'tree'"),
        (["--policy", "oracle"], "--policy oracle needs --realistic"),
        (["--realistic", "--seeds", "0"], "--seeds must be at least 1, got 0"),
    ],
)
def test_bad_realistic_arguments_exit_2_naming_the_problem(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from attune.cli import main

    assert main(["simulate", *argv]) == 2
    assert message in capsys.readouterr().err


def test_simulate_realistic_prints_the_table_with_the_oracle(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from attune.cli import main

    argv = ["--realistic", "--graph", "deep", "--learners", "1", "--policy", "static"]
    assert main(["simulate", *argv, "--cap", "60", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "| deep  | oracle" in out and "| deep  | static" in out


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0.95,8,2", MasteryPolicy(0.95, 8, 2)), (" 0.98, 3 ,2 ", MasteryPolicy(0.98, 3, 2))],
)
def test_parse_mastery_reads_threshold_attempts_and_consecutive(
    text: str, expected: MasteryPolicy
) -> None:
    assert parse_mastery(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0.95,8", "THRESHOLD,MIN_ATTEMPTS,CONSECUTIVE"),
        ("high,8,2", "a number and two integers"),
        ("1.5,8,2", "mastery.threshold"),
        ("0.95,-1,2", "mastery.min_attempts"),
    ],
)
def test_parse_mastery_rejects_bad_policies_naming_the_problem(text: str, message: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        parse_mastery(text)


def test_bench_rejects_a_bad_mastery_policy_with_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bench.efficacy import main

    with pytest.raises(SystemExit) as exc:
        main(["--mastery", "0.95,8"])
    assert exc.value.code == 2
    assert "THRESHOLD,MIN_ATTEMPTS,CONSECUTIVE" in capsys.readouterr().err


def test_the_study_mastery_policy_reaches_the_engine() -> None:
    # Twelve attempts per skill before mastery: the engine cannot declare the 15-skill chain
    # before 180 answers, whereas its default (three attempts) declares this learner sooner.
    def ours(mastery: MasteryPolicy | None) -> RealisticResult:
        config = StudyConfig(learners=1, seeds=(SEED,), caps=(("deep", 300),), mastery=mastery)
        return run_study(["deep"], ["ours"], config)[("deep", SEED, "ours")][0]

    default, strict = ours(None), ours(MasteryPolicy(0.95, 12, 2))
    floor = 12 * len(deep_course().skills)
    assert default.declared and default.items < floor
    assert strict.items >= floor
    doc = document({}, StudyConfig(mastery=MasteryPolicy(0.98, 8, 2)), {})
    assert doc["mastery"] == {
        "threshold": 0.98, "min_attempts": 8, "consecutive_correct": 2, "individual_sd": 0.0
    }
    assert document({}, StudyConfig(), {})["mastery"] is None
