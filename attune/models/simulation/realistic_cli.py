"""``attune simulate --realistic``: the realistic study (issue 15) from the command line.

``--graph demo|wide|deep|all``, ``--seeds N`` (seeds ``--seed`` .. ``--seed + N - 1``),
``--learners`` per seed, ``--policy`` (``oracle`` included) and ``--cap`` (for every graph;
without it each graph has its own, see :data:`realistic.DEFAULT_CAPS`). Prints the table of
:mod:`study_report`, or its JSON with ``--json``.

:func:`parse_mastery` reads a preset name (``classic``, ``eight-attempts``, ``adaptive``) or
``THRESHOLD,MIN_ATTEMPTS,CONSECUTIVE[,INDIVIDUAL_SD]`` (e.g. ``0.95,8,2``, the
design notes' eight-attempt preset) into the course mastery policy the study gives the engine,
so mastery rules can be compared on the same learners without changing the engine's defaults.
An ``args.mastery`` of that form is honoured when the parser defines it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from attune.engine.domain.course import MASTERY_PRESETS, MasteryPolicy
from attune.engine.domain.errors import InvalidInputError
from attune.engine.logs import configure_logging
from attune.models.simulation.graphs import GRAPHS
from attune.models.simulation.realistic import (
    DEFAULT_CAPS,
    STUDY_POLICIES,
    StudyConfig,
    run_study,
)
from attune.models.simulation.runner import default_workers
from attune.models.simulation.study_report import document, summarize_study, table


def parse_mastery(text: str) -> MasteryPolicy:
    """``THRESHOLD,MIN_ATTEMPTS,CONSECUTIVE`` as a validated policy. Raises
    :class:`argparse.ArgumentTypeError` naming the problem, so argparse prints it as is."""
    if text.strip() in MASTERY_PRESETS:
        return MASTERY_PRESETS[text.strip()]
    parts = [p.strip() for p in text.split(",")]
    if len(parts) not in (3, 4):
        raise argparse.ArgumentTypeError(f"want THRESHOLD,MIN_ATTEMPTS,CONSECUTIVE, got {text!r}")
    try:
        sd = float(parts[3]) if len(parts) == 4 else 0.0
        policy = MasteryPolicy(float(parts[0]), int(parts[1]), int(parts[2]), sd)
    except ValueError:
        raise argparse.ArgumentTypeError(f"want a number and two integers, got {text!r}") from None
    try:
        policy.validate("mastery")
    except InvalidInputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return policy


def study_config(args: argparse.Namespace) -> StudyConfig:
    """The study the arguments ask for."""
    caps = {g: args.cap or c for g, c in DEFAULT_CAPS.items()}
    mastery = getattr(args, "mastery", None)
    return StudyConfig(
        learners=args.learners,
        seeds=tuple(range(args.seed, args.seed + args.seeds)),
        caps=tuple(caps.items()),
        static_count=args.static_count,
        workers=args.workers or default_workers(),
        mastery=parse_mastery(mastery) if isinstance(mastery, str) else mastery,
    )


def run_realistic(args: argparse.Namespace) -> int:
    """Run the realistic study; 2 with a message on stderr for an unknown graph."""
    graphs = list(GRAPHS) if args.graph == "all" else [args.graph]
    if graphs[0] not in GRAPHS:
        known = ", ".join([*GRAPHS, "all"])
        print(f"attune simulate: unknown graph {args.graph!r}; known: {known}", file=sys.stderr)
        return 2
    # The oracle is the yardstick of the "x oracle" ratio, so it always runs.
    policies = STUDY_POLICIES if args.policy == "all" else ("oracle", args.policy)
    policies = tuple(dict.fromkeys(policies))
    configure_logging("warning", "console")
    config = study_config(args)
    began = time.monotonic()
    summary = summarize_study(run_study(graphs, policies, config))
    skills = {g: len(GRAPHS[g]().skills) for g in graphs}
    if args.json:
        print(json.dumps(document(summary, config, skills), indent=2))
        return 0
    print(
        f"Realistic learners, graphs {', '.join(graphs)}, {config.learners} learners x "
        f"{len(config.seeds)} seeds ({config.seeds[0]}..{config.seeds[-1]}); "
        f"{time.monotonic() - began:.0f} s\n"
    )
    print(table(summary))
    return 0
