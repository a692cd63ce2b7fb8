"""Training with early stopping on learners held out of the train file; predictions; ECE.

The test file is never read here. Everything random follows ``Settings.seed``.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F

from attune.models.datasets import KtSequence
from attune.models.dkt.data import split_learners
from attune.models.dkt.evaluate import score
from attune.models.dkt.train import seed_everything
from attune.models.kt_reference.data import Window, by_length, shuffled, to_windows
from attune.models.kt_reference.nets import AktNr, NetShape, RecurrentKt, build

Array = npt.NDArray[Any]


@dataclass(frozen=True, slots=True)
class Settings:
    """Training settings; ``val_fraction`` of the train file's learners stop training."""

    lr: float = 2e-3
    batch_size: int = 64
    window: int = 200
    max_epochs: int = 12
    patience: int = 2
    val_fraction: float = 0.2
    seed: int = 42
    clip: float = 1.0
    max_seconds: float = 1e9  # wall-clock budget; stops after the epoch that crosses it

    def __post_init__(self) -> None:
        if self.lr <= 0 or self.batch_size < 1 or self.window < 2 or self.max_epochs < 1:
            raise ValueError(f"bad settings {self}")
        if not 0.0 < self.val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in (0, 1), got {self.val_fraction}")


@dataclass
class Trained:
    """The best network (by held-out AUC) and how training went."""

    net: RecurrentKt | AktNr
    shape: NetShape
    settings: Settings
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        """Settings, shape and history as JSON values."""
        return {
            "shape": self.shape.to_json(),
            "settings": asdict(self.settings),
            "best_epoch": self.best_epoch,
            "epochs_run": len(self.history),
            "train_seconds": round(self.seconds, 1),
            "train_cpu_seconds": round(self.cpu_seconds, 1),
            "history": self.history,
        }


def ece(y: Array, p: Array, bins: int = 10) -> float:
    """Expected calibration error: count-weighted mean |observed - predicted| over
    equal-width bins of ``p``."""
    y, p = np.asarray(y, dtype=np.float64), np.asarray(p, dtype=np.float64)
    which = np.minimum((p * bins).astype(np.int64), bins - 1)
    total = 0.0
    for b in range(bins):
        chosen = which == b
        if chosen.any():
            total += chosen.sum() * abs(float(y[chosen].mean()) - float(p[chosen].mean()))
    return total / max(len(y), 1)


@torch.no_grad()
def predict(
    net: RecurrentKt | AktNr, windows: Sequence[Window], max_cells: int
) -> tuple[Array, Array]:
    """(outcomes, P(correct)) of every predicted response of ``windows``."""
    net.eval()
    ys, ps = [], []
    for batch in by_length(windows, max_cells):
        y, mask = batch.targets
        ps.append(torch.sigmoid(net(batch))[mask].numpy())
        ys.append(y[mask].numpy())
    return np.concatenate(ys), np.concatenate(ps)


def eval_cells(shape: NetShape) -> int:
    """Padded responses per evaluation batch: attention needs L x L per row."""
    return 32_768 if shape.kind == "recurrent" else 2_048


def train(
    seqs: Sequence[KtSequence],
    index: dict[int, int],
    shape: NetShape,
    settings: Settings,
    log: Any = None,
) -> Trained:
    """Train on ``seqs`` (the train file); return the weights of the best held-out epoch.

    After an epoch without a better held-out AUC the learning rate halves and training goes
    on from the best weights; after ``patience`` such epochs in a row it stops.
    """
    began, cpu = time.monotonic(), time.process_time()
    seed_everything(settings.seed)
    kept, held = split_learners(seqs, settings.val_fraction, settings.seed)
    train_w = to_windows(kept, index, settings.window)
    val_w = to_windows(held, index)
    if not train_w or not val_w:
        raise ValueError("too few learners with two or more responses to train and validate")
    net = build(shape)
    opt = torch.optim.Adam(net.parameters(), lr=settings.lr)
    gen = torch.Generator().manual_seed(settings.seed)
    out = Trained(net, shape, settings)
    best_auc, best_state = -1.0, copy.deepcopy(net.state_dict())
    for epoch in range(1, settings.max_epochs + 1):
        net.train()
        total, count = 0.0, 0
        for batch in shuffled(train_w, settings.batch_size, gen):
            y, mask = batch.targets
            opt.zero_grad()
            loss = F.binary_cross_entropy_with_logits(net(batch)[mask], y[mask])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), settings.clip)
            opt.step()
            total += loss.item() * int(mask.sum())
            count += int(mask.sum())
        vy, vp = predict(net, val_w, eval_cells(shape))
        val = score(vy, vp)
        row = {
            "epoch": epoch,
            "train_loss": round(total / max(count, 1), 5),
            "lr": opt.param_groups[0]["lr"],
            "val_auc": val["auc"],
            "val_ece": round(ece(vy, vp), 5),
            "seconds": round(time.monotonic() - began, 1),
        }
        out.history.append(row)
        if log is not None:
            log(row)
        if val["auc"] > best_auc:
            best_auc, out.best_epoch = val["auc"], epoch
            best_state = copy.deepcopy(net.state_dict())
        elif epoch - out.best_epoch >= settings.patience:
            break
        else:
            net.load_state_dict(best_state)
            for group in opt.param_groups:
                group["lr"] *= 0.5
        if time.monotonic() - began > settings.max_seconds:
            break
    net.load_state_dict(best_state)
    net.eval()
    out.seconds = time.monotonic() - began
    out.cpu_seconds = time.process_time() - cpu
    return out
