"""Drive a real engine over gRPC: each policy gets its own in-process engine on port 0 over a
throwaway store (so policies never share learners or item statistics), and every synthetic
learner of the cohort is tutored through it.

Each answer is a ``RecordResponse`` with a unique event id, ``occurred_at`` advancing
:data:`SECONDS_PER_ITEM` from a fixed start, and a response time drawn uniformly from
:data:`RESPONSE_MS` (well above the engine's too-fast floor). A learner stops when the engine
holds every skill mastered at once, or at the cap.

Reproducibility: the learners of a policy run one after another, because the engine's item
statistics depend on the order of responses; a seed then reproduces its metrics exactly.
``concurrency`` > 1 tutors that many learners of a policy at once: faster, not reproducible.
Policies share nothing, so ``workers`` > 1 runs them in separate processes (one engine each)
without changing any result.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc

from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.domain.course import Course
from attune.engine.domain.tutoring import TutorPolicy
from attune.engine.grpc.auth import StaticTokenAuthenticator
from attune.engine.grpc.convert import course_to_pb
from attune.engine.grpc.server import start_server
from attune.engine.logs import configure_logging
from attune.engine.ports import Clock
from attune.engine.service import Engine
from attune.engine.v1 import course_pb2, course_pb2_grpc, learner_pb2_grpc
from attune.models.simulation.client import LearnerClient
from attune.models.simulation.learners import new_learner
from attune.models.simulation.metrics import LearnerResult, PolicyMetrics, summarize
from attune.models.simulation.policies import POLICIES, Session, make_policy

START = 1_736_154_000  # 2025-01-06T09:00:00Z, the first answer of every learner
SECONDS_PER_ITEM = 30
RESPONSE_MS = (8_000, 40_000)
DEFAULT_CAP = 800
DEFAULT_STATIC_COUNT = 5
TOKEN, TENANT = "sim-token", "sim"
# Slowest first, so that worker processes finish together (alosi also reads the state).
_COST_ORDER = ("alosi", "static", "random", "ours")


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """The cohort, the seed, the cap on items per learner and the runner's knobs."""

    learners: int
    seed: int = 1
    cap: int = DEFAULT_CAP
    static_count: int = DEFAULT_STATIC_COUNT
    concurrency: int = 1
    workers: int = 1


@asynccontextmanager
async def running_engine(
    clock: Clock | None = None, tutor: TutorPolicy | None = None
) -> AsyncIterator[grpc.aio.Channel]:
    """A real engine on a free port over a temporary store, and a channel to it (the
    engine's own clock and tutoring policy unless given)."""
    with tempfile.TemporaryDirectory(prefix="attune-sim-") as tmp:
        store = SqliteStore.open(Path(tmp) / "sim.db")
        engine = Engine(store, clock=clock, tutor=tutor)
        running = await start_server(engine, StaticTokenAuthenticator({TOKEN: TENANT}))
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
                yield channel
        finally:
            await running.stop(1.0)


async def tutor(
    client: LearnerClient, course: Course, policy: str, index: int, config: SimulationConfig
) -> LearnerResult:
    """Tutor learner ``index`` of the cohort with ``policy`` until mastery or the cap."""
    learner = new_learner(course, config.seed, index)
    known_at_start = len(learner.known)
    rng = random.Random(f"{config.seed}/{index}/{policy}")
    chooser = make_policy(policy, course, client, rng, config.static_count)
    session = Session(learner_id=f"learner-{index}")
    over = declared = premature = 0
    while len(session.mastered) < len(course.skills) and session.step < config.cap:
        item_id = await chooser.next_item(session)
        over += learner.knows_item(item_id)
        correct = learner.answer(item_id)
        reply = await client.record(
            session.learner_id,
            event_id=f"{session.learner_id}/{session.step + 1}",
            item_id=item_id,
            correct=correct,
            response_time_ms=rng.randint(*RESPONSE_MS),
            occurred_at=START + SECONDS_PER_ITEM * session.step,
        )
        # The reply carries every skill the item exercises, and only those can change
        # mastery, so this also sees re-masteries after a revocation.
        for skill in reply.skills:
            if skill.mastered and skill.skill_id not in session.mastered:
                declared += 1
                premature += skill.skill_id not in learner.known
                session.mastered.add(skill.skill_id)
            elif not skill.mastered:
                session.mastered.discard(skill.skill_id)
        session.step += 1
        session.last_item, session.last_reply = item_id, reply
    return LearnerResult(
        learner=index,
        items=session.step,
        capped=len(session.mastered) < len(course.skills),
        over_practice=over,
        declarations=declared,
        premature=premature,
        known_at_start=known_at_start,
        known_at_end=len(learner.known),
    )


async def run_policy(course: Course, policy: str, config: SimulationConfig) -> list[LearnerResult]:
    """Start an engine, put the course, and tutor the whole cohort with one policy."""
    async with running_engine() as channel:
        meta = (("authorization", f"Bearer {TOKEN}"),)
        request = course_pb2.PutCourseRequest(course=course_to_pb(course))
        await course_pb2_grpc.CourseServiceStub(channel).PutCourse(request, metadata=meta)
        client = LearnerClient(
            learner_pb2_grpc.LearnerServiceStub(channel), TOKEN, course.course_id
        )
        gate = asyncio.Semaphore(config.concurrency)  # FIFO: learners start in index order

        async def one(index: int) -> LearnerResult:
            async with gate:
                return await tutor(client, course, policy, index, config)

        return list(await asyncio.gather(*(one(i) for i in range(config.learners))))


def _run_policy_in_worker(
    course: Course, policy: str, config: SimulationConfig
) -> list[LearnerResult]:
    configure_logging("warning", "console")  # a fresh process: keep stdout for the report
    return asyncio.run(run_policy(course, policy, config))


def simulate_results(
    course: Course, policies: Sequence[str], config: SimulationConfig
) -> dict[str, list[LearnerResult]]:
    """Every learner's result under every policy, keyed in the order of ``policies``.

    Runs its own event loops: call it from synchronous code.
    """
    unknown = [p for p in policies if p not in POLICIES]
    if unknown:
        raise ValueError(f"unknown policy {unknown[0]!r}; known: {', '.join(POLICIES)}")
    workers = min(config.workers, len(policies))
    if workers <= 1:
        return {p: asyncio.run(run_policy(course, p, config)) for p in policies}
    # spawn, not fork: a forked child would inherit the parent's gRPC state.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        ordered = sorted(policies, key=_COST_ORDER.index)
        futures = {p: pool.submit(_run_policy_in_worker, course, p, config) for p in ordered}
        return {p: futures[p].result() for p in policies}


def default_workers() -> int:
    """One worker process per core."""
    return os.cpu_count() or 1


def simulate(
    course: Course, policies: Sequence[str], config: SimulationConfig
) -> Mapping[str, PolicyMetrics]:
    """The metrics of each policy on the course (see :mod:`models.simulation.metrics`)."""
    results = simulate_results(course, policies, config)
    return {p: summarize(p, r) for p, r in results.items()}
