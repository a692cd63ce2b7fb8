"""The realistic study's metrics, judged against each learner's hidden truth (issue 15).

Per learner (:class:`RealisticResult`), then per (graph, policy, seed) (:class:`SeedMetrics`),
then across seeds (:class:`Spread`: the mean of the seeds' values and their min and max):

- **items to true mastery**: the answers until the learner first truly knew every skill at
  once. A learner who never got there while the policy tutored them (declared done too early,
  or stopped at the cap) counts the cap, as the earlier simulator counts capped learners: the
  study cannot see how many more items they would need, and at least the cap is the honest
  floor for "never". ``reached`` is the share who got there. The ratio to the oracle is taken
  per seed, of the means.
- **items spent**: the answers the policy gave before it declared the graph mastered (or the
  cap).
- **knew all at declaration**: of the learners whose graph the policy declared mastered, the
  share who truly knew every skill at that moment.
- **declared not known**: per learner, the skills the policy held mastered when it stopped
  that the learner did not know.
- **retention at 48 h**: of the skills a policy declared mastered for a forgetting learner,
  the share still known at a review 48 h after the first declaration (pooled over skills).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RealisticResult:
    """The outcome of tutoring one hidden learner with one policy."""

    learner: int
    items: int
    cap: int
    declared: bool  # the policy declared the whole graph mastered before the cap
    true_mastery_at: int | None  # answers until every skill was truly known, if ever
    knew_all_at_declaration: bool | None  # None when not declared
    declared_not_known: int
    forgets: bool
    too_fast: bool
    reviews: int  # reviews judged (forgetting or not)
    retained: int


@dataclass(frozen=True, slots=True)
class SeedMetrics:
    """One policy on one graph and seed. ``None`` where no learner qualified."""

    learners: int
    items_to_true_mastery: float
    reached_share: float
    items_spent: float
    declared_share: float
    knew_all_at_declaration: float | None
    declared_not_known: float
    retention_48h: float | None


def seed_metrics(results: Sequence[RealisticResult]) -> SeedMetrics:
    """Pool the learners of one seed (at least one)."""
    if not results:
        raise ValueError("no learners to summarize")
    reached = [r.true_mastery_at for r in results if r.true_mastery_at is not None]
    declared = [r for r in results if r.declared]
    forgetting = [r for r in results if r.forgets]
    reviews = sum(r.reviews for r in forgetting)
    n = len(results)
    return SeedMetrics(
        learners=n,
        items_to_true_mastery=statistics.fmean(
            r.cap if r.true_mastery_at is None else r.true_mastery_at for r in results
        ),
        reached_share=len(reached) / n,
        items_spent=statistics.fmean(r.items for r in results),
        declared_share=len(declared) / n,
        knew_all_at_declaration=(
            sum(bool(r.knew_all_at_declaration) for r in declared) / len(declared)
            if declared
            else None
        ),
        declared_not_known=statistics.fmean(r.declared_not_known for r in results),
        retention_48h=sum(r.retained for r in forgetting) / reviews if reviews else None,
    )


@dataclass(frozen=True, slots=True)
class Spread:
    """A metric across seeds: the mean of the seeds' values, their min and max, and how many
    seeds had a value."""

    mean: float
    low: float
    high: float
    seeds: int


def spread(values: Sequence[float | None]) -> Spread | None:
    """The spread of the seeds that have a value (``None`` if none has)."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    return Spread(statistics.fmean(present), min(present), max(present), len(present))


METRICS: tuple[str, ...] = (
    "items_to_true_mastery",
    "ratio_to_oracle",
    "reached_share",
    "items_spent",
    "declared_share",
    "knew_all_at_declaration",
    "declared_not_known",
    "retention_48h",
)


def _ratio(mine: SeedMetrics, oracle: SeedMetrics | None) -> float | None:
    if oracle is None or not oracle.items_to_true_mastery or mine.items_to_true_mastery is None:
        return None
    return mine.items_to_true_mastery / oracle.items_to_true_mastery


def summarize_policy(
    per_seed: Mapping[int, SeedMetrics], oracle: Mapping[int, SeedMetrics] | None
) -> dict[str, Spread | None]:
    """Every metric of :data:`METRICS` across the seeds of one policy on one graph."""
    seeds = sorted(per_seed)
    out: dict[str, Spread | None] = {}
    for name in METRICS:
        values: list[float | None] = [
            _ratio(per_seed[s], (oracle or {}).get(s))
            if name == "ratio_to_oracle"
            else getattr(per_seed[s], name)
            for s in seeds
        ]
        out[name] = spread(values)
    return out
