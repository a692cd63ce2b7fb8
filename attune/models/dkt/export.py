"""Write a trained model as the engine's artifact: ``<out>/<name>/<version>/`` holding
``model.onnx`` (one LSTM step) and ``manifest.json`` (see :mod:`engine.dkt.manifest`)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from attune.engine.dkt.manifest import DktManifest, parse_manifest
from attune.models.dkt.evaluate import OnnxStepper, step_parity
from attune.models.dkt.model import DktModel, StepModule

OPSET = 17
INPUTS = {"interaction": "interaction", "h": "h", "c": "c"}  # role -> tensor name
OUTPUTS = {"p_correct": "p_correct", "h": "h_out", "c": "c_out"}
BROKEN = 1e-3  # a parity gap this large means the export is wrong, not float rounding


class ExportError(RuntimeError):
    """The exported graph does not compute what the PyTorch model computes."""


def export_step(model: DktModel, path: Path) -> None:
    """Export one step of ``model`` to ONNX, the batch axis dynamic on every tensor."""
    step = StepModule(model).eval()
    batch = 2
    example = (
        torch.zeros(batch, dtype=torch.int64),
        torch.zeros(batch, model.shape.hidden),
        torch.zeros(batch, model.shape.hidden),
    )
    names_in = [INPUTS[r] for r in ("interaction", "h", "c")]
    names_out = [OUTPUTS[r] for r in ("p_correct", "h", "c")]
    with torch.no_grad():
        torch.onnx.export(
            step,
            example,
            str(path),
            dynamo=False,
            opset_version=OPSET,
            input_names=names_in,
            output_names=names_out,
            dynamic_axes={name: {0: "batch"} for name in names_in + names_out},
        )


def write_artifact(
    model: DktModel,
    out: Path,
    name: str,
    version: str,
    skill_index: Mapping[str, int],
    training_data_sha256: str,
    metrics: Mapping[str, Any],
    probe: Sequence[npt.NDArray[np.int64]] = (),
) -> Path:
    """Export, write the manifest and check it with the engine's parser; the folder.

    With ``probe`` (encoded learners), the ONNX graph is stepped through them and the largest
    difference from the PyTorch model is recorded as ``metrics.onnx_parity_max_abs_diff``.
    """
    folder = out / name / version
    folder.mkdir(parents=True, exist_ok=True)
    export_step(model, folder / "model.onnx")
    _write_manifest(model, folder, name, version, skill_index, training_data_sha256, metrics)
    if probe:
        gap = step_parity(model, OnnxStepper(folder), probe)
        if gap > BROKEN:
            raise ExportError(f"{folder / 'model.onnx'} differs from the model by {gap:.2e}")
        metrics = {
            **metrics,
            "onnx_parity_max_abs_diff": float(f"{gap:.3g}"),
            "onnx_parity_steps": sum(len(x) for x in probe),
        }
        _write_manifest(model, folder, name, version, skill_index, training_data_sha256, metrics)
    return folder


def _write_manifest(
    model: DktModel,
    folder: Path,
    name: str,
    version: str,
    skill_index: Mapping[str, int],
    training_data_sha256: str,
    metrics: Mapping[str, Any],
) -> None:
    manifest = DktManifest(
        name=name,
        version=version,
        num_skills=model.shape.num_skills,
        hidden_size=model.shape.hidden,
        skill_index=dict(skill_index),
        inputs=INPUTS,
        outputs=OUTPUTS,
        training_data_sha256=training_data_sha256,
        metrics=dict(metrics),
    )
    document = manifest.to_json()
    parse_manifest(document)  # refuse to write what the engine would refuse to load
    (folder / "manifest.json").write_text(json.dumps(document, indent=2) + "\n")
    parse_manifest(json.loads((folder / "manifest.json").read_text()))
