"""The BKT baseline: pyBKT (standard BKT, one EM fit per skill) on the same split as DKT.

pyBKT's fit is slow here (about 1.2 ms a response on one core), so above ``max_rows``
training responses it is fit on a seeded sample of whole training learners instead; the
result says which. A test skill that the fit never saw gets pyBKT's default of 0.5.
"""

from __future__ import annotations

import random
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from attune.models.datasets import KtSequence

# About 4.5 minutes of pyBKT fitting on this kind of machine: all of assist2009_dedup's
# training responses (222,753), a sample of the larger sets.
DEFAULT_MAX_ROWS = 230_000


@dataclass(frozen=True, slots=True)
class BktRun:
    """BKT's predictions on the test rows (each learner's first response dropped) and how
    the fit was made."""

    y: npt.NDArray[np.float32]
    p: npt.NDArray[np.float64]
    fit_learners: int
    train_learners: int
    fit_rows: int
    train_rows: int
    fit_seconds: float
    unseen_rows: int  # test rows on skills the fit never saw (predicted 0.5)

    @property
    def subsampled(self) -> bool:
        """Whether BKT was fit on a sample of the training learners."""
        return self.fit_learners < self.train_learners


def sample_learners(seqs: Sequence[KtSequence], max_rows: int, seed: int) -> list[KtSequence]:
    """All learners when they hold at most ``max_rows`` responses, else a seeded random
    sample of whole learners holding at most that many."""
    if sum(len(q.skills) for q in seqs) <= max_rows:
        return list(seqs)
    order = list(range(len(seqs)))
    random.Random(seed).shuffle(order)
    chosen, rows = [], 0
    for i in order:
        if rows + len(seqs[i].skills) > max_rows:
            break  # a prefix of a random order: an unbiased sample of learners
        chosen.append(i)
        rows += len(seqs[i].skills)
    return [seqs[i] for i in sorted(chosen)]


def _frame(seqs: Sequence[KtSequence]) -> Any:
    import pandas as pd

    rows = [(q.learner, str(s), c) for q in seqs for s, c in zip(q.skills, q.correct, strict=True)]
    frame = pd.DataFrame(rows, columns=["user_id", "skill_name", "correct"])
    frame.insert(0, "order_id", np.arange(len(frame)))
    return frame


def fit_predict_bkt(
    train: Sequence[KtSequence],
    test: Sequence[KtSequence],
    max_rows: int = DEFAULT_MAX_ROWS,
    seed: int = 42,
) -> BktRun:
    """Fit pyBKT on (a sample of) ``train``; predict every test response after the first."""
    from pyBKT.models import Model

    fit_on = sample_learners(train, max_rows, seed)
    began = time.monotonic()
    model = Model(seed=seed, num_fits=1, parallel=False)
    with warnings.catch_warnings():
        # EM divides 0 by 0 on skills with degenerate sequences; pyBKT recovers.
        warnings.simplefilter("ignore", RuntimeWarning)
        model.fit(data=_frame(fit_on))
        fit_seconds = time.monotonic() - began
        test_frame = _frame(test)
        predicted = model.predict(data=test_frame).sort_values("order_id")
    first = np.zeros(len(test_frame), dtype=bool)
    first[np.cumsum([0] + [len(q.skills) for q in test[:-1]])] = True
    seen = {str(s) for q in fit_on for s in q.skills}
    unseen = ~test_frame["skill_name"].isin(seen).to_numpy()
    return BktRun(
        y=predicted["correct"].to_numpy(dtype=np.float32)[~first],
        p=predicted["correct_predictions"].to_numpy(dtype=np.float64)[~first],
        fit_learners=len(fit_on),
        train_learners=len(train),
        fit_rows=sum(len(q.skills) for q in fit_on),
        train_rows=sum(len(q.skills) for q in train),
        fit_seconds=fit_seconds,
        unseen_rows=int(unseen[~first].sum()),
    )
