"""The realistic study: every policy tutors the same hidden learners (:mod:`.hidden`) on each
graph (:mod:`.graphs`) and seed, and each learner's outcome is judged against the truth.

The engine-driven policies (``ours``, ``static``, ``random``, ``alosi``; see
:mod:`.policies`) go through a real engine over gRPC exactly as :mod:`.runner` does: the
engine does the BKT and mastery bookkeeping and declares the graph mastered when it holds every
skill mastered at once. Each answer carries the learner's own clock (sessions and gaps) and
response time, so the engine sees rushed answers under its too-fast floor. The ``oracle``
(:mod:`.oracle`) needs no engine: it declares what the learner truly knows.

A review 48 h after mastery: when a policy first declares a skill mastered, a review is due
48 h (:data:`REVIEW_AFTER`) later. It is judged at that moment of the learner's clock (during
the tutoring, when the learner's answers pass it; else after the learner stops, with no more
practice): the skill is retained if the learner still knows it then.

Each (graph, seed, policy) is one task with its own engine; tasks share nothing, so they run
in worker processes without changing any result, and the learners of a task run one after
another (the engine's item statistics depend on the order), so a seed reproduces its results.
"""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
import random
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from attune.engine.domain.course import Course, MasteryPolicy
from attune.engine.grpc.convert import course_to_pb
from attune.engine.logs import configure_logging
from attune.engine.v1 import course_pb2, course_pb2_grpc, learner_pb2, learner_pb2_grpc
from attune.models.simulation.client import LearnerClient
from attune.models.simulation.graphs import GRAPHS
from attune.models.simulation.hidden import (
    HOUR,
    Answer,
    HiddenLearner,
    Realism,
    item_offsets,
    new_hidden_learner,
)
from attune.models.simulation.oracle import OraclePolicy
from attune.models.simulation.policies import POLICIES, Policy, Session, make_policy
from attune.models.simulation.runner import TOKEN, running_engine
from attune.models.simulation.study import RealisticResult

STUDY_POLICIES = ("oracle", *POLICIES)
REVIEW_AFTER = 48 * HOUR
DEFAULT_CAPS = {"demo": 800, "wide": 400, "deep": 400}

Recorder = Callable[[Session, str, Answer], Awaitable[learner_pb2.RecordResponseResponse]]


@dataclass(frozen=True, slots=True)
class StudyConfig:
    """The cohort per seed, the seeds, the caps and the runner's knobs."""

    learners: int = 4
    seeds: tuple[int, ...] = (1, 2)
    caps: tuple[tuple[str, int], ...] = tuple(DEFAULT_CAPS.items())
    static_count: int = 5
    workers: int = 1
    realism: Realism = field(default_factory=Realism)
    # The course mastery policy the engine is given on every graph; None keeps each graph's
    # own (the engine's default). Lets a study compare mastery rules without engine changes.
    mastery: MasteryPolicy | None = None

    def cap(self, graph: str) -> int:
        """The most items per learner on a graph."""
        return dict(self.caps).get(graph, 600)


@dataclass
class _Reviews:
    due: dict[str, float]
    judged: int = 0
    kept: int = 0

    def judge(self, learner: HiddenLearner, until: float) -> None:
        for sid, when in sorted(self.due.items()):
            if when <= until:
                self.judged += 1
                self.kept += learner.known_at(sid, when)
                del self.due[sid]


async def run_learner(
    learner: HiddenLearner,
    index: int,
    chooser: Policy,
    record: Recorder | None,
    cap: int,
) -> RealisticResult:
    """Tutor one hidden learner until the policy declares the graph mastered, or the cap.

    ``record`` sends the answer to the engine and returns its reply; without it (the oracle)
    the declared skills are the truly known ones.
    """
    session = Session(learner_id=f"learner-{index}")
    reviews = _Reviews(due={})
    declared_ever: set[str] = set()

    def declare(skills: set[str], at: float) -> None:
        for sid in skills - declared_ever:
            declared_ever.add(sid)
            reviews.due[sid] = at + REVIEW_AFTER

    if record is None:
        session.mastered = set(learner.known)
        declare(session.mastered, learner.now)
    true_at = 0 if learner.knows_all() else None
    done = record is None and learner.knows_all()
    while not done and session.step < cap:
        learner.catch_up()
        reviews.judge(learner, learner.now)
        item_id = await chooser.next_item(session)
        answer = learner.respond(item_id)
        if record is None:
            session.mastered = set(learner.known)
            done = learner.knows_all()
        else:
            reply = await record(session, item_id, answer)
            session.last_reply = reply
            done = reply.phase == learner_pb2.LEARNER_PHASE_COMPLETE
            for skill in reply.skills:
                if skill.mastered:
                    session.mastered.add(skill.skill_id)
                else:
                    session.mastered.discard(skill.skill_id)
        declare(session.mastered, answer.at)
        session.step += 1
        session.last_item = item_id
        if true_at is None and learner.knows_all():
            true_at = session.step
    declared = done
    reviews.judge(learner, float("inf"))  # the learner stops: later reviews see no practice
    return RealisticResult(
        learner=index,
        items=session.step,
        cap=cap,
        declared=declared,
        true_mastery_at=true_at,
        knew_all_at_declaration=learner.knows_all() if declared else None,
        declared_not_known=len(session.mastered - learner.known),
        forgets=learner.forgets,
        too_fast=learner.too_fast,
        reviews=reviews.judged,
        retained=reviews.kept,
    )


def _recorder(client: LearnerClient) -> Recorder:
    async def record(
        session: Session, item_id: str, answer: Answer
    ) -> learner_pb2.RecordResponseResponse:
        return await client.record(
            session.learner_id,
            event_id=f"{session.learner_id}/{session.step + 1}",
            item_id=item_id,
            correct=answer.correct,
            response_time_ms=answer.response_ms,
            occurred_at=answer.at,
        )

    return record


async def run_task(
    graph: str, course: Course, seed: int, policy: str, config: StudyConfig
) -> list[RealisticResult]:
    """Every learner of one seed under one policy on one graph."""
    items = item_offsets(course, seed, config.realism)
    cohort = (
        new_hidden_learner(course, seed, i, config.realism, items=items)
        for i in range(config.learners)
    )
    cap = config.cap(graph)
    if config.mastery is not None:
        course = dataclasses.replace(course, mastery=config.mastery)
    if policy == "oracle":
        return [
            await run_learner(learner, i, OraclePolicy(learner), None, cap)
            for i, learner in enumerate(cohort)
        ]
    async with running_engine() as channel:
        meta = (("authorization", f"Bearer {TOKEN}"),)
        request = course_pb2.PutCourseRequest(course=course_to_pb(course))
        await course_pb2_grpc.CourseServiceStub(channel).PutCourse(request, metadata=meta)
        client = LearnerClient(
            learner_pb2_grpc.LearnerServiceStub(channel), TOKEN, course.course_id
        )
        results = []
        for i, learner in enumerate(cohort):
            rng = random.Random(f"{seed}/{i}/{policy}")
            chooser = make_policy(policy, course, client, rng, config.static_count)
            results.append(await run_learner(learner, i, chooser, _recorder(client), cap))
        return results


def _task_in_worker(
    graph: str, seed: int, policy: str, config: StudyConfig
) -> list[RealisticResult]:
    configure_logging("warning", "console")  # a fresh process: keep stdout for the report
    return asyncio.run(run_task(graph, GRAPHS[graph](), seed, policy, config))


Key = tuple[str, int, str]  # graph, seed, policy


def run_study(
    graphs: Sequence[str], policies: Sequence[str], config: StudyConfig
) -> dict[Key, list[RealisticResult]]:
    """Every learner's result for every graph, seed and policy. Runs its own event loops."""
    for name, known in ((graphs, GRAPHS), (policies, STUDY_POLICIES)):
        unknown = [n for n in name if n not in known]
        if unknown:
            raise ValueError(f"unknown {unknown[0]!r}; known: {', '.join(known)}")
    keys = [(g, s, p) for g in graphs for s in config.seeds for p in policies]
    if config.workers <= 1:
        return {k: _task_in_worker(*k, config) for k in keys}
    # spawn, not fork: a forked child would inherit the parent's gRPC state. The slowest
    # tasks (the demo course, then alosi, which also reads the state) go first.
    context = multiprocessing.get_context("spawn")
    order = sorted(keys, key=lambda k: (k[0] != "demo", k[2] != "alosi", k[2] == "oracle"))
    with ProcessPoolExecutor(max_workers=config.workers, mp_context=context) as pool:
        futures = {k: pool.submit(_task_in_worker, *k, config) for k in order}
        return {k: futures[k].result() for k in keys}
