"""Predictions and metrics: the PyTorch model, the exported ONNX step, and the scores.

Every prediction is of a response from the responses before it (the learner's first
response has no prediction), so DKT and BKT are scored on the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from sklearn.metrics import roc_auc_score

from attune.models.datasets import KtSequence
from attune.models.dkt.data import Steps, length_batches, to_steps
from attune.models.dkt.model import DktModel

Array = npt.NDArray[Any]


def score(y: Array, p: Array) -> dict[str, float]:
    """AUC, RMSE and accuracy (threshold 0.5) of probabilities ``p`` for outcomes ``y``."""
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    auc = float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else float("nan")
    return {
        "auc": round(auc, 6),
        "rmse": round(float(np.sqrt(np.mean((p - y) ** 2))), 6),
        "accuracy": round(float(np.mean((p >= 0.5) == (y == 1))), 6),
        "responses": len(y),
    }


def calibration(y: Array, p: Array, bins: int = 10) -> list[dict[str, float]]:
    """Reliability table: per equal-width bin of ``p``, mean prediction, observed rate, count."""
    which = np.minimum((np.asarray(p) * bins).astype(np.int64), bins - 1)
    rows = []
    for b in range(bins):
        chosen = which == b
        if chosen.any():
            rows.append(
                {
                    "low": b / bins,
                    "high": (b + 1) / bins,
                    "predicted": float(np.mean(p[chosen])),
                    "observed": float(np.mean(y[chosen])),
                    "count": int(chosen.sum()),
                }
            )
    return rows


@torch.no_grad()
def predict_steps(model: DktModel, steps: Sequence[Steps]) -> tuple[Array, Array]:
    """(outcomes, P(correct)) over every target of ``steps``, from the sequence model."""
    model.eval()
    ys, ps = [], []
    for batch in length_batches(steps):
        logits = model(batch.interaction)
        picked = logits.gather(2, batch.next_skill.unsqueeze(-1)).squeeze(-1)
        ps.append(torch.sigmoid(picked[batch.mask]).numpy())
        ys.append(batch.next_correct[batch.mask].numpy())
    return np.concatenate(ys), np.concatenate(ps)


def predict_sequences(
    model: DktModel, seqs: Sequence[KtSequence], index: dict[int, int]
) -> tuple[Array, Array]:
    """Predictions over whole learners (no windows), as the engine would see them."""
    return predict_steps(model, to_steps(seqs, index))


class OnnxStepper:
    """Runs an exported single-step artifact over whole learners with onnxruntime."""

    def __init__(self, folder: Path) -> None:
        import onnxruntime as ort

        from attune.engine.dkt.manifest import parse_manifest

        self.manifest = parse_manifest(_read_json(folder / "manifest.json"))
        options = ort.SessionOptions()
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )

    def step(self, interaction: Array, h: Array, c: Array) -> tuple[Array, Array, Array]:
        """One step for a batch: (p_correct, h_out, c_out)."""
        names = self.manifest.inputs
        outs = self.manifest.outputs
        p, h2, c2 = self.session.run(
            [outs["p_correct"], outs["h"], outs["c"]],
            {names["interaction"]: interaction, names["h"]: h, names["c"]: c},
        )
        return p, h2, c2

    def run(self, encoded: Sequence[Array]) -> list[Array]:
        """P(correct) [T, N] after each interaction of each learner, all learners stepped
        together (longest first, the batch shrinking as learners end)."""
        order = sorted(range(len(encoded)), key=lambda i: -len(encoded[i]))
        lengths = np.array([len(encoded[i]) for i in order])
        hidden = self.manifest.hidden_size
        h = np.zeros((len(order), hidden), dtype=np.float32)
        c = np.zeros_like(h)
        out = [np.zeros((len(e), self.manifest.num_skills), dtype=np.float32) for e in encoded]
        for t in range(int(lengths.max(initial=0))):
            active = int((lengths > t).sum())
            x = np.array([encoded[i][t] for i in order[:active]], dtype=np.int64)
            p, h[:active], c[:active] = self.step(x, h[:active], c[:active])
            for row, i in enumerate(order[:active]):
                out[i][t] = p[row]
        return out

    def predict(
        self, seqs: Sequence[KtSequence], index: Mapping[int, int] | None = None
    ) -> tuple[Array, Array]:
        """(outcomes, P(correct)) of every response after each learner's first.

        ``index`` maps the sequences' skill ids to the model's; by default the manifest's
        ``skill_index`` read as integers (the datasets' ids).
        """
        if index is None:
            index = {int(k): v for k, v in self.manifest.skill_index.items()}
        n = self.manifest.num_skills
        skills = [np.array([index[s] for s in q.skills], dtype=np.int64) for q in seqs]
        correct = [np.array(q.correct, dtype=np.int64) for q in seqs]
        encoded = [s[:-1] + n * c[:-1] for s, c in zip(skills, correct, strict=True)]
        probs = self.run(encoded)
        ys, ps = [], []
        for s, c, p in zip(skills, correct, probs, strict=True):
            ps.append(p[np.arange(len(s) - 1), s[1:]])
            ys.append(c[1:].astype(np.float32))
        return np.concatenate(ys), np.concatenate(ps)


@torch.no_grad()
def step_parity(model: DktModel, stepper: OnnxStepper, encoded: Sequence[Array]) -> float:
    """Largest |P(correct)| difference, over every step and skill, between the sequence model
    and the ONNX graph stepped through the same learners (batched together)."""
    model.eval()
    worst = 0.0
    for x, stepped in zip(encoded, stepper.run(encoded), strict=True):
        whole = torch.sigmoid(model(torch.from_numpy(np.asarray(x, dtype=np.int64))[None]))[0]
        worst = max(worst, float(np.abs(whole.numpy() - stepped).max()))
    return worst


def encode_interactions(seq: KtSequence, index: Mapping[int, int]) -> Array:
    """Every response of a learner as ``skill_index + num_skills * correct``."""
    skills = np.array([index[s] for s in seq.skills], dtype=np.int64)
    return skills + len(index) * np.array(seq.correct, dtype=np.int64)


def parity_probe(
    seqs: Sequence[KtSequence], index: Mapping[int, int], learners: int = 8, at_least: int = 100
) -> list[Array]:
    """The first ``learners`` with at least ``at_least`` responses (else the longest), encoded:
    whole real sequences to check the exported step against the sequence model."""
    chosen = [q for q in seqs if len(q.skills) >= at_least][:learners]
    if len(chosen) < learners:
        chosen = sorted(seqs, key=lambda q: -len(q.skills))[:learners]
    return [encode_interactions(q, index) for q in chosen]


def _read_json(path: Path) -> Any:
    import json

    with path.open() as fh:
        return json.load(fh)
