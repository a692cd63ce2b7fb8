"""A simulated learner with hidden knowledge, for ``attune demo`` and the policy simulator
(``models/simulation``).

The learner model:

- **Ability.** A latent ability ``theta ~ N(0, 1)``.
- **Initial knowledge.** Skills are visited in topological order. A skill can be known at the
  start only if all its prerequisites are, and then it is with probability
  ``head_start * 1 / (1 + exp(-a (theta - b)))``, where ``a`` and ``b`` are the mean IRT
  discrimination and difficulty of the skill's items. Strong learners know more, and deep
  skills are rarer.
- **Per-skill rates.** Guess, slip and learn are drawn for each learner and skill as the
  course's BKT value times ``U(1 - spread, 1 + spread)`` (``spread`` 0.5 by default), so the
  engine's parameters are right on average but wrong for any one learner.
- **Answering.** An item is answered right with probability ``1 - slip`` when every skill it
  exercises is known, else ``guess`` (the mean over the item's skills). Then each unknown
  skill of the item whose prerequisites are all known is learnt with probability ``learn``:
  nobody learns a skill before its prerequisites.

Everything is drawn from one ``random.Random(seed)``, so a seed gives the same learner and,
for the same items in the same order, the same answers.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from attune.engine.domain.course import Course

DEFAULT_SPREAD = 0.5


@dataclass(frozen=True, slots=True)
class SkillTraits:
    """One learner's true BKT rates on one skill."""

    guess: float
    slip: float
    learn: float


def _jitter(value: float, spread: float, rng: random.Random) -> float:
    return min(0.95, value * rng.uniform(1.0 - spread, 1.0 + spread))


def initial_p_known(course: Course, skill_id: str, theta: float) -> float:
    """P(known at the start | prerequisites known) for ability ``theta``: the 2PL probability
    of answering the skill's typical item (mean a and b of its items)."""
    items = course.items_for(skill_id)
    if not items:
        return course.skills[skill_id].bkt.prior
    a = sum(i.irt.a for i in items) / len(items)
    b = sum(i.irt.b for i in items) / len(items)
    return 1.0 / (1.0 + math.exp(-a * (theta - b)))


@dataclass
class SimulatedLearner:
    """Hidden true knowledge of one synthetic learner (see the module doc)."""

    course: Course
    rng: random.Random
    theta: float = 0.0
    traits: Mapping[str, SkillTraits] = field(default_factory=dict)
    known: set[str] = field(default_factory=set)

    @classmethod
    def new(
        cls,
        course: Course,
        seed: int | str,
        head_start: float = 1.0,
        spread: float = DEFAULT_SPREAD,
    ) -> SimulatedLearner:
        """Draw a learner: ability, per-skill rates, then initial knowledge.

        ``head_start`` scales the chance of knowing a skill at the start (0 knows nothing).
        """
        rng = random.Random(seed)
        theta = rng.gauss(0.0, 1.0)
        traits: dict[str, SkillTraits] = {}
        for sid in course.order:
            bkt = course.skills[sid].bkt
            guess = _jitter(bkt.guess, spread, rng)
            slip = min(_jitter(bkt.slip, spread, rng), 0.99 - guess)  # keep guess + slip < 1
            traits[sid] = SkillTraits(guess, slip, _jitter(bkt.learn, spread, rng))
        learner = cls(course=course, rng=rng, theta=theta, traits=traits)
        for sid in course.order:
            p = min(1.0, head_start * initial_p_known(course, sid, theta))
            if learner.ready(sid) and rng.random() < p:
                learner.known.add(sid)
        return learner

    def ready(self, skill_id: str) -> bool:
        """Whether every prerequisite of the skill is truly known."""
        return all(p in self.known for p in self.course.skills[skill_id].prerequisites)

    def knows_item(self, item_id: str) -> bool:
        """Whether every skill the item exercises is truly known."""
        return all(s in self.known for s in self.course.items[item_id].skill_ids)

    def p_correct(self, item_id: str) -> float:
        """The true probability of answering the item right now."""
        skills = self.course.items[item_id].skill_ids
        if self.knows_item(item_id):
            return 1.0 - sum(self.traits[s].slip for s in skills) / len(skills)
        return sum(self.traits[s].guess for s in skills) / len(skills)

    def answer(self, item_id: str) -> bool:
        """Answer an item (right or wrong), then maybe learn its ready, unknown skills."""
        correct = self.rng.random() < self.p_correct(item_id)
        # Readiness is judged before any learning, so one answer never teaches a skill
        # together with its own prerequisite.
        eligible = [
            s for s in self.course.items[item_id].skill_ids if s not in self.known and self.ready(s)
        ]
        for sid in eligible:
            if self.rng.random() < self.traits[sid].learn:
                self.known.add(sid)
        return correct
