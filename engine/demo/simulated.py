"""A simulated learner with hidden knowledge, for the demo (and later the policy simulator).

Each skill is truly known or not. A learner cannot learn a skill before its prerequisites are
known; practising a ready skill teaches it with the skill's learn rate. Answers follow the
BKT emission model: 1 - slip when known, guess otherwise.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from engine.domain.course import Course


@dataclass
class SimulatedLearner:
    """Hidden true knowledge of one synthetic learner."""

    course: Course
    rng: random.Random
    known: set[str] = field(default_factory=set)

    @classmethod
    def new(cls, course: Course, seed: int, head_start: float = 1.0) -> SimulatedLearner:
        """A learner who already knows each foundation skill with probability of its prior
        times ``head_start``, walking the graph so knowledge respects prerequisites."""
        rng = random.Random(seed)
        learner = cls(course=course, rng=rng)
        for sid in course.order:
            skill = course.skills[sid]
            if all(p in learner.known for p in skill.prerequisites) and (
                rng.random() < skill.bkt.prior * head_start
            ):
                learner.known.add(sid)
        return learner

    def ready(self, skill_id: str) -> bool:
        """Whether every prerequisite of the skill is truly known."""
        return all(p in self.known for p in self.course.skills[skill_id].prerequisites)

    def answer(self, item_id: str) -> bool:
        """Answer an item (correct or not), then maybe learn from the practice."""
        item = self.course.items[item_id]
        correct = True
        for sid in item.skill_ids:
            params = self.course.skills[sid].bkt
            p = 1.0 - params.slip if sid in self.known else params.guess
            correct = correct and self.rng.random() < p
        for sid in item.skill_ids:
            learns = self.rng.random() < self.course.skills[sid].bkt.learn
            if sid not in self.known and self.ready(sid) and learns:
                self.known.add(sid)
        return correct
