"""Client-side item choosers. Each picks the next item for one learner; the engine always
does the BKT and mastery bookkeeping, whatever chose the item.

- ``ours``: the engine's own first recommendation (its diagnostic cold start included).
- ``static``: a fixed path. Skills in topological order, ``count`` items each (cycling the
  skill's items); after the first full pass, further passes over the skills the engine has
  not declared mastered, in the same order.
- ``random``: a uniformly random item exercising a skill the engine has not declared mastered.
- ``alosi``: an ALOSI-style linear blend (Harvard's Adaptive Learning Open Source
  Initiative), computed here from ``GetLearnerState`` at every step. See :data:`ALOSI_WEIGHTS`.
  The ALOSI engine scores each activity as a weighted sum of four terms: remediation (how
  unmastered its skills are), continuity (closeness to the last activity), readiness (how well
  the prerequisites are mastered) and difficulty matching (how close its difficulty is to the
  learner's level), and serves the best (Rosen et al., "The effects of adaptive learning in a
  massive open online course on learners' skill development", Learning @ Scale 2018, and the
  ALOSI engine's documentation). The weights here are ours, not the paper's.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from attune.engine.domain.course import Course, Item
from attune.engine.v1 import learner_pb2

POLICIES = ("ours", "static", "random", "alosi")

ALOSI_WEIGHTS: Mapping[str, float] = {
    "remediation": 1.0,  # mean 1 - P(L) of the item's skills
    "continuity": 0.3,  # 1 when the item shares a skill with the last item
    "difficulty": 0.5,  # 1 - 2 |P(correct) - 0.5|: items the learner gets right half the time
    "readiness": 0.8,  # mean P(L) of the skills' prerequisites (1 with none); soft gating
}


class SimulationError(RuntimeError):
    """The simulation cannot go on (for example, the engine recommended nothing)."""


@dataclass
class Session:
    """What a policy knows about the learner it tutors: only what the engine said."""

    learner_id: str
    step: int = 0  # items answered so far
    mastered: set[str] = field(default_factory=set)  # skills the engine holds mastered now
    last_item: str | None = None
    last_reply: learner_pb2.RecordResponseResponse | None = None


class EngineReader(Protocol):
    """The engine calls a policy may make besides recording answers."""

    async def recommend(self, learner_id: str) -> Sequence[learner_pb2.Recommendation]: ...

    async def state(self, learner_id: str) -> learner_pb2.GetLearnerStateResponse: ...


class Policy(Protocol):
    """Chooses the next item for one learner."""

    async def next_item(self, session: Session) -> str: ...


def _unmastered_items(course: Course, mastered: set[str]) -> list[Item]:
    return [i for i in course.items.values() if any(s not in mastered for s in i.skill_ids)]


class OursPolicy:
    """The engine's first recommendation: from the previous reply, else from ``Recommend``."""

    def __init__(self, engine: EngineReader) -> None:
        self._engine = engine

    async def next_item(self, session: Session) -> str:
        """The top recommendation."""
        recs: Sequence[learner_pb2.Recommendation] = ()
        if session.last_reply is not None:
            recs = session.last_reply.recommendations
        if not recs:
            recs = await self._engine.recommend(session.learner_id)
        if not recs:
            raise SimulationError(f"the engine recommended nothing for {session.learner_id}")
        item_id: str = recs[0].item_id
        return item_id


class StaticPolicy:
    """The fixed path (see the module doc)."""

    def __init__(self, course: Course, count: int) -> None:
        self._order = course.order
        self._count = count
        # A skill's own items: those whose first skill it is (a second skill is a bonus).
        self._items = {
            sid: [i.item_id for i in course.items_for(sid) if i.skill_ids[0] == sid]
            or [i.item_id for i in course.items_for(sid)]
            for sid in course.order
        }
        self._cursor = dict.fromkeys(course.order, 0)
        self._position = 0
        self._repeating = False
        self._plan: deque[str] = deque()

    async def next_item(self, session: Session) -> str:
        """The next item of the path."""
        if not self._plan:
            sid = self._next_skill(session.mastered)
            items = self._items[sid]
            for _ in range(self._count):
                self._plan.append(items[self._cursor[sid] % len(items)])
                self._cursor[sid] += 1
        return self._plan.popleft()

    def _next_skill(self, mastered: set[str]) -> str:
        for _ in range(2 * len(self._order)):
            if self._position == len(self._order):
                self._position, self._repeating = 0, True
            sid = self._order[self._position]
            self._position += 1
            if not (self._repeating and sid in mastered):
                return sid
        return self._order[0]  # all mastered: the runner stops before asking


class RandomPolicy:
    """A uniformly random item on an unmastered skill."""

    def __init__(self, course: Course, rng: random.Random) -> None:
        self._course = course
        self._rng = rng

    async def next_item(self, session: Session) -> str:
        """A random item."""
        pool = _unmastered_items(self._course, session.mastered) or list(
            self._course.items.values()
        )
        return self._rng.choice(pool).item_id


class AlosiPolicy:
    """The ALOSI-style blend over every item with an unmastered skill. Ties go to the item
    given least recently, so a skill's items take turns."""

    def __init__(
        self, course: Course, engine: EngineReader, weights: Mapping[str, float] = ALOSI_WEIGHTS
    ) -> None:
        self._course = course
        self._engine = engine
        self._weights = weights
        self._given: dict[str, int] = {}

    async def _beliefs(self, session: Session) -> dict[str, tuple[float, float]]:
        """P(L) and P(correct) per skill: the course's priors before the first answer."""
        if session.step == 0:
            out = {}
            for sid, skill in self._course.skills.items():
                p, b = skill.bkt.prior, skill.bkt
                out[sid] = (p, b.guess * (1.0 - p) + (1.0 - b.slip) * p)
            return out
        state = await self._engine.state(session.learner_id)
        return {s.skill_id: (s.p_mastery, s.p_correct) for s in state.skills}

    def skill_components(
        self, beliefs: Mapping[str, tuple[float, float]]
    ) -> dict[str, tuple[float, float, float]]:
        """Remediation, difficulty match and readiness of every skill, each in [0, 1]."""
        out = {}
        for sid, skill in self._course.skills.items():
            p_known, p_right = beliefs[sid]
            pre = skill.prerequisites
            ready = sum(beliefs[p][0] for p in pre) / len(pre) if pre else 1.0
            out[sid] = (1.0 - p_known, 1.0 - 2.0 * abs(p_right - 0.5), ready)
        return out

    def components(
        self,
        item: Item,
        skills: Mapping[str, tuple[float, float, float]],
        last_skills: Collection[str],
    ) -> dict[str, float]:
        """The four components of one item's score: the means over its skills."""
        parts = [skills[s] for s in item.skill_ids]
        n = len(parts)
        return {
            "remediation": sum(p[0] for p in parts) / n,
            "continuity": 1.0 if any(s in last_skills for s in item.skill_ids) else 0.0,
            "difficulty": sum(p[1] for p in parts) / n,
            "readiness": sum(p[2] for p in parts) / n,
        }

    async def next_item(self, session: Session) -> str:
        """The best-scoring item."""
        skills = self.skill_components(await self._beliefs(session))
        last = self._course.items[session.last_item].skill_ids if session.last_item else ()
        pool = _unmastered_items(self._course, session.mastered) or list(
            self._course.items.values()
        )
        best: tuple[float, int] | None = None
        choice = pool[0].item_id
        for item in pool:
            parts = self.components(item, skills, last)
            score = sum(self._weights[k] * v for k, v in parts.items())
            key = (score, -self._given.get(item.item_id, -1))
            if best is None or key > best:
                best, choice = key, item.item_id
        self._given[choice] = session.step
        return choice


def make_policy(
    name: str, course: Course, engine: EngineReader, rng: random.Random, static_count: int
) -> Policy:
    """A fresh chooser for one learner."""
    if name == "ours":
        return OursPolicy(engine)
    if name == "static":
        return StaticPolicy(course, static_count)
    if name == "random":
        return RandomPolicy(course, rng)
    if name == "alosi":
        return AlosiPolicy(course, engine)
    raise ValueError(f"unknown policy {name!r}; known: {', '.join(POLICIES)}")
