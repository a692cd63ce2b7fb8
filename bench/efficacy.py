"""Tutoring efficacy against the truth (issue 15): every policy, the oracle included, on the
demo course and the wide and deep graphs, over realistic hidden learners and several seeds.

Run: ``python -m bench.efficacy`` (a small run: 3 learners x 2 seeds, about a minute on
2 cores) or ``python -m bench.efficacy --full`` (8 learners x 5 seeds, under about ten
minutes on 2 cores). Prints the table (policy x graph, each figure the mean [min-max] across
seeds, the issue's goal beside it). ``--full`` writes ``bench/results/efficacy.json`` (the
committed figures); a smaller run writes JSON only where ``--out`` says, so it never
overwrites them. ``--mastery THRESHOLD,MIN_ATTEMPTS,CONSECUTIVE`` (e.g. ``0.95,8,2``) gives
every graph that course mastery policy instead of the engine's default, to compare mastery
rules on the same learners; such a run writes JSON only where ``--out`` says.

A benchmark, not a test: it reports figures and asserts nothing. The figures are
reproducible: the same arguments give the same table.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from attune.engine.logs import configure_logging
from attune.models.simulation.graphs import GRAPHS
from attune.models.simulation.realistic import STUDY_POLICIES, StudyConfig, run_study
from attune.models.simulation.realistic_cli import parse_mastery
from attune.models.simulation.study_report import document, summarize_study, table

RESULTS = Path(__file__).resolve().parent / "results" / "efficacy.json"
SMALL = {"learners": 3, "seeds": 2}
FULL = {"learners": 8, "seeds": 5}


def main(argv: list[str] | None = None) -> int:
    """Run the study, print the table and write the JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.efficacy")
    parser.add_argument("--full", action="store_true", help="8 learners x 5 seeds per cell")
    parser.add_argument("--learners", type=int, help="learners per seed (overrides the size)")
    parser.add_argument("--seeds", type=int, help="number of seeds, 1..N (overrides the size)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--mastery",
        type=parse_mastery,
        metavar="THRESHOLD,MIN_ATTEMPTS,CONSECUTIVE",
        help="the course mastery policy on every graph (default: the engine's, 0.95,3,2)",
    )
    parser.add_argument("--out", type=Path, help=f"the JSON (default with --full: {RESULTS})")
    args = parser.parse_args(argv)
    size = FULL if args.full else SMALL
    config = StudyConfig(
        learners=args.learners or size["learners"],
        seeds=tuple(range(1, (args.seeds or size["seeds"]) + 1)),
        workers=args.workers,
        mastery=args.mastery,
    )
    configure_logging("warning", "console")
    began = time.monotonic()
    results = run_study(list(GRAPHS), STUDY_POLICIES, config)
    elapsed = time.monotonic() - began
    summary = summarize_study(results)
    skills = {g: len(GRAPHS[g]().skills) for g in GRAPHS}
    report = document(summary, config, skills)
    report["seconds"] = round(elapsed, 1)
    committed = args.full and args.mastery is None  # only the default policy's figures
    out = args.out or (RESULTS if committed else None)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"{config.learners} learners x {len(config.seeds)} seeds per cell, graphs "
        f"{', '.join(f'{g} ({n} skills)' for g, n in skills.items())}; {elapsed:.0f} s"
        f"{'' if args.mastery is None else f'; mastery {args.mastery}'}\n"
    )
    print(table(summary))
    if out is not None:
        print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
