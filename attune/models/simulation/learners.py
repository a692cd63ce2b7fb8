"""The cohort of synthetic learners a simulation tutors.

The learner model itself is :class:`engine.demo.simulated.SimulatedLearner` (hidden
knowledge that respects prerequisites, per-skill guess, slip and learn rates); ``attune demo``
uses the same model. Learner ``i`` of a run with seed ``s`` is drawn from the seed
``"s/i"``, so every policy of a run tutors exactly the same learners.
"""

from __future__ import annotations

from attune.engine.demo.simulated import SimulatedLearner
from attune.engine.domain.course import Course

__all__ = ["SimulatedLearner", "learner_seed", "new_learner"]


def learner_seed(seed: int, index: int) -> str:
    """The seed of learner ``index`` in a run seeded with ``seed``."""
    return f"{seed}/{index}"


def new_learner(course: Course, seed: int, index: int) -> SimulatedLearner:
    """Learner ``index`` of the cohort: the same for every policy of the run."""
    return SimulatedLearner.new(course, learner_seed(seed, index))
