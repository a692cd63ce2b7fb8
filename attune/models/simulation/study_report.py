"""The realistic study's table (policy x graph, with issue 15's goals beside each figure) and
its JSON document."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from attune.models.simulation.realistic import Key, StudyConfig
from attune.models.simulation.study import (
    RealisticResult,
    SeedMetrics,
    Spread,
    seed_metrics,
    summarize_policy,
)


@dataclass(frozen=True, slots=True)
class Goal:
    """One of the issue's goals: a bound on a metric's mean across seeds."""

    metric: str
    bound: float
    at_most: bool  # True: the mean must be <= bound; False: >= bound

    def met(self, value: Spread | None) -> bool | None:
        """Whether the goal holds (None without a value)."""
        if value is None:
            return None
        return value.mean <= self.bound if self.at_most else value.mean >= self.bound

    @property
    def text(self) -> str:
        """The goal as the table shows it."""
        return f"{'<=' if self.at_most else '>='} {self.bound:g}"


GOALS = (
    Goal("ratio_to_oracle", 1.5, at_most=True),
    Goal("knew_all_at_declaration", 0.95, at_most=False),
    Goal("declared_not_known", 0.2, at_most=True),  # on graphs of 14 or more skills
    Goal("retention_48h", 0.9, at_most=False),
)

Summary = dict[str, dict[str, dict[str, Spread | None]]]  # graph -> policy -> metric


def summarize_study(results: Mapping[Key, Sequence[RealisticResult]]) -> Summary:
    """Every metric of every policy on every graph, across seeds."""
    per: dict[tuple[str, str], dict[int, SeedMetrics]] = {}
    for (graph, seed, policy), runs in results.items():
        per.setdefault((graph, policy), {})[seed] = seed_metrics(runs)
    out: Summary = {}
    for (graph, policy), seeds in per.items():
        oracle = per.get((graph, "oracle"))
        out.setdefault(graph, {})[policy] = summarize_policy(seeds, oracle)
    return out


def _cell(value: Spread | None, percent: bool = False, digits: int = 1) -> str:
    if value is None:
        return "-"
    if percent:
        return f"{value.mean:.0%} [{value.low:.0%}-{value.high:.0%}]"
    return f"{value.mean:.{digits}f} [{value.low:.{digits}f}-{value.high:.{digits}f}]"


def _goal_cell(metrics: Mapping[str, Spread | None], goal: Goal, percent: bool) -> str:
    value = metrics.get(goal.metric)
    mark = {True: " ok", False: " MISS", None: ""}[goal.met(value)]
    return _cell(value, percent, digits=2) + mark


_HEADER = (
    "graph",
    "policy",
    "items to true mastery",
    "reached",
    "x oracle",
    "knew all at declaration",
    "declared not known",
    "retention 48 h",
    "items spent",
)


def table(summary: Summary) -> str:
    """One row per graph and policy: the mean [min-max] across seeds, goals marked."""
    goals = {g.metric: g for g in GOALS}
    rows: list[tuple[str, ...]] = [
        _HEADER,
        ("goal", "", "", "", *(goals[m].text for m in [g.metric for g in GOALS]), ""),
    ]
    for graph, policies in summary.items():
        for policy, m in policies.items():
            rows.append(
                (
                    graph,
                    policy,
                    _cell(m["items_to_true_mastery"]),
                    _cell(m["reached_share"], percent=True),
                    _goal_cell(m, goals["ratio_to_oracle"], percent=False),
                    _goal_cell(m, goals["knew_all_at_declaration"], percent=True),
                    _goal_cell(m, goals["declared_not_known"], percent=False),
                    _goal_cell(m, goals["retention_48h"], percent=True),
                    _cell(m["items_spent"]),
                )
            )
    widths = [max(len(r[i]) for r in rows) for i in range(len(_HEADER))]

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(rows[0]), rule, *(line(r) for r in rows[1:])])


def document(summary: Summary, config: StudyConfig, skills: Mapping[str, int]) -> dict[str, Any]:
    """The JSON document: the configuration, the goals, and per graph and policy every metric
    with its spread and whether each goal is met."""
    graphs: dict[str, Any] = {}
    for graph, policies in summary.items():
        entry: dict[str, Any] = {"skills": skills.get(graph), "policies": {}}
        for policy, metrics in policies.items():
            entry["policies"][policy] = {
                "metrics": {k: asdict(v) if v else None for k, v in metrics.items()},
                "goals_met": {g.metric: g.met(metrics.get(g.metric)) for g in GOALS},
            }
        graphs[graph] = entry
    return {
        "learners_per_seed": config.learners,
        "seeds": list(config.seeds),
        "caps": dict(config.caps),
        "static_count": config.static_count,
        "realism": asdict(config.realism),
        "mastery": asdict(config.mastery) if config.mastery else None,  # None: the default
        "goals": [asdict(g) for g in GOALS],
        "graphs": graphs,
    }
