"""Experiments in the course model (issue 15 part 5): stable, balanced assignment; validation
naming the field; the learner's view of the course; the course codecs carry the experiment."""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from dataclasses import replace

import pytest

from attune.engine.adapters.course_codec import decode_course, encode_course
from attune.engine.domain.course import Course, MasteryPolicy
from attune.engine.domain.course_json import course_from_json, course_to_json
from attune.engine.domain.errors import InvalidInputError
from attune.engine.domain.experiments import (
    Arm,
    Experiment,
    arm_of,
    assign,
    course_for,
    draw,
)
from attune.engine.grpc.convert import course_from_pb, course_to_pb
from tests.support.courses import chain_course

STRICT = MasteryPolicy(threshold=0.98, min_attempts=8, consecutive_correct=2)
TWO = Experiment("exp-1", (Arm("control"), Arm("strict", mastery=STRICT)))


def _course(experiment: Experiment | None = TWO) -> Course:
    return replace(course_from_pb(chain_course()), experiment=experiment)


def test_a_learner_always_gets_the_same_arm() -> None:
    first = [assign(TWO, "t", "c", f"learner-{n}").arm_id for n in range(200)]
    again = [assign(TWO, "t", "c", f"learner-{n}").arm_id for n in range(200)]
    assert first == again
    assert set(first) == {"control", "strict"}


def test_the_draw_depends_on_every_part_of_the_key() -> None:
    base = draw("t", "c", "e", "l")
    assert 0.0 <= base < 1.0
    assert base != draw("t2", "c", "e", "l")
    assert base != draw("t", "c2", "e", "l")
    assert base != draw("t", "c", "e2", "l")
    assert base != draw("t", "c", "e", "l2")
    # The separator keeps ("ab", "c") and ("a", "bc") apart.
    assert draw("ab", "c", "e", "l") != draw("a", "bc", "e", "l")


@pytest.mark.parametrize("weights", [(1.0, 1.0), (1.0, 3.0), (2.0, 1.0, 1.0)])
def test_assignment_is_balanced_by_weight(weights: tuple[float, ...]) -> None:
    experiment = Experiment("e", tuple(Arm(f"arm{k}", w) for k, w in enumerate(weights)))
    n = 10_000
    counts = Counter(assign(experiment, "t", "c", f"u{k}").arm_id for k in range(n))
    total = sum(weights)
    expected = {f"arm{k}": n * w / total for k, w in enumerate(weights)}
    chi2 = sum((counts[a] - e) ** 2 / e for a, e in expected.items())
    # The chi-square 0.999 quantile: 10.83 (1 df), 13.82 (2 df). A hash that ignored the
    # weights or the learner would be off by hundreds.
    assert chi2 < (10.83 if len(weights) == 2 else 13.82), (counts, expected)


def test_arms_are_independent_across_experiments() -> None:
    other = replace(TWO, experiment_id="exp-2")
    same = sum(
        assign(TWO, "t", "c", f"u{k}").arm_id == assign(other, "t", "c", f"u{k}").arm_id
        for k in range(4000)
    )
    assert abs(same / 4000 - 0.5) < 0.05  # a new experiment reshuffles


def test_course_for_gives_the_arms_mastery_policy() -> None:
    course = _course()
    seen = set()
    for k in range(50):
        view = course_for(course, "t", f"u{k}")
        arm = arm_of(course, "t", f"u{k}")
        seen.add(arm)
        assert view.mastery == (STRICT if arm == "strict" else course.mastery)
        assert view.items is course.items  # O(1): nothing copied but the top level
    assert seen == {"control", "strict"}
    plain = _course(None)
    assert course_for(plain, "t", "u1") is plain
    assert arm_of(plain, "t", "u1") == ""


def _refused(experiment: Experiment) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as caught:
        experiment.validate()
    return caught.value


def test_bad_experiments_are_refused_naming_the_field() -> None:
    assert _refused(Experiment("e", (Arm("a"),))).field == "course.experiment.arms"
    assert _refused(Experiment("e", (Arm("a"), Arm("a")))).field == (
        "course.experiment.arms[1].arm_id"
    )
    for bad in (0.0, -1.0, math.nan, math.inf):
        assert _refused(Experiment("e", (Arm("a"), Arm("b", bad)))).field == (
            "course.experiment.arms[1].weight"
        )
    assert _refused(Experiment("", (Arm("a"), Arm("b")))).field == (
        "course.experiment.experiment_id"
    )
    assert _refused(Experiment("e", (Arm(" "), Arm("b")))).field == (
        "course.experiment.arms[0].arm_id"
    )
    bad_policy = Arm("b", mastery=MasteryPolicy(threshold=1.5))
    assert _refused(Experiment("e", (Arm("a"), bad_policy))).field == (
        "course.experiment.arms[1].mastery.threshold"
    )
    many = tuple(Arm(f"a{k}") for k in range(11))
    assert _refused(Experiment("e", many)).field == "course.experiment.arms"


def test_json_round_trip_and_refusals() -> None:
    course = _course(replace(TWO, started_at=1_800_000_000.5))
    data = course_to_json(course)
    assert data["experiment"]["arms"][1]["mastery"]["min_attempts"] == 8
    back = course_from_json(data)
    assert back.experiment == course.experiment
    assert "experiment" not in course_to_json(_course(None))
    data["experiment"]["arms"][0]["wieght"] = 2
    with pytest.raises(InvalidInputError) as caught:
        course_from_json(data)
    assert caught.value.field == "course.experiment.arms[0].wieght"
    data["experiment"]["arms"] = [{"arm_id": "only"}]
    with pytest.raises(InvalidInputError) as caught:
        course_from_json(data)
    assert caught.value.field == "course.experiment.arms"


def test_protobuf_round_trip_and_defaults() -> None:
    msg = chain_course()
    msg.experiment.experiment_id = "exp-1"
    msg.experiment.arms.add(arm_id="control")  # weight unset: 1
    strict = msg.experiment.arms.add(arm_id="strict", weight=3.0, description="8 attempts")
    strict.mastery.threshold = 0.98
    strict.mastery.min_attempts = 8
    strict.mastery.consecutive_correct = 2
    course = course_from_pb(msg)
    assert course.experiment is not None
    assert [a.weight for a in course.experiment.arms] == [1.0, 3.0]
    assert course.experiment.arms[0].mastery is None
    assert course.experiment.arms[1].mastery == STRICT
    assert course_from_pb(course_to_pb(course)).experiment == course.experiment
    msg.experiment.arms[1].weight = 0.0  # explicitly zero: refused, not defaulted
    with pytest.raises(InvalidInputError) as caught:
        course_from_pb(msg)
    assert caught.value.field == "course.experiment.arms[1].weight"


def test_the_stored_course_codec_carries_the_experiment() -> None:
    course = _course()
    back = asyncio.run(decode_course(asyncio.run(encode_course(course))))
    assert back.experiment == TWO
    assert back == course
