"""Windows of responses with per-skill count features, padded into batches.

Features of response ``t`` describe the learner's history on response t's skill *before*
``t``: ``log1p(attempts)``, ``log1p(correct)``, ``log1p(wrong)``. They are counters a server
keeps in O(1) per response (two integers per skill), so they do not make serving cost grow
with history. They are computed over the whole learner before cutting into windows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch

from attune.models.datasets import KtSequence

NUM_FEATURES = 3


@dataclass(frozen=True, slots=True)
class Window:
    """Up to ``window`` consecutive responses of one learner (at least two)."""

    skills: npt.NDArray[np.int64]
    correct: npt.NDArray[np.int64]
    features: npt.NDArray[np.float32]  # [T, NUM_FEATURES]

    def __len__(self) -> int:
        return len(self.skills)


def count_features(
    skills: npt.NDArray[np.int64], correct: npt.NDArray[np.int64]
) -> npt.NDArray[np.float32]:
    """Per response, log1p of attempts, correct and wrong answers on its skill before it."""
    attempts: dict[int, int] = {}
    right: dict[int, int] = {}
    out = np.zeros((len(skills), NUM_FEATURES), dtype=np.float32)
    for t, (s, c) in enumerate(zip(skills.tolist(), correct.tolist(), strict=True)):
        a, r = attempts.get(s, 0), right.get(s, 0)
        out[t] = (np.log1p(a), np.log1p(r), np.log1p(a - r))
        attempts[s] = a + 1
        right[s] = r + c
    return out


def to_windows(
    seqs: Iterable[KtSequence], index: Mapping[int, int], window: int | None = None
) -> list[Window]:
    """Encode learners; with ``window``, cut into pieces of at most ``window`` responses.

    Consecutive pieces overlap by one response, so every response after a learner's first
    is a target exactly once (a piece's first response is context only).
    """
    out: list[Window] = []
    for seq in seqs:
        skills = np.fromiter((index[s] for s in seq.skills), dtype=np.int64, count=len(seq.skills))
        correct = np.asarray(seq.correct, dtype=np.int64)
        feats = count_features(skills, correct)
        size = max(window or len(skills), 2)
        for start in range(0, max(len(skills) - 1, 0), size - 1):
            stop = min(start + size, len(skills))
            if stop - start >= 2:
                out.append(Window(skills[start:stop], correct[start:stop], feats[start:stop]))
    return out


@dataclass(frozen=True, slots=True)
class Batch:
    """Right-padded windows: [B, L] (features [B, L, F]); ``mask`` is False on padding."""

    skills: torch.Tensor
    correct: torch.Tensor
    features: torch.Tensor
    mask: torch.Tensor

    @property
    def targets(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(outcomes, mask) of the predicted positions 1..L-1."""
        return self.correct[:, 1:].float(), self.mask[:, 1:]


def pad(windows: Sequence[Window]) -> Batch:
    """Stack windows into tensors, padding at the end (skill 0, masked out)."""
    width = max(len(w) for w in windows)
    skills = np.zeros((len(windows), width), dtype=np.int64)
    correct = np.zeros((len(windows), width), dtype=np.int64)
    feats = np.zeros((len(windows), width, NUM_FEATURES), dtype=np.float32)
    mask = np.zeros((len(windows), width), dtype=bool)
    for row, w in enumerate(windows):
        n = len(w)
        skills[row, :n], correct[row, :n], feats[row, :n], mask[row, :n] = (
            w.skills,
            w.correct,
            w.features,
            True,
        )
    return Batch(
        torch.from_numpy(skills),
        torch.from_numpy(correct),
        torch.from_numpy(feats),
        torch.from_numpy(mask),
    )


def shuffled(windows: Sequence[Window], batch_size: int, gen: torch.Generator) -> Iterator[Batch]:
    """Training batches in a random order drawn from ``gen``."""
    order = torch.randperm(len(windows), generator=gen).tolist()
    for start in range(0, len(order), batch_size):
        yield pad([windows[i] for i in order[start : start + batch_size]])


def by_length(windows: Sequence[Window], max_cells: int = 32_768) -> Iterator[Batch]:
    """Evaluation batches of similar lengths, at most ``max_cells`` padded responses each."""
    order = sorted(range(len(windows)), key=lambda i: -len(windows[i]))
    start = 0
    while start < len(order):
        stop = start + max(1, max_cells // len(windows[order[start]]))
        yield pad([windows[i] for i in order[start:stop]])
        start = stop
