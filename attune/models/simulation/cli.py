"""``attune simulate``: compare tutoring policies on synthetic learners through a real engine.

The subcommand's arguments are declared in ``attune/cli.py``; this module checks them, runs
the simulation and prints the table or the JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Mapping

from attune.engine.demo.course import demo_course
from attune.engine.domain.course import Course
from attune.engine.logs import configure_logging
from attune.models.simulation.policies import POLICIES
from attune.models.simulation.realistic_cli import run_realistic
from attune.models.simulation.report import document, table
from attune.models.simulation.runner import (
    DEFAULT_CAP,
    SimulationConfig,
    default_workers,
    simulate,
)

COURSES: Mapping[str, Callable[[], Course]] = {"demo": demo_course}


def _problem(args: argparse.Namespace) -> str | None:
    if args.course not in COURSES:
        return f"unknown course {args.course!r}; known courses: {', '.join(COURSES)}"
    if args.policy == "oracle" and not getattr(args, "realistic", False):
        return "--policy oracle needs --realistic (only hidden learners expose their truth)"
    for flag in ("learners", "cap", "static_count", "concurrency", "seeds"):
        value = getattr(args, flag, None)
        if value is not None and value < 1:
            name = "--" + flag.replace("_", "-")
            return f"{name} must be at least 1, got {value}"
    if args.workers < 0:
        return f"--workers must be at least 0 (0 means one per core), got {args.workers}"
    return None


def run_simulate(args: argparse.Namespace) -> int:
    """Run ``attune simulate``; 2 with a message on stderr for a bad argument."""
    problem = _problem(args)
    if problem:
        print(f"attune simulate: {problem}", file=sys.stderr)
        return 2
    if getattr(args, "realistic", False):
        return run_realistic(args)
    configure_logging("warning", "console")
    course = COURSES[args.course]()
    policies = POLICIES if args.policy == "all" else (args.policy,)
    config = SimulationConfig(
        learners=args.learners,
        seed=args.seed,
        cap=args.cap or DEFAULT_CAP,
        static_count=args.static_count,
        concurrency=args.concurrency,
        workers=args.workers or default_workers(),
    )
    began = time.monotonic()
    metrics = simulate(course, policies, config)
    if args.json:
        print(json.dumps(document(args.course, config, metrics), indent=2))
        return 0
    print(
        f"Course {args.course!r} ({len(course.skills)} skills), {config.learners} learners, "
        f"seed {config.seed}, cap {config.cap} items, static path {config.static_count} per "
        f"skill; {time.monotonic() - began:.0f} s\n"
    )
    print(table(metrics))
    return 0
