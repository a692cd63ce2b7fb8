"""Fit per-skill BKT parameters with pyBKT 1.4.3, and decide which fits to keep.

A skill is fitted when at least ``min_sequences`` learners answered it; below that, EM on a
handful of sequences mostly fits noise, so the skill keeps its course default (or, for a bare
dataset, is left out). A fit is kept only when it is a valid :class:`BktParams`: every value
in [0, 1] and guess + slip < 1. pyBKT can return guess + slip >= 1 on a degenerate skill,
where a correct answer would be evidence *against* mastery.

pyBKT is called as everywhere else in this project (``tests/support/pybkt_reference.py``):
one ``Model(seed=..., num_fits=1, parallel=False)`` fitted once on the rows of every skill
that has enough data. The model draws each skill's starting point from one random stream
in turn, so a skill's numbers depend on the seed *and* on which skills are fitted with it;
the artifact carries pyBKT's numbers exactly as ``fit_model`` holds them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from importlib import metadata

from attune.engine.domain.bkt import BktParams
from attune.engine.domain.errors import InvalidInputError
from attune.models.bkt.artifact import SkillResult
from attune.models.bkt.table import FitTable, Row


def pybkt_version() -> str:
    """``pyBKT <version>`` as installed, for the artifact's ``fitted_with``."""
    return f"pyBKT {metadata.version('pyBKT')}"


def count_sequences(rows: Iterable[Row]) -> dict[str, int]:
    """Learner sequences per skill: how many learners answered it at least once."""
    learners: defaultdict[str, set[int | str]] = defaultdict(set)
    for row in rows:
        learners[row.skill].add(row.learner)
    return {skill: len(who) for skill, who in learners.items()}


def fit_pybkt(
    rows: Sequence[Row], skills: Collection[str], *, forgets: bool, seed: int
) -> dict[str, BktParams]:
    """pyBKT's fitted parameters for ``skills``, unvalidated, from one model over their rows."""
    import numpy as np
    import pandas as pd  # type: ignore[import-untyped, unused-ignore]
    from pyBKT.models import Model  # type: ignore[import-untyped, unused-ignore]

    records = [
        (order, row.learner, row.skill, row.correct)
        for order, row in enumerate(rows)
        if row.skill in skills
    ]
    if not records:
        return {}
    df = pd.DataFrame(records, columns=["order_id", "user_id", "skill_name", "correct"])
    model = Model(seed=seed, num_fits=1, parallel=False)
    # EM can divide 0 by 0 on a degenerate skill, and numpy would warn mid-output. Every
    # fitted value is checked per skill in fit_table, which reports a bad one by name.
    with np.errstate(divide="ignore", invalid="ignore"):
        model.fit(data=df, forgets=forgets)
    return {
        str(skill): BktParams(
            prior=float(fitted["prior"]),
            learn=float(fitted["learns"][0]),
            guess=float(fitted["guesses"][0]),
            slip=float(fitted["slips"][0]),
            forget=float(fitted["forgets"][0]),
        )
        for skill, fitted in model.fit_model.items()
    }


def fit_table(
    table: FitTable, *, min_sequences: int, forgets: bool, seed: int
) -> list[SkillResult]:
    """One result per skill: the course's skills in course order, or the dataset's skills."""
    counts = count_sequences(table.rows)
    order = list(table.defaults) if table.defaults is not None else sorted(counts, key=_natural)
    eligible = [s for s in order if counts.get(s, 0) >= min_sequences]
    fits = fit_pybkt(table.rows, set(eligible), forgets=forgets, seed=seed)
    fallback = "kept the course defaults" if table.defaults is not None else "not fitted"
    results = []
    for skill in order:
        n = counts.get(skill, 0)
        default = None if table.defaults is None else table.defaults[skill]
        if n < min_sequences:
            note = f"{n} learner sequences < {min_sequences}: {fallback}"
            results.append(SkillResult(skill, n, False, note, default))
            continue
        params = fits.get(skill)
        problem = "pyBKT returned no fit" if params is None else _problem(params)
        if problem is not None:
            results.append(SkillResult(skill, n, False, f"{problem}: {fallback}", default))
        else:
            results.append(SkillResult(skill, n, True, f"fitted on {n} learner sequences", params))
    return results


def _problem(params: BktParams) -> str | None:
    try:
        params.validate("fit")
    except InvalidInputError as exc:
        values = ", ".join(
            f"{name} {getattr(params, name):.4g}"
            for name in ("prior", "learn", "guess", "slip", "forget")
        )
        return f"pyBKT fit rejected ({exc.message}; {values})"
    return None


def _natural(skill: str) -> tuple[int, int, str]:
    """Numeric ids in numeric order ("2" before "10"), then the rest alphabetically."""
    return (0, int(skill), "") if skill.isdigit() else (1, 0, skill)
