"""DKT over gRPC: predictions equal the torch model, O(1) steps, hot reload, rollback,
fallback to BKT with the reason, and refusal of a mismatched model."""

from __future__ import annotations

import shutil
from pathlib import Path

import grpc
import pytest

from attune.engine.v1 import course_pb2, learner_pb2
from tests.support.courses import chain_course
from tests.support.dkt_artifact import torch_steps, write_artifact
from tests.support.engine_server import META_A, Client, engine_client

pytestmark = pytest.mark.integration
SKILLS = ["a", "b", "c"]


def _course(pin: str) -> course_pb2.Course:
    course = chain_course()
    course.dkt_model = pin
    return course


def _req(eid: str, item: str, correct: bool, rt: int = 9000) -> learner_pb2.RecordResponseRequest:
    return learner_pb2.RecordResponseRequest(
        event_id=eid,
        learner_id="l1",
        course_id="chain",
        item_id=item,
        correct=correct,
        response_time_ms=rt,
    )


def _count_history_reads(client: Client) -> list[int]:
    """Count the engine store's reads of a learner's history: ``[n]``, updated in place."""
    store = client.running.engine.store
    reads = [0]
    original = store.read_learner_events

    async def counting(*args):
        reads[0] += 1
        return await original(*args)

    store.read_learner_events = counting  # type: ignore[method-assign]
    return reads


async def _put(client: Client, pin: str) -> None:
    await client.courses.PutCourse(
        course_pb2.PutCourseRequest(course=_course(pin)), metadata=META_A
    )


async def _state(client: Client) -> learner_pb2.GetLearnerStateResponse:
    return await client.learners.GetLearnerState(
        learner_pb2.GetLearnerStateRequest(learner_id="l1", course_id="chain"), metadata=META_A
    )


async def test_dkt_predictions_equal_torch_and_steps_are_o1(tmp_path: Path) -> None:
    models = tmp_path / "models"
    folder = write_artifact(models, "toy", "1.0.0", SKILLS)
    answers = [("a", True), ("a", False), ("b", True), ("c", True), ("c", False), ("a", True)]
    items = {"a": "a1", "b": "b1", "c": "c1"}
    expected = torch_steps(folder, SKILLS, answers)
    async with engine_client(tmp_path, models_dir=models) as client:
        await _put(client, "toy@1.0.0")
        reads = _count_history_reads(client)
        for n, ((skill, correct), p) in enumerate(zip(answers, expected, strict=True)):
            reply = await client.learners.RecordResponse(
                _req(f"e{n}", items[skill], correct), metadata=META_A
            )
            assert reply.predictor == learner_pb2.PREDICTOR_DKT
            state = await _state(client)
            for s in state.skills:
                assert s.HasField("dkt_p_correct")
                assert abs(s.dkt_p_correct - p[SKILLS.index(s.skill_id)]) < 1e-5
        assert reads[0] == 0, "a response must never re-read the learner's history"
        assert state.dkt_model == "toy@1.0.0"


async def test_mismatched_or_missing_model_is_refused_naming_it(tmp_path: Path) -> None:
    models = tmp_path / "models"
    write_artifact(models, "narrow", "1.0.0", ["a", "b"])
    async with engine_client(tmp_path, models_dir=models) as client:
        for pin, needle in [("narrow", "skills of course 'chain': c"), ("ghost", "not loaded")]:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await _put(client, pin)
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "course.dkt_model" in err.value.details()
            assert needle in err.value.details()


async def test_hot_reload_rebuilds_state_and_rollback_by_pin(tmp_path: Path) -> None:
    models = tmp_path / "models"
    write_artifact(models, "toy", "1.0.0", SKILLS)
    async with engine_client(tmp_path, models_dir=models) as client:
        await _put(client, "toy")  # follow the newest version
        for n in range(3):
            await client.learners.RecordResponse(_req(f"e{n}", "a1", True), metadata=META_A)
        assert (await _state(client)).dkt_model == "toy@1.0.0"
        new = write_artifact(models, "toy", "1.1.0", SKILLS, seed=5)
        assert client.registry is not None
        client.registry.reload()
        reply = await client.learners.RecordResponse(_req("e3", "b1", False), metadata=META_A)
        assert reply.predictor == learner_pb2.PREDICTOR_DKT
        state = await _state(client)
        assert state.dkt_model == "toy@1.1.0"
        # The new version's state was rebuilt from the whole history, then stepped once.
        answers = [("a", True)] * 3 + [("b", False)]
        expected = torch_steps(new, SKILLS, answers)[-1]
        for s in state.skills:
            assert abs(s.dkt_p_correct - expected[SKILLS.index(s.skill_id)]) < 1e-5
        await _put(client, "toy@1.0.0")  # roll back without a restart
        await client.learners.RecordResponse(_req("e4", "a2", True), metadata=META_A)
        assert (await _state(client)).dkt_model == "toy@1.0.0"


async def test_falls_back_to_bkt_and_says_why(tmp_path: Path) -> None:
    models = tmp_path / "models"
    write_artifact(models, "toy", "1.0.0", SKILLS)
    async with engine_client(tmp_path, models_dir=models) as client:
        await _put(client, "toy@1.0.0")
        ok = await client.learners.RecordResponse(_req("e0", "a1", True), metadata=META_A)
        assert ok.predictor == learner_pb2.PREDICTOR_DKT and ok.predictor_note == ""
        registry = client.registry
        assert registry is not None
        model = registry.resolve("toy@1.0.0")

        class Broken:
            def run(self, *_a, **_k):
                raise RuntimeError("onnxruntime exploded")

        object.__setattr__(model, "session", Broken())
        failed = await client.learners.RecordResponse(_req("e1", "a1", True), metadata=META_A)
        assert failed.predictor == learner_pb2.PREDICTOR_BKT
        assert "failed: RuntimeError" in failed.predictor_note
        assert failed.skills[0].attempts == 2  # BKT carried on
        shutil.rmtree(models / "toy")
        registry.reload()
        gone = await client.learners.RecordResponse(_req("e2", "a1", True), metadata=META_A)
        assert gone.predictor == learner_pb2.PREDICTOR_BKT
        assert "not loaded" in gone.predictor_note
    async with engine_client(tmp_path / "plain") as client:
        await _put(client, "")
        plain = await client.learners.RecordResponse(_req("p0", "a1", True), metadata=META_A)
        assert plain.predictor == learner_pb2.PREDICTOR_BKT and plain.predictor_note == ""


async def test_too_fast_answers_never_make_each_response_reread_the_history(
    tmp_path: Path,
) -> None:
    """Issue 20: a history of too-fast answers gives no DKT state; that emptiness is stored
    under the model's version, so later answers do not read and replay the log again."""
    models = tmp_path / "models"
    folder = write_artifact(models, "toy", "1.0.0", SKILLS)
    async with engine_client(tmp_path, models_dir=models) as client:
        await _put(client, "toy@1.0.0")
        reads = _count_history_reads(client)
        for n in range(8):  # all under the 2 s too-fast floor
            reply = await client.learners.RecordResponse(
                _req(f"fast{n}", "a1", n % 2 == 0, rt=300), metadata=META_A
            )
            assert reply.flags == [learner_pb2.RESPONSE_FLAG_TOO_FAST]
            assert reply.predictor == learner_pb2.PREDICTOR_BKT  # no credible answer yet
        assert reads[0] == 0, "an empty DKT state must not be rebuilt on every response"
        reply = await client.learners.RecordResponse(_req("slow", "b1", True), metadata=META_A)
        assert reply.predictor == learner_pb2.PREDICTOR_DKT
        expected = torch_steps(folder, SKILLS, [("b", True)])[-1]
        state = await _state(client)
        for s in state.skills:
            assert abs(s.dkt_p_correct - expected[SKILLS.index(s.skill_id)]) < 1e-5
        assert reads[0] == 0
