"""Review schedules against forgetting learners (issue 15 part 3): the engine's own policy on
the realistic hidden learners, under each review policy of
:data:`attune.models.simulation.retention.ARMS` (the doubling schedule of the engine before
part 3, with and without re-opening on a failed review, and the recall schedule).

Run: ``python -m bench.retention`` (4 learners x 3 seeds on the wide and deep graphs) or
``--learners 8 --seeds 5``; ``--graphs wide,deep,demo``, ``--arms doubling,recall``,
``--out FILE`` for the JSON. Each figure is the mean of the seeds' values [min-max]:

- ``ret leave``: the study's retention at 48 h (forgetting learners; the learner stops at
  declaration), the same definition as ``python -m bench.efficacy``;
- ``ret follow``: the same 48 h marks when the learner keeps coming back once a session gap
  and answers the due reviews (and re-opened skills);
- ``recall@rev``: of the engine's review items given to forgetting learners, the share whose
  skill the learner still knew (the recall schedule aims at 0.9);
- ``rev/l``, ``reopen/l``: reviews and re-opened skills per learner; ``items``: tutoring
  answers per learner; ``follow``: follow-up answers per learner.

A benchmark, not a test: it reports figures and asserts nothing; a seed reproduces them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

from attune.engine.logs import configure_logging
from attune.models.simulation.graphs import GRAPHS
from attune.models.simulation.retention import ARMS, LearnerRetention, RetentionConfig, run_arm
from attune.models.simulation.study import Spread, spread

COLUMNS = ("ret leave", "ret follow", "recall@rev", "rev/l", "reopen/l", "items", "follow")


def _task(graph: str, seed: int, arm: str, config: RetentionConfig) -> list[LearnerRetention]:
    configure_logging("warning", "console")
    return asyncio.run(run_arm(GRAPHS[graph](), seed, arm, config))


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def seed_figures(results: Sequence[LearnerRetention]) -> dict[str, float | None]:
    """The columns for one seed's learners."""
    forget = [r for r in results if r.forgets]
    marks = sum(r.marks for r in forget)
    n = len(results)
    return {
        "ret leave": _ratio(sum(r.kept_leave for r in forget), marks),
        "ret follow": _ratio(sum(r.kept_followed for r in forget), marks),
        "recall@rev": _ratio(sum(r.reviews_known for r in forget), sum(r.reviews for r in forget)),
        "rev/l": sum(r.reviews for r in results) / n,
        "reopen/l": sum(r.reopened for r in results) / n,
        "items": sum(r.items for r in results) / n,
        "follow": sum(r.followup_items for r in results) / n,
    }


def _cell(s: Spread | None) -> str:
    if s is None:
        return "-"
    digits = 2 if s.high <= 1.0 else 0
    return f"{s.mean:.{digits}f} [{s.low:.{digits}f}-{s.high:.{digits}f}]"


def _plain(row: dict[str, Spread | None]) -> dict[str, dict[str, float] | None]:
    return {c: asdict(v) if v else None for c, v in row.items()}


def main(argv: list[str] | None = None) -> int:
    """Run every (graph, seed, arm), print the table, write the JSON if asked."""
    parser = argparse.ArgumentParser(prog="python -m bench.retention")
    parser.add_argument("--learners", type=int, default=4)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--graphs", default="wide,deep")
    parser.add_argument("--arms", default=",".join(ARMS))
    parser.add_argument("--followup-hours", type=float, default=72.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    graphs, arms = args.graphs.split(","), args.arms.split(",")
    bad = [g for g in graphs if g not in GRAPHS] + [a for a in arms if a not in ARMS]
    if bad:
        parser.error(f"unknown graph or arm {bad[0]!r}; graphs {list(GRAPHS)}, arms {list(ARMS)}")
    config = RetentionConfig(
        learners=args.learners,
        seeds=tuple(range(1, args.seeds + 1)),
        followup_hours=args.followup_hours,
    )
    keys = [(g, s, a) for g in graphs for s in config.seeds for a in arms]
    began = time.monotonic()
    context = multiprocessing.get_context("spawn")  # no inherited gRPC state
    with ProcessPoolExecutor(max_workers=args.workers, mp_context=context) as pool:
        futures = {k: pool.submit(_task, *k, config) for k in keys}
        results = {k: f.result() for k, f in futures.items()}
    elapsed = time.monotonic() - began
    summary: dict[str, dict[str, dict[str, Spread | None]]] = {}
    for g in graphs:
        for a in arms:
            per_seed = [seed_figures(results[(g, s, a)]) for s in config.seeds]
            summary.setdefault(g, {})[a] = {c: spread([f[c] for f in per_seed]) for c in COLUMNS}
    print(
        f"{config.learners} learners x {len(config.seeds)} seeds per cell, follow-up "
        f"{config.followup_hours:g} h; {elapsed:.0f} s\n"
    )
    width = max(len(a) for a in arms) + 2
    for g in graphs:
        print(f"{g} ({len(GRAPHS[g]().skills)} skills)")
        print("  " + "arm".ljust(width) + "".join(c.ljust(20) for c in COLUMNS))
        for a in arms:
            cells = "".join(_cell(summary[g][a][c]).ljust(20) for c in COLUMNS)
            print("  " + a.ljust(width) + cells)
        print()
    if args.out is not None:
        doc = {
            "learners": config.learners,
            "seeds": list(config.seeds),
            "followup_hours": config.followup_hours,
            "arms": {a: asdict(ARMS[a]) for a in arms},
            "seconds": round(elapsed, 1),
            "figures": {
                g: {
                    a: {c: asdict(v) if v else None for c, v in row.items()}
                    for a, row in by.items()
                }
                for g, by in summary.items()
            },
        }
        args.out.write_text(json.dumps(doc, indent=2) + "\n")
        print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
