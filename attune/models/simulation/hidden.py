"""Realistic synthetic learners: hidden rates that differ from the course's nominal BKT values,
item-level guess and slip, prerequisite-gated learning, forgetting over time and rushing.

Why: learners who answer exactly as the course's BKT parameters say flatter any BKT engine
(issue 15). These learners break the engine's assumptions in the ways real ones do:

- **Per-learner rates.** On the logit scale, learn, guess and slip are the skill's nominal
  value plus a learner offset (SD :attr:`Realism.learner_sd`, shared by the learner's skills:
  some learners are fast, some careless) plus a skill-level offset (:attr:`Realism.skill_sd`).
  The logit-normal spread is the usual way to draw per-student BKT parameters (Pardos and
  Heffernan, "Modeling individualization in a Bayesian networks implementation of knowledge
  tracing", UMAP 2010, motivate per-student priors and rates).
- **Items vary.** Each item has its own guess and slip logit offsets (SD
  :attr:`Realism.item_sd`), drawn once per run seed and shared by every learner and policy.
- **Prerequisites gate learning.** An unknown skill can be learnt on an answer only when every
  prerequisite is truly known at that moment; the initial knowledge respects the same rule.
- **Forgetting.** A share of learners forget (:attr:`Realism.forgetting_share`). A known skill
  survives ``dt`` hours with probability ``2 ** (-dt / h)`` (an exponential forgetting curve
  with half-life ``h``, as in Settles and Meeder's half-life regression, ACL 2016). ``h``
  starts at the learner's base half-life (log-normal around :attr:`Realism.half_life_hours`)
  and grows with each practice of the known skill (or of a skill that needs it directly),
  more when the practice is spaced (the spacing effect). The moment of forgetting is drawn
  when the skill is learnt or practised, so observing the learner never consumes randomness.
- **Sessions.** Answers come :attr:`Schedule.seconds_per_item` apart in sessions of
  :attr:`Schedule.session_items`, with gaps of 12 to 36 hours between sessions.
- **Rushing.** A share of learners (:attr:`Realism.too_fast_share`) rush a fraction of their
  answers (:attr:`Realism.rush_rate`): under the engine's too-fast floor (2 s), right only
  by chance (:attr:`Realism.rush_correct`), and learning nothing.

Learner ``i`` of seed ``s`` is drawn from ``random.Random("realistic/s/i")``: every policy of a
run tutors the same learners, and a seed reproduces them exactly.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from attune.engine.domain.course import Course
from attune.engine.domain.credibility import CredibilityPolicy

START = 1_736_154_000.0  # 2025-01-06T09:00:00Z, every learner's first answer
HOUR = 3600.0
_MAX_HALF_LIFE = 24.0 * 365 * 10  # hours: practised long enough, a skill is never forgotten


@dataclass(frozen=True, slots=True)
class Realism:
    """The spreads and shares of the realistic cohort (logit SDs unless stated)."""

    learner_sd: float = 0.7  # learner offset on learn, guess and slip
    skill_sd: float = 0.3  # learner-and-skill offset on learn, guess and slip
    prior_sd: float = 0.8  # learner offset on the prior (strong learners know more)
    item_sd: float = 0.5  # item offset on guess and slip
    forgetting_share: float = 0.5
    half_life_hours: float = 168.0  # median base half-life of a forgetting learner
    half_life_log_sd: float = 0.5
    massed_gain: float = 1.2  # half-life factor of a practice within an hour of the last
    spaced_gain: float = 2.0  # ... and of a practice an hour or more later
    prior_strength: float = 4.0  # half-lives of skills known at the start, in base half-lives
    too_fast_share: float = 0.1
    rush_rate: float = 0.5
    rush_correct: float = 0.25
    too_fast_floor_ms: int = CredibilityPolicy().floor_ms


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a learner answers."""

    session_items: int = 25
    seconds_per_item: float = 30.0
    gap_hours: tuple[float, float] = (12.0, 36.0)


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer: its outcome, response time and time (epoch seconds)."""

    correct: bool
    response_ms: int
    at: float
    rushed: bool


def logit(p: float) -> float:
    """log(p / (1 - p)), for p clamped into (0, 1)."""
    p = min(max(p, 1e-6), 1.0 - 1e-6)
    return math.log(p / (1.0 - p))


def sigmoid(x: float) -> float:
    """The inverse of :func:`logit`."""
    return 1.0 / (1.0 + math.exp(-x))


def item_offsets(course: Course, seed: int, realism: Realism) -> dict[str, tuple[float, float]]:
    """Guess and slip logit offsets of every item for run ``seed`` (shared by all learners)."""
    rng = random.Random(f"items/{seed}")
    return {
        iid: (rng.gauss(0.0, realism.item_sd), rng.gauss(0.0, realism.item_sd))
        for iid in sorted(course.items)
    }


@dataclass
class HiddenLearner:
    """One realistic learner's hidden truth (see the module doc)."""

    course: Course
    rng: random.Random
    realism: Realism
    schedule: Schedule
    learn: dict[str, float]
    guess: dict[str, float]  # per item
    slip: dict[str, float]  # per item
    forgets: bool
    too_fast: bool
    base_half_life: float  # hours; infinite for a learner who does not forget
    known: set[str] = field(default_factory=set)
    forget_at: dict[str, float] = field(default_factory=dict)  # epoch seconds, per known skill
    half_life: dict[str, float] = field(default_factory=dict)
    last_practice: dict[str, float] = field(default_factory=dict)
    now: float = START
    answered: int = 0

    def ready(self, skill_id: str) -> bool:
        """Whether every prerequisite of the skill is truly known now."""
        return all(p in self.known for p in self.course.skills[skill_id].prerequisites)

    def knows_all(self) -> bool:
        """Whether the learner truly knows every skill of the course now."""
        return len(self.known) == len(self.course.skills)

    def known_at(self, skill_id: str, when: float) -> bool:
        """Whether a skill known now is still known at ``when``, with no practice between."""
        return skill_id in self.known and self.forget_at[skill_id] > when

    def remember(self, skill_id: str, half_life: float, at: float) -> None:
        """Make the skill known at ``at`` with a half-life, drawing when it will be forgotten."""
        self.known.add(skill_id)
        self.half_life[skill_id] = half_life
        self.last_practice[skill_id] = at
        if math.isinf(half_life):
            self.forget_at[skill_id] = math.inf
            return
        survival = -math.log2(1.0 - self.rng.random())  # half-lives until forgotten
        self.forget_at[skill_id] = at + survival * half_life * HOUR

    def catch_up(self) -> None:
        """Forget, as of the learner's clock, what was due to be forgotten by now."""
        self._expire(self.now)

    def _expire(self, at: float) -> None:
        for sid in [s for s in self.known if self.forget_at[s] <= at]:
            self.known.discard(sid)

    def p_correct(self, item_id: str) -> float:
        """The true probability of a considered answer to the item right now."""
        skills = self.course.items[item_id].skill_ids
        if all(s in self.known for s in skills):
            return 1.0 - self.slip[item_id]
        return self.guess[item_id]

    def respond(self, item_id: str) -> Answer:
        """Answer the item at the learner's clock, learn or consolidate, then move the clock."""
        at = self.now
        self._expire(at)
        skills = self.course.items[item_id].skill_ids
        if self.too_fast and self.rng.random() < self.realism.rush_rate:
            floor = self.realism.too_fast_floor_ms
            ms = self.rng.randint(max(1, floor // 5), max(1, floor - 200))
            answer = Answer(self.rng.random() < self.realism.rush_correct, ms, at, True)
        else:
            correct = self.rng.random() < self.p_correct(item_id)
            ms = max(
                self.realism.too_fast_floor_ms + 1000, round(self.rng.lognormvariate(9.6, 0.5))
            )
            answer = Answer(correct, ms, at, False)
            # Readiness is judged before any learning: one answer never teaches a skill
            # together with its own prerequisite.
            eligible = [s for s in skills if s not in self.known and self.ready(s)]
            # Practising a skill also uses its direct prerequisites: they are consolidated too.
            used = {p for s in skills for p in self.course.skills[s].prerequisites} | set(skills)
            for sid in sorted(used):
                if sid in self.known:
                    self._consolidate(sid, at)
            for sid in eligible:
                if self.rng.random() < self.learn[sid]:
                    self.remember(sid, self.base_half_life, at)
        self._advance()
        return answer

    def _consolidate(self, skill_id: str, at: float) -> None:
        gap = at - self.last_practice[skill_id]
        gain = self.realism.spaced_gain if gap >= HOUR else self.realism.massed_gain
        half_life = min(self.half_life[skill_id] * gain, _MAX_HALF_LIFE)
        self.remember(skill_id, half_life, at)

    def _advance(self) -> None:
        self.answered += 1
        self.now += self.schedule.seconds_per_item
        if self.answered % self.schedule.session_items == 0:
            self.now += self.rng.uniform(*self.schedule.gap_hours) * HOUR


def _rates(
    course: Course, rng: random.Random, realism: Realism, items: Mapping[str, tuple[float, float]]
) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """Per-skill learn, per-item guess and slip for one learner."""
    shift = {k: rng.gauss(0.0, realism.learner_sd) for k in ("learn", "guess", "slip")}
    learn, skill_guess, skill_slip = {}, {}, {}
    for sid in course.order:
        bkt = course.skills[sid].bkt
        learn[sid] = sigmoid(logit(bkt.learn) + shift["learn"] + rng.gauss(0, realism.skill_sd))
        skill_guess[sid] = logit(bkt.guess) + shift["guess"] + rng.gauss(0, realism.skill_sd)
        skill_slip[sid] = logit(bkt.slip) + shift["slip"] + rng.gauss(0, realism.skill_sd)
    guess, slip = {}, {}
    for iid in sorted(course.items):
        skills = course.items[iid].skill_ids
        g_off, s_off = items[iid]
        g = sigmoid(sum(skill_guess[s] for s in skills) / len(skills) + g_off)
        s = sigmoid(sum(skill_slip[s] for s in skills) / len(skills) + s_off)
        guess[iid], slip[iid] = g, min(s, 0.95 - g)  # keep guess + slip < 1
    return learn, guess, slip


def new_hidden_learner(
    course: Course,
    seed: int,
    index: int,
    realism: Realism | None = None,
    schedule: Schedule | None = None,
    items: Mapping[str, tuple[float, float]] | None = None,
) -> HiddenLearner:
    """Learner ``index`` of run ``seed``: the same for every policy of the run."""
    realism = realism or Realism()
    rng = random.Random(f"realistic/{seed}/{index}")
    offsets = items if items is not None else item_offsets(course, seed, realism)
    learn, guess, slip = _rates(course, rng, realism, offsets)
    forgets = rng.random() < realism.forgetting_share
    too_fast = rng.random() < realism.too_fast_share
    base = math.inf
    if forgets:
        base = realism.half_life_hours * math.exp(rng.gauss(0.0, realism.half_life_log_sd))
    learner = HiddenLearner(
        course=course,
        rng=rng,
        realism=realism,
        schedule=schedule or Schedule(),
        learn=learn,
        guess=guess,
        slip=slip,
        forgets=forgets,
        too_fast=too_fast,
        base_half_life=base,
    )
    prior_shift = rng.gauss(0.0, realism.prior_sd)
    for sid in course.order:
        p = sigmoid(logit(course.skills[sid].bkt.prior) + prior_shift)
        if learner.ready(sid) and rng.random() < p:
            learner.remember(sid, base * realism.prior_strength, START)
    return learner
