"""The oracle: a policy that sees the learner's hidden state and rates, to bound what any
policy could do on the same learners.

It gives the item whose unknown, ready skills (prerequisites truly known) have the highest
total true learning rate: every such item can teach, and a higher rate teaches in fewer items
on average (a skill takes ``1 / learn`` items in expectation). It never gives an item on a
known or locked skill, re-teaches what the learner forgets, and declares exactly the skills
the learner truly knows, so it stops the moment everything is truly known.
"""

from __future__ import annotations

from attune.models.simulation.hidden import HiddenLearner
from attune.models.simulation.policies import Session, SimulationError


class OraclePolicy:
    """The hidden-state policy for one learner (see the module doc)."""

    def __init__(self, learner: HiddenLearner) -> None:
        self._learner = learner

    def value(self, item_id: str) -> float:
        """The total true learning rate of the item's unknown, ready skills."""
        learner = self._learner
        skills = learner.course.items[item_id].skill_ids
        return sum(learner.learn[s] for s in skills if s not in learner.known and learner.ready(s))

    async def next_item(self, session: Session) -> str:
        """The most valuable item (the first in course order on a tie)."""
        best, choice = 0.0, ""
        for item_id in self._learner.course.items:
            value = self.value(item_id)
            if value > best:
                best, choice = value, item_id
        if not choice:
            raise SimulationError(f"nothing left to teach {session.learner_id}")
        return choice
