"""Readers for the knowledge-tracing datasets in ``shared/data/kt`` (the DKT text format).

Each learner is three lines: the number of responses, the skill ids, the correctness.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class KtSequence:
    """One learner's responses, in order. ``learner`` is the position in the file."""

    learner: int
    skills: tuple[int, ...]
    correct: tuple[int, ...]


class DatasetFormatError(ValueError):
    """The file is not in the DKT three-line format; the message names the line."""


def _ints(line: str, where: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in line.strip().rstrip(",").split(",") if x.strip() != "")
    except ValueError as exc:
        raise DatasetFormatError(f"{where}: not a list of integers") from exc


def read_kt(path: Path, max_learners: int | None = None) -> Iterator[KtSequence]:
    """Yield the sequences of a DKT-format file, at most ``max_learners`` of them."""
    with path.open() as fh:
        lines = [ln for ln in fh if ln.strip()]
    if len(lines) % 3:
        raise DatasetFormatError(f"{path}: {len(lines)} lines is not a multiple of 3")
    for n in range(len(lines) // 3):
        if max_learners is not None and n >= max_learners:
            return
        head = 3 * n + 1
        count = _ints(lines[3 * n], f"{path}:{head}")
        skills = _ints(lines[3 * n + 1], f"{path}:{head + 1}")
        correct = _ints(lines[3 * n + 2], f"{path}:{head + 2}")
        if len(count) != 1 or count[0] != len(skills) or len(skills) != len(correct):
            raise DatasetFormatError(f"{path}:{head}: the three lines disagree in length")
        if any(c not in (0, 1) for c in correct):
            raise DatasetFormatError(f"{path}:{head + 2}: correctness must be 0 or 1")
        yield KtSequence(learner=n, skills=skills, correct=correct)
