"""``attune demo``: a real engine on a throwaway store, a simulated learner, and a readable
trace of what the tutor believes and recommends, all over the public gRPC API."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import grpc

from attune.content.templates import render
from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.demo.course import demo_course
from attune.engine.demo.simulated import SimulatedLearner
from attune.engine.grpc.auth import StaticTokenAuthenticator
from attune.engine.grpc.convert import course_to_pb
from attune.engine.grpc.server import start_server
from attune.engine.logs import configure_logging
from attune.engine.service import Engine
from attune.engine.settings import DEV_TOKEN
from attune.engine.v1 import course_pb2, course_pb2_grpc, learner_pb2, learner_pb2_grpc


def _reasons(rec: learner_pb2.Recommendation) -> str:
    return ",".join(learner_pb2.Reason.Name(r).removeprefix("REASON_") for r in rec.reasons)


async def run_demo(seed: int = 7, steps: int = 400, quiet: bool = False) -> int:
    """Tutor one simulated learner until the course is mastered or ``steps`` run out."""
    configure_logging("warning", "console")
    course = demo_course()
    say = (lambda *_a: None) if quiet else print
    with tempfile.TemporaryDirectory(prefix="attune-demo-") as tmp:
        store = SqliteStore.open(Path(tmp) / "demo.db")
        running = await start_server(
            Engine(store), StaticTokenAuthenticator({DEV_TOKEN: "demo"}), "127.0.0.1", 0
        )
        meta = (("authorization", f"Bearer {DEV_TOKEN}"),)
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
                courses = course_pb2_grpc.CourseServiceStub(channel)
                learners = learner_pb2_grpc.LearnerServiceStub(channel)
                await courses.PutCourse(
                    course_pb2.PutCourseRequest(course=course_to_pb(course)), metadata=meta
                )
                sim = SimulatedLearner.new(course, seed, head_start=1.0)
                print(
                    f"Demo course {course.title!r}: {len(course.skills)} skills, "
                    f"{len(course.items)} items. Simulated learner (seed {seed}) already "
                    f"knows {len(sim.known)} skills."
                )
                recs = (
                    await learners.Recommend(
                        learner_pb2.RecommendRequest(learner_id="sim-1", course_id="demo"),
                        metadata=meta,
                    )
                ).recommendations
                mastered = 0
                for step in range(1, steps + 1):
                    if not recs:
                        break
                    top = recs[0]
                    q = render(course.items[top.item_id].content, seed * 100_003 + step)
                    correct = sim.answer(top.item_id)
                    reply = await learners.RecordResponse(
                        learner_pb2.RecordResponseRequest(
                            event_id=str(uuid.uuid4()),
                            learner_id="sim-1",
                            course_id="demo",
                            item_id=top.item_id,
                            correct=correct,
                            response_time_ms=9000,
                        ),
                        metadata=meta,
                    )
                    mark = "right" if correct else "wrong"
                    beliefs = "  ".join(
                        f"{s.skill_id} P(L)={s.p_mastery:.2f}" for s in reply.skills
                    )
                    say(f"#{step:<3} {top.item_id:<22} {q.prompt:<34} {mark:<5}  {beliefs}")
                    for m in reply.mastery_events:
                        mastered += 1
                        name = course.skills[m.skill_id].name
                        say(
                            f"      * mastered {name} ({m.skill_id}) after {m.attempts} "
                            f"attempts  [{mastered}/{len(course.skills)}]"
                        )
                    recs = reply.recommendations
                    if recs and step % 10 == 0:
                        nxt = recs[0]
                        say(
                            f"      next: {nxt.item_id} score {nxt.score:.2f} "
                            f"because {_reasons(nxt)}"
                        )
                    if mastered == len(course.skills):
                        break
                state = await learners.GetLearnerState(
                    learner_pb2.GetLearnerStateRequest(learner_id="sim-1", course_id="demo"),
                    metadata=meta,
                )
                print(
                    f"\nAfter {state.responses} responses: {len(state.mastered_skill_ids)} "
                    f"mastered, {len(state.ready_skill_ids)} ready, "
                    f"{len(state.locked_skill_ids)} locked. The learner truly knows "
                    f"{len(sim.known)} of {len(course.skills)} skills."
                )
        finally:
            await running.stop(1.0)
    return 0
