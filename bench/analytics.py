"""Class analytics at the issue's scale: 500 learners x 60 skills x 100,000 observations.

Run: ``python -m bench.analytics [--learners 500] [--skills 60] [--observations 100000]
[--repeats 3] [--json PATH]``. Builds a course of ``--skills`` skills (a random DAG, up to two
prerequisites each, four items per skill and one two-skill item per three skills) and a
class log by a BKT simulation (learners practise ready skills and review mastered ones;
mastery, revocation and re-mastery, 8 % too-fast answers, answers spread over a month).
Then it times, best of ``--repeats``:

- **build**: folding every observation into :class:`ClassAnalytics` (all seven
  accumulators), and each accumulator alone;
- **snapshot**: the whole class report, and each part of it;
- **rebuild**: from a shuffled log (the sort included), as after a restart;
- **merge**: two shards of half the learners each, built apart, then merged;
- the ceiling: a loop that only reads each observation's fields, the least any
  accumulator can cost.

A benchmark, not a test: it prints the figures (and writes them as JSON with ``--json``).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import time
from collections.abc import Callable
from typing import Any

from attune.engine.domain import bkt
from attune.engine.domain.analytics import ClassAnalytics, Observation, rebuild
from attune.engine.domain.analytics.at_risk import AtRiskAccumulator
from attune.engine.domain.analytics.class_gaps import ClassGapsAccumulator
from attune.engine.domain.analytics.drift import DriftAccumulator
from attune.engine.domain.analytics.heatmap import HeatmapAccumulator
from attune.engine.domain.analytics.items import ItemAccumulator
from attune.engine.domain.analytics.mastery_time import MasteryTimeAccumulator
from attune.engine.domain.analytics.retention import RetentionAccumulator
from attune.engine.domain.bkt import BktParams
from attune.engine.domain.course import Course, DiagnosticPolicy, Item, Skill, build_course

DAY = 86400.0
PARAMS = BktParams(prior=0.2, learn=0.15, guess=0.2, slip=0.1)


def make_course(skills: int, rng: random.Random) -> Course:
    """``skills`` skills, each with up to two prerequisites among the ten before it."""
    ids = [f"s{k:02d}" for k in range(skills)]
    listed = []
    for k, sid in enumerate(ids):
        earlier = ids[max(0, k - 10) : k]
        pres = tuple(rng.sample(earlier, min(len(earlier), rng.choice((0, 1, 1, 2)))))
        listed.append(Skill(sid, name=f"Skill {k}", bkt=PARAMS, prerequisites=pres))
    items = [Item(f"{sid}-{n}", (sid,)) for sid in ids for n in range(4)]
    items += [Item(f"{a}+{b}", (a, b)) for a, b in zip(ids[::3], ids[1::3], strict=False)]
    return build_course("bench", listed, items, diagnostic=DiagnosticPolicy(enabled=False))


def _learner_log(course: Course, lid: str, answers: int, rng: random.Random) -> list[Observation]:
    """One learner's observations (log ids assigned later)."""
    p: dict[str, float] = {}
    mastered: set[str] = set()
    ever: set[str] = set()
    streak: dict[str, int] = {}
    theta, at = 0.0, rng.uniform(0.0, 10 * DAY)
    found = []
    for _ in range(answers):
        at += rng.choice((20.0, 40.0, 90.0, 600.0, 3600.0, DAY))
        ready = [
            s
            for s in course.order
            if s not in mastered and all(q in mastered for q in course.skills[s].prerequisites)
        ]
        if mastered and (not ready or rng.random() < 0.1):
            sid = rng.choice(sorted(mastered))
        else:
            sid = ready[0] if rng.random() < 0.5 else rng.choice(ready)
        item = rng.choice(course.items_for(sid))
        fast = rng.random() < 0.08
        weight = 0.2 if fast else 1.0
        chance = bkt.p_correct(p.get(sid, PARAMS.prior), PARAMS)
        score = 1.0 if rng.random() < chance else 0.0
        after, newly, gains = [], [], []
        for s in item.skill_ids:
            before = p.get(s, PARAMS.prior)
            now = weight * bkt.step(before, score, PARAMS) + (1 - weight) * before
            p[s] = now
            gains.append(now - before)
            if not fast:
                streak[s] = streak.get(s, 0) + 1 if score else 0
            if s not in mastered and now >= 0.95 and streak.get(s, 0) >= 2:
                mastered.add(s)
                if s not in ever:
                    ever.add(s)
                    newly.append(s)
            elif s in mastered and not score and not fast and now < 0.8:
                mastered.discard(s)
            after.append(now)
        theta = max(-3.0, min(3.0, theta + 0.1 * (score - 0.5)))
        found.append(
            Observation(
                log_id=0,
                learner_id=lid,
                item_id=item.item_id,
                skill_ids=item.skill_ids,
                score=score,
                occurred_at=at,
                p_known=tuple(after),
                mastered=tuple(s in mastered for s in item.skill_ids),
                response_time_ms=900 if fast else int(rng.lognormvariate(math.log(8000), 0.5)),
                credibility=weight,
                newly_mastered=tuple(newly),
                theta=theta,
                gain=sum(gains) / len(gains),
            )
        )
    return found


def make_log(course: Course, learners: int, total: int, rng: random.Random) -> list[Observation]:
    """``total`` observations from ``learners`` learners, in time order, log ids 1..total."""
    each, extra = divmod(total, learners)
    merged = []
    for n in range(learners):
        merged += _learner_log(course, f"learner-{n:04d}", each + (n < extra), rng)
    merged.sort(key=lambda o: o.occurred_at)
    return [_with_id(o, k) for k, o in enumerate(merged, 1)]


def _with_id(o: Observation, log_id: int) -> Observation:
    return Observation(
        log_id, o.learner_id, o.item_id, o.skill_ids, o.score, o.occurred_at, o.p_known,
        o.mastered, o.response_time_ms, o.credibility, o.newly_mastered, o.revoked, o.theta,
        o.gain,
    )  # fmt: skip


def best(repeats: int, run: Callable[[], object]) -> float:
    """The best wall time of ``repeats`` runs, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def _ceiling(log: list[Observation]) -> None:
    for o in log:
        _ = (o.learner_id, o.item_id, o.skill_ids, o.score, o.credibility, o.mastered, o.p_known)


def measure(learners: int, skills: int, observations: int, repeats: int) -> dict[str, Any]:
    """Every figure of the module doc."""
    rng = random.Random(14)
    course = make_course(skills, rng)
    start = time.perf_counter()
    log = make_log(course, learners, observations, rng)
    generated = time.perf_counter() - start
    now = log[-1].occurred_at + DAY

    def build() -> ClassAnalytics:
        analytics = ClassAnalytics()
        for o in log:
            analytics.add(o)
        return analytics

    analytics = build()
    parts: dict[str, Callable[[], Any]] = {
        "items": ItemAccumulator,
        "mastery_time": MasteryTimeAccumulator,
        "drift": DriftAccumulator,
        "at_risk": AtRiskAccumulator,
        "gaps": ClassGapsAccumulator,
        "retention": RetentionAccumulator,
        "heatmap": HeatmapAccumulator,
    }

    def feed(make: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            acc = make()
            for o in log:
                acc.add(o)

        return run

    snapshots: dict[str, Callable[[], object]] = {
        "items": lambda: analytics.items.snapshot(course),
        "mastery_time": lambda: analytics.mastery_time.snapshot(course),
        "drift": lambda: analytics.drift.snapshot(course),
        "at_risk": lambda: analytics.at_risk.snapshot(now, course),
        "gaps": lambda: analytics.gaps.snapshot(course),
        "retention": lambda: analytics.retention.snapshot(course),
        "heatmap": lambda: analytics.heatmap.snapshot(course),
    }
    shuffled = list(log)
    random.Random(1).shuffle(shuffled)
    half = {f"learner-{n:04d}" for n in range(0, learners, 2)}

    def merge() -> None:
        first = rebuild(o for o in log if o.learner_id in half)
        first.merge(rebuild(o for o in log if o.learner_id not in half))

    report = analytics.snapshot(course, now)
    ceiling = best(repeats, lambda: _ceiling(log))
    build_s = best(repeats, build)
    snapshot_s = best(repeats, lambda: analytics.snapshot(course, now))
    return {
        "machine": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "learners": learners,
        "skills": skills,
        "items": len(course.items),
        "observations": len(log),
        "generate_s": round(generated, 3),
        "ceiling_s": round(ceiling, 4),
        "build_s": round(build_s, 3),
        "build_us_per_observation": round(build_s / len(log) * 1e6, 2),
        "build_over_ceiling": round(build_s / ceiling, 1),
        "build_by_part_s": {k: round(best(repeats, feed(m)), 3) for k, m in parts.items()},
        "snapshot_s": round(snapshot_s, 3),
        "snapshot_by_part_s": {k: round(best(repeats, f), 4) for k, f in snapshots.items()},
        "rebuild_shuffled_s": round(best(repeats, lambda: rebuild(shuffled)), 3),
        "two_shards_and_merge_s": round(best(repeats, merge), 3),
        "report": {
            "flagged_drift": [s.skill_id for s in report.drift.flagged],
            "at_risk_learners": len(report.at_risk),
            "gaps": len(report.gaps),
            "retention_answers": report.retention.overall.answers,
            "heatmap_cells": len(report.heatmap.rows) * len(report.heatmap.columns),
            "items_flagged": sum(1 for i in report.items if i.flags),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument("--skills", type=int, default=60)
    parser.add_argument("--observations", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", default="", help="also write the figures to this file")
    args = parser.parse_args()
    figures = measure(args.learners, args.skills, args.observations, args.repeats)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as out:
            out.write(text + "\n")


if __name__ == "__main__":
    main()
