"""The demo course's own DKT, trained on learners simulated from the course graph.

Each synthetic learner (:class:`engine.demo.simulated.SimulatedLearner`) is tutored in a
plausible order: skills in topological order; on each skill, the skill's own items by level
(1, 2, 3, 1, ...) until two answers in a row are right (at least 2, at most 6 items); when
that fails, the skill's direct prerequisites the same way, then the skill once more; after a
skill, now and then one review item of an earlier skill. Half the learners finish the
course; the others stop after a random number of skills (at least 5). A response is encoded
on the skill being practised, which is the item's first skill.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from attune.engine.demo.simulated import SimulatedLearner
from attune.engine.domain.course import Course
from attune.models.datasets import KtSequence
from attune.models.dkt.config import TrainConfig
from attune.models.dkt.data import split_learners
from attune.models.dkt.evaluate import parity_probe, predict_sequences, score
from attune.models.dkt.export import write_artifact
from attune.models.dkt.train import train_dkt

NAME = "demo-dkt"
MIN_ITEMS, MAX_ITEMS, RIGHT_IN_A_ROW = 2, 6, 2
REVIEW_CHANCE = 0.3
TEST_FRACTION = 0.2


def _practise(
    learner: SimulatedLearner, course: Course, skill: str, path: list[tuple[str, int]]
) -> bool:
    """Items of ``skill`` until a streak of right answers; whether the streak came."""
    own = [i for i in course.items_for(skill) if i.skill_ids[0] == skill]
    streak = 0
    for attempt in range(MAX_ITEMS):
        right = learner.answer(own[attempt % len(own)].item_id)
        path.append((skill, int(right)))
        streak = streak + 1 if right else 0
        if attempt + 1 >= MIN_ITEMS and streak >= RIGHT_IN_A_ROW:
            return True
    return False


def tutor(course: Course, seed: str) -> list[tuple[str, int]]:
    """One simulated learner's (skill, correct) answers, in the order of the module doc."""
    learner = SimulatedLearner.new(course, seed)
    rng = random.Random(f"{seed}/path")
    order = course.order
    stop = len(order) if rng.random() < 0.5 else rng.randint(5, len(order))
    path: list[tuple[str, int]] = []
    for n, skill in enumerate(order[:stop]):
        if not _practise(learner, course, skill, path):
            # Remediation: back to the direct prerequisites, then one more try.
            for pre in course.skills[skill].prerequisites:
                _practise(learner, course, pre, path)
            _practise(learner, course, skill, path)
        if n and rng.random() < REVIEW_CHANCE:
            earlier = order[rng.randrange(n)]
            own = [i for i in course.items_for(earlier) if i.skill_ids[0] == earlier]
            path.append((earlier, int(learner.answer(rng.choice(own).item_id))))
    return path


def simulate(course: Course, learners: int, seed: int) -> list[KtSequence]:
    """``learners`` tutored learners as sequences of skill *indexes* (``course.order``)."""
    index = {skill: n for n, skill in enumerate(course.order)}
    out = []
    for n in range(learners):
        path = tutor(course, f"{seed}/dkt/{n}")
        out.append(KtSequence(n, tuple(index[s] for s, _ in path), tuple(c for _, c in path)))
    return out


def sequences_sha256(seqs: Sequence[KtSequence]) -> str:
    """SHA-256 of the sequences written in the DKT three-line text format."""
    digest = hashlib.sha256()
    for q in seqs:
        text = f"{len(q.skills)}\n{','.join(map(str, q.skills))}\n{','.join(map(str, q.correct))}\n"
        digest.update(text.encode())
    return digest.hexdigest()


def train_demo(
    course: Course,
    learners: int,
    seed: int,
    out: Path,
    config: TrainConfig,
    version: str = "1.0.0",
    progress: bool = True,
) -> tuple[Path, dict[str, Any]]:
    """Simulate, train (early stopping on held-out learners), score on other held-out
    learners, and write ``<out>/demo-dkt/<version>/``; (folder, metrics)."""
    seqs = simulate(course, learners, seed)
    train, test = split_learners(seqs, TEST_FRACTION, seed + 1)
    identity = {n: n for n in range(len(course.order))}
    result = train_dkt(train, identity, config, progress=progress)
    test_score = score(*predict_sequences(result.model, test, identity))
    metrics: dict[str, Any] = {
        "dataset": f"simulated demo course, {learners} learners, seed {seed}",
        "course": course.course_id,
        "test_learners": len(test),
        "test_auc": test_score["auc"],
        "test_rmse": test_score["rmse"],
        "test_accuracy": test_score["accuracy"],
        "test_responses": test_score["responses"],
        **result.summary(),
    }
    skill_index = {skill: n for n, skill in enumerate(course.order)}
    folder = write_artifact(
        result.model,
        out,
        NAME,
        version,
        skill_index,
        sequences_sha256(train),
        metrics,
        probe=parity_probe(test, identity),
    )
    return folder, metrics
