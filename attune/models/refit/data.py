"""From a course's logged responses to what the refit fits: answers, the learner split,
per-skill sequences.

- Only credible responses count: the engine applies a too-fast answer at a reduced weight
  (its ``credibility`` below 1, see engine/domain/credibility.py); it is not evidence of
  what the learner knows, and pyBKT has no notion of a weight.
- BKT sees a response as correct when its score is at least 0.5, as the engine's mastery
  streak does; IRT keeps the score itself, the fractional Bernoulli likelihood the engine's
  ability update uses.
- An item tagged with several skills gives one observation per skill, as pyBKT treats
  multi-skill data.
- Learners are split into a fit part and a held-out part by a SHA-256 of the course id and
  the learner id: the same learner always falls on the same side, run after run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from attune.engine.domain.course import Course

_BUCKETS = 1_000_000


@dataclass(frozen=True, slots=True)
class Answer:
    """One logged response, reduced to what a refit reads."""

    learner_id: str
    item_id: str
    score: float
    credibility: float = 1.0


@dataclass(frozen=True)
class Answers:
    """A course's credible answers in log order, and what was left out."""

    answers: tuple[Answer, ...]
    not_credible: int = 0
    unknown_item: int = 0


def credible_answers(course: Course, answers: Iterable[Answer]) -> Answers:
    """The answers a refit uses: credible ones to items the course still has."""
    kept: list[Answer] = []
    not_credible = unknown = 0
    for a in answers:
        if a.item_id not in course.items:
            unknown += 1
        elif a.credibility < 1.0:
            not_credible += 1
        else:
            kept.append(a)
    return Answers(tuple(kept), not_credible, unknown)


def is_held_out(course_id: str, learner_id: str, fraction: float) -> bool:
    """Whether the learner is in the held-out part (stable: a hash, not a random draw)."""
    digest = hashlib.sha256(f"{course_id}\x00{learner_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % _BUCKETS < fraction * _BUCKETS


def split(
    course_id: str, answers: Sequence[Answer], fraction: float
) -> tuple[tuple[Answer, ...], tuple[Answer, ...]]:
    """(fit, held out): the answers of each part, in log order."""
    memo: dict[str, bool] = {}
    fit: list[Answer] = []
    held: list[Answer] = []
    for a in answers:
        side = memo.get(a.learner_id)
        if side is None:
            side = memo[a.learner_id] = is_held_out(course_id, a.learner_id, fraction)
        (held if side else fit).append(a)
    return tuple(fit), tuple(held)


def correct(score: float) -> int:
    """BKT's 0/1 outcome of a score."""
    return 1 if score >= 0.5 else 0


def skill_sequences(course: Course, answers: Iterable[Answer]) -> dict[str, dict[str, list[int]]]:
    """skill id -> learner id -> the learner's 0/1 outcomes on that skill, in log order."""
    out: dict[str, dict[str, list[int]]] = {}
    for a in answers:
        outcome = correct(a.score)
        for skill in course.items[a.item_id].skill_ids:
            out.setdefault(skill, {}).setdefault(a.learner_id, []).append(outcome)
    return out


def sequence_counts(sequences: Mapping[str, Mapping[str, list[int]]]) -> dict[str, int]:
    """Learner sequences per skill."""
    return {skill: len(by_learner) for skill, by_learner in sequences.items()}
