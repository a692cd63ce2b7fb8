"""DKT end to end on a slice of assist2009_dedup: train a tiny model, export it as one ONNX
step, and check the artifact against the engine's manifest parser and the PyTorch model."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch

from attune.engine.dkt.manifest import parse_manifest
from attune.models.datasets import KtSequence, read_kt
from attune.models.dkt.config import TrainConfig
from attune.models.dkt.data import build_skill_index, sha256_files
from attune.models.dkt.evaluate import OnnxStepper
from attune.models.dkt.export import write_artifact
from attune.models.dkt.model import DktModel
from attune.models.dkt.train import TrainResult, train_dkt
from tests.support.shared_data import shared_data_dir

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LEARNERS = 200
TINY = TrainConfig(hidden=16, embed=16, max_epochs=2, patience=1, seed=7, batch_size=32)


class Slice:
    """The first learners of the train file, the test file, and the full skill index."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.train = list(read_kt(folder / "train.csv", LEARNERS))
        self.test = list(read_kt(folder / "test.csv"))
        self.index = build_skill_index(read_kt(folder / "train.csv"), self.test)


@pytest.fixture(scope="module")
def data() -> Slice:
    return Slice(shared_data_dir() / "kt" / "assist2009_dedup")


@pytest.fixture(scope="module")
def trained(data: Slice) -> TrainResult:
    return train_dkt(data.train, data.index, TINY, progress=False)


@pytest.fixture(scope="module")
def artifact(data: Slice, trained: TrainResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_artifact(
        trained.model,
        tmp_path_factory.mktemp("artifacts"),
        "dkt-tiny",
        "1.0.0",
        {str(k): v for k, v in data.index.items()},
        sha256_files([data.folder / "train.csv"]),
        {"test_auc": 0.5, **trained.summary()},
        probe=[encode(q, data.index) for q in long_learners(data)],
    )


def long_learners(data: Slice, count: int = 4, at_least: int = 200) -> list[KtSequence]:
    chosen = [q for q in data.test if len(q.skills) >= at_least][:count]
    assert len(chosen) == count
    return chosen


def encode(q: KtSequence, index: dict[int, int]) -> np.ndarray:
    skills = np.array([index[s] for s in q.skills], dtype=np.int64)
    return skills + len(index) * np.array(q.correct, dtype=np.int64)


def test_the_manifest_is_what_the_engine_parses(data: Slice, artifact: Path) -> None:
    assert sorted(p.name for p in artifact.iterdir()) == ["manifest.json", "model.onnx"]
    manifest = parse_manifest(json.loads((artifact / "manifest.json").read_text()))
    assert manifest.key == "dkt-tiny@1.0.0"
    assert manifest.num_skills == len(data.index) and manifest.hidden_size == 16
    assert manifest.skill_index == {str(k): v for k, v in data.index.items()}
    assert manifest.inputs == {"interaction": "interaction", "h": "h", "c": "c"}
    assert manifest.outputs == {"p_correct": "p_correct", "h": "h_out", "c": "c_out"}
    assert manifest.training_data_sha256 == sha256_files([data.folder / "train.csv"])
    assert manifest.metrics["epochs_run"] == 2
    assert manifest.metrics["onnx_parity_max_abs_diff"] <= 1e-5
    assert manifest.metrics["onnx_parity_steps"] >= 4 * 200


def test_the_graph_signature_matches_the_contract(data: Slice, artifact: Path) -> None:
    session = ort.InferenceSession(str(artifact / "model.onnx"))
    inputs = {i.name: (i.type, i.shape) for i in session.get_inputs()}
    outputs = {o.name: (o.type, o.shape) for o in session.get_outputs()}
    n = len(data.index)
    assert inputs["interaction"] == ("tensor(int64)", ["batch"])
    assert inputs["h"] == inputs["c"] == ("tensor(float)", ["batch", 16])
    assert outputs["p_correct"] == ("tensor(float)", ["batch", n])
    assert outputs["h_out"] == outputs["c_out"] == ("tensor(float)", ["batch", 16])
    assert (artifact / "model.onnx").stat().st_size < 5 * 1024 * 1024


def test_onnx_steps_equal_the_sequence_model(
    data: Slice, trained: TrainResult, artifact: Path
) -> None:
    session = ort.InferenceSession(str(artifact / "model.onnx"))
    learners = long_learners(data)
    worst = 0.0
    with torch.no_grad():
        for q in learners:
            x = encode(q, data.index)
            expected = torch.sigmoid(trained.model(torch.from_numpy(x)[None]))[0].numpy()
            h = np.zeros((1, 16), dtype=np.float32)
            c = np.zeros_like(h)
            for t, interaction in enumerate(x):
                feed = {"interaction": np.array([interaction]), "h": h, "c": c}
                p, h, c = session.run(["p_correct", "h_out", "c_out"], feed)
                worst = max(worst, float(np.abs(p[0] - expected[t]).max()))
    assert worst <= 1e-5, f"max abs diff {worst:.2e}"


def test_a_batch_of_learners_steps_like_each_alone(
    data: Slice, trained: TrainResult, artifact: Path
) -> None:
    learners = long_learners(data, count=5, at_least=100)
    y_onnx, p_onnx = OnnxStepper(artifact).predict(learners)  # all five stepped together
    expected = []
    with torch.no_grad():
        for q in learners:
            x = torch.from_numpy(encode(q, data.index))[None]
            probs = torch.sigmoid(trained.model(x))[0].numpy()
            nxt = [data.index[s] for s in q.skills[1:]]
            expected.append(probs[np.arange(len(nxt)), nxt])
    assert y_onnx.tolist() == [float(c) for q in learners for c in q.correct[1:]]
    assert float(np.abs(p_onnx - np.concatenate(expected)).max()) <= 1e-5


def _weights(model: DktModel) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_the_same_seed_gives_the_same_weights(data: Slice, trained: TrainResult) -> None:
    again = train_dkt(data.train, data.index, TINY, progress=False)
    first, second = _weights(trained.model), _weights(again.model)
    assert first.keys() == second.keys()
    assert all(torch.equal(first[k], second[k]) for k in first)
    assert again.history == trained.history
    other = train_dkt(data.train, data.index, replace(TINY, seed=8), progress=False)
    assert not torch.equal(first["out.weight"], _weights(other.model)["out.weight"])


def test_early_stopping_stops_and_keeps_the_best_epoch(data: Slice) -> None:
    # A learning rate this high overshoots, so the validation AUC soon fails to improve.
    config = replace(TINY, lr=0.2, max_epochs=10, patience=1)
    result = train_dkt(data.train[:100], data.index, config, progress=False)
    assert result.stopped_early
    assert result.epochs_run == result.best_epoch + config.patience < config.max_epochs
    aucs = [h["val_auc"] for h in result.history]
    assert aucs[result.best_epoch - 1] == max(aucs)


def test_the_cli_trains_and_writes_an_artifact(data: Slice, tmp_path: Path) -> None:
    from attune.models.dkt import cli

    folder = tmp_path / "tiny_set"
    folder.mkdir()
    (folder / "train.csv").write_text(_dkt_text(data.train[:60]))
    (folder / "test.csv").write_text(_dkt_text(data.test[:20]))
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="models_command"))
    out = tmp_path / "artifacts"
    argv = ["train-dkt", "--dataset", str(folder), "--out", str(out), "--hidden", "8"]
    argv += ["--embed", "8", "--epochs", "1", "--no-progress"]
    assert cli.run(parser.parse_args(argv)) == 0
    manifest = parse_manifest(json.loads((out / "dkt-tiny-set/1.0.0/manifest.json").read_text()))
    assert manifest.hidden_size == 8 and 0.0 <= manifest.metrics["test_auc"] <= 1.0


def _dkt_text(seqs: list[KtSequence]) -> str:
    return "".join(
        f"{len(q.skills)}\n{','.join(map(str, q.skills))}\n{','.join(map(str, q.correct))}\n"
        for q in seqs
    )


# The artifacts shipped under models/artifacts (written by `attune models train-dkt` and
# `train-demo-dkt`): each is what the engine loads, and the demo's knows the demo course.

SHIPPED = sorted(Path(__file__).resolve().parents[2].glob("models/artifacts/*/*/manifest.json"))


@pytest.mark.parametrize("manifest_path", SHIPPED, ids=lambda p: f"{p.parent.parent.name}")
def test_a_shipped_artifact_parses_and_is_small(manifest_path: Path) -> None:
    folder = manifest_path.parent
    manifest = parse_manifest(json.loads(manifest_path.read_text()))
    assert (manifest.name, manifest.version) == (folder.parent.name, folder.name)
    assert sum(f.stat().st_size for f in folder.iterdir()) < 5 * 1024 * 1024
    session = ort.InferenceSession(str(folder / "model.onnx"))
    h = np.zeros((3, manifest.hidden_size), dtype=np.float32)
    p, h_out, _ = session.run(
        ["p_correct", "h_out", "c_out"],
        {"interaction": np.array([0, 1, manifest.num_skills], dtype=np.int64), "h": h, "c": h},
    )
    assert p.shape == (3, manifest.num_skills) and h_out.shape == h.shape
    assert ((p > 0) & (p < 1)).all()


def test_the_demo_artifact_knows_every_demo_skill() -> None:
    from attune.engine.demo.course import demo_course
    from attune.engine.dkt.manifest import check_course

    path = Path(__file__).resolve().parents[2] / "models/artifacts/demo-dkt/1.0.0/manifest.json"
    manifest = parse_manifest(json.loads(path.read_text()))
    course = demo_course()
    check_course(manifest, course)
    assert manifest.skill_index == {s: n for n, s in enumerate(course.order)}
