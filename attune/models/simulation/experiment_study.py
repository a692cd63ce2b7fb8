"""An experiment run end to end (issue 15 part 5): one engine, one course with two arms, one
cohort of realistic hidden learners (:mod:`.hidden`) split between the arms by the engine's
own assignment, each tutored by the engine's policy (``ours``). The engine's experiment
report (what an administrator sees) is then set beside the simulator's hidden truth per arm
(what only the simulator knows): does the report show the difference that is really there?

Run it with ``python -m attune.models.simulation.experiment_study [--learners N]
[--seed S] [--graph wide|deep|demo] [--strict THRESHOLD,MIN_ATTEMPTS,CONSECUTIVE]``; it
prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from google.protobuf.json_format import MessageToDict

from attune.engine.domain.course import Course, MasteryPolicy
from attune.engine.domain.experiments import Arm, Experiment, arm_of
from attune.engine.grpc.convert import course_to_pb
from attune.engine.logs import configure_logging
from attune.engine.v1 import (
    course_pb2,
    course_pb2_grpc,
    experiments_pb2,
    experiments_pb2_grpc,
    learner_pb2_grpc,
)
from attune.models.simulation.client import LearnerClient
from attune.models.simulation.graphs import GRAPHS
from attune.models.simulation.hidden import Realism, item_offsets, new_hidden_learner
from attune.models.simulation.policies import make_policy
from attune.models.simulation.realistic import DEFAULT_CAPS, _recorder, run_learner
from attune.models.simulation.realistic_cli import parse_mastery
from attune.models.simulation.runner import TENANT, TOKEN, running_engine
from attune.models.simulation.study import RealisticResult, seed_metrics

STRICT = MasteryPolicy(threshold=0.98, min_attempts=8, consecutive_correct=2)


@dataclass(frozen=True, slots=True)
class ArmTruth:
    """One arm as the simulator's hidden truth sees it."""

    arm_id: str
    learners: int
    declared: int  # the engine declared the whole graph mastered before the cap
    knew_all_at_declaration: float | None  # share of those who truly knew every skill
    declared_not_known: float  # skills declared but not known, per learner
    items_when_declared: float | None  # mean answers of the declared learners
    retention_48h: float | None  # forgetting learners: 48 h reviews of a skill found known


def _truth(arm_id: str, results: Sequence[RealisticResult]) -> ArmTruth:
    """The arm's hidden truth, pooled as the other studies pool a seed (:func:`seed_metrics`:
    retention over the learners who forget)."""
    if not results:
        return ArmTruth(arm_id, 0, 0, None, 0.0, None, None)
    pooled = seed_metrics(results)
    declared = [r for r in results if r.declared]
    return ArmTruth(
        arm_id=arm_id,
        learners=len(results),
        declared=len(declared),
        knew_all_at_declaration=pooled.knew_all_at_declaration,
        declared_not_known=pooled.declared_not_known,
        items_when_declared=statistics.fmean(r.items for r in declared) if declared else None,
        retention_48h=pooled.retention_48h,
    )


def experiment_course(graph: str, strict: MasteryPolicy) -> Course:
    """The graph's course with an experiment: the course's own rule against ``strict``."""
    course = GRAPHS[graph]()
    experiment = Experiment(
        "study", (Arm("control", description="the course's rule"), Arm("strict", mastery=strict))
    )
    return replace(course, experiment=experiment)


async def run_experiment(
    graph: str, learners: int, seed: int, strict: MasteryPolicy
) -> dict[str, Any]:
    """Both arms on one cohort; the engine's report and the hidden truth per arm."""
    course = experiment_course(graph, strict)
    realism = Realism()
    items = item_offsets(course, seed, realism)
    cap = DEFAULT_CAPS.get(graph, 600)
    by_arm: dict[str, list[RealisticResult]] = {"control": [], "strict": []}
    async with running_engine() as channel:
        meta = (("authorization", f"Bearer {TOKEN}"),)
        put = course_pb2.PutCourseRequest(course=course_to_pb(course))
        await course_pb2_grpc.CourseServiceStub(channel).PutCourse(put, metadata=meta)
        client = LearnerClient(
            learner_pb2_grpc.LearnerServiceStub(channel), TOKEN, course.course_id
        )
        for i in range(learners):
            hidden = new_hidden_learner(course, seed, i, realism, items=items)
            rng = random.Random(f"{seed}/{i}/ours")
            chooser = make_policy("ours", course, client, rng, 5)
            result = await run_learner(hidden, i, chooser, _recorder(client), cap)
            by_arm[arm_of(course, TENANT, f"learner-{i}")].append(result)
        stub = experiments_pb2_grpc.ExperimentServiceStub(channel)
        report = await stub.GetExperimentReport(
            experiments_pb2.GetExperimentReportRequest(course_id=course.course_id), metadata=meta
        )
    return {
        "graph": graph,
        "seed": seed,
        "learners": learners,
        "strict": {
            "threshold": strict.threshold,
            "min_attempts": strict.min_attempts,
            "consecutive_correct": strict.consecutive_correct,
        },
        "truth": [asdict(_truth(arm, results)) for arm, results in by_arm.items()],
        "engine_report": MessageToDict(report, preserving_proto_field_name=True),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: prints the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", default="wide", choices=sorted(GRAPHS))
    parser.add_argument("--learners", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--strict", type=parse_mastery, default=STRICT, help="THRESHOLD,MIN_ATTEMPTS,CONSECUTIVE"
    )
    args = parser.parse_args(argv)
    if args.learners < 2:
        parser.error("--learners must be at least 2")
    configure_logging("warning", "console")
    result = asyncio.run(run_experiment(args.graph, args.learners, args.seed, args.strict))
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
