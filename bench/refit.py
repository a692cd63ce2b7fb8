"""Refit on a realistic-sized simulated log: held-out log-likelihood old vs new, and time.

``python -m bench.refit [--learners 600] [--skills 12]``: the demo course's first skills,
half answered by learners whose BKT parameters differ from the course's, the rest by IRT
learners whose items are harder than the course says (b + 0.8). Not a test: it prints.
"""

from __future__ import annotations

import argparse
import time

from attune.engine.demo.course import demo_course
from attune.engine.domain.bkt import BktParams
from attune.engine.domain.course import IrtParams
from attune.models.refit import RefitConfig, refit_course
from attune.models.refit.simulate import simulate_answers

TRUTH = BktParams(prior=0.35, learn=0.3, guess=0.25, slip=0.05)


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=600)
    parser.add_argument("--skills", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    course = demo_course()
    skills = list(course.skills)[: args.skills]
    bkt_skills = skills[::2]
    irt_truth = {
        i.item_id: IrtParams(i.irt.a, i.irt.b + 0.8, i.irt.c)
        for s in skills[1::2]
        for i in course.items_for(s)
    }
    answers = simulate_answers(
        course,
        args.learners,
        bkt_truth={s: TRUTH for s in bkt_skills},
        irt_truth=irt_truth,
        skills=skills,
        seed=args.seed,
    )
    import pyBKT.models  # noqa: F401  (import time is not refit time)

    began = time.monotonic()
    result = refit_course(course, answers, RefitConfig())
    elapsed = time.monotonic() - began
    r = result.report
    print(
        f"{len(answers)} responses, {r.learners} learners ({r.holdout_learners} held out), "
        f"{len(skills)} skills, {sum(1 for i in r.items if i.fit_responses)} items answered; "
        f"refit {elapsed:.1f} s"
    )
    n = sum(s.old.n for s in r.skills if s.old)
    old = sum(s.old.loglik * s.old.n for s in r.skills if s.old) / max(n, 1)
    kept = [(s.new if s.adopted and s.new else s.old, s.old.n) for s in r.skills if s.old]
    new = sum(m.loglik * count for m, count in kept if m is not None) / max(n, 1)
    print(
        f"BKT: {len(r.adopted_skills)} of {len(skills)} skills adopted; held-out "
        f"log-likelihood per response {old:.4f} -> {new:.4f} ({n} responses)"
    )
    for s in r.skills[: len(skills)]:
        if s.old and s.new:
            print(
                f"  {s.skill_id} ({'BKT' if s.skill_id in bkt_skills else 'IRT'} learners): "
                f"{s.old.loglik:.4f} -> {s.new.loglik:.4f} AUC {s.old.auc:.3f} -> "
                f"{s.new.auc:.3f} {'adopted' if s.adopted else 'kept'}"
            )
    if r.irt_old and r.irt_new:
        print(
            f"IRT: {len(r.adopted_items)} items adopted; held-out log-likelihood per "
            f"response {r.irt_old.loglik:.4f} -> {r.irt_new.loglik:.4f}, AUC "
            f"{r.irt_old.auc:.3f} -> {r.irt_new.auc:.3f} ({r.irt_note})"
        )


if __name__ == "__main__":
    main()
