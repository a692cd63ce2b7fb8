"""Skill-only reference tracers (issue 18): count features, windows, ECE, both networks'
causality, and one tiny training run on synthetic learners (no dataset, no long training)."""

from __future__ import annotations

import random
from collections.abc import Iterator

import numpy as np
import pytest
import torch

from attune.models.datasets import KtSequence
from attune.models.kt_reference.data import count_features, pad, to_windows
from attune.models.kt_reference.nets import NetShape, build
from attune.models.kt_reference.train import Settings, ece, train


def test_count_features_describe_the_history_before_each_response() -> None:
    feats = count_features(np.array([0, 0, 1, 0]), np.array([1, 0, 1, 1]))
    # response 3 (skill 0) follows two attempts on skill 0, one right and one wrong
    assert np.allclose(np.expm1(feats[3]), [2, 1, 1])
    assert np.allclose(feats[0], 0) and np.allclose(feats[2], 0)


def test_windows_overlap_by_one_so_each_target_counts_once() -> None:
    seq = KtSequence(0, tuple(range(7)), (1, 0, 1, 0, 1, 0, 1))
    windows = to_windows([seq], {k: k for k in range(7)}, window=3)
    assert sum(len(w) - 1 for w in windows) == 6
    assert [w.skills.tolist() for w in windows] == [[0, 1, 2], [2, 3, 4], [4, 5, 6]]


def test_ece_is_zero_when_calibrated_and_positive_when_not() -> None:
    y = np.array([1, 0] * 50)
    assert ece(y, np.full(100, 0.5)) == pytest.approx(0.0)
    assert ece(y, np.full(100, 0.9)) == pytest.approx(0.4)


@pytest.mark.parametrize("kind", ["recurrent", "akt-nr"])
def test_a_prediction_never_sees_its_own_or_a_later_answer(kind: str) -> None:
    torch.manual_seed(0)
    net = build(NetShape(kind, 4, dim=8, heads=2, dropout=0.0)).eval()
    seq = KtSequence(0, (0, 1, 2, 3, 1, 2), (1, 0, 1, 1, 0, 0))
    flipped = KtSequence(0, seq.skills, (*seq.correct[:3], 0, 1, 1))
    index = {k: k for k in range(4)}
    with torch.no_grad():
        a = net(pad(to_windows([seq], index)))
        b = net(pad(to_windows([flipped], index)))
    assert a.shape == (1, 5)
    # responses 0..2 are equal, so the predictions of responses 1..3 are equal
    assert torch.allclose(a[0, :3], b[0, :3])
    assert not torch.allclose(a[0, 3:], b[0, 3:])


@pytest.fixture
def one_thread() -> Iterator[None]:
    """One torch thread: on a busy 2-core machine a second thread only waits."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.usefixtures("one_thread")
def test_training_learns_a_skill_that_is_always_right() -> None:
    rng = random.Random(0)
    seqs = []
    for n in range(24):
        skills = tuple(rng.randrange(2) for _ in range(12))
        seqs.append(KtSequence(n, skills, tuple(int(s == 0 or rng.random() < 0.2) for s in skills)))
    settings = Settings(lr=2e-2, batch_size=8, window=12, max_epochs=3, patience=3)
    for kind in ("recurrent", "akt-nr"):
        trained = train(seqs, {0: 0, 1: 1}, NetShape(kind, 2, dim=8, heads=2), settings)
        assert trained.history[trained.best_epoch - 1]["val_auc"] > 0.8
