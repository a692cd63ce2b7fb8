"""``attune models fit-bkt`` and ``export-events``: pyBKT's numbers in the artifact, the
event-log path through a real engine process, and bad input refused with exit 2."""

from __future__ import annotations

import asyncio
import collections
import json
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest

from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.demo.course import demo_course_json
from attune.engine.domain.bkt import BktParams
from attune.engine.domain.course_json import course_from_json
from attune.engine.domain.errors import InvalidInputError
from attune.engine.v1 import learner_pb2, learner_pb2_grpc
from attune.models.bkt import apply_params
from attune.models.bkt.cli import main as models_main
from attune.models.datasets import read_kt
from tests.support.serve_proc import TOKEN_META, start_engine
from tests.support.shared_data import shared_data_dir

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LEARNERS = 300
MIN_SEQUENCES = 80  # of 300 learners, two assist2009 skills reach it (pyBKT is slow)
PARAMS = ("prior", "learn", "guess", "slip", "forget")


def models(*argv: object) -> int:
    """``attune models ...`` in process, as the ``attune`` CLI will dispatch it."""
    return models_main([str(a) for a in argv])


def _pybkt_fit(data: Path, forgets: bool) -> tuple[dict[str, int], dict[str, dict[str, float]]]:
    """Learner counts per skill, and pyBKT's own fit of the skills with enough of them."""
    import pandas as pd
    from pyBKT.models import Model

    raw = list(read_kt(data / "train.csv", LEARNERS))
    counts = collections.Counter(str(s) for q in raw for s in set(q.skills))
    chosen = {s for s, n in counts.items() if n >= MIN_SEQUENCES}
    rows = [
        (q.learner, str(s), c)
        for q in raw
        for s, c in zip(q.skills, q.correct, strict=True)
        if str(s) in chosen
    ]
    df = pd.DataFrame(rows, columns=["user_id", "skill_name", "correct"])
    df.insert(0, "order_id", range(len(df)))
    model = Model(seed=42, num_fits=1, parallel=False)
    model.fit(data=df, forgets=forgets)
    fitted = {
        skill: {
            "prior": float(m["prior"]),
            "learn": float(m["learns"][0]),
            "guess": float(m["guesses"][0]),
            "slip": float(m["slips"][0]),
            "forget": float(m["forgets"][0]),
        }
        for skill, m in model.fit_model.items()
    }
    return dict(counts), fitted


# -- (a) a KT dataset -----------------------------------------------------------------------


def test_dataset_fit_carries_pybkt_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    data = shared_data_dir() / "kt" / "assist2009"
    out = tmp_path / "params.json"
    code = models(
        "fit-bkt", "--dataset", data, "--max-learners", LEARNERS,
        "--min-sequences", MIN_SEQUENCES, "--forgets", "--out", out,
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0
    artifact = json.loads(out.read_text())
    counts, expected = _pybkt_fit(data, forgets=True)

    assert artifact["kind"] == "bkt-params" and artifact["version"] == 1
    assert artifact["fitted_with"] == "pyBKT 1.4.3" and artifact["forgets"] is True
    assert artifact["source"]["learners"] == LEARNERS
    assert artifact["source"]["path"].endswith("assist2009/train.csv")
    assert len(artifact["source"]["sha256"]) == 64

    fitted = {s for s, e in artifact["skills"].items() if e["fitted"]}
    assert len(fitted) >= 2, artifact["skills"]
    assert fitted <= set(expected)
    for skill, entry in artifact["skills"].items():
        assert entry["fitted"], entry  # a bare dataset has no defaults to keep
        assert {p: entry[p] for p in PARAMS} == expected[skill]  # exactly pyBKT's numbers
        assert all(0.0 <= entry[p] <= 1.0 for p in PARAMS)
        assert entry["guess"] + entry["slip"] < 1.0
        assert entry["sequences"] == counts[skill]
    for skill in set(expected) - fitted:  # a fit of enough data that was not valid BKT
        assert "rejected" in artifact["omitted"][skill]["note"]

    few = {s: n for s, n in counts.items() if n < MIN_SEQUENCES}
    assert few
    assert set(artifact["omitted"]) == few.keys() | (set(expected) - fitted)
    for skill, n in few.items():
        assert artifact["omitted"][skill]["sequences"] == n
        assert f"{n} learner sequences < {MIN_SEQUENCES}" in artifact["omitted"][skill]["note"]
        assert f"  {skill}: {n} sequences\n" in printed
    assert f"{len(fitted)} of {len(counts)} skills fitted" in printed


# -- (b) the engine's event log ---------------------------------------------------------------

TRUE_BKT = {"prior": 0.3, "learn": 0.25, "guess": 0.15, "slip": 0.1}
BUSY = ("place-value", "whole-add")  # every learner: these reach --min-sequences
MULTI_ITEM = "expr-evaluate/3"  # exercises expr-evaluate and exponents
TOO_FAST_MS = 500  # under the 2 s floor: the engine logs credibility 0.2


def _plan(learners: int, seed: int) -> list[list[tuple[str, bool, int]]]:
    """Per learner, in order: (item, correct, response_time_ms), from a simulated BKT learner."""
    rng = random.Random(seed)
    plans = []
    for n in range(learners):
        steps: list[tuple[str, bool, int]] = []
        skills = list(BUSY) + (["whole-sub"] if n < 5 else [])
        for skill in skills:
            known = rng.random() < TRUE_BKT["prior"]
            for t in range(6):
                p = 1 - TRUE_BKT["slip"] if known else TRUE_BKT["guess"]
                steps.append((f"{skill}/{1 + t % 3}", rng.random() < p, 9000))
                known = known or rng.random() < TRUE_BKT["learn"]
        if n < 10:
            steps += [(MULTI_ITEM, rng.random() < 0.5, 9000) for _ in range(2)]
        if n % 10 == 0:
            steps.append((f"{BUSY[0]}/1", True, TOO_FAST_MS))
        plans.append(steps)
    return plans


def _record(target: str, plans: list[list[tuple[str, bool, int]]]) -> int:
    def learner(n: int) -> int:
        with grpc.insecure_channel(target) as channel:
            stub = learner_pb2_grpc.LearnerServiceStub(channel)
            for t, (item, correct, ms) in enumerate(plans[n]):
                stub.RecordResponse(
                    learner_pb2.RecordResponseRequest(
                        event_id=f"e-{n}-{t}",
                        learner_id=f"pseudo-{n:03d}",
                        course_id="demo",
                        item_id=item,
                        correct=correct,
                        response_time_ms=ms,
                    ),
                    metadata=TOKEN_META,
                    timeout=10,
                )
        return len(plans[n])

    # Learners in parallel (the group commit batches them), each learner's answers in order.
    with ThreadPoolExecutor(8) as pool:
        return sum(pool.map(learner, range(len(plans))))


def test_event_log_fit_applies_to_the_course(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    data_dir = tmp_path / "data"
    plans = _plan(learners=50, seed=5)
    engine = start_engine(data_dir)
    try:
        recorded = _record(engine.target, plans)
    finally:
        assert engine.terminate() == 0
    too_fast = sum(ms == TOO_FAST_MS for p in plans for _, _, ms in p)

    events = tmp_path / "events.jsonl"
    assert models("export-events", "--data-dir", data_dir, "--course", "demo", "--out", events) == 0
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    assert len(lines) == recorded
    assert set(lines[0]) == {
        "tenant", "event_id", "learner_id", "course_id", "item_id", "score",
        "response_time_ms", "occurred_at", "credibility", "log_id",
    }  # fmt: skip
    assert [e["log_id"] for e in lines] == sorted(e["log_id"] for e in lines)
    assert {e["learner_id"] for e in lines} == {f"pseudo-{n:03d}" for n in range(50)}
    assert sum(e["credibility"] < 1 for e in lines) == too_fast

    params, course_out = tmp_path / "params.json", tmp_path / "course.json"
    capsys.readouterr()
    code = models(
        "fit-bkt", "--events", events, "--course", "demo", "--min-sequences", 40,
        "--out", params, "--apply-to", "demo", "--course-out", course_out,
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0, printed
    artifact = json.loads(params.read_text())
    source = artifact["source"]
    assert source["dropped"] == {"other_course": 0, "unknown_item": 0, "not_credible": too_fast}
    assert source["responses"] == recorded - too_fast
    assert source["rows"] == source["responses"] + 2 * 10  # the two-skill item: two rows each
    skills = artifact["skills"]
    original = {s["skill_id"]: s["bkt"] for s in demo_course_json()["skills"]}
    assert set(skills) == set(original)  # with a course, every skill is in the artifact
    assert {s for s, e in skills.items() if e["fitted"]} == set(BUSY)
    assert skills["whole-sub"]["sequences"] == 5
    assert skills["expr-evaluate"]["sequences"] == skills["exponents"]["sequences"] == 10
    assert skills["systems"]["sequences"] == 0
    assert "  whole-sub: 5 sequences\n" in printed
    assert "kept the course defaults" in printed
    for skill in BUSY:
        assert skills[skill]["forget"] == 0.0  # fitted without --forgets

    updated = json.loads(course_out.read_text())
    course = course_from_json(updated)
    for sid, skill in course.skills.items():
        bkt = {p: getattr(skill.bkt, p) for p in PARAMS}
        if sid in BUSY:
            assert bkt == {p: skills[sid][p] for p in PARAMS}
            assert bkt != original[sid]
        else:
            assert bkt == original[sid]
            assert {p: skills[sid][p] for p in PARAMS} == original[sid]  # defaults, reported
    assert updated["items"] == demo_course_json()["items"]


# -- (c) bad input ----------------------------------------------------------------------------


def test_bad_input_exits_2_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "params.json"
    events = tmp_path / "events.jsonl"
    events.write_text("")
    bad_kt = tmp_path / "bad.csv"
    bad_kt.write_text("2\n1,2\n1,x\n")
    bad_line = tmp_path / "bad.jsonl"
    bad_line.write_text('{"learner_id": "a", "course_id": "demo", "item_id": "x"}\n')
    cases = [
        (("fit-bkt", "--dataset", tmp_path / "nope.csv"), "dataset not found"),
        (("fit-bkt", "--dataset", bad_kt), "bad.csv:3: not a list of integers"),
        (("fit-bkt", "--events", events), "--events needs --course"),
        (("fit-bkt", "--events", events, "--course", "nope"), "unknown course 'nope'"),
        (("fit-bkt", "--events", events, "--course", "demo"), "no responses to fit"),
        (("fit-bkt", "--events", bad_line, "--course", "demo"), "bad.jsonl:1: score"),
        (("fit-bkt", "--dataset", bad_kt, "--min-sequences", 0), "--min-sequences"),
        (("fit-bkt", "--dataset", bad_kt, "--apply-to", "demo"), "--course-out"),
        (("export-events", "--data-dir", tmp_path / "none"), "no embedded store"),
    ]
    for argv, message in cases:
        assert models(*argv, "--out", out) == 2, argv
        err = capsys.readouterr().err
        assert message in err, (argv, err)
        assert "Traceback" not in err
    assert not out.exists()


def test_export_refuses_a_store_in_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    store = SqliteStore.open(tmp_path / "attune.db")  # as a running engine holds it
    try:
        assert models("export-events", "--data-dir", tmp_path, "--out", tmp_path / "e.jsonl") == 2
        assert "another engine process holds" in capsys.readouterr().err
    finally:
        asyncio.run(store.close())
    assert (
        models(
            "export-events", "--data-dir", tmp_path, "--course", "x", "--out", tmp_path / "x.jsonl"
        )
        == 2
    )
    assert "no course 'x' in tenant 'default'" in capsys.readouterr().err


def test_module_entry_point_prints_no_traceback(tmp_path: Path):
    proc = subprocess.run(
        [sys.executable, "-m", "attune.models.bkt", "fit-bkt",
         "--events", str(tmp_path / "none.jsonl"),
         "--course", "demo", "--out", str(tmp_path / "p.json")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "event export not found" in proc.stderr and "Traceback" not in proc.stderr


def _artifact(**place_value: object) -> dict[str, object]:
    entry = {"prior": 0.3, "learn": 0.2, "guess": 0.2, "slip": 0.1, "forget": 0.0}
    entry |= {"sequences": 300, "fitted": True, "note": ""} | place_value
    return {"kind": "bkt-params", "version": 1, "skills": {"place-value": entry}}


def test_apply_refuses_a_bad_artifact_naming_the_field():
    course = demo_course_json()
    good = apply_params(course, _artifact())
    assert good["skills"][0]["bkt"]["guess"] == 0.2
    assert course == demo_course_json()  # the input is not modified
    bad = [
        (_artifact(slip=1.5), 'params.skills["place-value"].slip'),
        (_artifact(guess=0.6, slip=0.5), 'params.skills["place-value"].guess'),
        (_artifact(prior="high"), 'params.skills["place-value"].prior'),
        (_artifact(fitted="yes"), 'params.skills["place-value"].fitted'),
        ({**_artifact(), "kind": "dkt"}, "params.kind"),
    ]
    for artifact, field in bad:
        with pytest.raises(InvalidInputError) as err:
            apply_params(course, artifact)
        assert err.value.field == field
    # not fitted: the values are only a report, and the course keeps its own
    kept = apply_params(course, _artifact(fitted=False, slip=1.5))
    assert kept == course


def test_a_degenerate_fit_keeps_the_default_and_says_so():
    from attune.models.bkt import FitTable, Row, fit_table

    default = BktParams(prior=0.3, learn=0.2, guess=0.2, slip=0.1)
    rows = tuple(Row(f"l{n}", "always-right", 1) for n in range(30) for _ in range(4))
    table = FitTable(rows, {}, {"always-right": default})
    (result,) = fit_table(table, min_sequences=10, forgets=False, seed=42)
    # Every answer right: pyBKT explains it with guess 1, slip 0, which is not valid BKT.
    assert not result.fitted and result.sequences == 30
    assert result.params == default
    assert "guess + slip must be < 1" in result.note and "kept the course defaults" in result.note
