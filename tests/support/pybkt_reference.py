"""pyBKT 1.4.3 as the reference: fit a slice of assist2009 once, predict the same rows."""

from __future__ import annotations

import collections
import functools
from dataclasses import dataclass
from pathlib import Path

from attune.engine.domain.bkt import BktParams
from attune.models.datasets import KtSequence, read_kt

LEARNERS = 300
SKILLS = 4


@dataclass(frozen=True)
class Reference:
    """The sequences used, pyBKT's fitted parameters and its per-row predictions."""

    sequences: tuple[KtSequence, ...]  # already filtered to the chosen skills
    params: dict[str, BktParams]
    # per (learner, skill): pyBKT's state_predictions and correct_predictions, in order
    state: dict[tuple[int, str], list[float]]
    correct: dict[tuple[int, str], list[float]]


@functools.cache
def reference(data_dir: Path, forgets: bool = True) -> Reference:
    """Fit pyBKT on the first learners of assist2009 train, restricted to its busiest skills."""
    import pandas as pd
    from pyBKT.models import Model

    raw = list(read_kt(data_dir / "kt" / "assist2009" / "train.csv", LEARNERS))
    counts = collections.Counter(s for q in raw for s in q.skills)
    chosen = {s for s, _ in counts.most_common(SKILLS)}
    sequences = []
    for q in raw:
        pairs = [(s, c) for s, c in zip(q.skills, q.correct, strict=True) if s in chosen]
        if pairs:
            sequences.append(
                KtSequence(q.learner, tuple(p[0] for p in pairs), tuple(p[1] for p in pairs))
            )
    rows = []
    for q in sequences:
        for s, c in zip(q.skills, q.correct, strict=True):
            rows.append((len(rows), q.learner, str(s), c))
    df = pd.DataFrame(rows, columns=["order_id", "user_id", "skill_name", "correct"])
    model = Model(seed=42, num_fits=1, parallel=False)
    model.fit(data=df, forgets=forgets)
    predicted = model.predict(data=df).sort_values("order_id")
    params = {}
    for skill, fitted in model.fit_model.items():
        params[skill] = BktParams(
            prior=float(fitted["prior"]),
            learn=float(fitted["learns"][0]),
            guess=float(fitted["guesses"][0]),
            slip=float(fitted["slips"][0]),
            forget=float(fitted["forgets"][0]),
        )
    state: dict[tuple[int, str], list[float]] = collections.defaultdict(list)
    correct: dict[tuple[int, str], list[float]] = collections.defaultdict(list)
    for row in predicted.itertuples():
        key = (int(row.user_id), str(row.skill_name))
        state[key].append(float(row.state_predictions))
        correct[key].append(float(row.correct_predictions))
    return Reference(tuple(sequences), params, dict(state), dict(correct))
