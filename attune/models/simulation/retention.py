"""Review schedules against forgetting learners (issue 15 part 3).

The realistic study (:mod:`.realistic`) runs the engine with its default tutoring policy and
stops each learner when the graph is declared mastered. Here the engine's own policy
(``ours``) tutors the same hidden learners under several review policies (:data:`ARMS`), on an
engine whose clock follows the learner's, and each learner is followed further:

1. **Tutoring**, exactly as in the study: the engine's first recommendation of the previous
   reply, until the graph is declared mastered or the cap, one learner after another (so the
   engine's item statistics, and so every answer, are the study's). ``kept_leave`` gives the
   study's retention at 48 h: the learner stops at declaration and practises no more.
2. **Follow-up**, once every learner is tutored: each comes back once per session gap (12 to
   36 h, as in the study) for :attr:`RetentionConfig.followup_hours` and answers what the
   engine recommends while a review is due or a skill is re-opened (at most a session's
   worth), as in a course that goes on after the graph is mastered. ``kept_followed`` judges
   the same 48 h marks with those reviews in between.

At every answer the engine led with ``REVIEW`` (a due review), the probe records whether the
learner truly knew the skill then: **recall at review**, to set against the schedule's target.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from attune.engine.domain.course import Course
from attune.engine.domain.tutoring import HOUR, ReviewPolicy, TutorPolicy
from attune.engine.grpc.convert import course_to_pb
from attune.engine.v1 import course_pb2, course_pb2_grpc, learner_pb2, learner_pb2_grpc
from attune.models.simulation.client import LearnerClient
from attune.models.simulation.hidden import HiddenLearner, Realism, item_offsets
from attune.models.simulation.hidden import new_hidden_learner as hidden
from attune.models.simulation.realistic import DEFAULT_CAPS, REVIEW_AFTER
from attune.models.simulation.runner import TOKEN, running_engine

ARMS: Mapping[str, ReviewPolicy] = {
    # The engine before part 3: fixed doublings from 48 h, the margin rule only.
    "doubling": ReviewPolicy(schedule="doubling", interval_s=48 * HOUR, reopen=False),
    "doubling+reopen": ReviewPolicy(schedule="doubling", interval_s=48 * HOUR),
    "recall-48h": ReviewPolicy(interval_s=48 * HOUR),
    "recall": ReviewPolicy(),  # the default: target recall 0.9, first review 24 h after mastery
}


@dataclass(frozen=True, slots=True)
class RetentionConfig:
    """The cohort per seed, the seeds, the cap per graph and the follow-up."""

    learners: int = 4
    seeds: tuple[int, ...] = (1, 2)
    caps: tuple[tuple[str, int], ...] = tuple(DEFAULT_CAPS.items())  # the study's
    followup_hours: float = 72.0
    realism: Realism = field(default_factory=Realism)

    def cap(self, graph: str) -> int:
        """The most tutoring answers per learner on a graph (the study's caps)."""
        return dict(self.caps).get(graph, 600)


@dataclass
class LearnerRetention:
    """One learner's review figures (forgetting or not)."""

    forgets: bool
    items: int  # tutoring answers, until declaration or the cap
    declared: bool
    followup_items: int = 0
    marks: int = 0  # skills first declared mastered: each has a 48 h mark
    kept_leave: int = 0
    kept_followed: int = 0
    reviews: int = 0  # answers the engine led with REVIEW
    reviews_known: int = 0  # ... where the learner truly knew the skill
    reopened: int = 0  # skills the engine re-opened


class SimClock:
    """The engine's clock, set to the learner's before each call that reads it."""

    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        """The learner's time."""
        return self.t


class _Session:
    """One learner's run against the engine."""

    def __init__(self, learner: HiddenLearner, lid: str, client: LearnerClient, clock: SimClock):
        self.learner, self.lid, self.client, self.clock = learner, lid, client, clock
        self.mastered: set[str] = set()
        self.complete = False  # the engine's phase: every skill mastered, none due
        self.marks: dict[str, float] = {}  # skill -> its 48 h mark
        self.recs: list[learner_pb2.Recommendation] = []
        self.step = 0
        self.declared: set[str] = set()  # skills ever declared mastered
        self.out = LearnerRetention(forgets=learner.forgets, items=0, declared=False)

    def judge(self, until: float) -> None:
        """Judge the 48 h marks up to ``until`` against the truth."""
        for sid, when in sorted(self.marks.items()):
            if when <= until:
                self.out.kept_followed += self.learner.known_at(sid, when)
                del self.marks[sid]

    async def answer(self, rec: learner_pb2.Recommendation) -> None:
        """The learner answers the recommended item; the engine records it."""
        learner = self.learner
        if rec.reasons and rec.reasons[0] == learner_pb2.REASON_REVIEW:
            self.out.reviews += 1
            self.out.reviews_known += rec.skill_id in learner.known
        answer = learner.respond(rec.item_id)
        self.step += 1
        self.clock.t = answer.at  # the engine refuses answers from its future
        reply = await self.client.record(
            self.lid,
            event_id=f"{self.lid}/{self.step}",
            item_id=rec.item_id,
            correct=answer.correct,
            response_time_ms=answer.response_ms,
            occurred_at=answer.at,
        )
        self.out.reopened += len(reply.revoked_skill_ids)
        for skill in reply.skills:
            if skill.mastered:
                self.mastered.add(skill.skill_id)
            else:
                self.mastered.discard(skill.skill_id)
        for sid in self.mastered - self.declared:
            self.declared.add(sid)
            self.marks[sid] = answer.at + REVIEW_AFTER
        self.recs = list(reply.recommendations)
        self.complete = reply.phase == learner_pb2.LEARNER_PHASE_COMPLETE

    async def tutor(self, cap: int) -> None:
        """Tutor until the engine declares the course complete or the cap, as the study does."""
        learner = self.learner
        while not self.complete and self.step < cap:
            learner.catch_up()
            self.judge(learner.now)
            if not self.recs:
                self.clock.t = learner.now
                self.recs = list(await self.client.recommend(self.lid))
            await self.answer(self.recs[0])
        self.out.items, self.out.declared = self.step, self.complete
        self.out.marks = len(self.declared)
        self.out.kept_leave = self.out.kept_followed + sum(
            learner.known_at(sid, when) for sid, when in self.marks.items()
        )

    async def follow_up(self, hours: float, rng: random.Random) -> LearnerRetention:
        """Come back once per session gap and answer the due reviews and re-opened skills."""
        learner, total = self.learner, len(self.learner.course.skills)
        end = learner.now + hours * HOUR
        while self.out.declared and self.marks and learner.now < end:
            learner.now += rng.uniform(*learner.schedule.gap_hours) * HOUR
            for _ in range(learner.schedule.session_items):
                learner.catch_up()
                self.judge(learner.now)
                self.clock.t = learner.now
                top = (await self.client.recommend(self.lid))[0]
                due = top.reasons and top.reasons[0] == learner_pb2.REASON_REVIEW
                if not (due and await self._due(top.skill_id)) and len(self.mastered) == total:
                    break
                await self.answer(top)
                self.out.followup_items += 1
        self.judge(float("inf"))
        return self.out

    async def _due(self, skill_id: str) -> bool:
        # Everything mastered and nothing due, the engine still offers the weakest skills
        # for review; the follow-up learner answers only reviews that are due.
        state = await self.client.state(self.lid)
        s = next(s for s in state.skills if s.skill_id == skill_id)
        return s.HasField("review_due_at") and s.review_due_at.seconds <= self.clock.t


async def run_arm(
    course: Course, seed: int, arm: str, config: RetentionConfig
) -> list[LearnerRetention]:
    """Every learner of one seed on one graph under one review policy (a fresh engine)."""
    items = item_offsets(course, seed, config.realism)
    clock = SimClock()
    async with running_engine(clock, TutorPolicy(review=ARMS[arm])) as channel:
        meta = (("authorization", f"Bearer {TOKEN}"),)
        request = course_pb2.PutCourseRequest(course=course_to_pb(course))
        await course_pb2_grpc.CourseServiceStub(channel).PutCourse(request, metadata=meta)
        client = LearnerClient(
            learner_pb2_grpc.LearnerServiceStub(channel), TOKEN, course.course_id
        )
        sessions = []
        for i in range(config.learners):  # tutoring first: the study's item statistics
            learner = hidden(course, seed, i, config.realism, items=items)
            sessions.append(_Session(learner, f"learner-{i}", client, clock))
            await sessions[-1].tutor(config.cap(course.course_id))
        out = []
        for i, session in enumerate(sessions):
            rng = random.Random(f"followup/{seed}/{i}")
            out.append(await session.follow_up(config.followup_hours, rng))
        return out
