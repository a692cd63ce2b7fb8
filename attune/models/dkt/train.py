"""Train a DKT model on the CPU with early stopping on learners held out of the train file.

The test file is never read here. Everything random (the learner split, initial weights,
batch order, dropout) follows ``TrainConfig.seed``: the same seed gives the same weights.
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from attune.models.datasets import KtSequence
from attune.models.dkt.config import TrainConfig
from attune.models.dkt.data import Batch, Steps, shuffled_batches, split_learners, to_steps
from attune.models.dkt.evaluate import predict_steps, score
from attune.models.dkt.model import DktModel, DktShape


@dataclass
class TrainResult:
    """The best model (by validation AUC) and how training went."""

    model: DktModel
    config: TrainConfig
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    epochs_run: int = 0
    stopped_early: bool = False
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # all threads; the machine may be shared
    train_learners: int = 0
    val_learners: int = 0

    def summary(self) -> dict[str, Any]:
        """What the manifest's ``metrics`` records about training."""
        best = self.history[self.best_epoch - 1] if self.best_epoch else {}
        return {
            "epochs_run": self.epochs_run,
            "max_epochs": self.config.max_epochs,
            "best_epoch": self.best_epoch,
            "early_stopped": self.stopped_early,
            "patience": self.config.patience,
            "val_auc": best.get("val_auc"),
            "train_seconds": round(self.seconds, 1),
            "train_cpu_seconds": round(self.cpu_seconds, 1),
            "train_learners": self.train_learners,
            "val_learners": self.val_learners,
            "config": asdict(self.config),
            "history": self.history,
        }


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and torch's global generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def batch_loss(model: DktModel, batch: Batch) -> torch.Tensor:
    """Mean BCE of the predictions for each next response's own skill, padding excluded."""
    logits = model(batch.interaction)
    picked = logits.gather(2, batch.next_skill.unsqueeze(-1)).squeeze(-1)
    return F.binary_cross_entropy_with_logits(picked[batch.mask], batch.next_correct[batch.mask])


def _epoch(
    model: DktModel,
    steps: Sequence[Steps],
    optimizer: torch.optim.Optimizer,
    config: TrainConfig,
    generator: torch.Generator,
    label: str,
    progress: bool,
) -> float:
    model.train()
    total, count = 0.0, 0
    n_batches = -(-len(steps) // config.batch_size)
    bar = tqdm(
        shuffled_batches(steps, config.batch_size, generator),
        total=n_batches,
        desc=label,
        leave=False,
        disable=not progress,
    )
    for batch in bar:
        optimizer.zero_grad()
        loss = batch_loss(model, batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip)
        optimizer.step()
        total += loss.item() * int(batch.mask.sum())
        count += int(batch.mask.sum())
        bar.set_postfix(loss=f"{total / max(count, 1):.4f}")
    return total / max(count, 1)


def train_dkt(
    seqs: Sequence[KtSequence],
    index: dict[int, int],
    config: TrainConfig,
    progress: bool = True,
) -> TrainResult:
    """Train on ``seqs`` (the train file), holding out learners for early stopping.

    After an epoch without a better validation AUC, training goes back to the best weights
    and multiplies the learning rate by ``lr_decay``; after ``patience`` such epochs in a row
    it stops. Returns the weights of the best epoch.
    """
    began, cpu = time.monotonic(), time.process_time()
    seed_everything(config.seed)
    kept, held = split_learners(seqs, config.val_fraction, config.seed)
    train_steps = to_steps(kept, index, config.window)
    val_steps = to_steps(held, index)
    if not train_steps or not val_steps:
        raise ValueError("too few learners with two or more responses to train and validate")
    shape = DktShape(len(index), config.hidden, config.embed, config.dropout)
    model = DktModel(shape)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    generator = torch.Generator().manual_seed(config.seed)
    result = TrainResult(model, config, train_learners=len(kept), val_learners=len(held))
    best_auc, best_state = -1.0, copy.deepcopy(model.state_dict())
    for epoch in range(1, config.max_epochs + 1):
        label = f"epoch {epoch}/{config.max_epochs}"
        loss = _epoch(model, train_steps, optimizer, config, generator, label, progress)
        y, p = predict_steps(model, val_steps)
        val = score(y, p)
        result.history.append(
            {
                "epoch": epoch,
                "train_loss": round(loss, 5),
                "lr": optimizer.param_groups[0]["lr"],
                **{f"val_{k}": v for k, v in val.items()},
            }
        )
        result.epochs_run = epoch
        if progress:
            tqdm.write(f"{label}: train loss {loss:.4f}, val AUC {val['auc']:.4f}")
        if val["auc"] > best_auc:
            best_auc, result.best_epoch = val["auc"], epoch
            best_state = copy.deepcopy(model.state_dict())
        elif epoch - result.best_epoch >= config.patience:
            result.stopped_early = epoch < config.max_epochs
            break
        else:
            # No better epoch: carry on from the best weights at a lower learning rate.
            model.load_state_dict(best_state)
            for group in optimizer.param_groups:
                group["lr"] *= config.lr_decay
    model.load_state_dict(best_state)
    model.eval()
    result.seconds = time.monotonic() - began
    result.cpu_seconds = time.process_time() - cpu
    return result
