"""From response sequences to padded next-step tensors; learner splits; dataset hashes.

DKT reads response ``t`` and predicts response ``t + 1``, so a learner with ``T`` responses
gives ``T - 1`` training steps: the inputs are the encoded responses ``0 .. T-2`` and the
targets the skill and correctness of responses ``1 .. T-1``. A learner with one response
gives none.
"""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np
import numpy.typing as npt
import torch

from attune.models.datasets import KtSequence, read_kt

DATA_ENV = "ATTUNE_SHARED_DATA"
_REPO = Path(__file__).resolve().parents[3]  # attune/models/dkt/data.py -> the checkout


class DatasetNotFoundError(ValueError):
    """The dataset named on the command line does not exist; the message names it."""


@dataclass(frozen=True, slots=True)
class KtDataset:
    """A dataset folder holding ``train.csv`` and ``test.csv`` in the DKT format."""

    name: str
    train: Path
    test: Path


def data_root() -> Path:
    """The shared data folder: ``$ATTUNE_SHARED_DATA``, else ``../shared/data`` of the repo."""
    return Path(os.environ.get(DATA_ENV, _REPO.parent / "shared" / "data"))


def resolve_dataset(spec: str, root: Path | None = None) -> KtDataset:
    """A dataset from a folder path or a name under ``<data root>/kt`` (``assist2009_dedup``)."""
    folder = Path(spec)
    if not folder.is_dir():
        folder = (root or data_root()) / "kt" / spec
    if not folder.is_dir():
        raise DatasetNotFoundError(f"dataset {spec!r} not found (no folder {spec} nor {folder})")
    for part in ("train.csv", "test.csv"):
        if not (folder / part).is_file():
            raise DatasetNotFoundError(f"dataset {spec!r}: {folder / part} is missing")
    return KtDataset(folder.resolve().name, folder / "train.csv", folder / "test.csv")


def sha256_files(paths: Iterable[Path]) -> str:
    """SHA-256 of the files' bytes, concatenated in the given order."""
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def load(path: Path) -> list[KtSequence]:
    """Every sequence of a DKT-format file."""
    return list(read_kt(path))


def build_skill_index(*groups: Iterable[KtSequence]) -> dict[int, int]:
    """Skill id -> index 0..N-1, over the sorted ids seen in any of the groups."""
    ids = sorted({s for group in groups for seq in group for s in seq.skills})
    return {skill: n for n, skill in enumerate(ids)}


class _HasLearner(Protocol):
    @property
    def learner(self) -> int: ...


L = TypeVar("L", bound=_HasLearner)


def split_learners(seqs: Sequence[L], fraction: float, seed: int) -> tuple[list[L], list[L]]:
    """Hold out ``fraction`` of the *learners* (not responses): (kept, held out), disjoint."""
    learners = sorted({s.learner for s in seqs})
    random.Random(seed).shuffle(learners)
    held = set(learners[: round(len(learners) * fraction)])
    return [s for s in seqs if s.learner not in held], [s for s in seqs if s.learner in held]


@dataclass(frozen=True, slots=True)
class Steps:
    """One learner's responses (or a window of them) as next-step pairs, all of length T-1."""

    interaction: npt.NDArray[np.int64]  # skill_index + num_skills * correct of responses 0..T-2
    next_skill: npt.NDArray[np.int64]  # skill index of responses 1..T-1
    next_correct: npt.NDArray[np.float32]  # correctness of responses 1..T-1

    def __len__(self) -> int:
        return len(self.interaction)


def to_steps(
    seqs: Iterable[KtSequence], index: Mapping[int, int], window: int | None = None
) -> list[Steps]:
    """Encode sequences; with ``window``, cut each into pieces of at most ``window`` steps.

    Pieces do not overlap in their targets, so every response after a learner's first is a
    target exactly once. Each piece starts from a fresh LSTM state (truncated history).
    """
    num_skills = len(index)
    out: list[Steps] = []
    for seq in seqs:
        skills = np.fromiter((index[s] for s in seq.skills), dtype=np.int64, count=len(seq.skills))
        correct = np.asarray(seq.correct, dtype=np.int64)
        encoded = skills + num_skills * correct
        steps = len(skills) - 1
        size = window or max(steps, 1)
        for start in range(0, steps, size):
            stop = min(start + size, steps)
            out.append(
                Steps(
                    interaction=encoded[start:stop],
                    next_skill=skills[start + 1 : stop + 1],
                    next_correct=correct[start + 1 : stop + 1].astype(np.float32),
                )
            )
    return out


@dataclass(frozen=True, slots=True)
class Batch:
    """Right-padded steps of several learners; ``mask`` is False on padding."""

    interaction: torch.Tensor  # int64 [B, L]
    next_skill: torch.Tensor  # int64 [B, L]
    next_correct: torch.Tensor  # float32 [B, L]
    mask: torch.Tensor  # bool [B, L]


def pad(steps: Sequence[Steps]) -> Batch:
    """Stack steps into [B, L] tensors, padding at the end (index 0, masked out)."""
    width = max(len(s) for s in steps)
    interaction = np.zeros((len(steps), width), dtype=np.int64)
    next_skill = np.zeros((len(steps), width), dtype=np.int64)
    next_correct = np.zeros((len(steps), width), dtype=np.float32)
    mask = np.zeros((len(steps), width), dtype=bool)
    for row, s in enumerate(steps):
        n = len(s)
        interaction[row, :n] = s.interaction
        next_skill[row, :n] = s.next_skill
        next_correct[row, :n] = s.next_correct
        mask[row, :n] = True
    return Batch(
        torch.from_numpy(interaction),
        torch.from_numpy(next_skill),
        torch.from_numpy(next_correct),
        torch.from_numpy(mask),
    )


def shuffled_batches(
    steps: Sequence[Steps], batch_size: int, generator: torch.Generator
) -> Iterator[Batch]:
    """Training batches in a random order drawn from ``generator``."""
    order = torch.randperm(len(steps), generator=generator).tolist()
    for start in range(0, len(order), batch_size):
        yield pad([steps[i] for i in order[start : start + batch_size]])


def length_batches(steps: Sequence[Steps], max_cells: int = 65_536) -> Iterator[Batch]:
    """Evaluation batches of similar lengths (longest first), at most ``max_cells`` steps
    of padded area each, so one very long learner does not blow up memory."""
    order = sorted(range(len(steps)), key=lambda i: -len(steps[i]))
    start = 0
    while start < len(order):
        width = len(steps[order[start]])
        stop = start + max(1, max_cells // max(width, 1))
        yield pad([steps[i] for i in order[start:stop]])
        start = stop
