"""``attune refit`` end to end: learners simulated with parameters unlike the course's answer
through a real engine (gRPC on port 0, embedded store); the refit adopts parameters closer to
the truth, keeps a skill under 200 sequences as it was, and puts the new course through the
engine. Plus pyBKT parity of the refit on real data (assist2009)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.domain.bkt import BktParams
from attune.engine.domain.course import Course, IrtParams, Item, Skill, build_course
from attune.engine.grpc.convert import course_to_pb
from attune.engine.v1 import course_pb2, learner_pb2
from attune.models.refit.data import Answer
from attune.models.refit.simulate import simulate_answers
from tests.support.engine_server import META_A, ManualClock, engine_client

pytestmark = [pytest.mark.integration, pytest.mark.slow]

COURSE_BKT = BktParams(prior=0.2, learn=0.15, guess=0.1, slip=0.1)
TRUTH_BKT = BktParams(prior=0.4, learn=0.3, guess=0.3, slip=0.05)
SHIFT = 1.0  # the true difficulty of skill c's items is the course's + 1


def _course() -> Course:
    skills = [Skill(sid, sid.upper(), COURSE_BKT) for sid in ("a", "b", "c")]
    items = [
        Item(f"{sid}{n}", (sid,), IrtParams(a=1.0, b=-1.0 + 0.6 * n))
        for sid in ("a", "b", "c")
        for n in range(4)
    ]
    return build_course("refit", skills, items, title="Refit")


def _answers(course: Course) -> list[Answer]:
    truth_irt = {i.item_id: IrtParams(1.0, i.irt.b + SHIFT) for i in course.items_for("c")}
    busy = simulate_answers(
        course, 300, bkt_truth={"a": TRUTH_BKT}, irt_truth=truth_irt, skills=("a", "c"), seed=5
    )
    few = simulate_answers(course, 120, bkt_truth={"b": TRUTH_BKT}, skills=("b",), seed=6)
    return busy + few


async def _record(data_dir: Path, course: Course, answers: list[Answer]) -> None:
    async with engine_client(data_dir, clock=ManualClock()) as client:
        await client.courses.PutCourse(
            course_pb2.PutCourseRequest(course=course_to_pb(course)), metadata=META_A
        )

        def requests():
            for n, a in enumerate(answers):
                yield learner_pb2.StreamResponsesRequest(
                    record=learner_pb2.RecordResponseRequest(
                        event_id=f"e{n}",
                        learner_id=a.learner_id,
                        course_id=course.course_id,
                        item_id=a.item_id,
                        correct=a.score == 1.0,
                        # every 50th answer is too fast: the engine weighs it down, the
                        # refit leaves it out
                        response_time_ms=500 if n % 50 == 0 else 20_000,
                    )
                )

        errors = [
            r.error
            async for r in client.learners.StreamResponses(requests(), metadata=META_A)
            if r.HasField("error")
        ]
        assert errors == []


async def _stored(data_dir: Path) -> Course | None:
    store = SqliteStore.open(data_dir / "attune.db")
    try:
        return await store.get_course("tenant-a", "refit")
    finally:
        await store.close()


def _refit(data_dir: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "attune",
            "refit",
            "--data-dir",
            str(data_dir),
            "--tenant",
            "tenant-a",
            "--course",
            "refit",
            "--json",
            "--log-format",
            "json",
            *flags,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_refit_adopts_better_parameters_through_the_engine(tmp_path: Path) -> None:
    course = _course()
    answers = _answers(course)
    asyncio.run(_record(tmp_path, course, answers))

    dry = _refit(tmp_path, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert asyncio.run(_stored(tmp_path)) == course  # a dry run changes nothing

    done = _refit(tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["applied"] is True
    assert report["dropped"]["not_credible"] == len(answers) // 50 + 1
    skills = {s["skill_id"]: s for s in report["skills"]}

    # a: 300 learners, ~240 in the fit part: refitted, adopted, closer to the truth.
    a = skills["a"]
    assert a["fit_sequences"] >= 200 and a["decision"] == "adopted"
    assert a["new"]["loglik"] > a["old"]["loglik"]
    for name in ("prior", "learn", "guess"):
        old_gap = abs(getattr(COURSE_BKT, name) - getattr(TRUTH_BKT, name))
        assert abs(a["new_params"][name] - getattr(TRUTH_BKT, name)) < old_gap / 2, name
    # b: 120 learners, under 200 in the fit part: kept, and said so.
    b = skills["b"]
    assert b["fit_sequences"] < 200 and b["decision"] == "kept"
    assert "< 200" in b["reason"] and b["new_params"] is None

    # c's items are harder than the course says: calibrated b moved toward the truth.
    items = {i["item_id"]: i for i in report["items"]}
    moved = [items[f"c{n}"] for n in range(4) if items[f"c{n}"]["decision"] == "adopted"]
    assert len(moved) >= 3
    for item in moved:
        truth = item["old_params"]["b"] + SHIFT
        assert abs(item["new_params"]["b"] - truth) < SHIFT / 2

    stored = asyncio.run(_stored(tmp_path))
    assert stored is not None and stored != course  # a new version of the course
    assert stored.skills["b"].bkt == COURSE_BKT
    assert stored.skills["a"].bkt != COURSE_BKT
    assert (
        stored.skills["a"].bkt.guess == a["new_params"]["guess"]
        or abs(stored.skills["a"].bkt.guess - a["new_params"]["guess"]) < 1e-6
    )
    assert stored.items["c1"].irt.b == pytest.approx(items["c1"]["new_params"]["b"], abs=1e-6)

    lines = [json.loads(x) for x in done.stderr.splitlines() if x.startswith("{")]
    compared = [x for x in lines if x.get("event") == "refit.compared"]
    assert {x.get("skill_id") for x in compared} >= {"a", "b", "c"}
    assert all(x["tenant"] == "tenant-a" for x in compared)
    assert any(x.get("summary") for x in compared)


def test_refit_refuses_an_unknown_course_and_a_missing_store(tmp_path: Path) -> None:
    missing = _refit(tmp_path / "nowhere")
    assert missing.returncode == 2 and "no embedded store" in missing.stderr
    asyncio.run(_record(tmp_path, _course(), []))
    unknown = subprocess.run(
        [
            sys.executable,
            "-m",
            "attune",
            "refit",
            "--data-dir",
            str(tmp_path),
            "--tenant",
            "tenant-a",
            "--course",
            "nope",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert unknown.returncode == 2 and "no course 'nope'" in unknown.stderr


def test_the_refit_is_pybkt_exactly_on_real_data() -> None:
    """assist2009 (first 400 learners, its two busiest skills): the refit's new parameters
    are pyBKT's own fit of the same fit-part rows, and its held-out predictions are pyBKT's
    ``predict``, both to 1e-9."""
    import collections

    import pandas as pd
    from pyBKT.models import Model

    from attune.models.datasets import read_kt
    from attune.models.refit.bkt_refit import one_step_predictions
    from attune.models.refit.config import RefitConfig
    from attune.models.refit.core import refit_course
    from attune.models.refit.data import skill_sequences, split
    from tests.support.shared_data import shared_data_dir

    raw = list(read_kt(shared_data_dir() / "kt" / "assist2009" / "train.csv", 400))
    counts = collections.Counter(str(s) for q in raw for s in q.skills)
    chosen = [s for s, _ in counts.most_common(2)]
    skills = [Skill(s, s) for s in chosen]
    course = build_course("assist", skills, [Item(s, (s,)) for s in chosen])
    answers = [
        Answer(str(q.learner), str(s), float(c))
        for q in raw
        for s, c in zip(q.skills, q.correct, strict=True)
        if str(s) in chosen
    ]
    config = RefitConfig(min_sequences=50, calibrate_irt=False)
    report = refit_course(course, answers, config).report

    fit, held = split(course.course_id, answers, config.holdout_fraction)
    df = pd.DataFrame(
        [(n, a.learner_id, a.item_id, int(a.score)) for n, a in enumerate(fit)],
        columns=["order_id", "user_id", "skill_name", "correct"],
    )
    model = Model(seed=config.seed, num_fits=1, parallel=False)
    model.fit(data=df, forgets=False)
    held_df = pd.DataFrame(
        [(n, a.learner_id, a.item_id, int(a.score)) for n, a in enumerate(held)],
        columns=["order_id", "user_id", "skill_name", "correct"],
    )
    predicted = model.predict(data=held_df)
    held_seqs = skill_sequences(course, held)
    for decision in report.skills:
        assert decision.new_params is not None, decision.reason
        want = model.fit_model[decision.skill_id]
        got = decision.new_params
        assert abs(got.prior - float(want["prior"])) < 1e-9
        assert abs(got.learn - float(want["learns"][0])) < 1e-9
        assert abs(got.guess - float(want["guesses"][0])) < 1e-9
        assert abs(got.slip - float(want["slips"][0])) < 1e-9
        # pyBKT's rows of this skill, learner by learner in log order, as ours are
        rows = predicted[predicted["skill_name"] == decision.skill_id]
        theirs = [
            p
            for learner in held_seqs[decision.skill_id]
            for p in rows[rows["user_id"] == learner].sort_values("order_id")["correct_predictions"]
        ]
        ours = one_step_predictions(held_seqs[decision.skill_id], got)
        assert len(ours) == len(theirs) > 100
        assert max(abs(x - y) for x, y in zip(ours, theirs, strict=True)) < 1e-9
        assert decision.new is not None and decision.new.n == len(ours)


def test_the_engine_job_worker_runs_in_a_child_process() -> None:
    from attune.engine.refit_job import run_worker
    from attune.engine.settings import RefitSettings

    course = _course()
    answers = [(a.learner_id, a.item_id, a.score, 1.0) for a in _answers(course)[:400]]
    reply = asyncio.run(run_worker(course, answers, RefitSettings(min_item_responses=10_000)))
    assert reply["report"]["course_id"] == "refit"
    assert reply["report"]["responses"] == 400
    assert reply["adopted"] == {"skills": {}, "items": {}}
