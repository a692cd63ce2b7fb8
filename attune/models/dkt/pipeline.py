"""The end-to-end jobs behind the CLI: train and export on a dataset; evaluate an artifact
against BKT and write the report."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from attune.models.dkt.baseline import DEFAULT_MAX_ROWS, fit_predict_bkt
from attune.models.dkt.config import TrainConfig
from attune.models.dkt.data import KtDataset, build_skill_index, load, sha256_files
from attune.models.dkt.evaluate import (
    OnnxStepper,
    calibration,
    parity_probe,
    predict_sequences,
    score,
)
from attune.models.dkt.export import write_artifact
from attune.models.dkt.report import EvaluationReport, write_report
from attune.models.dkt.train import train_dkt


def train_dataset(
    dataset: KtDataset,
    out: Path,
    name: str,
    version: str,
    config: TrainConfig,
    progress: bool = True,
) -> tuple[Path, dict[str, Any]]:
    """Train on the train file, score on the test file, write the artifact; (folder, metrics).

    The skill index covers the ids of both files, so that every test response can be
    encoded (a skill seen only in the test file keeps its untrained embedding).
    """
    train, test = load(dataset.train), load(dataset.test)
    index = build_skill_index(train, test)
    result = train_dkt(train, index, config, progress=progress)
    test_score = score(*predict_sequences(result.model, test, index))
    metrics: dict[str, Any] = {
        "dataset": dataset.name,
        "test_auc": test_score["auc"],
        "test_rmse": test_score["rmse"],
        "test_accuracy": test_score["accuracy"],
        "test_responses": test_score["responses"],
        "test_data_sha256": sha256_files([dataset.test]),
        **result.summary(),
    }
    folder = write_artifact(
        result.model,
        out,
        name,
        version,
        {str(skill): n for skill, n in index.items()},
        sha256_files([dataset.train]),
        metrics,
        probe=parity_probe(test, index),
    )
    return folder, metrics


def evaluate_dataset(
    dataset: KtDataset,
    model_dir: Path,
    report_dir: Path,
    bkt_max_rows: int = DEFAULT_MAX_ROWS,
    seed: int = 42,
    notes: Sequence[str] = (),
) -> EvaluationReport:
    """Score the artifact (through onnxruntime) and pyBKT on the test file; write the report."""
    train, test = load(dataset.train), load(dataset.test)
    stepper = OnnxStepper(model_dir)
    manifest = stepper.manifest
    y_dkt, p_dkt = stepper.predict(test)
    bkt = fit_predict_bkt(train, test, max_rows=bkt_max_rows, seed=seed)
    if len(bkt.y) != len(y_dkt) or bkt.y.sum() != y_dkt.sum():
        raise RuntimeError("DKT and BKT were scored on different test rows")
    notes = list(notes)
    if manifest.training_data_sha256 != sha256_files([dataset.train]):
        notes.append(
            f"The model's training_data_sha256 does not match {dataset.train}: it was "
            "trained on other data."
        )
    recorded = manifest.metrics.get("test_auc")
    dkt_score = score(y_dkt, p_dkt)
    if isinstance(recorded, float) and abs(recorded - dkt_score["auc"]) > 1e-4:
        notes.append(
            f"The manifest records test AUC {recorded:.4f} (PyTorch); the ONNX graph gives "
            f"{dkt_score['auc']:.4f}."
        )
    size = sum(f.stat().st_size for f in model_dir.iterdir() if f.is_file())
    report = EvaluationReport(
        dataset=dataset.name,
        scores={"DKT": dkt_score, "BKT": score(bkt.y, bkt.p)},
        calibration={
            "DKT": calibration(y_dkt, p_dkt),
            "BKT": calibration(bkt.y, bkt.p),
        },
        dkt={
            "key": manifest.key,
            "folder": _shown(model_dir),
            "size_kb": size / 1024,
            "training": {k: v for k, v in manifest.metrics.items() if not k.startswith("test")},
        },
        bkt={
            "fit_learners": bkt.fit_learners,
            "train_learners": bkt.train_learners,
            "fit_rows": bkt.fit_rows,
            "train_rows": bkt.train_rows,
            "fit_seconds": round(bkt.fit_seconds, 1),
            "unseen_rows": bkt.unseen_rows,
            "subsampled": bkt.subsampled,
            "max_rows": bkt_max_rows,
            "seed": seed,
            "mean_prediction": float(np.mean(bkt.p)),
        },
        notes=notes,
    )
    write_report(report, report_dir)
    return report


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
